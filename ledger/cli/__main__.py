"""``python -m ledger.cli`` runs the ``witness`` command."""

from ledger.cli import main

main()
