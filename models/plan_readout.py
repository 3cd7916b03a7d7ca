"""Read a solved plan out of the Pyomo model: the schedule per period and this cycle's
decisions (setpoints, CV predictions, MV moves).

Pure: reads the plan's values only (the schedule from the plan's column vector, the
decisions from the variables); ``PlantModel`` calls it after every solve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyomo.environ as pyo

from optimizer.config.plant import ConverterUnit, GridUnit, StorageUnit
from optimizer.config.schema import PlantConfig

if TYPE_CHECKING:
    from models.compensation import Compensation


@dataclass(frozen=True)
class ScheduleLayout:
    """Where the schedule's columns are in a plan's column vector, built once per model.

    Each schedule column is a row of ``first`` (HiGHS columns, one per period); ``kind``
    says how it is read: "round" (on/off, rounded), "minus" (``first - second``: a store's
    net discharge) or "" (the value as it is)."""

    names: pd.Index  # built once: an Index from 60-odd strings costs ~25 µs a frame
    kinds: list[str]
    first: npt.NDArray[np.intp]  # (schedule columns x periods)
    second: npt.NDArray[np.intp]  # (schedule columns x periods), 0 where not "minus"
    unmet: dict[str, int]  # carrier -> its unmet column's row in ``first``

    @cached_property
    def rounded(self) -> npt.NDArray[np.intp]:
        """Rows of kind "round"."""
        return np.array([i for i, k in enumerate(self.kinds) if k == "round"], dtype=np.intp)

    @cached_property
    def minus(self) -> npt.NDArray[np.intp]:
        """Rows of kind "minus"."""
        return np.array([i for i, k in enumerate(self.kinds) if k == "minus"], dtype=np.intp)


def schedule_layout(m: pyo.ConcreteModel, col_of: Mapping[int, int]) -> ScheduleLayout:
    """The schedule's columns with their HiGHS columns; ``col_of``: id(variable) -> column."""
    T = list(m.T)

    def cols(var: pyo.Var, key: object) -> list[int]:
        return [col_of[id(var[key, t])] for t in T]

    none = [0] * len(T)
    out: list[tuple[str, str, list[int], list[int]]] = []
    for u in m.U:
        out.append((f"{u}.on", "round", cols(m.on, u), none))
        out.append((f"{u}.load", "", cols(m.ld, u), none))
        out.append((f"{u}.input", "", cols(m.inp, u), none))
    for s in m.S:
        out.append((f"{s}.net_discharge", "minus", cols(m.dis, s), cols(m.ch, s)))
        out.append((f"{s}.soc", "", cols(m.soc, s), none))
    for g in m.G:
        out.append((f"{g}.import", "", cols(m.imp, g), none))
        out.append((f"{g}.export", "", cols(m.exp, g), none))
    for r in m.R:
        out.append((f"{r}.output", "", cols(m.gen, r), none))
    unmet: dict[str, int] = {}
    for c in m.C:
        unmet[str(c)] = len(out)
        out.append((f"{c}.unmet", "", cols(m.unmet, c), none))
    shape = (len(out), len(T))
    return ScheduleLayout(
        names=pd.Index([n for n, _, _, _ in out]),
        kinds=[k for _, k, _, _ in out],
        first=np.array([f for _, _, f, _ in out], dtype=np.intp).reshape(shape),
        second=np.array([s for _, _, _, s in out], dtype=np.intp).reshape(shape),
        unmet=unmet,
    )


def schedule_frame(
    layout: ScheduleLayout, x: npt.NDArray[np.float64], starts: list[datetime]
) -> pd.DataFrame:
    """The plan per period as a DataFrame (one column per unit quantity), from the plan's
    column vector ``x`` (HiGHS order, -0.0 already read as 0.0).

    One gather instead of reading ~6,000 Pyomo variables one by one (measured at 20 x 96:
    1.0 ms -> 0.1 ms a cycle); the values are those the variables hold, rounded with
    Python's rule (half to even) where the column is an on/off."""
    values = x[layout.first]
    rnd, minus = layout.rounded, layout.minus
    values[rnd] = np.round(values[rnd]) + 0.0  # + 0.0: round(-0.2) is 0, not -0
    values[minus] = values[minus] - x[layout.second[minus]]
    idx = pd.DatetimeIndex(starts, name="period") if starts else None
    return pd.DataFrame(values.T, columns=layout.names, index=idx)


def unmet_energy(layout: ScheduleLayout, x: npt.NDArray[np.float64], dh: float) -> dict[str, float]:
    """Each carrier's unmet demand over the horizon (carrier-unit·h): its periods' unmet
    flows added one after the other, as a Python ``sum`` over the variables adds them."""
    return {c: sum(x[layout.first[i]].tolist()) * dh for c, i in layout.unmet.items()}


