"""Realistic demo data: complete tendering trails with optional planted violations.

Role: the generator behind ``witness demo-data`` and the whole-generator rule test.
Must not import the store, the API or the verifier.
"""

from ledger.demo.generator import (
    GeneratedProject,
    generate_portfolio,
    generate_project,
    merged_reference,
    write_jsonl,
)
from ledger.demo.planted import PLANTED_CLASSES, PLANTED_RULES, expected_rules

__all__ = [
    "PLANTED_CLASSES",
    "PLANTED_RULES",
    "GeneratedProject",
    "expected_rules",
    "generate_portfolio",
    "generate_project",
    "merged_reference",
    "write_jsonl",
]
