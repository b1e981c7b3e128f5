"""Official warnings (CAP 1.2) for the kiosks: the town hall's import and the rules both sides share.

Shared and pure (the kiosk imports these too):

- ``area``   — which warnings concern a place: AGS/ARS, DWD warn cells, MoWaS ARS, polygons;
- ``alerts`` — one warning as both sides hold it, and what citizens may see.

The town hall's side:

- ``cap``      — reading one CAP alert (XML through defusedxml, or NINA's JSON) as hostile input;
- ``sources``  — files, DWD zips, NINA indexes and feeds, bounded;
- ``importer`` — one import run (``rathaus warnings import``, a systemd timer);
- ``store``    — the record in ``warnings/warnings.db``;
- ``config``   — ``warnings.toml``;
- ``snapshot`` and ``channel`` — what the download channel ``warnings`` sends each kiosk.

See docs/warnings.md (for the town hall's IT) and docs/downloads.md §11 (the format).
"""
