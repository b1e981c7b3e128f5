"""The kiosk's side of the resumable upload (docs/transport-http.md, "Resumable upload").

One batch goes up in chunks. The town hall keeps a chunk only once it arrived whole, so a dropped
link costs at most the chunk that was on the way; the kiosk then asks how far the town hall got
(``HEAD``) and goes on from there. Chunks are sized to the link: halved after a drop, doubled
after two confirmed in a row, and never larger than a few seconds of the link's throughput measured
so far (the round trip that every chunk also waits is taken out of that measure), so a chunk fits
into the short spells a rural link stays up.

Nothing here is kept on the kiosk's disk: a new round sends a fresh signed ticket and the town
hall answers with the upload already under way for that batch, so a restart resumes too.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Callable

import httpx

from kiosk.errors import SyncError
from sync.envelope.uploads import build_upload_ticket
from sync.keys import KioskKeys

UPLOADS_PATH = "/v1/uploads"
CHUNK_CONTENT_TYPE = "application/offset+octet-stream"
MIN_CHUNK = 4 * 1024
MAX_CHUNK = 256 * 1024
FIRST_CHUNK = 16 * 1024
CHUNK_SECONDS = 5.0
"""A chunk should take about this long at the throughput measured so far.

Each chunk also waits one round trip for its answer, and a drop loses about half a chunk on
average; the sum of both per second, ``rtt / T + T / (2 · D)`` for drops every ``D`` seconds, is
least at ``T = sqrt(2 · D · rtt)``: about 5 s on the ``edge`` link (400 ms, a drop every 30 s)."""
_TRANSIENT = {408, 425, 429, 500, 502, 503, 504}
_REOPEN_LIMIT = 3

Progress = Callable[[int, int], None]
"""``progress(offset, length)``: the town hall now holds ``offset`` of ``length`` bytes."""


class UploadsUnsupported(Exception):
    """The town hall has no ``/v1/uploads`` (an older server): send the batch in one piece."""


class Refused(Exception):
    """The town hall refused the upload for good; ``response`` says why."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class ChunkSizer:
    """How many bytes to put into the next chunk."""

    def __init__(
        self,
        *,
        first: int = FIRST_CHUNK,
        minimum: int = MIN_CHUNK,
        maximum: int = MAX_CHUNK,
        seconds: float = CHUNK_SECONDS,
    ) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.seconds = seconds
        self.size = max(minimum, min(first, maximum))
        self._streak = 0
        self._throughput: float | None = None  # bytes per second, smoothed

    def limit(self, minimum: int, maximum: int) -> None:
        """Keep to the bounds the town hall announced."""
        self.minimum = max(self.minimum, minimum)
        self.maximum = min(self.maximum, maximum)
        self.size = max(self.minimum, min(self.size, self.maximum))

    def dropped(self) -> None:
        self.size = max(self.minimum, self.size // 2)
        self._streak = 0

    def succeeded(self, sent: int, seconds: float, round_trip: float = 0.0) -> None:
        """A chunk of ``sent`` bytes was confirmed ``seconds`` after it started; ``round_trip`` is
        what an empty request takes on this link (taken out: the link was idle meanwhile)."""
        moving = seconds - round_trip if seconds > 2 * round_trip else seconds
        if moving > 0:
            rate = sent / moving
            self._throughput = rate if self._throughput is None else 0.7 * self._throughput + 0.3 * rate
        self._streak += 1
        if self._streak < 2:
            return
        self._streak = 0
        grown = self.size * 2
        if self._throughput is not None:
            grown = min(grown, int(self._throughput * self.seconds) // 1024 * 1024)
        self.size = max(self.minimum, min(self.maximum, max(self.size, grown)))


@dataclass
class UploadStats:
    """What went over the link for uploads in one round (for progress, tests and the benchmark)."""

    chunk_bytes: int = 0
    """Bytes put into chunks, those lost in a drop included."""
    largest_chunk: int = 0
    requests: int = 0
    drops: int = 0


class ChunkedUploader:
    """Uploads one batch at a time over an ``httpx.Client`` that has the town hall as base URL."""

    def __init__(
        self,
        client: httpx.Client,
        kiosk: KioskKeys,
        *,
        attempts: int,
        delay: Callable[[int, random.Random], float],
        sleep: Callable[[float], None],
        rng: random.Random,
        sizer: ChunkSizer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._kiosk = kiosk
        self._attempts = max(1, attempts)
        self._delay = delay
        self._sleep = sleep
        self._rng = rng
        self._clock = clock
        self.sizer = sizer or ChunkSizer()
        self.stats = UploadStats()
        self.round_trip = 0.0  # the quickest answer to a request without a body so far

    def upload(self, batch_id: str, data: bytes, progress: Progress | None = None) -> bytes:
        """Send ``data`` until the town hall answers with its acknowledgement; returns its bytes.

        ``SyncError`` (transient) when the link failed ``attempts`` times in a row without a chunk
        getting through; ``Refused`` for a refusal; ``UploadsUnsupported`` for an older server.
        """
        length = len(data)
        digest = hashlib.sha256(data).hexdigest()
        upload_id: str | None = None
        offset = 0
        known = False  # ``offset`` is what the town hall last said, with nothing lost since
        failures = 0  # attempts in a row in which no chunk got through
        progressed = False
        reopened = 0  # the town hall lost the upload (or claims all of it) and it is opened again
        while True:
            try:
                if upload_id is None:
                    asked = self._clock()
                    opened = self._open(batch_id, digest, length)
                    self._answered_in(self._clock() - asked)
                    if isinstance(opened, bytes):
                        return opened
                    upload_id, offset = opened
                    known = True
                    if progress:
                        progress(offset, length)
                elif not known:
                    asked = self._clock()
                    offset = self._head(upload_id)
                    self._answered_in(self._clock() - asked)
                    known = True
                if offset >= length:
                    raise _Gone()  # every byte there, none taken in: a new ticket brings the answer
                started = self._clock()
                chunk = data[offset : offset + self.sizer.size]
                result = self._patch(upload_id, offset, chunk)
                if isinstance(result, bytes):
                    if progress:
                        progress(length, length)
                    return result
                self.sizer.succeeded(len(chunk), self._clock() - started, self.round_trip)
                offset, progressed = result, True
                if progress:
                    progress(offset, length)
            except _Gone:
                reopened += 1
                if reopened > _REOPEN_LIMIT:
                    raise SyncError("", transient=True, detail=f"upload of batch {batch_id} keeps vanishing") from None
                upload_id = None
            except _Moved as moved:
                offset, known = moved.offset, True
            except _LinkFailed as failed:
                known = False
                if failed.dropped:
                    self.stats.drops += 1
                    self.sizer.dropped()
                # An attempt that got a chunk through did its share: go on at once.
                failures = 0 if progressed else failures + 1
                progressed = False
                if failures >= self._attempts:
                    raise SyncError("", transient=True, detail=failed.detail) from None
                if failures:
                    self._sleep(self._delay(failures, self._rng))

    def _answered_in(self, seconds: float) -> None:
        if seconds > 0 and (not self.round_trip or seconds < self.round_trip):
            self.round_trip = seconds

    # -- the three requests -----------------------------------------------------------------------

    def _open(self, batch_id: str, digest: str, length: int) -> tuple[str, int] | bytes:
        ticket = build_upload_ticket(
            kiosk_id=self._kiosk.kiosk_id,
            batch_id=batch_id,
            batch_digest=digest,
            length=length,
            signing_key=self._kiosk.signing,
        )
        response = self._send("POST", UPLOADS_PATH, content=ticket, headers={"Content-Type": "application/octet-stream"})
        if response.status_code == 200:
            return response.content  # stored before: the acknowledgement at once
        if response.status_code in (404, 405):
            raise UploadsUnsupported()
        if response.status_code != 201:
            raise Refused(response)
        try:
            answer = response.json()
            upload_id, offset = str(answer["upload_id"]), int(answer["offset"])
            self.sizer.limit(int(answer.get("min_chunk", MIN_CHUNK)), int(answer.get("max_chunk", MAX_CHUNK)))
        except (ValueError, KeyError, TypeError):
            raise SyncError("", transient=True, detail="upload answer not understood") from None
        if not 0 <= offset <= length:
            raise SyncError("", transient=True, detail=f"upload offset {offset} outside 0..{length}")
        return upload_id, offset

    def _head(self, upload_id: str) -> int:
        response = self._send("HEAD", f"{UPLOADS_PATH}/{upload_id}", headers=self._kiosk_header())
        if response.status_code in (404, 410):
            raise _Gone()
        if response.status_code != 200:
            raise Refused(response)
        return _offset_of(response)

    def _patch(self, upload_id: str, offset: int, chunk: bytes) -> int | bytes:
        self.stats.chunk_bytes += len(chunk)
        self.stats.largest_chunk = max(self.stats.largest_chunk, len(chunk))
        response = self._send(
            "PATCH",
            f"{UPLOADS_PATH}/{upload_id}",
            content=chunk,
            headers={**self._kiosk_header(), "Upload-Offset": str(offset), "Content-Type": CHUNK_CONTENT_TYPE},
        )
        if response.status_code == 204:
            return _offset_of(response)
        if response.status_code == 200:
            return response.content
        if response.status_code == 409:
            raise _Moved(_offset_of(response))
        if response.status_code in (404, 410):
            raise _Gone()
        raise Refused(response)

    def _kiosk_header(self) -> dict[str, str]:
        return {"Upload-Kiosk": self._kiosk.kiosk_id}

    def _send(self, method: str, path: str, **options: object) -> httpx.Response:
        self.stats.requests += 1
        sent = False
        try:
            request = self._client.build_request(method, path, **options)  # type: ignore[arg-type]
            sent = True
            response = self._client.send(request)
        except httpx.ConnectError as exc:  # no link at all: nothing was on the way
            raise _LinkFailed(f"{method} {path}: {type(exc).__name__}", dropped=False) from None
        except httpx.TransportError as exc:  # cut off while sending or waiting for the answer
            raise _LinkFailed(f"{method} {path}: {type(exc).__name__}", dropped=sent) from None
        if response.status_code in _TRANSIENT:  # 408: the chunk was too slow for the link, like a drop
            raise _LinkFailed(f"{method} {path}: HTTP {response.status_code}", dropped=response.status_code == 408)
        return response


def _offset_of(response: httpx.Response) -> int:
    raw = response.headers.get("upload-offset", "")
    if not raw.isdigit():
        raise SyncError("", transient=True, detail="answer without Upload-Offset")
    return int(raw)


class _LinkFailed(Exception):
    """The link failed or the town hall asked to come back later; ``dropped``: cut mid-request."""

    def __init__(self, detail: str, *, dropped: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.dropped = dropped


class _Gone(Exception):
    """The upload is no longer there: open it again (the ticket may bring the acknowledgement)."""


class _Moved(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset
