"""The planner: always hold the best plan found so far within the cycle's time limit.

One HiGHS problem (a tier of the objective) is solved in steps, each started from the
best plan so far, all on the same persistent instance:

1. start   — the applied plan shifted to this cycle's horizon (``PlanColumns.shift``), or,
             with no usable previous plan (cold), the LP relaxation with every fractional
             commitment rounded up;
2. repair  — the start's on/off pattern made to keep the commitment rules
             (``repair_commitment``), every commitment binary fixed, the rest an LP: always
             feasible thanks to the unmet-demand slack;
3. neighbourhood — a MIP from the repaired plan with on/off free in the first hours and
             start-ups allowed around periods with unmet demand, the rest fixed;
4. full MIP — with the time left, the whole model from the best plan.

Steps 2 (and the cover of a plan short of supply) are ``models/fixed_commitment.py``,
step 3 and its later windows ``models/neighbourhood.py``; this module chooses what runs
when and keeps the best candidate.

Every candidate is a plan of the full model (steps 2-3 only narrow column bounds, which
are restored afterwards) and is valued on its objective; a plan with unmet demand never
wins over one without.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from models.commitment import BoolGrid, UnitRules, unit_rules
from models.fixed_commitment import ROUND_UP_EPS, FixedCommitment
from models.fixed_lp import FixedLp
from models.highs_run import MIN_RUN_S, HighsRuns, Run
from models.neighbourhood import UNMET_EPS, Neighbourhoods
from models.plan_columns import FloatArray, PlanColumns
from models.relaxation import LightRelaxation
from models.solver import PersistentHighs, RawSolve
from optimizer.config.plant import ConverterUnit

IMPROVEMENT = 1e-7  # relative: what a plan must be cheaper by to replace the best
COVER_SHARE = 0.03  # of a tier's time, kept after its MIPs to cover a plan's shortfall
WINDOW_SHARE = 0.1  # a further later window only with this share of a tier's time left


@dataclass(frozen=True, kw_only=True)
class PlannerOptions:
    """Which planner steps run (all, in normal operation; the benchmark switches them)."""

    repair: bool = True
    neighbourhood: bool = True
    full_mip: bool = True
    cold_heuristic: bool = True
    shift: bool = True  # False: the old warm start (last plan unshifted), for comparison
    threads: int = 1
    neighbourhood_share: float = 0.5  # of the time left, when a full MIP follows
    cold_lp_share: float = 0.8  # of the time left, for the LP relaxation of a cold start
    light_cold_lp: bool = True  # that LP without min up/down, later ramp, restart rows


@dataclass(frozen=True, kw_only=True)
class Candidate:
    name: str
    x: FloatArray
    objective: float
    unmet: bool
    at_s: float  # since the cycle's solve began

    def better_than(self, other: Candidate | None, tie: float = 0.0) -> bool:
        """Without unmet demand over with; else cheaper by more than ``tie`` (relative)."""
        if other is None:
            return True
        if self.unmet != other.unmet:
            return not self.unmet
        return self.objective < cheaper_than(other.objective, tie)


def cheaper_than(objective: float, tie: float) -> float:
    """Below this a plan is cheaper than one costing ``objective``: by more than ``tie`` of
    it. A plan that only ties (a later window handing back the same plan, or another at the
    same cost to the last bits) does not replace the best: the plan written does not churn,
    and the repair LP's duals stay the marginal prices."""
    return objective - tie * max(abs(objective), 1.0)


def tie_for(gap: float) -> float:
    """What counts as a tie for a tier solved to ``gap``: ``IMPROVEMENT``, but at most a
    hundredth of the gap, so that a kept plan is still proven when the better one was
    (gap 0: only an exact tie)."""
    return min(IMPROVEMENT, 0.01 * gap)


@dataclass(kw_only=True)
class TierRun:
    """What one planner run (one tier) found."""

    raw: RawSolve
    best: Candidate | None
    tried: dict[str, float | None] = field(default_factory=dict)
    first_s: float | None = None
    notes: list[str] = field(default_factory=list)
    tie: float = 0.0  # what a plan must be cheaper by (relative) to replace the best


