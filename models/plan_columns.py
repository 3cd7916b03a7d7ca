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
        self._keyed = keyed
        self.integer: IntArray = np.array(sorted(integer), dtype=np.int64)
        self.zero: IntArray = np.array(zero, dtype=np.int64)
        self._shift_cache: dict[int, tuple[IntArray, IntArray]] = {}
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

    def _shift_map(self, k: int) -> tuple[IntArray, IntArray]:
        if k not in self._shift_cache:
            src = np.arange(self.n, dtype=np.int64)
            idle: list[int] = []
            last = self.steps - 1
            for col, name, rest, t in self._keyed:
                s = t + k
                if s > last:
                    s = last
                    if name in _IDLE_IN_TAIL:
                        idle.append(col)
                src[col] = self._key_col[(name, rest, s)]
            self._shift_cache[k] = (src, np.array(idle, dtype=np.int64))
        return self._shift_cache[k]
