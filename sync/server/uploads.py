"""Resumable upload of a batch in chunks (docs/transport-http.md, "Resumable upload").

``POST /v1/uploads`` takes a kiosk-signed upload ticket and answers where the upload stands;
``HEAD /v1/uploads/<id>`` says it again after a dropped link; ``PATCH /v1/uploads/<id>`` appends
one chunk at the offset the kiosk names. A chunk is stored only once it has arrived whole, so a
link cut half-way through a chunk costs that one chunk and nothing else. When the last byte is
there the bytes are checked against the signed digest and handed to the same intake as a one-shot
batch (``sync.intake.receive_batch``); until then nothing is parsed and nothing is a batch.

Refusals are JSON ``{"error": code, "message": plain words}`` like every other endpoint. Another
kiosk's upload id gets exactly the answer an unknown one gets (404), so ids leak nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kiosk.errors import EnvelopeError
from kiosk.i18n import N_, language_from_environment, translator
from sync.allowlist import Allowlist
from sync.envelope import fields as f
from sync.envelope.batches import BATCH_LABEL
from sync.envelope.failures import DIGEST_MISMATCH, KIND_BATCH, MALFORMED, TOO_LARGE, envelope_error
from sync.envelope.limits import MAX_BATCH_HEADER_BYTES
from sync.envelope.uploads import (
    KIND_UPLOAD_CHUNK,
    KIND_UPLOAD_TICKET,
    MAX_TICKET_BYTES,
    parse_upload_ticket,
    verify_upload_ticket,
)
from sync.envelope.wire import read_header
from sync.intake import receive_batch
from sync.keys import TownhallKeys
from sync.server.storage import Storage
from sync.server.upload_store import (
    OffsetMismatch,
    UploadGone,
    UploadRecord,
    UploadsFull,
    UploadStore,
)

log = logging.getLogger("rathaus.server.uploads")

UPLOADS_PATH = "/v1/uploads"
CHUNK_CONTENT_TYPE = "application/offset+octet-stream"
MIN_CHUNK_BYTES = 4 * 1024
"""Every chunk but the last is at least this long: an upload is never more than 2048 rows."""
MAX_CHUNK_BYTES = 256 * 1024
CHUNK_READ_SECONDS = 120.0
"""A whole chunk must arrive within this time (256 KiB at 20 kbit/s), else 408 and nothing of it
is kept. (The server's own read deadline, no byte for 60 s, applies as well.)"""

UNKNOWN_UPLOAD = "unknown_upload"
OFFSET_MISMATCH = "offset_mismatch"
UPLOADS_FULL = "uploads_full"
LENGTH_REQUIRED = "length_required"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_MESSAGES = {
    UNKNOWN_UPLOAD: N_(
        "This upload is not known (finished, expired or never started). Start it again with a new ticket."
    ),
    OFFSET_MISMATCH: N_("The town hall holds another number of bytes of this upload; continue from there."),
    UPLOADS_FULL: N_("The town hall cannot take more unfinished uploads right now; please try again later."),
    LENGTH_REQUIRED: N_("A chunk must say its length (Content-Length)."),
    UNSUPPORTED_MEDIA_TYPE: N_("A chunk must be sent as application/offset+octet-stream."),
}


def _error(code: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    _ = translator(language_from_environment())
    return JSONResponse({"error": code, "message": _(_MESSAGES[code])}, status_code=status, headers=headers)


def _offset_headers(record: UploadRecord, offset: int) -> dict[str, str]:
    return {
        "Upload-Offset": str(offset),
        "Upload-Length": str(record.length),
        "Upload-Expires": f.utc_timestamp(_moment(record.expires_at)),
        "Cache-Control": "no-store",
    }


def _moment(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


class _Refused(Exception):
    """Answer the request with ``response`` (raised from deep inside reading a chunk)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class UploadEndpoints:
    """The three upload routes over one upload spool, the batch storage and the enrolled kiosks."""

    uploads: UploadStore
    storage: Storage
    allowlist: Allowlist
    townhall: TownhallKeys
    max_batch_bytes: int
    refusal: Callable[[EnvelopeError, int | None], Response]
    """The server's one way to answer a refused envelope (a stranger learns only "refused")."""
    read_seconds: float = CHUNK_READ_SECONDS

    @property
    def routes(self) -> list[Route]:
        return [
            Route(UPLOADS_PATH, self.create, methods=["POST"]),
            Route(UPLOADS_PATH + "/{upload_id}", self.offset, methods=["HEAD"]),
            Route(UPLOADS_PATH + "/{upload_id}", self.append, methods=["PATCH"]),
        ]

    def close(self) -> None:
        self.uploads.close()

    # -- POST /v1/uploads ----------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        try:
            body = await self._read(request, MAX_TICKET_BYTES, KIND_UPLOAD_TICKET, minimum=1)
            return await run_in_threadpool(self._open, body)
        except _Refused as refused:
            return refused.response
        except EnvelopeError as exc:
            return self.refusal(exc, None)
        except ClientDisconnect:
            return Response(status_code=400)

    def _open(self, body: bytes) -> Response:
        kiosk_id = "?"
        try:
            kiosk_id = parse_upload_ticket(body).kiosk_id
            ticket = verify_upload_ticket(body, self.allowlist.public_key_for(kiosk_id))
        except EnvelopeError as exc:
            log.warning("upload ticket from kiosk %s refused (%s)", kiosk_id, exc.code)
            raise
        if ticket.length > self.max_batch_bytes:
            raise _Refused(
                self.refusal(envelope_error(TOO_LARGE, KIND_UPLOAD_TICKET, detail=f"{ticket.length} bytes"), 413)
            )
        ack = self.uploads.finished_ack(ticket)
        if ack is not None:
            # Taken in already: the kiosk missed the answer to its last chunk. Nothing to send again.
            log.info("upload of batch %s from kiosk %s: already stored", ticket.batch_id, ticket.kiosk_id)
            return Response(ack, media_type="application/octet-stream", headers={"Cache-Control": "no-store"})
        try:
            record = self.uploads.open(ticket)
        except UploadsFull as exc:
            log.warning("upload of batch %s from kiosk %s refused: %s", ticket.batch_id, kiosk_id, exc)
            return _error(UPLOADS_FULL, 503, {"Retry-After": "600"})
        log.info(
            "upload %s… of batch %s from kiosk %s at %d of %d bytes",
            record.upload_id[:8],
            ticket.batch_id,
            ticket.kiosk_id,
            record.offset,
            record.length,
        )
        return JSONResponse(
            {
                "upload_id": record.upload_id,
                "offset": record.offset,
                "length": record.length,
                "expires_at": f.utc_timestamp(_moment(record.expires_at)),
                "min_chunk": MIN_CHUNK_BYTES,
                "max_chunk": MAX_CHUNK_BYTES,
            },
            status_code=201,
            headers={"Location": f"{UPLOADS_PATH}/{record.upload_id}", **_offset_headers(record, record.offset)},
        )

    # -- HEAD /v1/uploads/<id> -----------------------------------------------------------------

    async def offset(self, request: Request) -> Response:
        try:
            record = await run_in_threadpool(self._record, request)
        except _Refused as refused:
            return Response(status_code=refused.response.status_code, headers={"Cache-Control": "no-store"})
        return Response(status_code=200, headers=_offset_headers(record, record.offset))

    def _record(self, request: Request) -> UploadRecord:
        upload_id = request.path_params["upload_id"]
        kiosk_id = request.headers.get("upload-kiosk", "")
        if not _UPLOAD_ID.fullmatch(upload_id) or not f.is_kiosk_id(kiosk_id):
            raise _Refused(_error(UNKNOWN_UPLOAD, 404))
        try:
            return self.uploads.find(upload_id, kiosk_id)
        except UploadGone:
            raise _Refused(_error(UNKNOWN_UPLOAD, 404)) from None

    # -- PATCH /v1/uploads/<id> ----------------------------------------------------------------

    async def append(self, request: Request) -> Response:
        try:
            record = await run_in_threadpool(self._record, request)
            offset = self._claimed_offset(request)
            if offset != record.offset:
                return _error(OFFSET_MISMATCH, 409, _offset_headers(record, record.offset))
            if request.headers.get("content-type", "").split(";")[0].strip().lower() != CHUNK_CONTENT_TYPE:
                return _error(UNSUPPORTED_MEDIA_TYPE, 415)
            remaining = record.length - record.offset
            chunk = await self._read(request, min(MAX_CHUNK_BYTES, remaining), KIND_UPLOAD_CHUNK, minimum=1)
            if len(chunk) < min(MIN_CHUNK_BYTES, remaining):
                raise envelope_error(MALFORMED, KIND_UPLOAD_CHUNK, detail=f"chunk of {len(chunk)} bytes")
            return await run_in_threadpool(self._take, record, offset, chunk)
        except _Refused as refused:
            return refused.response
        except EnvelopeError as exc:
            return self.refusal(exc, None)
        except ClientDisconnect:
            log.info(
                "chunk of upload %s… cut off on the way; nothing of it kept", request.path_params["upload_id"][:8]
            )
            return Response(status_code=400)

    @staticmethod
    def _claimed_offset(request: Request) -> int:
        raw = request.headers.get("upload-offset", "")
        if not raw.isascii() or not raw.isdigit() or len(raw) > 16:
            raise envelope_error(MALFORMED, KIND_UPLOAD_CHUNK, detail="Upload-Offset missing or not a number")
        return int(raw)

    def _take(self, record: UploadRecord, offset: int, chunk: bytes) -> Response:
        end = offset + len(chunk)
        if end < record.length:
            try:
                new_offset = self.uploads.append(record, offset, chunk)
            except OffsetMismatch as exc:  # a parallel copy of this chunk was faster
                return _error(OFFSET_MISMATCH, 409, _offset_headers(record, exc.offset))
            except UploadGone:
                return _error(UNKNOWN_UPLOAD, 404)
            return Response(status_code=204, headers=_offset_headers(record, new_offset))
        # The last chunk: it is not stored on its own; the whole batch is checked and taken in.
        try:
            data = self.uploads.assemble(record, chunk)
        except OffsetMismatch as exc:
            return _error(OFFSET_MISMATCH, 409, _offset_headers(record, exc.offset))
        except UploadGone:
            # A parallel copy of this last chunk was taken in first: the same acknowledgement.
            ack = self.uploads.finished_ack(record)
            if ack is None:
                return _error(UNKNOWN_UPLOAD, 404)
            return Response(
                ack,
                status_code=200,
                media_type="application/octet-stream",
                headers={"Upload-Offset": str(record.length), "Cache-Control": "no-store"},
            )
        if len(data) != record.length or hashlib.sha256(data).hexdigest() != record.batch_digest:
            self.uploads.discard(record.upload_id)
            log.warning(
                "upload %s… of batch %s from kiosk %s refused (%s)",
                record.upload_id[:8],
                record.batch_id,
                record.kiosk_id,
                DIGEST_MISMATCH,
            )
            error = envelope_error(DIGEST_MISMATCH, KIND_BATCH, detail="bytes differ from the signed digest")
            return self.refusal(error, 400)
        try:
            _check_named_batch(data, record)
            result = receive_batch(self.storage, self.allowlist, data, townhall=self.townhall)
        except EnvelopeError as exc:
            self.uploads.discard(record.upload_id)  # the same bytes would be refused again
            log.warning(
                "upload %s… of batch %s from kiosk %s refused (%s)",
                record.upload_id[:8],
                record.batch_id,
                record.kiosk_id,
                exc.code,
            )
            return self.refusal(exc, 413 if exc.code == TOO_LARGE else None)
        self.uploads.finish(record, result.ack)
        return Response(
            result.ack,
            status_code=200,
            media_type="application/octet-stream",
            headers={"Upload-Offset": str(record.length), "Cache-Control": "no-store"},
        )

    # -- reading bodies ------------------------------------------------------------------------

    async def _read(self, request: Request, limit: int, kind: str, *, minimum: int) -> bytes:
        """The whole body or nothing: ``Content-Length`` first, at most ``limit`` bytes, within
        ``read_seconds``; a body cut off or held open is dropped."""
        declared = request.headers.get("content-length")
        if declared is None:
            raise _Refused(_error(LENGTH_REQUIRED, 411))
        if not declared.isascii() or not declared.isdigit() or len(declared) > 16:
            raise envelope_error(MALFORMED, kind, detail="Content-Length is not a number")
        length = int(declared)
        if length > limit:
            raise _Refused(self.refusal(envelope_error(TOO_LARGE, kind, detail=f"Content-Length {length}"), 413))
        if length < minimum:
            raise envelope_error(MALFORMED, kind, detail="empty body")

        async def whole() -> bytes:
            body = bytearray()
            async for piece in request.stream():
                body += piece
                if len(body) > length:
                    break
            return bytes(body)

        try:
            body = await asyncio.wait_for(whole(), timeout=self.read_seconds)
        except asyncio.TimeoutError:
            log.info("body to %s not complete within %.0f s; dropped", request.url.path, self.read_seconds)
            _ = translator(language_from_environment())
            timeout = {"error": "timeout", "message": _("The request body did not arrive in time.")}
            raise _Refused(JSONResponse(timeout, status_code=408, headers={"Connection": "close"})) from None
        if len(body) != length:
            raise ClientDisconnect()
        return body



def _check_named_batch(data: bytes, record: UploadRecord) -> None:
    """The bytes must be the batch the ticket named (its id, its kiosk), before the intake."""
    header = read_header(data, BATCH_LABEL, KIND_BATCH, limit=MAX_BATCH_HEADER_BYTES).fields
    if header.get("batch_id") != record.batch_id or header.get("kiosk_id") != record.kiosk_id:
        raise envelope_error(MALFORMED, KIND_BATCH, detail="not the batch its upload ticket names")
