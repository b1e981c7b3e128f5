"""Rathaus-Kiosk: town-hall services at a village-hall terminal.

The domain modules (``kiosk.forms``, ``kiosk.store``, ``kiosk.refcode``, ``kiosk.i18n``) never import
Textual; only ``kiosk.ui`` does.
"""

__version__ = "0.1.0"
