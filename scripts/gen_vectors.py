"""Generate the proof and checkpoint test vectors under tests/vectors/.

Role: a build script. Deterministic: leaf ``i`` is ``leaf_hash(b"leaf-%d" % i)`` and the
checkpoint key is a fixed Ed25519 TEST key derived from a published seed. Each file lists
valid cases and NAMED corruptions with the expected outcome and error class, so that an
independent verifier can be checked against them. Every expectation is confirmed with
``ledger.core`` while generating. ``--check`` regenerates in memory and exits 1 when the
committed files differ.
Usage: ``python scripts/gen_vectors.py [--check] [--output DIR]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ledger.core.errors import WitnessError  # noqa: E402
from ledger.core.hashing import leaf_hash  # noqa: E402
from ledger.core.note import Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint  # noqa: E402
from ledger.core.verify import verify_consistency, verify_inclusion  # noqa: E402
from scripts.vectorlib.bundles import bundle_vectors  # noqa: E402
from scripts.vectorlib.leaflog import LeafLog  # noqa: E402
from scripts.vectorlib.notes import note_vectors  # noqa: E402
from scripts.vectorlib.receipts import receipt_vectors  # noqa: E402
from scripts.vectorlib.receipts_v2 import add_v2  # noqa: E402
from scripts.vectorlib.sealed import sealed_vectors  # noqa: E402
from scripts.vectorlib.small_log import SmallLog  # noqa: E402

VECTORS_DIR = ROOT / "tests" / "vectors"
MAX_SIZE = 1000
TEST_KEY_SEED = hashlib.sha256(b"witness-ledger test vectors: TEST key, never trust it").digest()
OTHER_KEY_SEED = hashlib.sha256(b"witness-ledger test vectors: another TEST key").digest()
ORIGIN = "test.example/witness-vectors"
INCLUSION_CASES = [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3), (3, 7), (6, 7), (0, 8), (5, 8),
                   (7, 8), (8, 9), (4, 9), (0, 1000), (511, 1000), (512, 1000), (999, 1000)]
CONSISTENCY_CASES = [(1, 2), (1, 3), (2, 3), (3, 7), (4, 7), (4, 8), (7, 8), (8, 9), (1, 9),
                     (3, 1000), (512, 1000), (999, 1000), (0, 7), (7, 7), (1000, 1000)]


class _Log(LeafLog):
    """The first MAX_SIZE leaves, stored as the ledger stores them."""

    def __init__(self) -> None:
        super().__init__([leaf_hash(b"leaf-%d" % i) for i in range(MAX_SIZE)])


def _flip(h: bytes, bit: int = 0) -> bytes:
    b = bytearray(h)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


def _outcome(check: Callable[[], Any]) -> tuple[str, str | None]:
    try:
        check()
    except WitnessError as exc:
        return "invalid", type(exc).__name__
    return "valid", None


def _hexes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _inclusion_case(name: str, index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                    root: bytes, want_valid: bool) -> dict[str, Any]:
    outcome, error = _outcome(lambda: verify_inclusion(index, size, leaf, proof, root))
    if (outcome == "valid") != want_valid:
        raise AssertionError(f"inclusion case {name}: expected valid={want_valid}, got {error}")
    return {"name": name, "index": index, "size": size, "leaf_hash": leaf.hex(),
            "proof": _hexes(proof), "root": root.hex(), "expected": outcome, "error": error}


def inclusion_vectors(log: _Log) -> dict[str, Any]:
    cases = []
    for index, size in INCLUSION_CASES:
        leaf, proof, root = log.leaves[index], log.inclusion(index, size), log.root(size)
        base = f"i{index}-n{size}"

        def add(suffix: str, i: int = index, n: int = size, lf: bytes = leaf,
                pf: Sequence[bytes] = proof, rt: bytes = root, ok: bool = False,
                base: str = base) -> None:
            cases.append(_inclusion_case(f"{base}/{suffix}", i, n, lf, pf, rt, ok))

        add("valid", ok=True)
        for j in sorted({0, len(proof) // 2, len(proof) - 1}) if proof else []:
            add(f"flip-bit-proof[{j}]", pf=[*proof[:j], _flip(proof[j], 7), *proof[j + 1 :]])
        add("flip-bit-leaf", lf=_flip(leaf, 255))
        add("flip-bit-root", rt=_flip(root, 128))
        add("wrong-index", i=(index + 1) % size if size > 1 else 1)
        add("index-beyond-size", i=size)
        # A wrong size whose path shape differs (same-shape sizes pass by design, RFC 9162).
        other = next(n for n in [size + 1, size - 1, size + 2, size * 2 + 1, 2 * size + 3]
                     if n > index and _outcome(lambda n=n, i=index, lf=leaf, pf=proof, rt=root:
                                               verify_inclusion(i, n, lf, pf, rt))[0] != "valid")
        add("wrong-size", n=other)
        if proof:
            add("truncated", pf=proof[:-1])
        add("extended", pf=[*proof, log.leaves[0]])
        if size > 1:
            j = size - 1 if index != size - 1 else 0
            add("proof-of-other-index", pf=log.inclusion(j, size))
            add("root-of-other-size", rt=log.root(size - 1))
    return {
        "description": "RFC 9162 inclusion proofs. Leaf i is SHA-256(0x00 || 'leaf-<i>'); "
                       "hashes are hex; proofs bottom-up (PATH). 'error' names the exception "
                       "class of ledger.core.errors a verifier raises.",
        "leaf_data": "leaf-%d",
        "cases": cases,
    }


def _consistency_case(name: str, size1: int, size2: int, root1: bytes, root2: bytes,
                      proof: Sequence[bytes], want_valid: bool) -> dict[str, Any]:
    outcome, error = _outcome(lambda: verify_consistency(size1, size2, root1, root2, proof))
    if (outcome == "valid") != want_valid:
        raise AssertionError(f"consistency case {name}: expected valid={want_valid}, got {error}")
    return {"name": name, "size1": size1, "size2": size2, "root1": root1.hex(),
            "root2": root2.hex(), "proof": _hexes(proof), "expected": outcome, "error": error}


def consistency_vectors(log: _Log) -> dict[str, Any]:
    cases = []
    for size1, size2 in CONSISTENCY_CASES:
        root1, root2, proof = log.root(size1), log.root(size2), log.consistency(size1, size2)
        base = f"m{size1}-n{size2}"

        def add(suffix: str, m: int = size1, n: int = size2, r1: bytes = root1,
                r2: bytes = root2, pf: Sequence[bytes] = proof, ok: bool = False,
                base: str = base) -> None:
            cases.append(_consistency_case(f"{base}/{suffix}", m, n, r1, r2, pf, ok))

        add("valid", ok=True)
        if size1 == 0 or size1 == size2:
            add("non-empty-proof", pf=[log.leaves[0]])
            if size1:
                add("root-of-other-size", r2=log.root(size2 - 1))
            continue
        for j in sorted({0, len(proof) // 2, len(proof) - 1}):
            add(f"flip-bit-proof[{j}]", pf=[*proof[:j], _flip(proof[j], 3), *proof[j + 1 :]])
        add("flip-bit-root1", r1=_flip(root1, 9))
        add("flip-bit-root2", r2=_flip(root2, 200))
        add("swapped-sizes", m=size2, n=size1, r1=root2, r2=root1)
        add("truncated", pf=proof[:-1])
        add("extended", pf=[*proof, log.leaves[0]])
        add("empty-proof", pf=[])
        add("root-of-other-size", r1=log.root(size2))
    return {
        "description": "RFC 9162 consistency proofs (PROOF(size1, D[size2])) over the same "
                       "leaves as inclusion.json. Hashes are hex.",
        "leaf_data": "leaf-%d",
        "cases": cases,
    }


def checkpoint_vectors(log: _Log) -> dict[str, Any]:
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(TEST_KEY_SEED))
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(OTHER_KEY_SEED))
    verifier = signer.verifier
    cases = []

    def add(name: str, note: str, origin: str = ORIGIN, ok: bool = False) -> None:
        outcome, error = _outcome(lambda: open_checkpoint(note, [verifier], origin))
        if (outcome == "valid") != ok:
            raise AssertionError(f"checkpoint case {name}: expected valid={ok}, got {error}")
        case: dict[str, Any] = {"name": name, "note": note, "origin": origin,
                                "expected": outcome, "error": error}
        if ok:
            cp = open_checkpoint(note, [verifier], origin)
            case.update(size=cp.size, root=cp.root.hex())
        cases.append(case)

    for size in (0, 1, 7, 1000):
        add(f"n{size}/valid", sign_checkpoint(Checkpoint(ORIGIN, size, log.root(size)), signer),
            ok=True)
    cp = Checkpoint(ORIGIN, 1000, log.root(1000))
    note = sign_checkpoint(cp, signer)
    body, sig = note.split("\n\n")
    add("modified-size", note.replace("\n1000\n", "\n1001\n", 1))
    add("modified-root", sign_checkpoint(cp, signer).replace(
        cp.body(), Checkpoint(ORIGIN, 1000, log.root(999)).body()))
    add("wrong-origin", note, origin="other.example/log")
    add("signed-by-other-key", sign_checkpoint(cp, other))
    flipped = sig[: len(sig) - 6] + ("A" if sig[-6] != "A" else "B") + sig[len(sig) - 5 :]
    add("flip-signature", body + "\n\n" + flipped)
    add("no-blank-line", body + "\n" + sig)
    add("bad-base64-signature", body + "\n\n" + sig.replace(sig.split(" ")[-1], "!!!!\n"))
    add("leading-zero-size", signer.sign(f"{ORIGIN}\n01000\n{cp.body().split(chr(10))[2]}\n"))
    add("root-not-32-bytes", signer.sign(f"{ORIGIN}\n1000\nAAAA\n"))
    return {
        "description": "C2SP tlog-checkpoint signed notes. The key is a TEST key derived from a "
                       "published seed: it proves nothing, never trust it.",
        "test_key_seed": TEST_KEY_SEED.hex(),
        "vkey": verifier.vkey(),
        "origin": ORIGIN,
        "cases": cases,
    }


def render() -> dict[str, str]:
    """File name -> exact text of every vector file."""
    log = _Log()
    files = {
        "inclusion.json": inclusion_vectors(log),
        "consistency.json": consistency_vectors(log),
        "checkpoint.json": checkpoint_vectors(log),
        "sealed.json": sealed_vectors(),
        "note.json": note_vectors(),
        "receipts.json": add_v2(small := SmallLog(), receipt_vectors(small)),
        "bundles.json": bundle_vectors(small),
    }
    return {name: json.dumps(obj, indent=1, ensure_ascii=False) + "\n"
            for name, obj in files.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the files are stale")
    parser.add_argument("--output", type=Path, default=VECTORS_DIR)
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = args.output / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale test vectors: {', '.join(stale)}; run scripts/gen_vectors.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
