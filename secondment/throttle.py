"""Failed sign-ins, counted in memory: per username *and* client, per client, and per username.

Nothing is written to the database for a failure, so a flood of guesses never takes the write lock other users'
saves need, and a username that does not exist is never stored. The limits are chosen so that a stranger cannot
lock anyone out for long: five failures block only that username *from that client*; twenty block that client
for every username; only a flood from many clients at once holds a username back, and then for a minute.

The counts live in the server process (one Streamlit server serves the app); a restart forgets them, which is
acceptable for limits measured in minutes. ``time.monotonic`` is used, not the wall clock: a pinned demo date
or a clock set back cannot release a block early.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    failures: int     # this many failures within ``window`` seconds ...
    window: float
    block: float      # ... block the key for this many seconds


LIMITS = {
    "pair": Limit(failures=5, window=15 * 60, block=15 * 60),     # one username from one client
    "client": Limit(failures=20, window=15 * 60, block=15 * 60),  # one client, any username
    "user": Limit(failures=20, window=15 * 60, block=60),         # one username, from many clients
}
MAX_KEYS = 20_000  # the oldest keys are forgotten first; a flood of new names cannot grow memory without bound


class Throttle:
    def __init__(self, limits: dict[str, Limit] | None = None, *, now: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS):
        self.limits = dict(limits or LIMITS)
        self._now = now
        self._max = max_keys
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple, list[float]] = OrderedDict()
        self._blocked: dict[tuple, float] = {}

    @staticmethod
    def keys(username: str, client: str | None) -> list[tuple]:
        name = (username or "").strip().lower()[:64]
        client = client or "-"
        return [("pair", name, client), ("client", client), ("user", name)]

    def wait(self, username: str, client: str | None) -> float:
        """Seconds until ``username`` may try again from ``client`` (0 when it may now)."""
        now = self._now()
        with self._lock:
            waits = [self._blocked.get(key, 0) - now for key in self.keys(username, client)]
        return max(0.0, *waits)

    def failed(self, username: str, client: str | None) -> float:
        """Count one failure; returns the seconds it is now blocked for (0 when not blocked)."""
        now = self._now()
        with self._lock:
            for key in self.keys(username, client):
                limit = self.limits[key[0]]
                recent = [t for t in self._failures.pop(key, []) if now - t < limit.window] + [now]
                if len(recent) >= limit.failures:
                    self._blocked[key] = now + limit.block
                    recent = []
                self._failures[key] = recent
            while len(self._failures) > self._max:
                old, _ = self._failures.popitem(last=False)
                self._blocked.pop(old, None)
            for key in [k for k, until in self._blocked.items() if until <= now]:
                del self._blocked[key]
        return self.wait(username, client)

    def succeeded(self, username: str, client: str | None) -> None:
        """A right password: forget this username's failures (the client's own count stays)."""
        with self._lock:
            for key in self.keys(username, client)[::2]:   # the pair and the username
                self._failures.pop(key, None)
                self._blocked.pop(key, None)

    def forget(self, username: str) -> None:
        """An administrator reset the password: every block on the username ends."""
        name = (username or "").strip().lower()[:64]
        with self._lock:
            for store in (self._failures, self._blocked):
                for key in [k for k in store if (k[0] == "pair" and k[1] == name) or k == ("user", name)]:
                    del store[key]


SIGN_IN = Throttle()
