"""Unit and property tests of the pure core, ``ledger.core``."""
