"""Merkle proofs (RFC 9162): inclusion of an index at a size, consistency between sizes.

Each proof comes with the roots it links and the signed checkpoint of that size when one
was sealed, so a client checks the proof against the exact checkpoint it was computed for.
A proof carries hashes only (leaves are salted: nothing of an event can be read from it);
still, bidders and ingest tokens may ask for inclusion proofs of their own events only
(404 otherwise, as for receipts).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from witness_api.auth import READERS, require
from witness_api.deps import Services, get_services, require_on_loop
from witness_api.models import ConsistencyOut, FastJSONResponse, InclusionOut
from witness_api.problems import responses
from witness_api.routers.receipts import MAX_INDEX
from witness_api.tokens import Principal
from witness_api.visibility import OWN_ONLY_ROLES, visible_record

router = APIRouter(prefix="/v1/proofs", tags=["proofs"])
Size = Annotated[int, Query(ge=0, le=MAX_INDEX)]


def _note_at(services: Services, size: int) -> str | None:
    found = services.log.checkpoints_between(size, size)
    return found[0].note if found else None


@router.get("/inclusion", response_model=InclusionOut, response_class=FastJSONResponse,
            summary="Inclusion proof", responses=responses(401, 403, 404, 422))
async def inclusion(
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[int | None, Query(ge=1, le=MAX_INDEX,
                                      description="Tree size; default the latest checkpoint")]
    = None,
    who: Principal = Depends(require_on_loop(*READERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> FastJSONResponse:
    """Inclusion proof of the event at ``index`` in the tree of ``size``."""
    # One short read transaction (about a millisecond: O(log n) hashes by primary key), run
    # on the event loop: cheaper than the thread-pool round trips it would otherwise take.
    # No receipt is signed (only the leaf is needed); a bidder or ingest token sees only its
    # own events (anything else is the same 404 as a missing index).
    if who.role in OWN_ONLY_ROLES:
        visible_record(services, who, index)
    answer = services.log.inclusion_answer(index, size)
    return FastJSONResponse({
        "index": index, "size": answer.size, "leaf_hash": answer.leaf_hash.hex(),
        "root": answer.root.hex(), "proof": [h.hex() for h in answer.proof],
        "checkpoint": answer.checkpoint_note,
    })


@router.get("/consistency", response_model=ConsistencyOut, response_model_by_alias=True,
            summary="Consistency proof", responses=responses(401, 403, 422))
def consistency(
    size_from: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)],
    size_to: Annotated[int, Query(alias="to", ge=0, le=MAX_INDEX)],
    _who: Principal = Depends(require(*READERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> ConsistencyOut:
    """Proof that the tree of size ``to`` extends the tree of size ``from``."""
    proof = services.log.consistency_proof(size_from, size_to)
    return ConsistencyOut.model_validate({
        "from": size_from, "to": size_to,
        "root_from": services.log.tree_hash(size_from).hex(),
        "root_to": services.log.tree_hash(size_to).hex(),
        "proof": [h.hex() for h in proof],
        "checkpoint_from": _note_at(services, size_from),
        "checkpoint_to": _note_at(services, size_to),
    })
