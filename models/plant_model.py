"""``PlantModel``: build the plant's MILP once, update its parameters each cycle, solve.

create (``__init__``) → assign (``update``) → solve (``solve``) are separate steps; the
Pyomo model and the HiGHS instance are built once and only mutable Params change.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import datetime

import pyomo.environ as pyo

from models.compensation import Compensation
from models.explain import why_texts
from models.horizon import period_starts
from models.inputs import ModelInputs
from models.marginal import MarginalPrices
from models.network import add_network
from models.objectives import INACTIVE, TermValues, add_objectives, tier_value
from models.param_tables import ParamTables
from models.param_update import PlantLayout, write_plant_params
from models.plan_columns import FloatArray
from models.plan_readout import (
    ScheduleLayout,
    plan_decisions,
    planned_loads,
    schedule_frame,
    schedule_layout,
    unmet_energy,
)
from models.plan_start import plan_start
from models.planner import Planner, PlannerOptions, TierRun
from models.result import PlanResult, PlanVector, RelaxedLimit, SolveReport, SolveStatus
from models.setpoint_limits import add_setpoint_limits, limited_units, update_setpoint_limits
from models.solver import PersistentHighs, RawSolve
from models.units import add_converters
from optimizer.config.plant import ConverterUnit
from optimizer.config.schema import PlantConfig

# a given-up rank's violation is held this close (relative) to its minimum while the
# objective tiers are optimized: limits outrank money, not by a percent
LIMIT_TOLERANCE = 1e-6
# the marginal-price LP gets what is left of the cycle's time limit, but at least this
# share of it (and this many seconds): the planner uses the whole limit for the plan
MARGINAL_MIN_S = 0.05
MARGINAL_SHARE = 0.1


class PlantModel:
    def __init__(self, cfg: PlantConfig) -> None:
        t0 = time.perf_counter()
        self.cfg = cfg
        self.steps = cfg.cycle.horizon_steps
        self.conv = {n: u for n, u in cfg.units.items() if isinstance(u, ConverterUnit)}
        m = pyo.ConcreteModel(name=cfg.plant.name)
        m.T = pyo.Set(initialize=range(self.steps), ordered=True)
        add_converters(m, self.conv)
        self.comp = Compensation(m, cfg) if cfg.compensation else None
        if self.comp is None:
            m.e_deviation = pyo.Expression(expr=0.0)
        comp = self.comp
        add_network(m, cfg, (lambda c, t: comp.carrier_delta(c, t)) if comp else (lambda c, t: 0))
        self._add_plan_change(m)
        self._sp_units = limited_units(cfg)
        add_setpoint_limits(m, cfg)
        self.tiers = add_objectives(m, cfg)
        self._term_values = TermValues(m, cfg)
        self._layout: ScheduleLayout | None = None
        self.m = m
        self.build_s = time.perf_counter() - t0
        self.params = ParamTables(m)
        self._early = frozenset(m.EARLY)  # a Pyomo set's `in` costs ~1 µs a lookup
        # each unit's periods with min up/down state (ascending), not a test per period
        self._early_t = {
            n: [t for t in range(self.steps) if (n, t) in self._early] for n in self.conv
        }
        self._uco2 = frozenset(m.UCO2)
        self._pc_keys = ([str(u) for u in m.U], [int(t) for t in m.PC])
        self.solver = PersistentHighs(m)
        self._term_values.read_from(self.solver)
        self.starts: list[datetime] = []
        # today's single MIP per tier (planner None) may offer the last plan unshifted
        self.warm_start = False
        self._solved = False
        self.token = uuid.uuid4().hex  # a previous plan is usable only by this model
        self.planner: Planner | None = Planner(m, self.solver, self.conv, PlannerOptions())
        self._start_x: FloatArray | None = None
        self._start_note = "cold: no previous plan"
        self._tier_run: TierRun | None = None
        self._first_s: float | None = None
        self._cold_lp = False
        self._marginals = MarginalPrices(self)  # built with the model, not in a cycle
        self._deadline = 0.0
        self._marginal_floor_s = MARGINAL_MIN_S

    def _add_plan_change(self, m: pyo.ConcreteModel) -> None:
        k = min(self.cfg.objectives.plan_change_steps, self.steps)
        m.PC = pyo.Set(initialize=range(k), ordered=True)
        m.prev = pyo.Param(m.U, m.PC, mutable=True, initialize=0.0)
        m.pcd = pyo.Var(m.U, m.PC, bounds=(0, None))
        m.c_pc1 = pyo.Constraint(
            m.U, m.PC, rule=lambda mm, u, t: mm.pcd[u, t] >= mm.ld[u, t] - mm.prev[u, t]
        )
        m.c_pc2 = pyo.Constraint(
            m.U, m.PC, rule=lambda mm, u, t: mm.pcd[u, t] >= mm.prev[u, t] - mm.ld[u, t]
        )
        m.e_plan_change = pyo.Expression(expr=sum(m.pcd[u, t] for u in m.U for t in m.PC))

    # ----- assign ---------------------------------------------------------------------------
    def update(self, inputs: ModelInputs) -> None:
        cfg, pt = self.cfg, self.params
        starts = period_starts(inputs.start, self.steps, cfg.cycle.step_minutes)
        self.starts = starts
        write_plant_params(
            cfg,
            pt,
            PlantLayout(self.conv, self.steps, self._early_t, self._uco2),
            inputs,
            starts,
        )
        update_setpoint_limits(cfg, self._sp_units, pt, inputs.values)
        self._previous(inputs)
        self._plan_start(inputs)
        if self.comp is not None:
            self.comp.update(inputs, pt)

    def _previous(self, inputs: ModelInputs) -> None:
        """The plan-change terms' reference: the previous plan's load in each of the first
        periods, or the unit's load now where that plan has none."""
        pt, prev = self.params, inputs.previous_plan
        units, periods = self._pc_keys
        loads = planned_loads(
            prev.schedule if prev is not None else None,
            units,
            [self.starts[t] for t in periods],
        )
        for u, xs in zip(units, loads, strict=True):
            now = pt.load0[u]
            for t, x in zip(periods, xs, strict=True):
                pt.prev[u, t] = now if x is None else x

    def _plan_start(self, inputs: ModelInputs) -> None:
        if self.planner is None:
            self._start_x, self._start_note = None, "cold: no previous plan"
            return
        self._start_x, self._start_note = plan_start(
            self.planner,
            self.token,
            self.starts[0],
            self.cfg.cycle.step_minutes,
            inputs.previous_plan,
        )

    # ----- solve ----------------------------------------------------------------------------
    def solve(self, *, time_limit_s: float, mip_gap: float | None = None) -> PlanResult:
        t0 = time.perf_counter()
        self._tier_run = None
        self._first_s = None
        self._cold_lp = False
        gap = self.cfg.cycle.mip_gap if mip_gap is None else mip_gap
        deadline = t0 + time_limit_s
        self._deadline = deadline
        self._marginal_floor_s = max(MARGINAL_MIN_S, MARGINAL_SHARE * time_limit_s)
        comp = self.comp
        steps = comp.relax_steps() if comp else []
        relaxed_ranks: list[int] = []
        if comp:
            comp.harden()
        attempt = "hard limits"
        raw: RawSolve | None = None
        tier_values: dict[int, float] = {}
        solve_s = 0.0
        for i in range(len(steps) + 1):
            raw, seconds = self._solve_limits(relaxed_ranks, deadline, gap)
            solve_s += seconds
            if raw is None or raw.has_solution:
                raw, tier_values, seconds = self._solve_tiers(t0, deadline, gap)
                solve_s += seconds
            if raw.has_solution or raw.termination != "infeasible" or i == len(steps):
                break
            assert comp is not None
            rank, further = steps[i]
            comp.relax(rank, further=further)
            if rank not in relaxed_ranks:
                relaxed_ranks.append(rank)
            attempt = "relaxed rank " + ", ".join(str(r) for r in relaxed_ranks)
        self._release_limits()
        assert raw is not None
        wall = time.perf_counter() - t0
        res = self._result(raw, attempt, tier_values, relaxed_ranks, solve_s, wall)
        return self._reported(res, time_limit_s)

    def _reported(self, res: PlanResult, time_limit_s: float) -> PlanResult:
        """The planner's status and the plan's columns (the next cycle's start) added."""
        tr = self._tier_run
        best = tr.best if tr is not None else None
        note = self._start_note
        if self.planner is None:
            note = "single MIP per tier" + (" (last plan as MIP start)" if self.warm_start else "")
        elif self._cold_lp:
            note += "; constructive start: LP relaxation, commitments rounded up"
        report = SolveReport(
            start=note,
            candidate=best.name if best is not None else ("MIP" if res.has_safe_plan else "none"),
            candidates=dict(tr.tried) if tr is not None else {},
            first_plan_s=self._first_s if self.planner else None,
            chosen_plan_s=best.at_s if best is not None else None,
            time_limit_s=time_limit_s,
            overran_s=max(0.0, res.wall_time_s - time_limit_s),
            notes=tuple(tr.notes) if tr is not None else (),
        )
        columns = None
        if best is not None and res.has_safe_plan and self.starts:
            columns = PlanVector(model=self.token, start=self.starts[0], x=best.x)
        why = tuple(res.why)
        if self.planner is not None and note.startswith("cold"):
            why += (f"cold start ({note[len('cold: ') :]})",)
        return dataclasses.replace(res, report=report, columns=columns, why=why)

    def _solve_limits(
        self, relaxed: list[int], deadline: float, gap: float
    ) -> tuple[RawSolve | None, float]:
        """Quality before cost: the given-up ranks' limit violation minimized one rank at a
        time (rank 1 first), each then held, before any objective tier. None: nothing to do
        (no rank given up, or ``cv_limits_first`` is off)."""
        m = self.m
        self._release_limits()  # caps of an earlier attempt no longer hold
        ranks = sorted(r for r in relaxed if r in m.LIMIT_RANK)
        if not ranks:
            return None, 0.0
        seconds = 0.0
        raw: RawSolve | None = None
        for k in self.tiers:
            m.tier_on[k] = 0.0
        for r in ranks:
            for q in m.LIMIT_RANK:
                m.viol_on[q] = 1.0 if q == r else 0.0
            left = max(1e-6, deadline - time.perf_counter())
            raw = self.solver.solve(time_limit_s=left / 2, mip_gap=gap)
            seconds += raw.highs_seconds
            if not raw.has_solution:
                break
            v = pyo.value(m.e_viol[r])
            m.viol_cap[r] = v + LIMIT_TOLERANCE * max(abs(v), 1.0)
        for q in m.LIMIT_RANK:
            m.viol_on[q] = 0.0
        return raw, seconds

    def _release_limits(self) -> None:
        m = self.m
        for q in m.LIMIT_RANK:
            m.viol_on[q] = 0.0
            m.viol_cap[q] = INACTIVE

    def _solve_tiers(
        self, t_begin: float, deadline: float, gap: float
    ) -> tuple[RawSolve, dict[int, float], float]:
        m = self.m
        values: dict[int, float] = {}
        seconds = 0.0
        best: RawSolve | None = None
        raw: RawSolve | None = None
        start = self._start_x
        for k in self.tiers:
            m.tier_cap[k] = INACTIVE
        for i, k in enumerate(self.tiers):
            for j in self.tiers:
                m.tier_on[j] = 1.0 if j == k else 0.0
            left = max(1e-6, (deadline - time.perf_counter()) / (len(self.tiers) - i))
            if self.planner is None:
                raw = self.solver.solve(
                    time_limit_s=left, mip_gap=gap, warm=self.warm_start and self._solved
                )
            else:
                tr = self.planner.run(
                    start=start, t_begin=t_begin, deadline=time.perf_counter() + left, gap=gap
                )
                raw = tr.raw
                if self._first_s is None:
                    self._first_s = tr.first_s
                if tr.tried.get("LP relaxation") is not None:
                    self._cold_lp = True
                if tr.best is not None:
                    start = tr.best.x  # the next tier starts from this tier's plan
                    self._tier_run = tr
            seconds += raw.highs_seconds
            if not raw.has_solution:
                if best is not None:  # the earlier tiers' plan is still loaded: use it
                    raw = RawSolve(
                        termination=f"time_limit in tier {k}",
                        has_solution=True,
                        objective=best.objective,
                        bound=best.bound,
                        seconds=raw.seconds,
                    )
                break
            best = raw
            self._solved = True
            if i == len(self.tiers) - 1:
                break  # the last tier is valued with the others in _result
            v = tier_value(self.cfg, k, self._term_values())
            values[k] = v
            tol = self.cfg.objectives.tier_tolerance
            m.tier_cap[k] = v + tol * max(abs(v), 1.0)
        for k in self.tiers:
            m.tier_on[k] = 1.0
            m.tier_cap[k] = INACTIVE
        assert raw is not None
        return raw, values, seconds

    # ----- extract --------------------------------------------------------------------------
    def _outside_windows(self) -> dict[str, float]:
        """Units whose first-period setpoint the plan puts outside this cycle's write window
        (the window is elastic at a penalty, so that a window the plant cannot follow does
        not make the model infeasible), and by how much."""
        m = self.m
        if not hasattr(m, "SPU"):
            return {}
        out = {}
        for n in m.SPU:
            by = (m.sp_out_lo[n].value or 0.0) + (m.sp_out_hi[n].value or 0.0)
            if by > 1e-6:
                out[str(n)] = by
        return out

    def _result(
        self,
        raw: RawSolve,
        attempt: str,
        tiers: dict[int, float],
        relaxed_ranks: list[int],
        solve_s: float,
        wall_s: float,
    ) -> PlanResult:
        if not raw.has_solution:
            return PlanResult(
                status=SolveStatus.ERROR,
                termination=raw.termination,
                has_safe_plan=False,
                message=f"solver: {raw.termination}"
                + (" after relaxing every CV rank" if relaxed_ranks else ""),
                attempt=attempt,
                objective=None,
                bound=raw.bound,
                gap=None,
                solve_time_s=solve_s,
                wall_time_s=wall_s,
            )
        m, cfg = self.m, self.cfg
        gap = None
        if raw.objective is not None and raw.bound is not None:
            gap = abs(raw.objective - raw.bound) / max(abs(raw.objective), 1e-9)
        relaxed = []
        if self.comp:
            for c, cv in self.comp.cvs.items():
                if cv.cfg.priority in relaxed_ranks and cv.cfg.target is None:
                    side, by = self.comp.relaxed_by(c)
                    if by > 1e-7:
                        relaxed.append(
                            RelaxedLimit(
                                cv=cv.name,
                                tag=cv.cfg.tag,
                                limit=side,
                                rank=cv.cfg.priority,
                                by=round(by, 9),
                            )
                        )
        if self._layout is None:
            col_of = {id(v): c for v, c in self.solver.columns}
            self._layout = schedule_layout(self.m, col_of)
        x = self.solver.plan_vector()
        unmet = {c: e for c, e in unmet_energy(self._layout, x, m.dh).items() if e > 1e-6}
        outside = self._outside_windows()
        ok = raw.termination == "optimal" and not relaxed and not unmet and not outside
        status = SolveStatus.OK if ok else SolveStatus.WARNING
        msg = (
            "optimal"
            if raw.termination == "optimal"
            else (
                f"{raw.termination}: best plan found within the time limit (gap {gap:.2%})"
                if gap is not None
                else raw.termination
            )
        )
        if outside:  # the plan shown is not the plan written: never a plain "ok"
            msg += "; the plan leaves this cycle's setpoint write window: " + ", ".join(
                f"{u} by {by:.6g}" for u, by in outside.items()
            )
        terms = self._term_values()
        # tiers not held by a cap (the last one, or those after a failed tier) are valued
        # from the terms at the plan as loaded: no second walk over the big expressions
        tiers = dict(tiers)
        for k in self.tiers:
            if k not in tiers:
                tiers[k] = tier_value(cfg, k, terms)
        sched = schedule_frame(self._layout, x, self.starts)
        setpoints, cvs, moves = plan_decisions(self.m, cfg, self.comp)
        # within the cycle's time limit (at least a moment): a cycle never waits on its
        # explanation; without it the why texts fall back to the plan alone
        marg = self._marginals(max(self._marginal_floor_s, self._deadline - time.perf_counter()))
        solve_s += marg.highs_seconds
        why = why_texts(self, relaxed, unmet, marg)
        return PlanResult(
            status=status,
            termination=raw.termination,
            has_safe_plan=True,
            message=msg,
            attempt=attempt,
            objective=sum(v for v in tiers.values()) + terms["penalty"],
            bound=raw.bound,
            gap=gap,
            terms=terms,
            tiers=tiers,
            schedule=sched,
            setpoints=setpoints,
            cv_predictions=cvs,
            mv_moves=moves,
            relaxed=tuple(relaxed),
            unmet=unmet,
            why=tuple(why),
            marginal_prices=dict(marg.prices),
            solve_time_s=solve_s,
            wall_time_s=wall_s,
        )
