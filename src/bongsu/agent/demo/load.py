"""The demo's load generator: a mix of reads, checkouts, missing orders and slow reports,
from ``USERS`` shoppers (a session cookie each, a few of them busy, most seldom seen: the
agent counts them by the cookie, hashed, as the demo sets ``BONGSU_USER_KEY``)."""

from __future__ import annotations

import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

__all__ = ["COOKIE", "USERS", "LoadGenerator"]

USERS = 200
COOKIE = "shop_session"


class LoadGenerator:
    """Sends about ``rate`` requests per second to the gateway from a few threads."""

    def __init__(self, base_url: str, rate: float) -> None:
        self.base_url = base_url
        self.rate = rate
        self.sent = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-load", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _one(self) -> None:
        roll = random.random()
        if roll < 0.5:
            path, method = f"/api/orders/{random.randint(1, max(2, self.sent // 3))}", "GET"
        elif roll < 0.85:
            path, method = "/api/checkout", "POST"
        elif roll < 0.9:
            path, method = "/api/reports/monthly", "GET"
        else:
            path, method = f"/api/orders/{random.randint(10**6, 10**7)}", "GET"
        shopper = min(int(random.paretovariate(0.8)), USERS)
        request = urllib.request.Request(self.base_url + path, method=method,
                                         data=b"" if method == "POST" else None,
                                         headers={"Cookie": f"{COOKIE}=s{shopper:04d}"})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            self.failed += 1
        self.sent += 1

    def _run(self) -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            while not self._stop.is_set():
                pool.submit(self._one)
                time.sleep(random.expovariate(self.rate))
