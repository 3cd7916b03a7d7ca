"""The plan as HiGHS sees it: one column vector, and where each unit's columns are in it.

Built once per model from the persistent instance's column map. The planner works on
whole column vectors (numpy arrays in HiGHS's column order): shifting a plan one step in
time is one gather, fixing a commitment is one bound change for an array of columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# time-indexed variables that hold energy flows of a store: idle (0) in repeated periods
_IDLE_IN_TAIL = ("ch", "dis")
# plan-change helpers: zero in a shifted plan (the repair computes them again)
_ZERO = ("pcd",)


class PlanColumns:
    """Column indices of the model's variables, by component and period."""

    def __init__(self, m: pyo.ConcreteModel, col_of: Mapping[int, int]) -> None:
        """``col_of``: id(variable) -> HiGHS column, for every column."""
        self.n = len(col_of)
        self.steps = len(m.T)
        time_set = m.T
        key_col: dict[tuple[str, tuple[Any, ...], int], int] = {}
        keyed: list[tuple[int, str, tuple[Any, ...], int]] = []
        integer: list[int] = []
        zero: list[int] = []
        self._by_name: dict[str, dict[Any, int]] = {}
        for comp in m.component_objects(pyo.Var, descend_into=True):
            name = comp.local_name
            timed = comp.is_indexed() and list(comp.index_set().subsets())[-1] is time_set
            is_int = None
            named = self._by_name.setdefault(name, {})
            for idx, var in comp.items():
                col = col_of.get(id(var))
                if col is None:
                    continue  # not in the model handed to HiGHS
                named[idx] = col
                if is_int is None:
                    is_int = var.is_integer()
                if is_int:
                    integer.append(col)
                if name in _ZERO:
                    zero.append(col)
                elif timed:
                    key = idx if isinstance(idx, tuple) else (idx,)
                    rest, t = key[:-1], int(key[-1])
                    key_col[(name, rest, t)] = col
                    keyed.append((col, name, rest, t))
        self._key_col = key_col
        self._index_time_columns(keyed)
        self.integer: IntArray = np.array(sorted(integer), dtype=np.int64)
        self.zero: IntArray = np.array(zero, dtype=np.int64)
        self.units = [str(u) for u in m.U]
        self.on = self.grid("on", self.units)
        self.su = self.grid("su", self.units)
        self.sd = self.grid("sd", self.units)
        self.ld = self.grid("ld", self.units)
        self.stores = [str(s) for s in m.S]
        self.chmode = self.grid("chmode", self.stores)
        self.unmet = np.array(sorted(self._by_name.get("unmet", {}).values()), dtype=np.int64)
        # non-convex curves: per unit, a (segments x periods) array of segment binaries
        self.segments: dict[str, IntArray] = {}
        for u in m.NC:
            n_seg = sum(1 for (v, _k) in m.SEG if v == u)
            self.segments[str(u)] = np.array(
                [[key_col[("seg", (u, k), t)] for t in range(self.steps)] for k in range(n_seg)],
                dtype=np.int64,
            )

    def grid(self, name: str, keys: Sequence[str]) -> IntArray:
        """(keys x periods) column indices of a variable indexed by (key, t)."""
        if not keys:
            return np.zeros((0, self.steps), dtype=np.int64)
        return np.array(
            [[self._key_col[(name, (k,), t)] for t in range(self.steps)] for k in keys],
            dtype=np.int64,
        )

    def shift(self, x: FloatArray, k: int) -> FloatArray:
        """The plan ``x`` moved ``k`` periods earlier: new period t is old period t + k; the
        last period repeats, stores idle in repeated periods, plan-change helpers are 0."""
        if k == 0:
            y = x.copy()
        else:
            src, idle = self._shift_map(k)
            y = x[src]
            y[idle] = 0.0
        y[self.zero] = 0.0
        return y

    def _index_time_columns(self, keyed: list[tuple[int, str, tuple[Any, ...], int]]) -> None:
        """The time-indexed columns as arrays (column, period, row of a (variable, index)
        x period table of columns), so that a shift by any k is one gather."""
        rows: dict[tuple[str, tuple[Any, ...]], int] = {}
        for _, name, rest, _ in keyed:
            rows.setdefault((name, rest), len(rows))
        table = np.full((len(rows), self.steps), -1, dtype=np.int64)
        self._t_col = np.array([c for c, _, _, _ in keyed], dtype=np.int64)
        self._t_period = np.array([t for _, _, _, t in keyed], dtype=np.int64)
        self._t_row = np.array([rows[(n, r)] for _, n, r, _ in keyed], dtype=np.int64)
        self._t_store_flow = np.array([n in _IDLE_IN_TAIL for _, n, _, _ in keyed], dtype=bool)
        table[self._t_row, self._t_period] = self._t_col
        self._t_table = table

    def _shift_map(self, k: int) -> tuple[IntArray, IntArray]:
        """Where each column of the shifted plan comes from, and the store flows to idle.

        Computed for each call (~0.1 ms at 20 x 96), never kept: a map per k cost one int
        per column for every k seen, up to a horizon's worth (4 MB at 20 x 96, ~100 MB at
        50 x 288), filling slowly over a long run as outages produced new shifts."""
        last = self.steps - 1
        s = self._t_period + k
        beyond = s > last
        src = np.arange(self.n, dtype=np.int64)
        moved = self._t_table[self._t_row, np.minimum(s, last)]
        if (moved < 0).any():
            raise KeyError(f"a time-indexed variable has no column for a period (shift {k})")
        src[self._t_col] = moved
        return src, self._t_col[beyond & self._t_store_flow]
