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

HELD = ("held_bad_data", "held_no_permissive", "held_solver", "held_rule")


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
    if outcome in HELD:
        return "held", reasons
    if outcome in ("write_failed", "error", "abandoned"):
        return outcome, reasons
    if outcome == "advisory" or rec.get("mode") == "advisory":
        return "advisory", reasons
    return "running", reasons


def status(db: Path, live: LiveFeed | None) -> dict[str, Any]:
    rec = query.cycle_record(db) if db.exists() else None
    state, why = loop_state(rec, live)
    limits = query.run_limits(db, str(rec["run_id"])) if rec is not None else None
    out: dict[str, Any] = {
        "source": "live" if live is not None else "log",
        "state": state,
        "why": why,
        "last_cycle": _summary(rec) if rec is not None else None,
        "permissive": _permissive(rec, limits),
        "watchdog": rec.get("watchdog") if rec is not None else None,
        "log": log_space(db),
    }
    if live is not None:
        out.update(live.snapshot())
    return out


def _summary(rec: dict[str, Any]) -> dict[str, Any]:
    solver = rec.get("solver") or {}
    return {
        "id": rec["id"],
        "run_id": rec["run_id"],
        "cycle": rec["cycle"],
        "started": rec["started"],
        "ended": rec["ended"],
        "outcome": rec["outcome"],
        "reasons": rec["reasons"],
        "mode": rec["mode"],
        "objective": solver.get("objective"),
        "gap": solver.get("gap"),
        "solve_time_s": solver.get("solve_time_s"),
    }


def _permissive(rec: dict[str, Any] | None, limits: dict[str, Any] | None) -> dict[str, Any]:
    """The permissive tag's reading in the last cycle (None: not configured or not read)."""
    tag = limits.get("permissive_tag") if limits else None
    if rec is None or tag is None:
        return {"tag": tag, "value": None, "quality": None}
    for i in rec.get("inputs") or []:
        if i["tag"] == tag:
            return {"tag": tag, "value": i["value"], "quality": i["quality"]}
    return {"tag": tag, "value": None, "quality": None}


def cycle_view(db: Path, cycle_id: int | None) -> dict[str, Any] | None:
    """One record with the limits of its run, for the plan, setpoint, process and why
    views (the newest cycle with ``None``)."""
    if not db.exists():
        return None
    rec = query.cycle_record(db, cycle_id)
    if rec is None:
        return None
    rec["limits"] = rec.get("limits") or query.run_limits(db, str(rec["run_id"]))
    return rec


def plan_view(db: Path, cycle_id: int | None) -> dict[str, Any] | None:
    """The horizon plan of a cycle (None inside when the cycle had no safe plan)."""
    rec = cycle_view(db, cycle_id)
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
    for rec in query.records_until(db, last, limit):
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