def planned_loads(
    schedule: pd.DataFrame | None, units: Sequence[str], starts: Sequence[datetime]
) -> list[list[float | None]]:
    """Each unit's load in a (previous) plan's schedule at each of ``starts``: the value of
    the plan's period that holds the start (the last period starting at or before it), or
    None where the plan has no such period or no load column for the unit.

    One lookup per start and one array for the frame, not a ``.loc`` per unit and period
    (measured at 20 units x 2 plan-change periods: 1.0 ms -> 0.05 ms a cycle)."""
    none: list[float | None] = [None] * len(starts)
    if schedule is None or not len(schedule):
        return [list(none) for _ in units]
    rows = _rows_at(schedule.index, starts)
    if all(r is None for r in rows):
        return [list(none) for _ in units]
    table = schedule.to_numpy()  # one float block: a view, no copy
    out: list[list[float | None]] = []
    for u in units:
        try:
            j = _position(schedule.columns, f"{u}.load")
        except KeyError:
            out.append(list(none))
            continue
        out.append([None if r is None else float(table[r, j]) for r in rows])
    return out


def _rows_at(index: pd.Index, starts: Sequence[datetime]) -> list[int | None]:
    """The row of the period holding each start: what ``index.asof`` finds, as a position.

    A plan's own index (time-zone aware, strictly increasing, no NaT) is searched as
    integers: pandas' ``asof`` first works out whether the index is sorted, ~0.1-0.2 ms
    for each new frame (each cycle's previous plan is one)."""
    found = _sorted_instants(index)
    if found is not None:
        ticks, per = found  # the index counts UTC time in ticks of ``per`` ns
        rows: list[int | None] = []
        for s in starts:
            ts = pd.Timestamp(s)
            if ts.tz is None:  # an aware index against a naive time: pandas decides
                break
            # periods starting at or before ts (.value: UTC ns; a tick t is <= ts exactly
            # when t <= floor(ts / per))
            r = int(np.searchsorted(ticks, ts.value // per, side="right")) - 1
            rows.append(None if r < 0 else r)
        else:
            return rows
    out: list[int | None] = []
    for s in starts:
        at = index.asof(pd.Timestamp(s))
        out.append(None if at is None or pd.isna(at) else _position(index, at))
    return out


_NS_PER = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _sorted_instants(index: pd.Index) -> tuple[npt.NDArray[np.int64], int] | None:
    """The index as UTC ticks of its unit and ns per tick, if it is time-zone aware and
    strictly increasing (converting it to ns would cost a new index: ~0.1 ms cold)."""
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None or not len(index):
        return None
    if str(index.unit) not in _NS_PER:
        return None
    ticks = index.asi8
    if (ticks == np.iinfo(np.int64).min).any() or not (ticks[1:] > ticks[:-1]).all():
        return None  # NaT, or not in order
    return ticks, _NS_PER[str(index.unit)]


def _position(index: pd.Index, at: Any) -> int:
    pos = index.get_loc(at)
    if not isinstance(pos, int):  # a repeated period or column: which value is meant?
        raise ValueError(f"previous plan: {at} appears more than once")
    return pos


def plan_decisions(
    m: pyo.ConcreteModel, cfg: PlantConfig, comp: Compensation | None
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """This cycle's setpoints (first period), CV predictions and MV moves."""
    sp: dict[str, float] = {}
    for n, u in cfg.units.items():
        tag = getattr(u, "setpoint_tag", None)
        if tag is None:
            continue
        if isinstance(u, ConverterUnit):
            sp[tag] = pyo.value(m.ld[n, 0]) if round(pyo.value(m.on[n, 0])) else 0.0
        elif isinstance(u, StorageUnit):
            sp[tag] = pyo.value(m.dis[n, 0] - m.ch[n, 0])
        elif isinstance(u, GridUnit):  # import ceiling the plan keeps (peak target)
            top = max(pyo.value(m.imp[n, t]) for t in m.T)
            sp[tag] = min(max(top, pyo.value(m.peak0[n])), u.max_import)
    cvs: dict[str, float] = {}
    moves: dict[str, float] = {}
    if comp:
        for k, mv in comp.mvs.items():
            now, u = pyo.value(m.u_now[k]), pyo.value(m.u[k])
            if mv.cfg.step:  # whole steps: HiGHS holds integers to ~1e-6, which is no move
                u = now + mv.cfg.step * round(pyo.value(m.nstep[k]))
            sp[mv.cfg.tag] = u
            moves[mv.name] = u - now
        for c, cv in comp.cvs.items():
            cvs[cv.name] = pyo.value(m.y[c])
    return {k: _clean(v) for k, v in sp.items()}, cvs, moves


def _clean(x: float) -> float:
    """A setpoint without the solver's round-off (HiGHS holds rows to ~1e-7: 5.9999999997
    for 6 would otherwise be a write of a setpoint that does not move)."""
    return round(float(x), 6) + 0.0
