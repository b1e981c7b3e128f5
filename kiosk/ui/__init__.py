"""The citizen's screens (Textual): the only part of the kiosk that knows about terminals.

``KioskApp`` in ``kiosk.ui.app`` is the entry point; each screen and widget lives in its own file
under ``screens/`` and ``widgets/`` with its stylesheet next to it.
"""
