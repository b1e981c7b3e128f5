"""Size limits of every format, so a receiver can refuse oversized input before parsing it.

The limits nest: a batch of ``MAX_ITEMS_PER_BATCH`` items of ``MAX_ITEM_BYTES`` each always fits in
``MAX_BATCH_BYTES``, and ``MAX_STATUS_UPDATES`` updates with the longest messages always fit in
``MAX_STATUS_BUNDLE_BYTES``, so a sender that keeps the per-item limits never builds a file the other
side refuses.
"""

from __future__ import annotations

MAX_ITEM_BYTES = 32 * 1024
"""A whole sealed item: header, HPKE encapsulation and ciphertext."""

MAX_ITEM_HEADER_BYTES = 768
"""Keeps HPKE ``info`` (magic line + length + header) under the 1024-byte limit of common HPKE
libraries (OpenSSL's ``OSSL_HPKE_MAX_INFOLEN``); the longest header the field patterns allow is
447 bytes."""
MAX_ANSWERS_BYTES = 1024 * 1024
"""Answers after decompression (guards against a decompression bomb from a broken sender)."""

MAX_ITEMS_PER_BATCH = 250
MAX_BATCH_HEADER_BYTES = 32 * 1024
MAX_AUDIT_ENTRIES_PER_BATCH = 400
MAX_BATCH_V2_HEADER_BYTES = 128 * 1024
"""A ``rathaus-batch/2`` header: 250 digests and 400 audit entries (about 220 bytes each) fit."""
MAX_BATCH_BYTES = 8 * 1024 * 1024

MAX_ACK_BYTES = 64 * 1024
MAX_STATUS_UPDATES = 200
MAX_STATUS_MESSAGE_CHARS = 500
MAX_STATUS_BUNDLE_BYTES = 1024 * 1024
MAX_STATUS_REQUEST_BYTES = 4 * 1024
MAX_ENROLMENT_BYTES = 8 * 1024

MAX_SAFE_INTEGER = 2**53 - 1
"""Sequence numbers and serials stay below this, so every JSON reader holds them exactly."""
