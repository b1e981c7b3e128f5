"""``python -m bench.pin_cost``: what checking the staff PIN costs on this computer.

Run it on the kiosk computer itself (or one of the same kind) before changing the Argon2id
parameters in ``kiosk/pin.py``. It prints, per candidate setting, the best-of-N time of one hash
(the wait staff feel after Enter, and the work an attacker must spend on every guessed PIN), the
legacy scrypt setting beside it as the baseline, and what an offline search through every 6-digit
PIN costs in CPU time at that rate. CPU time (``process_time``) is shown next to the wall time
because a loaded machine stretches the wall time, not the work.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time

from argon2.low_level import Type, hash_secret_raw

from kiosk.pin import ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_TIME_COST, MIN_PIN_DIGITS

CANDIDATES = [  # (memory KiB, passes, lanes)
    (19 * 1024, 2, 1),  # OWASP's smallest Argon2id setting
    (46 * 1024, 1, 1),
    (64 * 1024, 2, 1),
    (ARGON2_MEMORY_KIB, ARGON2_TIME_COST, ARGON2_PARALLELISM),  # the shipped one
    (128 * 1024, 3, 1),
]
REPEAT = 5


def best_of(fn) -> tuple[float, float]:
    """Best wall time and best CPU time of ``REPEAT`` runs, in seconds."""
    walls, cpus = [], []
    for _ in range(REPEAT):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    pin, salt = b"246813", os.urandom(16)
    print(f"machine={platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}")
    base_wall, base_cpu = best_of(lambda: hashlib.scrypt(pin, salt=salt, n=2**14, r=8, p=1))
    print(f"baseline scrypt N=2^14 r=8 p=1: wall={base_wall * 1000:.0f} ms cpu={base_cpu * 1000:.0f} ms")
    search = 10**MIN_PIN_DIGITS
    for memory, passes, lanes in CANDIDATES:
        wall, cpu = best_of(
            lambda: hash_secret_raw(pin, salt, passes, memory, lanes, 32, Type.ID)
        )
        shipped = " (shipped)" if (memory, passes, lanes) == CANDIDATES[3] else ""
        print(
            f"argon2id m={memory // 1024} MiB t={passes} p={lanes}{shipped}: wall={wall * 1000:.0f} ms "
            f"cpu={cpu * 1000:.0f} ms ratio_vs_scrypt={cpu / base_cpu:.1f} "
            f"all_{MIN_PIN_DIGITS}_digit_pins={search * cpu / 86400:.1f} cpu-days"
        )


if __name__ == "__main__":
    main()
