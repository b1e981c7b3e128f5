"""The kiosk as the screens see it: one object that offers services, takes applications, looks
up receipt codes and talks to the town hall.

``open_runtime`` reads the kiosk's data directory (settings, keys, services, queue) and refuses
to start a kiosk that is not set up, with the command that sets it up. The screens never touch
the store, the keys or the network directly, and nothing here knows about terminals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assisted_mode.visit import AssistedVisit
from kiosk import refcode
from kiosk.config import KioskConfig, load_config
from kiosk.errors import RathausError, SyncError
from kiosk.forms import FormDefinition, load_forms
from kiosk.i18n import N_, language_from_environment, translator
from kiosk.store import DB_NAME, STATUS_CHANNEL, OutboxState, QueuedSubmission, StatusView, Store, open_store
from kiosk.submission import submit_application
from sync.envelope.suites import RecipientPublicKey
from sync.keys import (
    KioskKeys,
    TownhallPublicKeys,
    kiosk_is_initialised,
    load_kiosk_keys,
    load_pinned_townhall,
)

if TYPE_CHECKING:
    from kiosk.appointments.desk import KioskAppointments
    from kiosk.official_warnings import WarningsView
    from sync.outbox import SyncReport

log = logging.getLogger("rathaus.kiosk")

# A look-up waits at most a few seconds for the town hall; then it shows what the kiosk holds.
LOOKUP_TIMEOUT_SECONDS = 3.0

# What a citizen reads about their application, by the town hall's status (sync.envelope.STATUSES).
STATUS_SENTENCES: dict[str, str] = {
    "received": N_("The town hall has received your application."),
    "in_progress": N_("The town hall is working on your application."),
    "accepted": N_("Your application has been approved."),
    "rejected": N_("Your application could not be approved."),
    "appointment_confirmed": N_("Your appointment is confirmed."),
    "needs_information": N_("The town hall needs more information from you."),
}
STATE_SENTENCES: dict[OutboxState, str] = {
    OutboxState.QUEUED: N_(
        "Your application is saved at this kiosk and will be sent to the town hall soon."
    ),
    OutboxState.SENT: N_("Your application is on its way to the town hall."),
    OutboxState.ACKNOWLEDGED: N_(
        "Your application has arrived at the town hall. There is no answer yet."
    ),
    OutboxState.ANSWERED: N_("The town hall has answered your application."),
}


@dataclass
class KioskRuntime:
    """Everything a running kiosk needs, opened once at start and closed at the end."""

    config: KioskConfig
    data_dir: Path
    store: Store
    forms: list[FormDefinition]
    kiosk_id: str
    recipient: RecipientPublicKey
    kiosk_keys: KioskKeys | None = None
    townhall: TownhallPublicKeys | None = None
    link_up: bool = True
    """Whether the last round reached the town hall (assumed until a round says otherwise), so
    a new application can be sent at once rather than waiting for the next timed round."""
    chunk_sizer: Any = None
    """The upload chunk size learnt on this link (``sync.uploader.ChunkSizer``), kept from round to
    round: a round that starts again at the first size on a link that cannot carry it, and ends at
    its one try, would never get a chunk through."""

    def form(self, form_id: str) -> FormDefinition:
        """The service with this id; a plain error if this kiosk does not offer it."""
        for form in self.forms:
            if form.id == form_id:
                return form
        _ = translator(language_from_environment())
        raise RathausError(
            _("The service '{form_id}' is not offered at this kiosk.").format(form_id=form_id)
        )

    @property
    def appointments(self) -> "KioskAppointments":
        """Booking, looking up and cancelling appointments (kiosk.appointments)."""
        from kiosk.appointments.desk import KioskAppointments  # loaded with the first service, not at start

        return KioskAppointments(self)

    def prepare_form(self, form: FormDefinition) -> FormDefinition:
        """The form as it is filled in now: a booking form offers this kiosk's free times."""
        return self.appointments.prepare(form)

    def submit(
        self,
        form: FormDefinition,
        answers: Mapping[str, Any],
        assistance: AssistedVisit | None = None,
        *,
        lang: str | None = None,
    ) -> QueuedSubmission:
        """Seal and queue one application; the result holds the receipt code (and, for a booking,
        the appointment).

        With ``assistance`` (a helper the citizen agreed to) who helped is sealed with the answers
        and the submission enters the audit chain, for a booking as for every other service."""
        if self.kiosk_keys is None:
            raise RuntimeError("a kiosk without its signing key cannot seal applications")
        self._refresh_townhall()  # a key rotation may have come by stick since the last one
        record = assistance.record() if assistance is not None else None
        actor = assistance.actor if assistance is not None else ""
        if self.appointments.is_booking(form):
            return self.appointments.book(  # type: ignore[return-value]
                form, answers, lang or language_from_environment(), assistance=record, audit_actor=actor
            )
        return submit_application(
            self.store,
            form,
            answers,
            kiosk_id=self.kiosk_id,
            recipient=self.recipient,
            signing_key=self.kiosk_keys.signing,
            assistance=record,
            audit_actor=actor,
        )

    def lookup(self, typed_code: str, lang: str, *, count_unknown: bool = True) -> StatusView:
        """The status of the application behind a receipt code as a person typed it.

        An unknown code counts as a wrong try at this kiosk; ``count_unknown=False`` shows the same
        code again (after a language switch) without counting it twice."""
        reference = refcode.parse(typed_code, lang)
        self.appointments.refuse_while_slowed_down(lang)
        view = self.store.lookup(reference)
        if view is None:
            _ = translator(lang)
            if count_unknown:
                self.appointments.count_unknown_code()
            raise RathausError(
                _(
                    "No application with the code {code} was made at this kiosk. "
                    "Please check the code on your receipt, or ask at the town hall."
                ).format(code=refcode.display(reference))
            )
        return view

    def waiting_count(self) -> int:
        """Applications not yet at the town hall (for the staff view and the sync indicator)."""
        return self.store.waiting_count()

    def last_sync_at(self) -> str | None:
        """When the town hall was last reached (UTC ``YYYY-MM-DDTHH:MM:SSZ``), or never."""
        return self.store.last_sync_at()

    def sync_now(self, *, lang: str | None = None, **client_options: Any) -> SyncReport:
        """One round with the town hall over the network: send waiting batches, fetch answers.

        Never raises for a bad link; the report says what happened. ``client_options`` go to
        ``sync.outbox.OutboxClient``: ``progress`` gets a ``sync.progress.UploadProgress`` after
        every chunk the town hall confirmed (for ``rathaus sync`` and the staff screen); transport,
        policy, sleep are for tests and tuning.
        """
        from sync.outbox import OutboxClient  # the network client is loaded at the first exchange
        from sync.uploader import ChunkSizer

        _ = translator(lang or language_from_environment())
        if not self.config.server_url:
            raise RathausError(
                _(
                    "No town-hall address is set for this kiosk; "
                    "applications go to the town hall by USB stick."
                )
            )
        if self.kiosk_keys is None or self.townhall is None:
            raise RathausError(_("This kiosk has no keys loaded and cannot talk to the town hall."))
        if "sizer" not in client_options:
            if self.chunk_sizer is None:
                self.chunk_sizer = ChunkSizer()
            client_options["sizer"] = self.chunk_sizer
        with OutboxClient(
            self.store,
            kiosk=self.kiosk_keys,
            townhall=self.townhall,
            server_url=self.config.server_url,
            lang=lang or language_from_environment(),
            kiosk_dir=self.data_dir,
            **client_options,
        ) as client:
            report = client.sync_once()
            self._follow_townhall(client.townhall)
        self.link_up = report.error is None
        return report

    def fetch_answers(self, *, lang: str | None = None, **client_options: Any) -> bool:
        """Only the downloads (answers, key updates), one quick try: for a receipt look-up.

        Returns whether the town hall was reached; ``False`` without a link or address. The
        screen bounds its own wait; this call ends within ``LOOKUP_TIMEOUT_SECONDS`` per step.
        """
        import httpx

        from sync.outbox import OutboxClient, RetryPolicy

        if not self.config.server_url or self.kiosk_keys is None or self.townhall is None:
            return False
        options = {"policy": RetryPolicy(attempts=1), "timeouts": httpx.Timeout(LOOKUP_TIMEOUT_SECONDS), **client_options}
        with OutboxClient(
            self.store,
            kiosk=self.kiosk_keys,
            townhall=self.townhall,
            server_url=self.config.server_url,
            lang=lang or language_from_environment(),
            kiosk_dir=self.data_dir,
            **options,
        ) as client:
            try:
                client.fetch_downloads()
            except SyncError as exc:
                log.info("answers not fetched for a look-up: %s", exc.detail or exc.message)
                return False
            self._follow_townhall(client.townhall)
        return True

    def warnings(self, lang: str) -> "WarningsView":
        """The official warnings for this kiosk's area, with their as-of time and freshness."""
        from kiosk.official_warnings import warnings_view

        return warnings_view(self.config, self.store, lang)

    def answers_as_of(self) -> str | None:
        """The town hall's as-of time of the answers this kiosk holds (UTC), or ``None``."""
        return self.store.channel_state(STATUS_CHANNEL).as_of

    def _refresh_townhall(self) -> None:
        """The pinned key file is what this kiosk trusts; follow it if it changed on disk."""
        if self.townhall is not None:
            self._follow_townhall(load_pinned_townhall(self.data_dir))

    def _follow_townhall(self, townhall: TownhallPublicKeys) -> None:
        """After a key rotation came down: seal for the new key from the next application on."""
        if townhall != self.townhall:
            self.townhall = townhall
            self.recipient = townhall.encryption

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "KioskRuntime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_status(view: StatusView, lang: str) -> str:
    """One plain sentence about where an application is; the staff's own words are ``view.message``."""
    _ = translator(lang)
    if view.status:
        return _(STATUS_SENTENCES.get(view.status, STATE_SENTENCES[OutboxState.ANSWERED]))
    return _(STATE_SENTENCES[view.state])


