"""The decision log's records flattened for export (`plantloop log DB --format csv|parquet`):
one row per cycle, one column per field. The records come from
``optimizer.decisions.query.read_records``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd


def export_frame(records: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Every field, one row per cycle: summary, why texts, terms, tiers, CV predictions,
    relaxed limits, and per tag ``sp.TAG.*`` (MV moves) and ``in.TAG.*`` (inputs).
    Values are exact (not rounded); times are UTC with their offset."""
    rows = []
    for rec in records:
        s = rec.get("solver") or {}
        row: dict[str, Any] = {
            k: rec[k]
            for k in (
                "run_id",
                "cycle",
                "started",
                "ended",
                "outcome",
                "mode",
                "config_hash",
                "sequence",
                "watchdog",
            )
        }
        row["reasons"] = "; ".join(rec["reasons"])
        row["faults"] = "; ".join(rec.get("faults", []))
        for k in ("status", "termination", "attempt", "objective", "bound", "gap"):
            row[f"solver.{k}"] = s.get(k)
        row["solve_time_s"] = s.get("solve_time_s")
        row["why"] = " | ".join(s.get("why", []))
        row["relaxed"] = json.dumps(s.get("relaxed", []))
        for group in ("terms", "tiers", "cv_predictions", "unmet"):
            for k, v in (s.get(group) or {}).items():
                row[f"{group}.{k}"] = v
        for k, v in (rec.get("phase_seconds") or {}).items():
            row[f"phase_s.{k}"] = v
        for sp in rec["setpoints"]:
            t = sp["tag"]
            for k, v in sp.items():
                if k != "tag":
                    row[f"sp.{t}.{k}"] = v
            if sp["current"] is not None and sp["clamped_to"] is not None:
                row[f"sp.{t}.move"] = sp["clamped_to"] - sp["current"]
        for i in rec["inputs"]:
            t = i["tag"]
            for k in ("value", "used", "quality", "status", "source_ts", "issue", "substituted"):
                v = i[k]
                row[f"in.{t}.{k}"] = json.dumps(v) if isinstance(v, list) else v
        rows.append(row)
    return pd.DataFrame(rows)
