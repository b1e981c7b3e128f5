"""Volunteers and powers of attorney: who may help at a kiosk, and who may act for whom.

Everyone who may see the list sees volunteers and powers (clerks check applications filed with
help against them). Revoking either is open to clerks too, because a citizen withdrawing a power
or a volunteer who lost a badge comes to the counter, and a revocation only takes authority away.
Giving authority (enrolling, new PIN or badge, recording a power from its paper) is the head of
office's. A badge code, PIN or power code is shown once, on the answer to the POST that made it,
with a button for its printable card; the town hall keeps only hashes, so the card is made from
the code the browser sends back, after checking it against the hash.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from assisted_mode.credentials import badge_code, power_code, read_code, secret_matches
from kiosk.errors import RathausError
from kiosk.i18n import N_, translator
from sync.assistance import open_registry, short_name
from sync.assistance.cards import badge_pdf, power_card_pdf
from sync.inbox import local_time
from sync.keys import load_townhall_public, townhall_public_keys_path
from sync.workplace.app import Workplace, bind, needs
from sync.workplace.areas import Area, register_area
from sync.workplace.views import access_log
from sync.workplace.views.area_forms import form, form_list, with_form

access_log.ACTIONS.update(
    {
        "volunteer-enrol": N_("enrolled a volunteer"),
        "volunteer-revoke": N_("revoked a volunteer"),
        "volunteer-pin": N_("gave a volunteer a new PIN"),
        "volunteer-badge": N_("gave a volunteer a new badge"),
        "power-record": N_("recorded a power of attorney"),
        "power-revoke": N_("revoked a power of attorney"),
    }
)


def _municipality(wp: Workplace) -> str:
    try:
        return load_townhall_public(townhall_public_keys_path(wp.config.townhall_dir)).name
    except (RathausError, OSError, ValueError):  # a card without the town's name is still a good card
        return ""


def _services(wp: Workplace, request: Request) -> list[tuple[str, str]]:
    inbox = wp.inbox(request)
    return sorted(((i, inbox.catalogue.title(i, inbox.lang)) for i in inbox.catalogue.ids()), key=lambda p: p[1].lower())


def _page(wp: Workplace, request: Request, *, status_code: int = 200, problem: str = "", values: dict[str, Any] | None = None) -> Response:
    lang = wp.lang(request)
    inbox = wp.inbox(request)
    with open_registry(wp.config.townhall_dir) as registry:
        volunteers, powers = registry.volunteers(), registry.powers()
    today = dt.date.today().isoformat()
    return wp.render(
        request,
        "helpers.html",
        status_code=status_code,
        volunteers=volunteers,
        powers=powers,
        today=today,
        services=_services(wp, request),
        service_title=lambda service: inbox.catalogue.title(service, lang),
        local_time=lambda moment: local_time(moment, lang) if moment else "",
        problem=problem,
        done=request.query_params.get("done", ""),
        values=values or {},
    )


@needs("helpers.view")
def helpers_page(wp: Workplace, request: Request) -> Response:
    return _page(wp, request)


def _refused(wp: Workplace, request: Request, exc: RathausError) -> Response:
    return _page(wp, request, status_code=400, problem=exc.message, values=form(request))


def _check_form(wp: Workplace, request: Request, names: tuple[str, ...], days: tuple[str, ...]) -> None:
    """Names and dates checked here first, so the message is in the language of the page (the
    registry says the same in the server's language)."""
    _ = translator(wp.lang(request))
    values = form(request)
    if any(not values.get(name, "").strip() for name in names):
        raise RathausError(_("Please fill in every name."))
    for day in days:
        try:
            dt.date.fromisoformat(values.get(day, ""))
        except ValueError:
            raise RathausError(_("Please give each day as a date like 2027-06-30.")) from None


def _staff(wp: Workplace, request: Request):  # type: ignore[no-untyped-def]
    staff = wp.staff(request)
    assert staff is not None
    return staff


@needs("helpers.manage")
def enrol_view(wp: Workplace, request: Request) -> Response:
    values = form(request)
    try:
        _check_form(wp, request, ("name",), ("valid_until",))
        with open_registry(wp.config.townhall_dir) as registry:
            enrolled = registry.enrol_volunteer(
                values.get("name", ""), values.get("valid_until", ""), with_pin=values.get("pin") == "yes"
            )
    except RathausError as exc:
        return _refused(wp, request, exc)
    volunteer = enrolled.volunteer
    wp.accounts.log_access(_staff(wp, request), "volunteer-enrol", volunteer.volunteer_id)
    return wp.render(
        request, "helper_secret.html", kind="volunteer", volunteer=volunteer,
        badge_code=enrolled.badge_code, pin=enrolled.pin,
    )


@needs("helpers.manage")
def new_secret_view(wp: Workplace, request: Request) -> Response:
    values = form(request)
    volunteer_id = values.get("volunteer_id", "")
    what = values.get("what", "")
    if what not in ("pin", "badge"):
        return _page(wp, request, status_code=400, problem=translator(wp.lang(request))("Please choose: a new PIN or a new badge."))
    try:
        with open_registry(wp.config.townhall_dir) as registry:
            secret = registry.new_pin(volunteer_id) if what == "pin" else registry.new_badge(volunteer_id)
            volunteer = registry.volunteer(volunteer_id)
    except RathausError as exc:
        return _refused(wp, request, exc)
    wp.accounts.log_access(_staff(wp, request), f"volunteer-{what}", volunteer_id)
    return wp.render(
        request, "helper_secret.html", kind="volunteer", volunteer=volunteer,
        badge_code=secret if what == "badge" else "", pin=secret if what == "pin" else "",
    )


@needs("helpers.revoke")
def revoke_volunteer_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    values = form(request)
    volunteer_id = values.get("volunteer_id", "")
    if values.get("confirm") != "yes":
        return _page(wp, request, status_code=400, problem=_("Please tick the box to confirm that volunteer {id} is to be revoked.").format(id=volunteer_id))
    try:
        with open_registry(wp.config.townhall_dir) as registry:
            registry.revoke_volunteer(volunteer_id, values.get("reason", ""))
    except RathausError as exc:
        return _refused(wp, request, exc)
    wp.accounts.log_access(_staff(wp, request), "volunteer-revoke", volunteer_id)
    return RedirectResponse("/helpers?done=volunteer-revoked", status_code=303)


@needs("helpers.manage")
def record_power_view(wp: Workplace, request: Request) -> Response:
    values = form(request)
    known = {service for service, _title in _services(wp, request)}
    chosen = [service for service in form_list(request, "services") if service in known]
    try:
        _check_form(wp, request, ("principal", "agent"), ("valid_from", "valid_until"))
        if not chosen:
            raise RathausError(translator(wp.lang(request))("Please choose at least one service."))
        with open_registry(wp.config.townhall_dir) as registry:
            recorded = registry.record_power(
                principal=values.get("principal", ""), agent=values.get("agent", ""), services=chosen,
                valid_from=values.get("valid_from", ""), valid_until=values.get("valid_until", ""),
                paper_reference=values.get("paper", ""),
            )
    except RathausError as exc:
        return _refused(wp, request, exc)
    wp.accounts.log_access(_staff(wp, request), "power-record", recorded.power.power_id)
    return wp.render(request, "helper_secret.html", kind="power", power=recorded.power, power_code=recorded.code)


@needs("helpers.revoke")
def revoke_power_view(wp: Workplace, request: Request) -> Response:
    _ = translator(wp.lang(request))
    values = form(request)
    power_id = values.get("power_id", "")
    if values.get("confirm") != "yes":
        return _page(wp, request, status_code=400, problem=_("Please tick the box to confirm that power of attorney {id} is to be revoked.").format(id=power_id))
    try:
        with open_registry(wp.config.townhall_dir) as registry:
            registry.revoke_power(power_id)
    except RathausError as exc:
        return _refused(wp, request, exc)
    wp.accounts.log_access(_staff(wp, request), "power-revoke", power_id)
    return RedirectResponse("/helpers?done=power-revoked", status_code=303)


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, media_type="application/pdf", headers={"content-disposition": f'attachment; filename="{name}"'})


