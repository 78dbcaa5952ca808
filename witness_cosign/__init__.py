"""``witness-cosign``: an independent witness that cosigns a log's checkpoints.

Run by a regulator or a neighbouring center, with its own key and its own state: it
cosigns a checkpoint only after checking the log's signature and consistency with the
last checkpoint it cosigned for that log (C2SP tlog-witness), so a log that shows two
different trees to two parties cannot get both cosigned. Imports only ``ledger.core`` (the
pure Merkle and note code), never the ledger service, the API or the chain.
"""
