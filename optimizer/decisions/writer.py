"""Decision-log work off the event loop: one worker thread, every call with a deadline.

SQLite calls block (a lock held by another process waits up to ``BUSY_TIMEOUT_S``; a slow
disk may take longer). The cycle awaits them here, so the event loop keeps serving the OPC
UA session, the scheduler and the console while the log is busy. Calls run one at a time,
in order, on a single thread that owns the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from optimizer.decisions.store import BUSY_TIMEOUT_S, DecisionLog

T = TypeVar("T")


class LogUnavailable(Exception):
    """The decision log did not take the call in time (or refused it): one-line message."""


class LogWriter:
    def __init__(self, log: DecisionLog, *, timeout_s: float = BUSY_TIMEOUT_S + 1.0) -> None:
        self.log = log
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decision-log")

    async def call(self, fn: Callable[[DecisionLog], T]) -> T:
        """Run ``fn(log)`` on the log's thread; LogUnavailable when it fails or is late."""
        fut = asyncio.get_running_loop().run_in_executor(self._pool, fn, self.log)
        try:
            return await asyncio.wait_for(fut, timeout=self.timeout_s)
        except TimeoutError:
            raise LogUnavailable(
                f"{self.log.path}: no answer within {self.timeout_s:g} s (locked or slow disk)"
            ) from None
        except Exception as e:  # sqlite3 errors: disk full, locked, read-only, I/O
            raise LogUnavailable(f"{self.log.path}: {type(e).__name__}: {e}") from None

    def close(self) -> None:
        """Finish queued calls, then close the file."""
        self._pool.shutdown(wait=True)
        self.log.close()
