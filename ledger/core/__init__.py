"""Pure, consensus-critical core of the witness ledger.

Hashing, the RFC 9162 Merkle tree (plan which stored hashes are needed, then compute),
proof verification, canonical encoding, signed notes and checkpoints, receipts.

Must not import: anything outside the standard library, ``cryptography`` and ``rfc8785``;
no I/O, no clock, no database. Changing bytes produced here breaks anchored roots.
"""
