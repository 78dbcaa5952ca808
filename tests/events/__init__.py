"""Tests of the event catalogue (ledger.events)."""
