"""The trading witness ledger service package."""
