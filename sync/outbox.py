"""The kiosk's side of the link: send waiting batches until the town hall acknowledges them.

Rural links drop in the middle of a request, so every step is safe to repeat: the store hands out
the same batch (same id, same bytes) until a *verified* acknowledgement arrives, and the town hall
stores a batch id once. A batch of more than one chunk goes up resumably (``sync.uploader``): a
dropped link costs at most the chunk on the way, never the batch. A round is a list of steps
(``OutboxClient.steps``), run in order until one fails. Transient failures (no route, timeouts,
429, 5xx) are retried with exponential backoff and full jitter, then left for the next run without
a fuss; a refusal (400/403/413) is reported in plain words and the items stay queued.

``apply_ack`` is the one acknowledgement rule of the kiosk, used here and by the USB stick import:
an item is forgotten only when a verified acknowledgement for exactly the bytes sent does not
refuse it; a refused item stays queued, sealed, for staff.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import httpx

from kiosk.errors import EnvelopeError, SyncError
from kiosk.i18n import ntranslator, translator
from assisted_mode.audit import AuditSegment, sign_head
from kiosk.store import Store
from kiosk.store.audit_log import PendingAudit
from sync.downloads import DownloadsUnsupported, fetch_downloads, fetch_status_bundle
from sync.envelope import build_batch, item_recipient_key_id, parse_batch, verify_ack
from sync.envelope.acks import batch_digest, settle
from sync.keys import KioskKeys, TownhallPublicKeys
from sync.progress import ProgressCallback, ProgressTracker
from sync.uploader import FIRST_CHUNK, ChunkedUploader, ChunkSizer, Refused, UploadsUnsupported

log = logging.getLogger("rathaus.outbox")

BATCHES_PATH = "/v1/batches"
DOWNLOADS_PATH = "/v1/downloads"
STATUS_PATH = "/v1/status"  # town halls before protocol 1.1
# Slow rural links: a generous connect time and long reads; a dead link still ends within minutes.
TIMEOUTS = httpx.Timeout(connect=20.0, read=90.0, write=90.0, pool=20.0)
# For rounds in the background of the kiosk screen: the next round is the retry, and a dead link
# must not keep the app from closing for long.
BACKGROUND_TIMEOUTS = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
_TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}
MAX_BATCH_SEND_BYTES = 1024 * 1024
"""A new batch holds at most this many bytes (and at most ``max_items`` applications): more
batches of a bounded size keep a long queue moving even when each one needs many chunks."""
ONE_SHOT_BYTES = FIRST_CHUNK
"""A batch no larger than one chunk goes in one ``POST /v1/batches``: resuming would save nothing."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try one request before leaving it for the next run."""

    attempts: int = 4
    base_delay: float = 2.0
    max_delay: float = 60.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: a random wait up to base·2^attempt, so many kiosks never retry in step."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * (2**attempt)))


@dataclass
class SyncReport:
    """What one sync run achieved; ``error`` is a plain sentence when the link failed."""

    sent: int = 0
    acknowledged: int = 0
    statuses: int = 0
    needing_attention: int = 0  # items the town hall ever refused that still wait here for staff
    error: str | None = None
    refused: bool = False
    batch_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class AckOutcome:
    """What applying one acknowledgement did at the kiosk."""

    applied: bool  # False: the batch was not waiting any more (settled before); nothing changed
    confirmed: int = 0
    refused: tuple[tuple[str, str], ...] = ()  # (reference, code), kept sealed in the queue


def apply_ack(
    store: Store, data: bytes, *, batch_id: str, kiosk_id: str, townhall: TownhallPublicKeys
) -> AckOutcome:
    """Check an acknowledgement against the batch it answers and settle that batch.

    The signature with the pinned town-hall key, the kiosk id, the batch id and (version 2) the
    digest of the exact batch bytes this kiosk sent; then every item the acknowledgement does not
    refuse is forgotten and every refused one goes back to the queue with its code. Raises
    ``EnvelopeError`` and changes nothing when any check fails. For a batch no longer waiting
    (settled before, e.g. an acknowledgement left twice on a stick) only the signature and ids
    are checked and nothing changes.
    """
    pending = store.pending_batch(batch_id)
    if pending is None:
        verify_ack(data, townhall.signing, batch_id=batch_id, kiosk_id=kiosk_id)
        return AckOutcome(applied=False)
    ack = verify_ack(
        data, townhall.signing, batch_id=batch_id, kiosk_id=kiosk_id, batch_digest=batch_digest(pending.data)
    )
    settlement = settle(ack, parse_batch(pending.data).header.item_digests)
    settled = store.apply_ack(batch_id, settlement.refused)
    for _reference, code in settled.refused:
        log.warning("batch %s: an item was refused by the town hall (%s) and stays queued", batch_id, code)
    return AckOutcome(applied=True, confirmed=settled.confirmed, refused=settled.refused)