class Planner:
    def __init__(
        self,
        m: pyo.ConcreteModel,
        solver: PersistentHighs,
        units: Mapping[str, ConverterUnit],
        options: PlannerOptions,
    ) -> None:
        self.m = m
        self.units = dict(units)
        self.options = options
        self.cols = PlanColumns(m, {id(v): c for v, c in solver._columns})
        self.runs = HighsRuns(solver, options.threads)
        self.fixed_lp = FixedLp(solver)
        self.light = LightRelaxation(m, solver)
        self._all_int = self.cols.integer
        # start-ups are allowed this many periods around a shortfall
        window = 2 + max([max(u.min_up_steps, u.min_down_steps) for u in units.values()] or [1])
        unmet = self.cols.grid("unmet", [str(c) for c in m.C])
        self.nb = Neighbourhoods(self.runs, self.cols, unmet, window)
        self.fixed = FixedCommitment(self.runs, self.cols, self.fixed_lp, self.units, self.nb)
        self._head = self.nb.head
        # a full MIP is worth its time once past its root (a better plan, or a proof); one
        # that ran out of time before that, or past its limit in the root's cut rounds,
        # says how long that takes; while less time is left, it is not started
        self.root_s = 0.0

    # ----- one tier ---------------------------------------------------------------------------
    def run(
        self, *, start: FloatArray | None, t_begin: float, deadline: float, gap: float
    ) -> TierRun:
        """The best plan for the objective now set in the model, by ``deadline``."""
        try:
            return self._run(start=start, t_begin=t_begin, deadline=deadline, gap=gap)
        finally:
            self.nb.restore()

    def _run(
        self, *, start: FloatArray | None, t_begin: float, deadline: float, gap: float
    ) -> TierRun:
        opt = self.options
        self.runs.push_parameters()
        rules = unit_rules(self.m, self.units)
        out = TierRun(raw=_no_plan("not run"), best=None, tie=tie_for(gap))
        highs_s = 0.0
        bound: float | None = None
        t0 = time.perf_counter()
        threshold = 0.5
        free = np.zeros(self.cols.on.shape, dtype=bool)
        free[:, : self._head] = True  # warm: on/off free in the first hours
        cold = False
        if start is None and opt.cold_heuristic:
            r = self._lp_relaxation(opt.cold_lp_share * (deadline - time.perf_counter()), gap)
            highs_s += r.highs_seconds
            out.tried["LP relaxation"] = r.objective
            if r.termination == "optimal" and r.x is not None:
                bound, start, threshold, cold = r.bound, r.x, ROUND_UP_EPS, True
                # cold: free where the LP could not decide (RENS); measured on the utility
                # plant: +0.05 % in 1.5 s, where the first-hours window stayed at +1.1 %
                lp_on = r.x[self.cols.on]
                free = (lp_on > ROUND_UP_EPS) & (lp_on < 1.0 - ROUND_UP_EPS)
            else:  # no LP in time (large models): hold today's commitment, then search
                out.notes.append("LP relaxation not finished: start from the units' state")
                start = np.zeros(self.cols.n)
                start[self.cols.on] = np.array([u.on0 for u in rules], dtype=float)[:, None]
        if start is not None and opt.repair and deadline > time.perf_counter():
            r, cand, short = self._repair(start, threshold, rules, deadline, gap, t_begin)
            free |= short  # on/off free where the repair had to cover a shortfall
            highs_s += r.highs_seconds
            out.tried["repaired"] = r.objective
            self._offer(out, cand)
        # the MIPs end a little early: a plan of theirs short of supply may be covered
        end = deadline - COVER_SHARE * (deadline - t0)
        left = end - time.perf_counter()
        # a cold start's rounded-up plan is rough over the whole horizon: the neighbourhood
        # gets the time; a full MIP only with time over
        share = 1.0 if cold else opt.neighbourhood_share
        full = opt.full_mip and (out.best is None or self.root_s < share * left)
        if opt.full_mip and not full:
            out.notes.append(f"full MIP not started: its root takes ~{self.root_s:.1f} s")
            self.root_s *= 0.97  # look again now and then: the machine's load changes
        if opt.neighbourhood and (out.best is not None or start is not None):
            base = out.best.x if out.best is not None else start
            assert base is not None
            # without a full MIP, a warm start's time is split with a second window that
            # moves along the horizon cycle by cycle: a plan's later hours get better too
            later = not full and not cold and self.cols.steps > self._head
            limit = (share if full or later else 1.0) * left
            if out.best is not None and out.best.unmet:
                # short of supply after the repair: the time goes where the shortfall can be
                # removed (units free around it); a neighbourhood that ends early (solved, or
                # nothing there) leaves the rest to the full MIP, which may prove the
                # shortfall is the optimum (a golden case: unmet demand there is optimal).
                # Measured at 10 % noise: with half the time it left 1.3 MWh unmet in a cycle
                # where the neighbourhoods without a full MIP after them found a plan without
                limit = left
            r = self.nb.search(base, out.best is not None, free, limit, gap, _bar(out))
            highs_s += r.highs_seconds
            out.tried["neighbourhood"] = r.objective
            cand = self._candidate("neighbourhood", r, t_begin)
            highs_s += self._offer_mip(out, cand, rules, deadline, gap, t_begin)
            if later and out.best is not None:
                highs_s += self._later_window_run(out, 1, rules, end, deadline, gap, t_begin)
        term = "time_limit"
        left = (end if out.best is not None else deadline) - time.perf_counter()
        if full and (left > MIN_RUN_S or out.best is None):
            begin = out.best.x if out.best is not None else None
            if begin is None and start is not None and not opt.repair:
                begin = start  # the old warm start: the plan as it is, HiGHS checks it
            t_run = time.perf_counter()
            self.nb.restore()
            r = self.runs.run(time_limit_s=left, gap=gap, start=begin, plan_if_below=_bar(out))
            took = time.perf_counter() - t_run
            before = out.best.objective if out.best is not None else math.inf
            useful = r.termination == "optimal" or (r.objective or math.inf) < before - 1e-9
            if not useful:  # stopped in its root, or no better plan: more time next time
                self.root_s = max(self.root_s, 1.25 * took)
            else:
                self.root_s = took if took > 1.1 * left + 0.05 else min(self.root_s, took)
            highs_s += r.highs_seconds
            out.tried["full MIP"] = r.objective
            cand = self._candidate("full MIP", r, t_begin)
            if r.bound is not None:
                bound = r.bound if bound is None else max(bound, r.bound)
            term = r.termination
            highs_s += self._offer_mip(out, cand, rules, deadline, gap, t_begin)
        # time left (a window solved early; MIP limits shortened after overruns): further
        # windows, one after the other (at 10 % noise, 20 x 96 @ 2 s, cycles ended 0.5-1 s
        # early with one window)
        n = 1 + ("later window" in out.tried)
        while (
            opt.neighbourhood
            and not cold
            and out.best is not None
            and term != "optimal"
            and n <= len(self.nb.later_starts)
            and end - time.perf_counter() > WINDOW_SHARE * (deadline - t0)
        ):
            highs_s += self._later_window_run(out, n, rules, end, deadline, gap, t_begin)
            n += 1
        best = out.best
        if best is not None:
            self.runs.load(best.x)
            proven = (
                bound is not None
                and best.objective - bound <= gap * max(abs(best.objective), 1e-9) + 1e-9
            )
            term = "optimal" if proven else "time_limit"
        elif term == "optimal":  # HiGHS said optimal but handed no plan
            term = "error: optimal without a plan"
        out.raw = RawSolve(
            termination=term,
            has_solution=best is not None,
            objective=best.objective if best is not None else None,
            bound=bound,
            seconds=time.perf_counter() - t0,
            highs_seconds=highs_s,
        )
        return out

    # ----- steps ------------------------------------------------------------------------------
    def _lp_relaxation(self, limit: float, gap: float) -> Run:
        runs = self.runs
        self.nb.restore()
        runs.set_integrality(self._all_int, integer=False)
        try:
            if not self.options.light_cold_lp:
                return runs.run(time_limit_s=limit, gap=gap, mip=False)
            with self.light.freed():
                return runs.run(time_limit_s=limit, gap=gap, mip=False)
        finally:
            runs.set_integrality(self._all_int, integer=True)

    def _repair(
        self,
        start: FloatArray,
        threshold: float,
        rules: list[UnitRules],
        deadline: float,
        gap: float,
        t_begin: float,
    ) -> tuple[Run, Candidate | None, BoolGrid]:
        """Fix the (rule-keeping) commitment of ``start`` and solve the rest as an LP. If
        that plan leaves demand unmet, once more with units switched on around the periods
        short of supply: those an LP with the commitments there relaxed wants (rounded up),
        or every available one if that LP fails; those commitments (returned) are for the
        neighbourhood to decide."""
        free = np.zeros(self.cols.on.shape, dtype=bool)
        want = start[self.cols.on] > threshold
        r = self.fixed.solve(start, want, rules, deadline, gap)
        cand = self._candidate("repaired", r, t_begin)
        if cand is not None and cand.unmet and deadline - time.perf_counter() > MIN_RUN_S:
            r2, near = self.fixed.cover(cand.x, want, rules, deadline, gap)
            free[:, near] = True
            if r2.x is not None:  # and where postponed switches made the two differ
                free |= (r2.x[self.cols.on] > 0.5) != (cand.x[self.cols.on] > 0.5)
            cand2 = self._candidate("repaired", r2, t_begin)
            r = dataclasses.replace(r2, highs_seconds=r.highs_seconds + r2.highs_seconds)
            if cand2 is not None and cand2.better_than(cand, tie_for(gap)):
                cand = cand2
        return r, cand, free

    def _offer_mip(
        self,
        out: TierRun,
        cand: Candidate | None,
        rules: list[UnitRules],
        deadline: float,
        gap: float,
        t_begin: float,
    ) -> float:
        """Offer a MIP's plan; if it is short of supply but cheaper than the best plan (the
        unmet penalty cost it less than the commitments that would cover it), offer it
        covered too: its commitments, units switched on around the shortfall, an LP. That
        keeps what the MIP found elsewhere in the horizon (measured at 10 % noise: later
        windows 0.5-1 % cheaper than the best plan, rejected for 0.03-0.14 MWh unmet).
        Returns the HiGHS seconds of the cover."""
        self._offer(out, cand)
        best = out.best
        if (
            cand is None
            or not cand.unmet
            or (
                best is not None
                and not best.unmet
                and cand.objective >= cheaper_than(best.objective, out.tie)
            )
            or deadline - time.perf_counter() <= MIN_RUN_S
        ):
            return 0.0
        r, _ = self.fixed.cover(cand.x, cand.x[self.cols.on] > 0.5, rules, deadline, gap)
        name = f"{cand.name}, covered"
        out.tried[name] = r.objective
        self._offer(out, self._candidate(name, r, t_begin))
        return r.highs_seconds

    def _later_window_run(
        self,
        out: TierRun,
        n: int,
        rules: list[UnitRules],
        end: float,
        deadline: float,
        gap: float,
        t_begin: float,
    ) -> float:
        """The next later window from the best plan, until ``end``; its HiGHS seconds."""
        assert out.best is not None
        r = self.nb.search(
            out.best.x, True, self.nb.later_window(), end - time.perf_counter(), gap, _bar(out)
        )
        out.tried["later window" + (f" {n}" if n > 1 else "")] = r.objective
        cand = self._candidate("later window", r, t_begin)
        return r.highs_seconds + self._offer_mip(out, cand, rules, deadline, gap, t_begin)

    # ----- candidates ---------------------------------------------------------------------------
    def _candidate(self, name: str, r: Run, t_begin: float) -> Candidate | None:
        if r.x is None or r.objective is None:
            return None
        unmet = bool(r.x[self.cols.unmet].sum() > UNMET_EPS) if len(self.cols.unmet) else False
        return Candidate(
            name=name,
            x=r.x,
            objective=r.objective,
            unmet=unmet,
            at_s=time.perf_counter() - t_begin,
        )

    @staticmethod
    def _offer(out: TierRun, cand: Candidate | None) -> None:
        if cand is None:
            return
        if out.first_s is None:
            out.first_s = cand.at_s
        if cand.better_than(out.best, out.tie):
            out.best = cand


def _bar(out: TierRun) -> float:
    """A run's plan is read back only below this objective: with a best plan that meets
    demand, a plan no cheaper cannot win (nor be covered, see ``_offer_mip``)."""
    best = out.best
    if best is None or best.unmet:
        return math.inf
    return cheaper_than(best.objective, out.tie)


def _no_plan(term: str) -> RawSolve:
    return RawSolve(termination=term, has_solution=False, objective=None, bound=None, seconds=0.0)
