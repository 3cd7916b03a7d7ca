"""Marginal prices and binding constraints of a plan, from the LP with its binaries fixed.

Once the on/off, charge/discharge, grid mode and MV-step decisions are taken, the plan is
the optimum of an LP; its duals say what one more unit of each carrier would cost in each
period (the balance row's dual, per carrier-unit·hour) and which limits hold the plan where
it is (rows with a non-zero dual). The LP is solved on the persistent HiGHS instance with
the objective it holds after the last tier (earlier tiers held by their caps), so with the
usual tiers the prices are in currency: what the cost term would change by. When the
plan kept is the planner's repaired plan, that LP was solved already this cycle: its duals
are used (:class:`models.fixed_lp.FixedLp` keeps it), no second run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.fixed_lp import FixedLp

TOL = 1e-7
SHOWN = 4  # indexes kept per binding constraint (for the why texts)

# (Pyomo constraint name, what binds, how to name its index)
_BINDING = (
    ("c_cap", "capacity (max load)"),
    ("c_floor", "min load"),
    ("c_ramp_up", "ramp-up limit"),
    ("c_ramp_down", "ramp-down limit"),
    ("c_sp_lo", "setpoint move limit (down)"),
    ("c_sp_hi", "setpoint move limit (up)"),
    ("c_imp", "import limit"),
    ("c_exp", "export limit"),
    ("c_ch", "charge limit"),
    ("c_dis", "discharge limit"),
    ("c_soc_lo", "storage empty"),
    ("c_soc_hi", "storage full"),
    ("c_soc_end", "end-of-horizon SoC"),
    ("c_u_lo", "MV limit (low)"),
    ("c_u_hi", "MV limit (high)"),
    ("c_co2_cap", "CO2 cap"),
)


@dataclass(frozen=True, kw_only=True)
class Marginals:
    ok: bool  # the fixed LP solved to optimality
    prices: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # carrier -> per t
    # constraint name -> (rows with a non-zero dual, the first few of their indexes)
    binding: Mapping[str, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    highs_seconds: float = 0.0
    reused: bool = False  # the duals of a fixed LP already solved this cycle (the repair's)


class MarginalPrices:
    """Reads marginal prices and binding rows after each MILP solve (built once)."""

    def __init__(self, pm: Any) -> None:
        self.m = pm.m
        self.lp = FixedLp(pm.solver)
        m = self.m
        self._balance = {
            c: np.array([self.lp.row(m.c_balance[c, t]) for t in m.T], dtype=np.int64) for c in m.C
        }
        self._rows: list[tuple[str, list[Any], np.ndarray]] = []
        for name, _what in _BINDING:
            con = getattr(m, name, None)
            if con is None:
                continue
            items = [(idx, self.lp.row(cd)) for idx, cd in con.items() if cd.active]
            if items:
                rows = np.array([r for _, r in items], dtype=np.int64)
                self._rows.append((name, [i for i, _ in items], rows))

    def __call__(self, time_limit_s: float = 10.0) -> Marginals:
        res = self.lp.solve(time_limit_s=time_limit_s)
        seconds = res.run_seconds
        if not res.optimal:
            return Marginals(ok=False, highs_seconds=seconds)
        dh = float(self.m.dh)
        duals = res.row_dual
        prices = {
            c: tuple((np.round(duals[rows] / dh, 9) + 0.0).tolist())
            for c, rows in self._balance.items()
        }
        binding: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for name, index, rows in self._rows:
            hit = np.flatnonzero(np.abs(duals[rows]) > TOL)
            if len(hit):
                binding[name] = (len(hit), tuple(index[i] for i in hit[:SHOWN]))
        return Marginals(
            ok=True, prices=prices, binding=binding, highs_seconds=seconds, reused=res.reused
        )


def what_binds(name: str) -> str:
    return dict(_BINDING).get(name, name)
