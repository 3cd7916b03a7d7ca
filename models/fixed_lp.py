"""Solve the persistent model as an LP with its integer columns fixed, then restore it.

Used for marginal prices (row duals of the carrier balances once on/off, charge mode and
MV steps are decided) and by planners that repair or polish a plan with the binaries
given. The HiGHS instance is the persistent one (:class:`models.solver.PersistentHighs`):
the integer columns are made continuous and fixed at the given values (column bounds),
HiGHS solves the LP, primal values and duals are copied out, and the columns get back their
integrality and bounds — the next MILP solve sees the model exactly as before.

Only HiGHS is touched: the Pyomo variables keep their values (the MILP plan) unless the
caller loads the LP solution with :meth:`FixedLpResult.load`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
from pyomo.core.staleflag import StaleFlagManager

if TYPE_CHECKING:
    from models.solver import PersistentHighs


@dataclass(frozen=True, kw_only=True)
class FixedLpResult:
    status: str  # HiGHS model status as text: "Optimal", "Infeasible", ...
    optimal: bool
    objective: float | None
    col_value: np.ndarray  # primal value per HiGHS column
    col_dual: np.ndarray  # reduced cost per HiGHS column
    row_dual: np.ndarray  # dual per HiGHS row: d objective / d row bound
    seconds: float
    _columns: Sequence[tuple[Any, int]] = ()

    def load(self) -> None:
        """Copy the LP's primal values into the Pyomo variables."""
        for var, col in self._columns:
            var.set_value(float(self.col_value[col]), skip_validation=True)
        StaleFlagManager.mark_all_as_stale(delayed=True)


class FixedLp:
    """The integer columns of a persistent HiGHS model, fixable for one LP solve."""

    def __init__(self, solver: PersistentHighs) -> None:
        self.solver = solver
        opt = solver.opt
        self._vars = {id(var): col for var, col in solver.columns}
        ints = sorted(col for var, col in solver.columns if var.is_integer())
        self.int_cols = np.array(ints, dtype=np.int32)
        self._int_vars = {col: var for var, col in solver.columns if var.is_integer()}
        self._row_of = opt._pyomo_con_to_solver_con_map

    def column(self, var: Any) -> int:
        """HiGHS column of a Pyomo variable (KeyError if it is not in the model)."""
        return self._vars[id(var)]

    def row(self, con: Any) -> int:
        """HiGHS row of a Pyomo constraint (KeyError if it is not in the model)."""
        return int(self._row_of[con])

    def current_values(self) -> np.ndarray:
        """The integer columns' values now in the Pyomo variables, rounded (the MILP plan)."""
        return np.array(
            [round(float(self._int_vars[c].value or 0.0)) for c in self.int_cols], dtype=float
        )

    def solve(
        self,
        values: Sequence[float] | np.ndarray | None = None,
        *,
        overrides: Mapping[int, float] | None = None,
        time_limit_s: float = 10.0,
    ) -> FixedLpResult:
        """Fix the integer columns at ``values`` (in the order of :attr:`int_cols`; default
        :meth:`current_values`), with ``overrides`` (HiGHS column -> value) on top, solve the
        LP, read primal and duals, and restore integrality and bounds."""
        t0 = time.perf_counter()
        hm = self.solver.opt._solver_model
        if hm is None:
            raise RuntimeError("fixed LP: the model has not been handed to HiGHS")
        fix = np.array(self.current_values() if values is None else values, dtype=float)
        if len(fix) != len(self.int_cols):
            raise ValueError(f"fixed LP: {len(fix)} values for {len(self.int_cols)} columns")
        if overrides:
            pos = {int(c): i for i, c in enumerate(self.int_cols)}
            for c, v in overrides.items():
                fix[pos[int(c)]] = v
        n = len(self.int_cols)
        if n:
            _, _, _, lower, upper, _ = hm.getCols(n, self.int_cols)
            hm.changeColsIntegrality(
                n, self.int_cols, np.full(n, highspy.HighsVarType.kContinuous, dtype=np.uint8)
            )
            hm.changeColsBounds(n, self.int_cols, fix, fix)
        try:
            hm.setOptionValue("time_limit", float(max(time_limit_s, 1e-3)))
            hm.run()
            status = hm.getModelStatus()
            optimal = status == highspy.HighsModelStatus.kOptimal
            sol = hm.getSolution()
            info = hm.getInfo()
            result = FixedLpResult(
                status=hm.modelStatusToString(status),
                optimal=optimal,
                objective=float(info.objective_function_value) if optimal else None,
                col_value=np.array(sol.col_value, dtype=float),
                col_dual=np.array(sol.col_dual, dtype=float),
                row_dual=np.array(sol.row_dual, dtype=float),
                seconds=0.0,
                _columns=self.solver.columns,
            )
        finally:
            if n:
                hm.changeColsBounds(n, self.int_cols, lower, upper)
                integer = np.full(n, highspy.HighsVarType.kInteger, dtype=np.uint8)
                hm.changeColsIntegrality(n, self.int_cols, integer)
        return FixedLpResult(
            status=result.status,
            optimal=result.optimal,
            objective=result.objective,
            col_value=result.col_value,
            col_dual=result.col_dual,
            row_dual=result.row_dual,
            seconds=time.perf_counter() - t0,
            _columns=result._columns,
        )
