"""``/metrics``: the decision log (and the live feed) in the Prometheus text format.

Records are read from the log when Prometheus scrapes, never pushed by the cycle: the loop
pays nothing for metrics. Counters count the cycles recorded since the console started
(Prometheus' ``rate()``/``increase()`` handle the restart); gauges show the newest cycle.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from optimizer.console.live import LiveFeed
from optimizer.console.views import log_space, loop_state, run_limits
from optimizer.decisions import query

PHASE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
CONNECTION_STATES = ("connected", "connecting", "reconnecting", "disconnected", "unknown")


class LogMetrics:
    def __init__(self, db: Path, live: LiveFeed | None) -> None:
        self.db = db
        self.live = live
        self.registry = r = CollectorRegistry()
        self._lock = threading.Lock()
        self._seen = max(query.last_id(db) - 1, 0) if db.exists() else 0
        self._last: dict[str, Any] | None = None
        self.cycles = Counter(
            "plantloop_cycles", "Cycles recorded, by outcome.", ["outcome"], registry=r
        )
        self.phase = Histogram(
            "plantloop_phase_seconds",
            "Time spent in each cycle phase.",
            ["phase"],
            buckets=PHASE_BUCKETS,
            registry=r,
        )
        self.solve_time = Histogram(
            "plantloop_solve_seconds", "Solver time per cycle.", buckets=PHASE_BUCKETS, registry=r
        )
        self.solves = Counter(
            "plantloop_solves", "Solves by status (ok/warning/error).", ["status"], registry=r
        )
        self.gap = Gauge("plantloop_solve_gap", "Relative MIP gap of the newest solve.", registry=r)
        self.objective = Gauge("plantloop_objective", "Newest objective value.", registry=r)
        self.terms = Gauge(
            "plantloop_objective_term", "Newest objective split by term.", ["term"], registry=r
        )
        self.writes = Counter(
            "plantloop_setpoint_writes", "Setpoint values written, by tag.", ["tag"], registry=r
        )
        self.refusals = Counter(
            "plantloop_setpoint_refusals",
            "Setpoints not written as proposed, by tag and by whom: interlock (held, clamped) "
            "or server (write rejected or not read back).",
            ["tag", "by"],
            registry=r,
        )
        self.state = Gauge(
            "plantloop_loop_state", "1 for the loop's current state.", ["state"], registry=r
        )
        self.shed = Gauge("plantloop_shed", "1 while the loop is shed to advisory.", registry=r)
        self.permissive = Gauge(
            "plantloop_permissive",
            "Newest permissive reading (1 on, 0 off, -1 unknown).",
            registry=r,
        )
        self.connection = Gauge(
            "plantloop_connection_state",
            "1 for the OPC UA connection's state (live only).",
            ["state"],
            registry=r,
        )
        self.last_cycle = Gauge(
            "plantloop_last_cycle_timestamp_seconds", "End of the newest cycle.", registry=r
        )
        self.log_bytes = Gauge(
            "plantloop_decision_log_bytes", "Decision log size (file + WAL).", registry=r
        )
        self.log_free = Gauge(
            "plantloop_decision_log_free_bytes", "Free space on the log's disk.", registry=r
        )

    def render(self) -> bytes:
        with self._lock:
            self._ingest()
            self._gauges()
            return generate_latest(self.registry)

    def _ingest(self) -> None:
        if not self.db.exists():
            return
        while True:
            recs = query.records_after(self.db, self._seen, input_tags=self._permissive_tags())
            if not recs:
                return
            for rec in recs:
                self._count(rec)
                self._seen = int(rec["id"])
                self._last = rec

    def _permissive_tags(self) -> set[str]:
        """Only the permissive's input row is needed (not 1,000 tags' rows per cycle)."""
        rec = self._last or next(iter(query.cycle_summaries(self.db, limit=1)), None)
        limits = run_limits(self.db, str(rec["run_id"])) if rec is not None else None
        tag = limits.get("permissive_tag") if limits else None
        return {tag} if tag else set()

    def _count(self, rec: dict[str, Any]) -> None:
        self.cycles.labels(rec["outcome"]).inc()
        for phase, secs in (rec.get("phase_seconds") or {}).items():
            self.phase.labels(phase).observe(float(secs))
        s = rec.get("solver")
        if s:
            self.solves.labels(s["status"]).inc()
            if isinstance(s.get("solve_time_s"), int | float):
                self.solve_time.observe(float(s["solve_time_s"]))
        for sp in rec.get("setpoints") or []:
            if sp.get("written") is not None:
                self.writes.labels(sp["tag"]).inc()
                status = sp.get("write_status") or ""
                if status and not status.startswith("Good"):
                    self.refusals.labels(sp["tag"], "server").inc()
            elif sp.get("proposed") is not None and sp.get("reason"):
                self.refusals.labels(sp["tag"], "interlock").inc()

    def _gauges(self) -> None:
        rec = self._last
        if rec is not None:
            s = rec.get("solver") or {}
            _set(self.gap, s.get("gap"))
            _set(self.objective, s.get("objective"))
            for term, v in (s.get("terms") or {}).items():
                _set(self.terms.labels(term), v)
            self.last_cycle.set(_epoch(rec["ended"]))
            self.shed.set(1 if rec["outcome"] == "shed" else 0)
            self.permissive.set(_permissive_value(rec, self.db))
        state, _ = loop_state(rec, self.live)
        for st in (
            "running",
            "advisory",
            "shed",
            "held",
            "write_failed",
            "error",
            "arming",
            "abandoned",
            "skipped",
            "starting",
            "stopping",
            "stopped",
            "waiting",
        ):
            self.state.labels(st).set(1 if st == state else 0)
        if self.live is not None:
            for st in CONNECTION_STATES:
                self.connection.labels(st).set(1 if st == self.live.connection else 0)
        space = log_space(self.db)
        self.log_bytes.set(space["bytes"])
        self.log_free.set(space["free_bytes"])


def _set(g: Any, v: object) -> None:
    if isinstance(v, int | float):
        g.set(float(v))


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def _permissive_value(rec: dict[str, Any], db: Path) -> float:
    limits = run_limits(db, str(rec["run_id"]))
    tag = limits.get("permissive_tag") if limits else None
    for i in rec.get("inputs") or []:
        if i["tag"] == tag and isinstance(i["value"], bool | int | float):
            return 1.0 if i["value"] else 0.0
    return -1.0