@needs("helpers.manage")
def card_view(wp: Workplace, request: Request) -> Response:
    """The printable card for a code just shown; made only for the code that is the current one."""
    lang = wp.lang(request)
    _ = translator(lang)
    scanned = read_code(form(request).get("code", ""))
    refused = wp.problem(request, _("This code is not the current one. Print the card from the page that showed the new code."))
    if scanned is None:
        return refused
    with open_registry(wp.config.townhall_dir) as registry:
        if scanned.is_badge:
            terms = {t.volunteer_id: t for t in registry.volunteer_terms()}.get(scanned.holder_id)
            if terms is None or not secret_matches(scanned.secret, terms.badge_hash):
                return refused
            volunteer = registry.volunteer(scanned.holder_id)
            data = badge_pdf(
                municipality=_municipality(wp), display_name=volunteer.display_name, volunteer_id=volunteer.volunteer_id,
                valid_until=volunteer.valid_until, code=badge_code(volunteer.volunteer_id, scanned.secret), lang=lang,
            )
            return _pdf(data, f"badge-{volunteer.volunteer_id}.pdf")
        kiosk_power = {p.terms.power_id: p for p in registry.kiosk_powers()}.get(scanned.holder_id)
        if kiosk_power is None or not secret_matches(scanned.secret, kiosk_power.code_hash):
            return refused
        power = registry.power(scanned.holder_id)
    data = power_card_pdf(
        municipality=_municipality(wp), agent=short_name(power.agent_name), principal=short_name(power.principal_name),
        power_id=power.power_id, code=power_code(power.power_id, scanned.secret), lang=lang,
    )
    return _pdf(data, f"power-{power.power_id}.pdf")


def routes(wp: Workplace) -> list[Any]:
    return [
        Route("/helpers", bind(wp, helpers_page), methods=["GET"]),
        Route("/helpers/volunteers/enrol", with_form(wp, enrol_view), methods=["POST"]),
        Route("/helpers/volunteers/secret", with_form(wp, new_secret_view), methods=["POST"]),
        Route("/helpers/volunteers/revoke", with_form(wp, revoke_volunteer_view), methods=["POST"]),
        Route("/helpers/powers/record", with_form(wp, record_power_view), methods=["POST"]),
        Route("/helpers/powers/revoke", with_form(wp, revoke_power_view), methods=["POST"]),
        Route("/helpers/card", with_form(wp, card_view), methods=["POST"]),
    ]


register_area(Area("helpers", N_("Volunteers and powers"), "/helpers", "helpers.view", routes, order=50))


def assistance_for(wp: Workplace, opened: Any, lang: str) -> Any:
    """Who helped with an opened application and whether it held (``None``: nobody helped)."""
    from sync.assistance.inbox_view import describe_assistance

    if getattr(opened, "assistance", None) is None and not getattr(opened, "assistance_unreadable", False):
        return None
    with open_registry(wp.config.townhall_dir) as registry:
        return describe_assistance(opened, registry, lang)
