"""The DCS side of the simulator: permissive, watchdog shed, write validation. Pure.

Decisions (documented in docs/simulator.md):
- The watchdog is monitored in **wall-clock** time (the engine's heartbeat runs in real
  time, whatever the simulation speed). It is armed by the first change of the counter
  after start or re-enable; if the counter then stays unchanged for ``timeout_s`` the DCS
  **sheds**: every setpoint write is refused with ``BadUserAccessDenied`` until it is
  re-enabled (permissive cycled false -> true, or ``reenable()``). Watchdog writes are
  always accepted.
- EURange of a setpoint node is its configured ``setpoint.min .. setpoint.max`` unless an
  override is given; writes outside it (or NaN/inf) get ``BadOutOfRange``.
- Writes while the permissive is false are accepted (a DCS in local mode ignores the
  remote setpoint) but counted as violations for tests to assert on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from datetime import datetime

from optimizer.config.schema import PlantConfig

GOOD = "Good"
BAD_OUT_OF_RANGE = "BadOutOfRange"
BAD_SHED = "BadUserAccessDenied"
LOG_LEN = 1000  # the last violations / rejections kept (counters keep the totals)


class DcsLogic:
    def __init__(
        self,
        cfg: PlantConfig,
        *,
        eu_ranges: Mapping[str, tuple[float, float]] | None = None,
        watchdog_timeout_s: float | None = None,
    ) -> None:
        self.eu_ranges: dict[str, tuple[float, float]] = {}
        for name, t in cfg.setpoint_tags.items():
            assert t.setpoint is not None
            self.eu_ranges[name] = (t.setpoint.min, t.setpoint.max)
        self.eu_ranges.update(eu_ranges or {})
        wd = cfg.interlocks.watchdog
        self.watchdog_tag = wd.tag if wd is not None else None
        self.timeout_s = (
            watchdog_timeout_s
            if watchdog_timeout_s is not None
            else (wd.timeout_s if wd is not None else None)
        )
        self.permissive = True
        self.shed = False
        self.shed_reason = ""
        self.armed = False
        self._last_wd: int | None = None
        self._last_change: datetime | None = None
        self.violations: deque[str] = deque(maxlen=LOG_LEN)
        self.rejected: deque[tuple[str, str]] = deque(maxlen=LOG_LEN)  # (tag, status)
        self.rejected_count = 0
        self.violation_count = 0
        self.writes_accepted = 0

    def check_setpoint(self, tag: str, value: float) -> str:
        """Status of a setpoint write: Good, BadOutOfRange or BadUserAccessDenied (shed)."""
        if self.shed:
            return self._reject(tag, BAD_SHED)
        lo, hi = self.eu_ranges[tag]
        if not math.isfinite(value) or value < lo or value > hi:
            return self._reject(tag, BAD_OUT_OF_RANGE)
        if not self.permissive:
            self.violations.append(f"{tag}={value} written while the permissive was false")
            self.violation_count += 1
        self.writes_accepted += 1
        return GOOD

    def _reject(self, tag: str, status: str) -> str:
        self.rejected.append((tag, status))
        self.rejected_count += 1
        return status

    def note_watchdog(self, value: int, now: datetime) -> None:
        if value != self._last_wd:
            if self._last_wd is not None or value != 0:
                self.armed = True
            self._last_wd = value
            self._last_change = now

    def tick(self, now: datetime) -> bool:
        """Check the watchdog; True when it shed just now."""
        if self.shed or not self.armed or self.timeout_s is None or self._last_change is None:
            return False
        idle = (now - self._last_change).total_seconds()
        if idle > self.timeout_s:
            self.shed = True
            self.shed_reason = f"watchdog unchanged for {idle:.1f} s > {self.timeout_s:g} s"
            return True
        return False

    def set_permissive(self, on: bool) -> None:
        """Operator switch. false -> true re-enables after a shed."""
        if on and not self.permissive:
            self.reenable()
        self.permissive = on

    def reenable(self) -> None:
        self.shed = False
        self.shed_reason = ""
        self.armed = False
        self._last_change = None