def attention_notice(count: int, lang: str) -> str:
    """The sentence for staff when the town hall refused items: they are safe here, act now."""
    return ntranslator(lang)(
        "{count} application was not accepted by the town hall (most likely its receipt code is "
        "already in use there). It stays safely on this kiosk and is not sent again by itself; "
        "please tell the town hall staff.",
        "{count} applications were not accepted by the town hall (most likely their receipt codes "
        "are already in use there). They stay safely on this kiosk and are not sent again by "
        "themselves; please tell the town hall staff.",
        count,
    ).format(count=count)


def batch_builder(kiosk: KioskKeys, townhall: TownhallPublicKeys) -> Callable[..., bytes]:
    """What ``Store.take_batch`` calls to sign a batch, the same for the network and a stick."""

    def build(items: list[bytes], sequence: int, batch_id: str, audit: PendingAudit | None = None) -> bytes:
        segment = None
        if audit is not None:  # the chain's head, signed by this kiosk (assisted_mode.audit)
            head = sign_head(kiosk.kiosk_id, audit.head_seq, audit.head_hash, kiosk.signing)
            segment = AuditSegment(audit.entries, head)
        return build_batch(
            items,
            kiosk_id=kiosk.kiosk_id,
            sequence=sequence,
            signing_key=kiosk.signing,
            # Items sealed before a key rotation keep their key (``take_batch`` groups by it).
            recipient_key_id=item_recipient_key_id(items[0]) if items else townhall.encryption_key_id,
            batch_id=batch_id,
            audit=segment,
        )

    return build


