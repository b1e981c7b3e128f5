"""The baseline of ``python -m bench rural``: a town hall that takes one sealed item per POST.

This is how a per-submission uploader such as ODK Collect talks to its server: each application
goes up whole in its own request, and a failed request starts again from the first byte. It is a
benchmark fixture only, never part of the product server. It keeps each distinct item once (by
its SHA-256), so a resend after a lost answer does not count twice, and bounds what it reads.
"""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_ITEM_BYTES = 256 * 1024


def create_baseline_app(received: dict[str, int]) -> Starlette:
    """``POST /items`` with one sealed item as the body; ``received`` maps digest → length."""

    async def post_item(request: Request) -> Response:
        body = bytearray()
        try:
            async for piece in request.stream():
                body += piece
                if len(body) > MAX_ITEM_BYTES:
                    return JSONResponse({"error": "too_large"}, status_code=413)
        except ClientDisconnect:  # the link dropped mid-item: nothing kept, nobody to answer
            return Response(status_code=499)
        if not body:
            return JSONResponse({"error": "empty"}, status_code=400)
        digest = hashlib.sha256(body).hexdigest()
        received[digest] = len(body)
        return JSONResponse({"digest": digest}, status_code=201)

    return Starlette(routes=[Route("/items", post_item, methods=["POST"])])
