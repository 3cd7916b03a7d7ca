"""Persistent HiGHS through Pyomo's contrib solver interface, tuned for re-solves.

The model is handed to HiGHS once (``set_instance``). Each cycle only mutable Params change,
so automatic update checks are limited to parameters; no structural checks are done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import highspy
import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import _MutableConstraintBounds, _MutableObjective
from pyomo.core.staleflag import StaleFlagManager

from models.param_forms import ColumnCosts, Form, RowBounds, param_form
from optimizer.errors import ModelError

if TYPE_CHECKING:
    from models.fixed_lp import FixedLpResult


@dataclass(frozen=True, kw_only=True)
class RawSolve:
    termination: str  # optimal / time_limit / infeasible / error ...
    has_solution: bool
    objective: float | None
    bound: float | None
    seconds: float
    highs_seconds: float = 0.0  # HiGHS's own run time (the rest is Pyomo hand-over/extraction)


_TERMINATION = {
    TerminationCondition.convergenceCriteriaSatisfied: "optimal",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.iterationLimit: "iteration_limit",
    TerminationCondition.provenInfeasible: "infeasible",
    TerminationCondition.locallyInfeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.interrupted: "interrupted",
}


def _complete(cols: Any) -> bool:
    """Whether sorted column numbers are exactly 0, 1, ..., n - 1."""
    return all(c == i for i, c in enumerate(cols))


def _unless_empty(remove: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
    def _remove(items: list[Any]) -> None:
        if items:
            remove(items)

    return _remove


class PersistentHighs:
    def _run_time(self) -> float:
        hm = self.opt._solver_model
        return float(hm.getRunTime()) if hm is not None else 0.0

    def __init__(self, m: pyo.ConcreteModel) -> None:
        opt = SolverFactory("highs")
        if not opt.available():
            raise ModelError("HiGHS (highspy) is not available: pip install highspy")
        au = opt.config.auto_updates
        au.check_for_new_or_removed_constraints = False
        au.check_for_new_or_removed_vars = False
        au.check_for_new_or_removed_params = False
        au.check_for_new_objective = False
        au.update_constraints = False
        au.update_vars = False
        au.update_named_expressions = False
        au.update_objective = False
        au.update_parameters = True
        # Pyomo's automatic update calls _remove_constraints([]) and _remove_variables([])
        # before every solve, and each rebuilds its whole row or column map even when
        # nothing is removed (measured at 20 x 96: ~3 ms and ~1.5 ms a solve, O(rows) and
        # O(columns)). We never remove either: skip the empty calls.
        opt._remove_constraints = _unless_empty(opt._remove_constraints)
        opt._remove_variables = _unless_empty(opt._remove_variables)
        self.opt = opt
        self.m = m
        t0 = time.perf_counter()
        opt.set_instance(m)
        self.handover_s = time.perf_counter() - t0
        # row bounds and objective costs that move with Params: one HiGHS call each
        self._objective_seen: _MutableObjective | None = None
        self._split_parameter_helpers()
        opt.update_parameters = self._update_parameters
        # (variable, HiGHS column) once: the model's variables never change after hand-over
        self._columns = [
            (opt._vars[vid][0], col) for vid, col in opt._pyomo_var_to_solver_var_map.items()
        ]
        # the variables in HiGHS column order (a plan is loaded by one zip over its values)
        by_col = sorted(self._columns, key=lambda vc: vc[1])
        self._in_order = [v for v, c in by_col] if _complete(c for _, c in by_col) else None
        # the last plan loaded, by column
        self.col_values: Sequence[float] | npt.NDArray[np.float64] | None = None
        self._plan: npt.NDArray[np.float64] | None = None  # the plan loaded, as an array
        self._loaded: list[float] | None = None  # the plan loaded, as the floats stored
        # optimal fixed LPs (models.fixed_lp) of the model as HiGHS holds it now, by their
        # fixed values: the same LP asked for again (the planner's repaired plan kept, then
        # its marginal prices) is not solved twice; emptied whenever parameters are pushed
        self.fixed_lps: dict[bytes, FixedLpResult] = {}
        # HiGHS writes notes (e.g. "treated as +Infinity") straight to stdout while values
        # are updated; the engine's console is the operator's: keep HiGHS off it
        if opt._solver_model is not None:
            opt._solver_model.setOptionValue("output_flag", False)
            # HiGHS's thread scheduler is one per process, sized by the first run: a first
            # run with the default (0: all cores) makes every later run that asks for 1
            # thread fail at once ("Not Set"), e.g. a fixed LP as the first run of a warm
            # start; every run here uses 1 (the planner may set more, see its options)
            opt._solver_model.setOptionValue("threads", 1)

    @property
    def columns(self) -> list[tuple[Any, int]]:
        """(Pyomo variable, HiGHS column) for every variable of the model."""
        return self._columns

    def _split_parameter_helpers(self) -> None:
        """Row-bound helpers whose bounds are Param forms go to one :class:`RowBounds`;
        any other helper (a mutable coefficient, a bound of another shape) stays Pyomo's."""
        opt = self.opt
        con_map = opt._pyomo_con_to_solver_con_map
        rows: list[int] = []
        lower: list[Form] = []
        upper: list[Form] = []
        self._other_helpers: list[Any] = []
        for helpers in opt._mutable_helpers.values():
            for h in helpers:
                if isinstance(h, _MutableConstraintBounds):
                    lo, up = param_form(h.lower_expr), param_form(h.upper_expr)
                    if lo is not None and up is not None:
                        rows.append(con_map[h.con])
                        lower.append(lo)
                        upper.append(up)
                        continue
                self._other_helpers.append(h)
        self.row_bounds = RowBounds(rows, lower, upper)
        self._helpers_seen = len(opt._mutable_helpers)

    def _split_objective(self, mo: _MutableObjective) -> None:
        """The objective's mutable costs that are Param forms go to one
        :class:`ColumnCosts`; the rest stay Pyomo's helpers."""
        var_map = self.opt._pyomo_var_to_solver_var_map
        cols: list[int] = []
        costs: list[Form] = []
        self._other_costs: list[Any] = []
        for h in mo.linear_coefs:
            form = param_form(h.expr)
            if form is None:
                self._other_costs.append(h)
            else:
                cols.append(var_map[h.pyomo_var_id])
                costs.append(form)
        self.column_costs = ColumnCosts(cols, costs)
        self._objective_seen = mo

    def _update_parameters(self) -> None:
        """Pyomo's ``update_parameters``, with the row bounds and objective costs that are
        Param forms handed to HiGHS in one call each."""
        opt = self.opt
        self.fixed_lps.clear()  # the model HiGHS holds changes now
        if len(opt._mutable_helpers) != self._helpers_seen:  # rows added since: re-split
            self._split_parameter_helpers()
        opt._sol = None
        if opt._last_results_object is not None:
            opt._last_results_object.solution_loader.invalidate()
        hm = opt._solver_model
        self.row_bounds.push(hm)
        for helper in self._other_helpers:
            helper.update()
        for _, helper in opt._mutable_bounds.values():
            helper.update()
        mo = opt._mutable_objective
        if mo.quadratic_coefs:
            mo.update()  # not our models; Pyomo's own path
            return
        if mo is not self._objective_seen:
            self._split_objective(mo)  # a new objective (set_objective) since last time
        mo.constant.update()
        self.column_costs.push(hm)
        for helper in self._other_costs:
            helper.update()

    def warm_start(self) -> bool:
        """Offer the values now in the Pyomo variables (the last plan) as a MIP start.

        Pyomo's contrib interface has no warm-start option, so the start goes to the HiGHS
        instance directly, in its column order. HiGHS checks it and ignores an infeasible one.
        """
        hm = self.opt._solver_model
        cols = self.opt._pyomo_var_to_solver_var_map
        if hm is None or not cols:
            return False
        values = [0.0] * len(cols)
        have = False
        for var_id, col in cols.items():
            v = self.opt._vars[var_id][0].value
            if v is not None:
                values[col] = float(v)
                have = True
        if not have:
            return False
        sol = highspy.HighsSolution()
        sol.col_value = values
        sol.value_valid = True
        return bool(hm.setSolution(sol) == highspy.HighsStatus.kOk)

    def _load_vars(self) -> None:
        """The plan into the Pyomo variables in one pass over the prebuilt column list.

        Same effect as Pyomo's ``load_vars()``, which builds a ComponentMap of every
        variable first (measured: ~8 ms of the cycle at 20 x 96, ~1 ms this way).
        """
        self.load_values(self.opt._solver_model.getSolution().col_value)

    def load_values(self, values: Sequence[float] | npt.NDArray[np.float64]) -> None:
        """A plan given in HiGHS's column order into the Pyomo variables.

        What ``set_value(x, skip_validation=True)`` stores for a float, stored directly (the
        values are Python floats in the variables' own units): every loaded variable holds
        its value and is marked fresh (not stale), as after Pyomo's own ``load_vars``
        (measured at 20 x 96: 1.0 ms -> 0.25 ms a load)."""
        self.col_values = values  # the plan by HiGHS column (FixedLp fixes from it)
        # the vector the read-out uses is a copy taken now: a caller changing its array
        # later cannot make the read-out differ from the variables
        if isinstance(values, np.ndarray):
            self._plan = np.asarray(values, dtype=np.float64) + 0.0
            floats = values.tolist()
        else:
            floats = list(values)
            self._plan = None  # made from ``floats`` when first asked for
        self._loaded = floats
        StaleFlagManager.mark_all_as_stale()
        fresh = StaleFlagManager.get_flag(0)
        if self._in_order is not None and len(floats) == len(self._in_order):
            for var, x in zip(self._in_order, floats, strict=True):
                var._value = x
                var._stale = fresh
        else:  # columns that are not 0..n-1 (not seen with Pyomo's HiGHS interface)
            for var, col in self._columns:
                var._value = floats[col]
                var._stale = fresh
        StaleFlagManager.mark_all_as_stale(delayed=True)

    def plan_vector(self) -> npt.NDArray[np.float64]:
        """The plan now in the Pyomo variables, by HiGHS column, each -0.0 read as 0.0 (as
        ``var.value or 0.0`` reads it). From the last plan loaded through this solver; read
        from the variables (None as 0.0) if none was."""
        if self._plan is None:
            if self._loaded is not None:
                x = np.asarray(self._loaded, dtype=np.float64)
            else:
                x = np.zeros(len(self._columns))
                for var, col in self._columns:
                    x[col] = var.value or 0.0
            self._plan = x + 0.0
        return self._plan

    def solve(self, *, time_limit_s: float, mip_gap: float, warm: bool = False) -> RawSolve:
        t0 = time.perf_counter()
        if warm:
            self.warm_start()
        run0 = self._run_time()
        try:
            res = self.opt.solve(
                self.m,
                time_limit=max(1e-6, time_limit_s),
                load_solutions=False,
                raise_exception_on_nonoptimal_result=False,
                solver_options={"mip_rel_gap": mip_gap, "threads": 1},
            )
        except Exception as e:  # HiGHS/pyomo failure: a status, never an exception upward
            return RawSolve(
                termination=f"error: {type(e).__name__}: {e}",
                has_solution=False,
                objective=None,
                bound=None,
                seconds=time.perf_counter() - t0,
            )
        has = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        if has:
            self._load_vars()
        return RawSolve(
            termination=_TERMINATION.get(
                res.termination_condition, str(res.termination_condition.name)
            ),
            has_solution=has,
            objective=res.incumbent_objective,
            bound=res.objective_bound,
            seconds=time.perf_counter() - t0,
            highs_seconds=self._run_time() - run0,
        )
