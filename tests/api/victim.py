"""Another client, in its own process: reads one address in a loop on a kept-alive
connection until its standard input closes, then prints how long each answer took.

Run as ``python -m tests.api.victim BASE_URL PATH``; it prints ``ready`` once its first
answer came, and at the end one JSON line: ``{"count", "worst", "statuses"}``. Its own
process keeps the attackers' threads from skewing its clock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

import httpx
import msgspec

PAUSE_SECONDS = 0.005


def main(base_url: str, path: str) -> None:
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    worst = 0.0
    count = 0
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.get(path).raise_for_status()  # the connection is open before timing starts
        print("ready", flush=True)
        while not stop.is_set():
            started = time.perf_counter()
            status = http.get(path).status_code
            worst = max(worst, time.perf_counter() - started)
            count += 1
            statuses[status] += 1
            time.sleep(PAUSE_SECONDS)
    summary = {"count": count, "worst": worst, "statuses": dict(statuses)}
    print(msgspec.json.encode(summary).decode(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
