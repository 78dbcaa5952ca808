"""``GET /v1/trust-policy``: the policy verifiers pin, public, with its fingerprint.

The body is the ``witness-trust/v1`` document itself (it loads in ``witness-verify --policy``
unchanged); the ``Witness-Policy-Fingerprint`` header carries the fingerprint the center
publishes elsewhere, so a reader can compare the two before pinning anything. The chain
endpoint is omitted unless ``WITNESS_API_POLICY_ENDPOINT`` names a public one: the
service's own chain location means nothing to a remote verifier.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ledger.core.trust import policy_fingerprint
from ledger.trust_policy import policy_document
from witness_api.deps import Services, get_services
from witness_api.problems import responses

router = APIRouter(prefix="/v1", tags=["public"])
FINGERPRINT_HEADER = "Witness-Policy-Fingerprint"


@router.get("/trust-policy", summary="The trust policy to pin (witness-trust/v1)",
            responses=responses(404))
def trust_policy(request: Request,
                 services: Services = Depends(get_services)) -> JSONResponse:  # noqa: B008
    api = getattr(request.app.state, "api", None)
    endpoint = getattr(api, "policy_endpoint", "") or None
    doc = policy_document(request.app.state.settings, services.log, endpoint=endpoint)
    return JSONResponse(doc, headers={FINGERPRINT_HEADER: policy_fingerprint(doc)})
