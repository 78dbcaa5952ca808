"""Typed errors of the core: one base, a verification family carrying evidence.

Verification functions raise these; they never return False. Must not import anything
outside the standard library.
"""

from __future__ import annotations


class WitnessError(Exception):
    """Base of every error raised by the witness ledger and its verifier."""


class MalformedError(WitnessError):
    """Input that cannot be parsed: wrong format, version, encoding or size."""


class InvalidRequestError(WitnessError, ValueError):
    """A request that makes no sense: a proof beyond the tree, a token without its scope…"""


class SourceUnavailable(WitnessError):
    """A file, server, chain or database could not be reached or read: try again later.

    ``source`` names what could not be reached ("the chain", "the database") when the
    message alone does not; the command lines then say "cannot reach <source>: …"."""

    source: str | None = None


class VerificationError(WitnessError):
    """Something was checked and found wrong. Subclasses carry the evidence."""

    code = "verification_failed"


class InclusionProofError(VerificationError):
    """An inclusion proof does not lead from the leaf to the expected root."""

    code = "inclusion_proof"

    def __init__(
        self,
        reason: str,
        *,
        index: int,
        size: int,
        leaf_hash: bytes,
        expected_root: bytes | None = None,
        calculated_root: bytes | None = None,
    ) -> None:
        self.reason = reason
        self.index = index
        self.size = size
        self.leaf_hash = leaf_hash
        self.expected_root = expected_root
        self.calculated_root = calculated_root
        detail = f"inclusion of index {index} in size {size}: {reason}"
        if expected_root is not None and calculated_root is not None:
            detail += f" (expected root {expected_root.hex()}, calculated {calculated_root.hex()})"
        super().__init__(detail)


class ConsistencyProofError(VerificationError):
    """A consistency proof does not link the two tree heads."""

    code = "consistency_proof"

    def __init__(
        self,
        reason: str,
        *,
        size1: int,
        size2: int,
        root1: bytes,
        root2: bytes,
        calculated_root1: bytes | None = None,
        calculated_root2: bytes | None = None,
    ) -> None:
        self.reason = reason
        self.size1 = size1
        self.size2 = size2
        self.root1 = root1
        self.root2 = root2
        self.calculated_root1 = calculated_root1
        self.calculated_root2 = calculated_root2
        super().__init__(f"consistency from size {size1} to size {size2}: {reason}")


class SignatureError(VerificationError):
    """A signed note or receipt has no valid signature by the pinned key."""

    code = "signature"


class RootMismatchError(VerificationError):
    """A recomputed tree root differs from the one claimed."""

    code = "root"

    def __init__(self, size: int, expected: bytes, calculated: bytes) -> None:
        self.size = size
        self.expected = expected
        self.calculated = calculated
        super().__init__(
            f"root of size {size}: expected {expected.hex()}, calculated {calculated.hex()}"
        )
