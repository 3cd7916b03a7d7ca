"""The cycle's plan over the horizon, per carrier, as the decision log keeps it.

The solver's schedule has one column per unit quantity; operators read it per carrier:
which units supply it, what the site needs, what storage and the grid do, at which price.
This module regroups the schedule (plus demand and price from the cycle's inputs) into
that shape once, when the cycle is recorded, so the console and exports can show the plan
of any past cycle without the config that produced it.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from models.horizon import schedule_values
from models.inputs import ModelInputs
from models.result import PlanResult
from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schema import PlantConfig


def plan_record(
    cfg: PlantConfig, plan: PlanResult | None, inputs: ModelInputs | None
) -> dict[str, Any] | None:
    """The plan block of a decision record; None when the cycle has no usable plan."""
    if plan is None or inputs is None or not plan.has_safe_plan or plan.schedule.empty:
        return None
    sched = plan.schedule
    if not isinstance(sched.index, pd.DatetimeIndex):
        return None
    starts = [t.to_pydatetime() for t in sched.index]
    tz = cfg.plant.timezone

    table = np.round(sched.to_numpy(dtype=float), 6)  # one array op, not 10,000 rounds
    index = {name: k for k, name in enumerate(sched.columns)}

    def col(name: str) -> list[float]:
        k = index.get(name)
        if k is None:
            return [0.0] * len(starts)  # the model has no such variable: nothing flows
        out: list[float] = table[:, k].tolist()
        return out

    carriers: dict[str, dict[str, Any]] = {
        c: {
            "unit": cc.unit,
            "supply": {},
            "use": {},
            "demand": _fit([0.0] * len(starts), len(starts)),
        }
        for c, cc in cfg.carriers.items()
    }
    for d in cfg.demands.values():
        values = _fit(schedule_values(d.forecast, inputs, starts, tz), len(starts))
        entry = carriers[d.carrier]
        entry["demand"] = [
            None if a is None or b is None else round(a + b, 6)
            for a, b in zip(entry["demand"], values, strict=True)
        ]
    storage: dict[str, Any] = {}
    grid: dict[str, Any] = {}
    for n, u in cfg.units.items():
        if isinstance(u, ConverterUnit):
            load = col(f"{n}.load")
            carriers[u.output]["supply"][n] = load
            for c, per_load in u.coproducts.items():
                carriers[c]["supply"][n] = np.round(np.multiply(load, per_load), 6).tolist()
            carriers[u.input]["use"][n] = col(f"{n}.input")
        elif isinstance(u, StorageUnit):
            net = col(f"{n}.net_discharge")
            carriers[u.carrier]["supply"][n] = net
            storage[n] = {"carrier": u.carrier, "capacity": u.capacity, "soc": col(f"{n}.soc")}
        elif isinstance(u, GridUnit):
            imp, exp = col(f"{n}.import"), col(f"{n}.export")
            carriers[u.carrier]["supply"][n] = [
                round(a - b, 6) for a, b in zip(imp, exp, strict=True)
            ]
            g: dict[str, Any] = {
                "carrier": u.carrier,
                "import": imp,
                "export": exp,
                "import_price": _nums(
                    _fit(schedule_values(u.import_price, inputs, starts, tz), len(starts))
                ),
            }
            if u.export_price is not None:
                g["export_price"] = _nums(
                    _fit(schedule_values(u.export_price, inputs, starts, tz), len(starts))
                )
            grid[n] = g
        elif isinstance(u, RenewableUnit):
            carriers[u.carrier]["supply"][n] = col(f"{n}.output")
    for c, entry in carriers.items():
        unmet = col(f"{c}.unmet")
        if any(unmet):
            entry["unmet"] = unmet
    for c, prices in plan.marginal_prices.items():  # empty when the model gives none
        if c in carriers:
            carriers[c]["marginal_price"] = _nums(prices)
    return {
        "periods": [_iso(t) for t in starts],
        "step_minutes": cfg.cycle.step_minutes,
        "currency": cfg.tariffs.currency,
        "carriers": carriers,
        "storage": storage,
        "grid": grid,
        "fuels": {
            f: _nums(_fit(schedule_values(fc.price, inputs, starts, tz), len(starts)))
            for f, fc in cfg.tariffs.fuels.items()
        },
    }


def _fit(xs: list[float], n: int) -> list[float | None]:
    """A forecast shorter than the horizon leaves the periods it does not cover empty."""
    return [*xs[:n], *([None] * (n - len(xs)))]


def _nums(xs: Any) -> list[float | None]:
    """Rounded to 6 decimals (the plan is a picture; the solver's own tolerance is larger);
    a missing or non-finite value is kept as null, never turned into a number."""
    out: list[float | None] = []
    for x in xs:
        if x is None:
            out.append(None)
            continue
        v = float(x)
        out.append(round(v, 6) if math.isfinite(v) else None)
    return out


def _iso(t: datetime) -> str:
    return t.isoformat()


def limits_record(cfg: PlantConfig) -> dict[str, Any]:
    """The limits a cycle was judged against (setpoint write limits and modes, CV ranges,
    which tags are the permissive and the watchdog), so a past cycle reads on its own.
    Operator limits are tags: their values are among the cycle's inputs."""
    setpoints: dict[str, Any] = {}
    for name, t in cfg.tags.items():
        sp = t.setpoint
        if sp is None:
            continue
        setpoints[name] = {
            "unit": t.unit,
            "min": sp.min,
            "max": sp.max,
            "max_up": sp.max_up,
            "max_down": sp.max_down,
            "mode": sp.mode.value,
            "operator_min_tag": sp.operator_min_tag,
            "operator_max_tag": sp.operator_max_tag,
        }
    cvs: dict[str, Any] = {}
    for group in cfg.compensation.values():
        for name, cv in group.cvs.items():
            cvs[name] = {
                "tag": cv.tag,
                "low": cv.low,
                "high": cv.high,
                "target": cv.target,
                "priority": cv.priority,
                "unit": cv.unit,
            }
    wd = cfg.interlocks.watchdog
    return {
        "setpoints": setpoints,
        "cvs": cvs,
        "permissive_tag": cfg.interlocks.permissive_tag,
        "watchdog_tag": wd.tag if wd is not None else None,
    }
