"""The console's answers, built from decision records (plain dicts) and the live feed.

Every view is computed from what the decision log holds, so the live page and a review of
a copied log file show the same thing; the live feed adds only what a log cannot know
(the service's run state, the connection right now, the next run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from optimizer.console.live import LiveFeed
from optimizer.decisions import query
from optimizer.decisions.space import log_space as decision_log_space
from optimizer.errors import InputError


def loop_state(rec: dict[str, Any] | None, live: LiveFeed | None) -> tuple[str, list[str]]:
    """running / advisory / shed / held / (starting, stopping, stopped, no cycles yet) and
    why, from the last cycle's outcome and the service's own state."""
    if live is not None and live.state() != "running":
        return live.state(), ([live.connection_detail] if live.connection_detail else [])
    if rec is None:
        return "waiting", ["no cycle recorded yet"]
    outcome = str(rec["outcome"])
    reasons = [str(r) for r in rec.get("reasons") or []]
    if outcome == "shed":
        return "shed", reasons
    if outcome.startswith("held_"):
        return "held", reasons
    if outcome in ("write_failed", "error", "abandoned", "arming", "skipped"):
        return outcome, reasons
    if outcome == "advisory" or rec.get("mode") == "advisory":
        return "advisory", reasons
    return "running", reasons


def status(db: Path, live: LiveFeed | None) -> dict[str, Any]:
    """Read after every cycle by each open page: the summary row, the run's limits (cached)
    and one input (the permissive), never the whole record."""
    newest = query.cycle_summaries(db, limit=1) if _ready(db) else []
    head = newest[0] if newest else None
    state, why = loop_state(head, live)
    limits = run_limits(db, str(head["run_id"])) if head is not None else None
    out: dict[str, Any] = {
        "source": "live" if live is not None else "log",
        "state": state,
        "why": why,
        "last_cycle": _summary(head) if head is not None else None,
        "permissive": _permissive(db, head, limits),
        "watchdog": head["watchdog"] if head is not None else None,
        "log": log_space(db),
    }
    if live is not None:
        out.update(live.snapshot())
    return out


def _ready(db: Path) -> bool:
    """The file exists and is a decision log (a starting loop may not have created it)."""
    if not db.exists():
        return False
    try:
        query.last_id(db)
    except InputError:
        return False
    return True


_LIMITS: dict[tuple[Path, str], dict[str, Any]] = {}


def run_limits(db: Path, run_id: str) -> dict[str, Any] | None:
    """A run's limits never change once recorded: read once per run and log file."""
    key = (db, run_id)
    if key not in _LIMITS:
        found = query.run_limits(db, run_id)
        if found is None:
            return None  # not recorded (yet): ask again next time
        if len(_LIMITS) >= 64:
            _LIMITS.clear()
        _LIMITS[key] = found
    return _LIMITS[key]


def _summary(head: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "run_id", "cycle", "started", "ended", "outcome", "reasons", "mode")
    return {k: head[k] for k in keys} | {
        "objective": head["objective"],
        "gap": head["gap"],
        "solve_time_s": head["solve_time_s"],
    }


def _permissive(
    db: Path, head: dict[str, Any] | None, limits: dict[str, Any] | None
) -> dict[str, Any]:
    """The permissive tag's reading in the last cycle (None: not configured or not read)."""
    tag = limits.get("permissive_tag") if limits else None
    if head is None or tag is None:
        return {"tag": tag, "value": None, "quality": None}
    rec = query.cycle_record(db, int(head["id"]), input_tags={tag})
    for i in rec["inputs"] if rec else []:
        return {"tag": tag, "value": i["value"], "quality": i["quality"]}
    return {"tag": tag, "value": None, "quality": None}


def cycle_view(db: Path, cycle_id: int | None, inputs: str = "all") -> dict[str, Any] | None:
    """One record with the limits of its run (the newest cycle with ``None``). ``inputs``:
    ``all``, ``none`` or comma-separated tags — views that follow every cycle ask for what
    they show, not for every tag's row."""
    if not db.exists():
        return None
    tags = None if inputs == "all" else {t for t in inputs.split(",") if t and t != "none"}
    rec = query.cycle_record(db, cycle_id, input_tags=tags)
    if rec is None:
        return None
    rec["limits"] = rec.get("limits") or run_limits(db, str(rec["run_id"]))
    return rec


def plan_view(db: Path, cycle_id: int | None) -> dict[str, Any] | None:
    """The horizon plan of a cycle (None inside when the cycle had no safe plan)."""
    rec = query.cycle_record(db, cycle_id, input_tags=()) if db.exists() else None
    if rec is None:
        return None
    return {
        "id": rec["id"],
        "cycle": rec["cycle"],
        "started": rec["started"],
        "outcome": rec["outcome"],
        "reasons": rec["reasons"],
        "plan": rec.get("plan"),
    }


def trends(db: Path, tags: list[str], until_id: int | None, limit: int) -> list[dict[str, Any]]:
    """Per cycle: the used value of each of ``tags`` and the CV predictions (process view)."""
    if not db.exists():
        return []
    last = until_id if until_id is not None else query.last_id(db)
    wanted = set(tags)
    out = []
    for rec in query.records_until(db, last, limit, input_tags=wanted):
        solver = rec.get("solver") or {}
        out.append(
            {
                "id": rec["id"],
                "started": rec["started"],
                "outcome": rec["outcome"],
                "values": {i["tag"]: i["used"] for i in rec["inputs"] if i["tag"] in wanted},
                "cv_predictions": solver.get("cv_predictions") or {},
                "mv_moves": solver.get("mv_moves") or {},
            }
        )
    return out


def log_space(db: Path) -> dict[str, Any]:
    """Bytes the log takes (file, WAL, shared memory) and bytes free on its disk."""
    space = decision_log_space(db)
    return {"path": str(db), "bytes": space.log_bytes, "free_bytes": space.free_bytes}
