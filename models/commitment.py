"""Make an on/off pattern keep the plant's commitment rules, so that fixing it leaves a
feasible LP: availability, must-run, the carried-over minimum up/down times (``must_on`` /
``must_off`` from the plant's state) and minimum up/down within the horizon.

A switch the rules do not allow yet is postponed (the unit keeps its state), never moved
earlier. Start-ups and shut-downs follow from the pattern and the state before period 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo

from optimizer.config.plant import ConverterUnit

BoolGrid = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class UnitRules:
    available: bool
    on0: bool
    must_run: bool
    min_up: int
    min_down: int
    must_on: npt.NDArray[np.bool_]
    must_off: npt.NDArray[np.bool_]


def unit_rules(m: pyo.ConcreteModel, units: dict[str, ConverterUnit]) -> list[UnitRules]:
    """This cycle's rules per unit (in ``m.U`` order), read from the model's Params."""
    steps = len(m.T)
    out = []
    for u in m.U:
        cfg = units[u]
        must_on = np.zeros(steps, dtype=bool)
        must_off = np.zeros(steps, dtype=bool)
        early = max(cfg.min_up_steps, cfg.min_down_steps)
        for t in range(min(early, steps)):
            must_on[t] = pyo.value(m.must_on[u, t]) >= 0.5
            must_off[t] = pyo.value(m.must_off[u, t]) >= 0.5
        out.append(
            UnitRules(
                available=pyo.value(m.avail[u]) >= 0.5,
                on0=pyo.value(m.on0[u]) >= 0.5,
                must_run=cfg.must_run,
                min_up=cfg.min_up_steps,
                min_down=cfg.min_down_steps,
                must_on=must_on,
                must_off=must_off,
            )
        )
    return out


def repair_commitment(desired: BoolGrid, rules: list[UnitRules]) -> BoolGrid:
    """The nearest pattern (switches postponed) that keeps every unit's rules."""
    out = np.zeros_like(desired, dtype=bool)
    steps = desired.shape[1]
    for i, r in enumerate(rules):
        if not r.available:
            continue  # off over the whole horizon
        want = desired[i].copy()
        if r.must_run:
            want[:] = True
        want |= r.must_on
        want &= ~r.must_off
        state = r.on0
        last_switch = -(10**9)  # switches before period 0 are in must_on / must_off
        for t in range(steps):
            if bool(want[t]) != state:
                need = r.min_up if state else r.min_down
                forced = r.must_on[t] or r.must_off[t]
                if forced or t - last_switch >= need:
                    state = bool(want[t])
                    last_switch = t
            out[i, t] = state
    return out


def transitions(on: BoolGrid, rules: list[UnitRules]) -> tuple[BoolGrid, BoolGrid]:
    """Start-ups and shut-downs of a pattern, given each unit's state before period 0."""
    before = np.array([r.on0 for r in rules], dtype=bool)[:, None]
    prev = np.concatenate([before, on[:, :-1]], axis=1)
    return on & ~prev, prev & ~on
