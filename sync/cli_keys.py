"""``rathaus keys ...``: make keys, set up a kiosk, approve and revoke kiosks, show fingerprints.

Enrolment in four steps, with a person comparing fingerprints on both screens:

1. town hall:  ``rathaus keys init-townhall --name "Einheitsgemeinde Tangerhütte"``
2. kiosk:      ``rathaus keys init-kiosk --kiosk-id kiosk-lueder --townhall-keys townhall.json``
3. town hall:  ``rathaus keys approve enrolment-kiosk-lueder.json`` (shows the kiosk's fingerprint)
4. both:       ``rathaus keys show`` (the same fingerprints must appear on both sides)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.config import CONFIG_NAME, KioskConfig, save_config
from kiosk.errors import KeyFileError
from kiosk.i18n import Gettext, language_from_environment, translator
from kiosk.paths import (
    add_kiosk_dir_argument,
    add_townhall_dir_argument,
    default_kiosk_dir,
    default_townhall_dir,
    kiosk_dir,
    townhall_dir,
)
from sync.allowlist import Allowlist
from sync.envelope.suites import SUITE_X25519, SUITES
from sync.keys import (
    KEYS_DIR,
    TOWNHALL_ENCRYPTION_KEY,
    KioskKeys,
    TownhallPublicKeys,
    enrolment_request_path,
    init_kiosk,
    init_townhall,
    kiosk_is_initialised,
    load_kiosk_keys,
    load_pinned_townhall,
    load_townhall_public,
    require_townhall_keys,
    townhall_is_initialised,
    townhall_public_keys_path,
)

_YES = {"y", "yes", "j", "ja"}


def register(subparsers: argparse._SubParsersAction) -> None:
    _ = translator(language_from_environment())
    keys = subparsers.add_parser(
        "keys",
        help=_("keys of the town hall and the kiosks, enrolment of kiosks"),
        description=_(
            "Make keys, set up a kiosk, approve or block kiosks and show fingerprints. "
            "Compare the fingerprints on both screens before you approve a kiosk."
        ),
    )
    commands = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=type(keys))
    commands.required = True

    init_th = commands.add_parser(
        "init-townhall",
        help=_("make the town hall's keys (once)"),
        description=_(
            "Make the town hall's encryption and signing keys and keys/townhall.json, "
            "the file every kiosk of this town hall needs."
        ),
    )
    add_townhall_dir_argument(init_th)
    init_th.add_argument("--name", required=True, help=_("name of the municipality"))
    init_th.add_argument(
        "--suite",
        choices=SUITES,
        default=SUITE_X25519,
        help=_(
            "how applications are sealed: x25519 (default), or mlkem768-x25519 for applications "
            "kept for many years (also safe against future quantum computers)"
        ),
    )
    init_th.set_defaults(handler=run_init_townhall)

    init_k = commands.add_parser(
        "init-kiosk",
        help=_("set up this kiosk's key and pin the town hall's keys (once)"),
        description=_(
            "Make this kiosk's signing key, pin the town hall's public keys and write the "
            "enrolment request to take to the town hall."
        ),
    )
    add_kiosk_dir_argument(init_k)
    init_k.add_argument("--kiosk-id", required=True, help=_("name of this kiosk, e.g. kiosk-lueder"))
    init_k.add_argument(
        "--townhall-keys",
        required=True,
        type=Path,
        metavar="FILE",
        help=_("the town hall's townhall.json"),
    )
    init_k.set_defaults(handler=run_init_kiosk)

    approve = commands.add_parser(
        "approve",
        help=_("trust a kiosk after comparing its fingerprint"),
        description=_("Check a kiosk's enrolment request and add the kiosk to the enrolled kiosks."),
    )
    approve.add_argument("request", type=Path, metavar="REQUEST_FILE", help=_("enrolment-<kiosk>.json"))
    add_townhall_dir_argument(approve)
    approve.add_argument(
        "--yes", action="store_true", help=_("do not ask; the fingerprint was already compared")
    )
    approve.set_defaults(handler=run_approve)

    revoke = commands.add_parser(
        "revoke",
        help=_("block a kiosk (lost, stolen or replaced)"),
        description=_("Block a kiosk at once: its batches and status requests are refused."),
    )
    revoke.add_argument("kiosk_id", metavar="KIOSK_ID")
    revoke.add_argument("--reason", default="", help=_("why, for the list of kiosks"))
    add_townhall_dir_argument(revoke)
    revoke.set_defaults(handler=run_revoke)

    listing = commands.add_parser(
        "list", help=_("list enrolled kiosks"), description=_("List enrolled and blocked kiosks.")
    )
    add_townhall_dir_argument(listing)
    listing.set_defaults(handler=run_list)

    rotate = commands.add_parser(
        "rotate",
        help=_("make a new encryption key; kiosks learn it on their next exchange"),
        description=_(
            "Make a new encryption key for the town hall (with --signing also a new signing key). "
            "The new keys/townhall.json, signed by the old signing key, reaches every kiosk on its "
            "next exchange; the old private keys stay in keys/previous-encryption/ to open what is still on "
            "its way. Run it where staff open applications, then restart the server."
        ),
    )
    add_townhall_dir_argument(rotate)
    rotate.add_argument(
        "--signing", action="store_true", help=_("also replace the signing key (for example after a leak)")
    )
    rotate.add_argument(
        "--suite",
        choices=SUITES,
        default=None,
        help=_("the new key's encryption suite (default: the same as now), e.g. mlkem768-x25519"),
    )
    rotate.set_defaults(handler=run_rotate)

    show = commands.add_parser(
        "show",
        help=_("show the fingerprints of this computer's keys"),
        description=_(
            "On a kiosk: its own fingerprint and the pinned town hall's. At the town hall: its own. "
            "Both sides must show the same fingerprints."
        ),
    )
    show.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=_("kiosk or town-hall data directory (default: both usual places)"),
    )
    show.set_defaults(handler=run_show)


def _townhall_lines(_: Gettext, keys: TownhallPublicKeys) -> list[str]:
    return [
        _("Town hall: {name}").format(name=keys.name),
        "  " + _("Encryption key: {fingerprint}").format(fingerprint=keys.encryption_fingerprint),
        "  " + _("Encryption suite: {suite}").format(suite=keys.suite),
        "  " + _("Signing key:    {fingerprint}").format(fingerprint=keys.signing_fingerprint),
    ]


def _kiosk_lines(_: Gettext, keys: KioskKeys) -> list[str]:
    return [
        _("Kiosk: {kiosk_id}").format(kiosk_id=keys.kiosk_id),
        "  " + _("Signing key:    {fingerprint}").format(fingerprint=keys.fingerprint),
    ]


def run_init_townhall(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    data_dir = townhall_dir(args)
    public = init_townhall(data_dir, name=args.name, suite=args.suite)
    lines = [_("Town-hall keys created in {path}.").format(path=data_dir / "keys")]
    lines += _townhall_lines(_, public)
    lines.append(
        _("Give {path} to every kiosk of this town hall (on a USB stick).").format(
            path=townhall_public_keys_path(data_dir)
        )
    )
    print("\n".join(lines))
    return 0


def run_init_kiosk(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    data_dir = kiosk_dir(args)
    request = init_kiosk(data_dir, kiosk_id=args.kiosk_id, townhall_public=args.townhall_keys)
    townhall = load_pinned_townhall(data_dir)
    if not (data_dir / CONFIG_NAME).exists():
        save_config(data_dir, KioskConfig(municipality=townhall.name))
    lines = [_("Kiosk {kiosk_id} set up in {path}.").format(kiosk_id=request.kiosk_id, path=data_dir)]
    lines += _kiosk_lines(_, load_kiosk_keys(data_dir))
    lines += _townhall_lines(_, townhall)
    lines.append(
        _("Take {path} to the town hall and approve it there with: rathaus keys approve {name}").format(
            path=enrolment_request_path(data_dir, request.kiosk_id),
            name=enrolment_request_path(data_dir, request.kiosk_id).name,
        )
    )
    print("\n".join(lines))
    return 0


def _has_terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _confirmed(question: str) -> bool:
    """A yes (``y``/``j``) typed at the terminal."""
    print(question, end=" ", flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in _YES


def run_approve(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    data_dir = townhall_dir(args)
    allowlist = Allowlist(data_dir)
    request = allowlist.check_request(args.request)
    own = load_townhall_public(townhall_public_keys_path(data_dir))
    print(_("Enrolment request of kiosk {kiosk_id}").format(kiosk_id=request.kiosk_id))
    print("  " + _("Kiosk's signing key: {fingerprint}").format(fingerprint=request.fingerprint))
    print("  " + _("Compare it with the kiosk's screen (rathaus keys show on the kiosk)."))
    if not args.yes:
        if not _has_terminal():
            raise KeyFileError(
                _("Nothing was approved: compare the fingerprint, then run again with --yes.")
            )
        if not _confirmed(_("Does the kiosk show the same fingerprint? [y/N]")):
            print(_("Nothing was approved."))
            return 1
    entry = allowlist.approve(request)
    print(
        _("Kiosk {kiosk_id} is enrolled at {name}. It can now send applications.").format(
            kiosk_id=entry.kiosk_id, name=own.name
        )
    )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    Allowlist(townhall_dir(args)).revoke(args.kiosk_id, args.reason)
    print(
        _("Kiosk {kiosk_id} is blocked: its batches and status requests are refused from now on.").format(
            kiosk_id=args.kiosk_id
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    entries = Allowlist(townhall_dir(args)).list()
    if not entries:
        print(_("No kiosk is enrolled yet."))
        return 0
    for entry in entries:
        if entry.active:
            state = _("enrolled since {approved_at}").format(approved_at=entry.approved_at)
        else:
            state = _("blocked since {revoked_at}").format(revoked_at=entry.revoked_at)
            if entry.revoke_reason:
                state += f" ({entry.revoke_reason})"
        print(f"{entry.kiosk_id:<24} {entry.fingerprint}  {state}")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    from sync.rotation import rotate_townhall_keys

    _ = translator(language_from_environment())
    rotation = rotate_townhall_keys(townhall_dir(args), signing=args.signing, suite=args.suite)
    if rotation.resumed:
        first = _("An interrupted key rotation was finished (rotation {number}); no new one was made.")
    else:
        first = _("Town-hall keys rotated (rotation {number}).")
    lines = [first.format(number=rotation.version)]
    lines += _townhall_lines(_, rotation.new)
    lines.append(
        _("Kiosks take the new keys on their next exchange (network or USB stick); "
          "applications sealed for the old key can still be opened.")
    )
    lines.append(_("Please restart the server now: systemctl restart rathaus-server"))
    print("\n".join(lines))
    return 0


def run_show(args: argparse.Namespace) -> int:
    _ = translator(language_from_environment())
    if args.data_dir is not None:
        kiosk_place = townhall_place = Path(args.data_dir)
    else:
        kiosk_place, townhall_place = default_kiosk_dir(), default_townhall_dir()
    lines: list[str] = []
    if kiosk_is_initialised(kiosk_place):
        lines += _kiosk_lines(_, load_kiosk_keys(kiosk_place))
        lines.append(_("Pinned town-hall keys:"))
        lines += ["  " + line for line in _townhall_lines(_, load_pinned_townhall(kiosk_place))]
    if townhall_is_initialised(townhall_place):
        require_townhall_keys(townhall_place)
        lines += _townhall_lines(_, load_townhall_public(townhall_public_keys_path(townhall_place)))
        encryption_key = townhall_place / KEYS_DIR / TOWNHALL_ENCRYPTION_KEY
        if not encryption_key.exists():
            lines.append(
                _("Note: {path} is missing, so applications cannot be opened on this computer.").format(
                    path=encryption_key
                )
            )
    if not lines:
        places = sorted({str(kiosk_place), str(townhall_place)})
        raise KeyFileError(
            _("No keys found in {paths}. Run rathaus keys init-townhall or rathaus keys init-kiosk.").format(
                paths=", ".join(places)
            )
        )
    print("\n".join(lines))
    return 0
