"""Getting sealed submissions from the kiosk to the town hall and status updates back.

``sync.envelope`` (the sealed-item and batch format, see docs/envelope.md) and ``sync.keys`` are pure
and shared by both sides. ``sync.outbox`` and ``sync.usb`` run at the kiosk; ``sync.server`` and
``sync.inbox`` at the town hall. The server never imports the kiosk's store or UI.
"""