def open_runtime(data_dir: Path) -> KioskRuntime:
    """Open a set-up kiosk: settings, keys, services and the queue in ``data_dir``.

    A relative ``forms_dir`` in ``kiosk.toml`` is read relative to ``data_dir``.
    """
    data_dir = Path(data_dir)
    _ = translator(language_from_environment())
    config = load_config(data_dir)
    if not kiosk_is_initialised(data_dir):
        raise RathausError(
            _(
                "This kiosk is not set up yet ({path}). The person setting it up runs: "
                "rathaus keys init-kiosk --kiosk-id ID --townhall-keys FILE"
            ).format(path=data_dir)
        )
    kiosk_keys = load_kiosk_keys(data_dir)
    townhall = load_pinned_townhall(data_dir)
    forms = load_forms(_forms_dir(config, data_dir))
    store = open_store(data_dir / DB_NAME)
    return KioskRuntime(
        config=config,
        data_dir=data_dir,
        store=store,
        forms=forms,
        kiosk_id=kiosk_keys.kiosk_id,
        recipient=townhall.encryption,
        kiosk_keys=kiosk_keys,
        townhall=townhall,
    )


def _forms_dir(config: KioskConfig, data_dir: Path) -> Path | None:
    if not config.forms_dir:
        return None
    folder = Path(config.forms_dir).expanduser()
    return folder if folder.is_absolute() else data_dir / folder
