"""Tests of the Solidity contracts against a real EVM node."""