class OutboxClient:
    """Sends the kiosk's outbox to one town-hall server and fetches status updates back."""

    def __init__(
        self,
        store: Store,
        *,
        kiosk: KioskKeys,
        townhall: TownhallPublicKeys,
        server_url: str,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        lang: str = "de",
        max_items: int = 200,
        max_bytes: int = MAX_BATCH_SEND_BYTES,
        timeouts: httpx.Timeout = TIMEOUTS,
        progress: ProgressCallback | None = None,
        sizer: ChunkSizer | None = None,
        kiosk_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.kiosk = kiosk
        self.townhall = townhall
        self.server_url = server_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._ = translator(lang)
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._progress = progress
        self.kiosk_dir = Path(kiosk_dir) if kiosk_dir is not None else self.store.path.parent
        self._client = httpx.Client(
            base_url=self.server_url,
            timeout=timeouts,
            transport=transport,
            headers={"Content-Type": "application/octet-stream"},
        )
        self.uploader = ChunkedUploader(
            self._client,
            kiosk,
            attempts=self.policy.attempts,
            delay=self.policy.delay,
            sleep=self._sleep,
            rng=self._rng,
            sizer=sizer,
        )
        self._chunked = True  # until the town hall turns out not to know /v1/uploads

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "OutboxClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one run -------------------------------------------------------------------------------

    def steps(self) -> list[Callable[[SyncReport], None]]:
        """What one round does, in order; a step that fails ends the round (the rest waits for
        the next one). Each step is safe to repeat."""
        return [self._fetch_downloads_step, self._send_waiting]  # first: what comes down never waits

    def sync_once(self) -> SyncReport:
        """Run every step of a round. Never raises for a bad link."""
        report = SyncReport()
        try:
            for step in self.steps():
                step(report)
        except SyncError as exc:
            report.needing_attention = len(self.store.needing_attention())
            report.error = exc.message
            report.refused = not exc.transient
            # A link that comes and goes is routine on a village kiosk; a refusal is not.
            log.log(logging.INFO if exc.transient else logging.WARNING, "sync stopped: %s", exc.detail or exc.message)
            return report
        self.store.record_sync()
        report.needing_attention = len(self.store.needing_attention())
        return report

    def _send_waiting(self, report: SyncReport) -> None:
        build = batch_builder(self.kiosk, self.townhall)
        tracker = ProgressTracker(
            self._progress,
            items_total=self.store.waiting_count() - len(self.store.needing_attention()),
            bytes_total=self.store.waiting_bytes(),
        )
        while (
            batch := self.store.take_batch(
                build, max_items=self._max_items, max_bytes=self._max_bytes, group_of=item_recipient_key_id
            )
        ) is not None:
            self.store.record_attempt(batch.batch_id)
            ack_bytes = self._deliver(batch.batch_id, batch.data, tracker)
            try:
                outcome = apply_ack(
                    self.store,
                    ack_bytes,
                    batch_id=batch.batch_id,
                    kiosk_id=self.kiosk.kiosk_id,
                    townhall=self.townhall,
                )
            except EnvelopeError as exc:
                raise SyncError(
                    self._("The town hall's answer could not be verified; the applications stay safely queued."),
                    detail=f"ack for batch {batch.batch_id} rejected: {exc.code}",
                ) from exc
            tracker.batch_done(len(batch.data), len(batch.references))
            report.acknowledged += 1
            report.sent += len(batch.references) - len(outcome.refused)
            report.batch_ids.append(batch.batch_id)
            log.info(
                "batch %s acknowledged (%d items, %d refused)",
                batch.batch_id,
                len(batch.references) - len(outcome.refused),
                len(outcome.refused),
            )

    def _deliver(self, batch_id: str, data: bytes, tracker: ProgressTracker) -> bytes:
        """The acknowledgement bytes for one batch: in chunks, or in one piece when it is small
        or the town hall is older than resumable uploads."""
        if self._chunked and len(data) > ONE_SHOT_BYTES:
            try:
                return self.uploader.upload(batch_id, data, tracker.batch_offset)
            except UploadsUnsupported:
                log.info("the town hall has no resumable uploads; sending batches in one piece")
                self._chunked = False
            except Refused as refused:
                raise self._refusal("/v1/uploads", refused.response) from None
            except SyncError as exc:
                raise self._no_connection(exc.detail) from None
        tracker.batch_offset(0, len(data))
        return self._post(BATCHES_PATH, data)

    def _fetch_downloads_step(self, report: SyncReport) -> None:
        report.statuses = self.fetch_downloads()

    def fetch_downloads(self) -> int:
        """Signed downloads of every channel (answers, key rotations); returns status changes."""
        try:
            outcome = fetch_downloads(
                lambda request: self._post(DOWNLOADS_PATH, request, missing=DownloadsUnsupported),
                store=self.store,
                kiosk=self.kiosk,
                kiosk_dir=self.kiosk_dir,
            )
        except DownloadsUnsupported:  # a town hall before protocol 1.1: its status bundles instead
            log.info("the town hall has no downloads yet; asking for status updates the older way")
            try:
                return fetch_status_bundle(
                    lambda request: self._post(STATUS_PATH, request), store=self.store, kiosk=self.kiosk,
                    townhall=self.townhall,
                )
            except EnvelopeError as exc:
                raise SyncError(
                    self._("The downloads from the town hall could not be verified; the applications stay safely queued."),
                    detail=f"status bundle rejected: {exc.code}",
                ) from exc
        except EnvelopeError as exc:
            raise SyncError(
                self._("The downloads from the town hall could not be verified; the applications stay safely queued."),
                detail=f"download rejected: {exc.code}",
            ) from exc
        self.townhall = outcome.townhall  # after a key rotation: seal and verify with the new keys
        return outcome.changed.get("status", 0)

    # -- transport -----------------------------------------------------------------------------

    def _post(self, path: str, body: bytes, *, missing: type[Exception] | None = None) -> bytes:
        """POST with retries on transient failures; returns the response body of a 200.

        With ``missing``, a 404 (an older town hall without this endpoint) raises that instead."""
        last_detail = ""
        for attempt in range(self.policy.attempts):
            if attempt:
                self._sleep(self.policy.delay(attempt, self._rng))
            try:
                response = self._client.post(path, content=body)
            except httpx.TransportError as exc:
                last_detail = f"{path}: {type(exc).__name__}"
                continue
            if response.status_code == 200:
                return response.content
            if response.status_code in _TRANSIENT_STATUS:
                last_detail = f"{path}: HTTP {response.status_code}"
                continue
            if missing is not None and response.status_code == 404:
                raise missing(path)
            raise self._refusal(path, response)
        raise self._no_connection(last_detail)

    def _no_connection(self, detail: str) -> SyncError:
        return SyncError(
            self._("No connection to the town hall right now. The applications wait safely here and are sent automatically later."),
            transient=True,
            detail=detail,
        )

    def _refusal(self, path: str, response: httpx.Response) -> SyncError:
        try:
            code = str(response.json().get("error", ""))
        except ValueError:
            code = ""
        if response.status_code == 403:
            message = self._("The town hall does not accept this kiosk (not enrolled or revoked). Please tell the town hall staff; the applications stay safely queued.")
        elif response.status_code == 413:
            message = self._("The batch is too large for the town hall's server. Please tell the town hall staff; the applications stay safely queued.")
        else:
            message = self._("The town hall refused the transfer ({code}). Please tell the town hall staff; the applications stay safely queued.").format(
                code=code or response.status_code
            )
        return SyncError(message, transient=False, detail=f"{path}: HTTP {response.status_code} {code}")
