"""The workplace's areas; importing this package registers them (see ``sync.workplace.areas``)."""

from sync.workplace.views import access_log, inbox, kiosks, staff_accounts, stats  # noqa: F401
from sync.workplace.views import appointments, audit, helpers  # noqa: F401
