"""``python -m bench.server_memory``: what 16 concurrent forged 8 MiB batches cost the server.

Starts ``rathaus server`` on 127.0.0.1 as a child process (as systemd would, once with the
allocator settings of deploy/townhall/rathaus-server.service and once without), sends 16 forged
batches of 8 MiB at the same time (well-formed framing, an enrolled kiosk's id, a wrong
signature: the worst case, read and parsed in full before it is refused), and samples the
server's resident memory from /proc. Printed: memory idle, at its peak and after, and the peak
growth per byte sent; a measurement, not a test. The security review measured about 1 GB peak
that was never given back before bodies were parsed once in place and bounded in total.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from sync.envelope.wire import encode_json, length_prefixed, magic_line

BODIES = 16
ITEMS = 250
ITEM_BYTES = 32 * 1024 - 64
ALLOCATOR = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "1048576"}


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _forged(kiosk_id: str, recipient_key_id: str) -> bytes:
    items = [secrets.token_bytes(ITEM_BYTES) for _ in range(ITEMS)]
    header = {
        "batch_id": secrets.token_hex(16),
        "created_at": "2026-03-23T10:00:00Z",
        "item_digests": [hashlib.sha256(item).hexdigest() for item in items],
        "kiosk_id": kiosk_id,
        "recipient_key_id": recipient_key_id,
        "sequence": 1,
    }
    signed = magic_line("batch") + length_prefixed(encode_json(header)) + b"".join(
        struct.pack(">I", len(item)) + item for item in items
    )
    return signed + secrets.token_bytes(64)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(townhall_dir: Path, body: bytes, *, allocator: bool) -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "RATHAUS_LOG_LEVEL": "ERROR", **(ALLOCATOR if allocator else {})}
    if not allocator:
        for name in ALLOCATOR:
            env.pop(name, None)
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "server", "--port", str(port), "--data-dir", str(townhall_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        idle = _rss_mib(server.pid)
        peak, statuses, done = idle, [], threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, _rss_mib(server.pid))

        def send() -> None:
            response = httpx.post(f"{url}/v1/batches", content=body, timeout=120)
            statuses.append(response.status_code)

        sampler = threading.Thread(target=sample)
        sampler.start()
        senders = [threading.Thread(target=send) for _ in range(BODIES)]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(180)
        time.sleep(1.0)
        done.set()
        sampler.join()
        after = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    refused = sum(1 for status in statuses if status in (403, 503))
    return {"idle": idle, "peak": peak, "after": after, "refused": refused}


def main() -> None:
    from sync.allowlist import Allowlist
    from sync.keys import enrolment_request_path, init_kiosk, init_townhall, load_townhall_keys, townhall_public_keys_path

    with tempfile.TemporaryDirectory() as tmp:
        townhall_dir, kiosk_dir = Path(tmp) / "townhall", Path(tmp) / "kiosk"
        init_townhall(townhall_dir, name="Bench")
        init_kiosk(kiosk_dir, kiosk_id="kiosk-bench", townhall_public=townhall_public_keys_path(townhall_dir))
        Allowlist(townhall_dir).approve(enrolment_request_path(kiosk_dir, "kiosk-bench"))
        recipient = load_townhall_keys(townhall_dir, need_encryption=False).public.encryption_key_id
        body = _forged("kiosk-bench", recipient)
        sent_mib = BODIES * len(body) / 2**20
        print(__doc__.strip().splitlines()[0])
        for allocator in (True, False):
            m = measure(townhall_dir, body, allocator=allocator)
            print(
                f"allocator_settings={'on ' if allocator else 'off'} bodies={BODIES}x{len(body) / 2**20:.1f}MiB "
                f"refused={m['refused']}/{BODIES} rss_idle={m['idle']:.0f}MiB rss_peak={m['peak']:.0f}MiB "
                f"rss_after={m['after']:.0f}MiB peak_growth_per_byte_sent={(m['peak'] - m['idle']) / sent_mib:.2f}"
            )


if __name__ == "__main__":
    main()
