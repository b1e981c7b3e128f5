"""The staff workplace in the browser: inbox, answers, kiosks at a glance, access log.

``create_app(WorkplaceConfig(townhall_dir))`` builds the Starlette app that ``rathaus staff
serve`` runs next to the private encryption key (never in the kiosk-facing server). It works
through ``sync.inbox`` and the ``Storage`` interface; its own data (accounts, sessions, access log)
is in ``staff/staff.db`` (``sync.workplace.accounts``). Who may do what: ``sync.workplace.permissions.may``.
New pages come as areas (``sync.workplace.areas.register_area``).
"""

from sync.workplace.accounts import AccountStore, Staff, open_accounts
from sync.workplace.app import WorkplaceConfig, create_app
from sync.workplace.areas import Area, register_area
from sync.workplace.permissions import may

__all__ = [
    "AccountStore",
    "Area",
    "Staff",
    "WorkplaceConfig",
    "create_app",
    "may",
    "open_accounts",
    "register_area",
]
