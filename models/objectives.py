"""Objective terms by name, combined by weights within a tier and by strict priority across
tiers (lexicographic: optimize tier 1, keep it within tolerance, then tier 2, ...).

All switching is done with mutable Params: ``tier_on[k]`` selects the tier being
optimized, ``tier_cap[k]`` holds an optimized tier near its optimum. Penalties (unmet
demand, spill) are in every tier's objective: no tier may buy its optimum with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from models.linear_forms import LinearForm
from optimizer.config.control import ObjectiveTerm
from optimizer.config.schema import PlantConfig

if TYPE_CHECKING:
    from models.solver import PersistentHighs

# An inactive tier cap must read as +infinity to HiGHS (row bounds >= 1e20 are dropped).
# A finite 1e15 stayed a real row bound whose rounding (~0.1) made HiGHS reject its own
# optimal MIP solutions on some plants ("Solve error"); float("inf") is not an option: the
# persistent interface would then never pass a later tier's finite cap to HiGHS.
INACTIVE = 1e20


def add_objectives(m: pyo.ConcreteModel, cfg: PlantConfig) -> list[int]:
    exprs = {
        ObjectiveTerm.COST: m.e_cost,
        ObjectiveTerm.ENERGY: m.e_energy,
        ObjectiveTerm.CO2: m.e_co2,
        ObjectiveTerm.DEVIATION: m.e_deviation,
        ObjectiveTerm.PLAN_CHANGE: m.e_plan_change,
    }
    tiers = sorted({t.tier for t in cfg.objectives.terms})
    m.TIER = pyo.Set(initialize=tiers, ordered=True)
    m.tier_on = pyo.Param(m.TIER, mutable=True, initialize=1.0)
    m.tier_cap = pyo.Param(m.TIER, mutable=True, initialize=INACTIVE)

    def tier_expr(mm: pyo.ConcreteModel, k: int) -> object:
        return sum(t.weight * exprs[t.term] for t in cfg.objectives.terms if t.tier == k)

    m.e_tier = pyo.Expression(m.TIER, rule=tier_expr)
    # the last tier is never held by a cap (nothing is optimized after it): no row for it,
    # so a single-tier model carries no dense, never-binding copy of its objective
    m.TIER_CAPPED = pyo.Set(initialize=tiers[:-1], ordered=True)
    m.c_tier = pyo.Constraint(m.TIER_CAPPED, rule=lambda mm, k: mm.e_tier[k] <= mm.tier_cap[k])
    limits = _add_limit_phases(m, cfg)
    if len(tiers) == 1 and not len(m.LIMIT_RANK):  # no switching: simple coefficients
        m.obj = pyo.Objective(expr=m.e_penalty + m.e_tier[tiers[0]], sense=pyo.minimize)
    else:
        m.obj = pyo.Objective(
            expr=m.e_penalty + sum(m.tier_on[k] * m.e_tier[k] for k in m.TIER) + limits,
            sense=pyo.minimize,
        )
    return tiers


def _add_limit_phases(m: pyo.ConcreteModel, cfg: PlantConfig) -> object:
    """CV range-limit violation per rank, minimized before any objective tier once a rank's
    limits had to be given up (quality before cost). ``viol_on[r]`` selects the rank being
    minimized, ``viol_cap[r]`` then holds it; both idle (0 and INACTIVE) otherwise."""
    if not cfg.objectives.cv_limits_first:
        cfg = cfg.model_copy(update={"compensation": {}})  # no phases: weights only
    ranks: dict[int, list[str]] = {}
    weights: dict[str, float] = {}
    for b, block in cfg.compensation.items():
        for name, cv in block.cvs.items():
            if cv.target is None:
                key = f"{b}.{name}" if len(cfg.compensation) > 1 else name
                ranks.setdefault(cv.priority, []).append(key)
                weights[key] = cv.weight
    m.LIMIT_RANK = pyo.Set(initialize=sorted(ranks), ordered=True)
    m.viol_on = pyo.Param(m.LIMIT_RANK, mutable=True, initialize=0.0)
    m.viol_cap = pyo.Param(m.LIMIT_RANK, mutable=True, initialize=INACTIVE)
    m.e_viol = pyo.Expression(
        m.LIMIT_RANK,
        rule=lambda mm, r: sum(weights[c] * (mm.dlo[c] + mm.dhi[c]) for c in ranks[r]),
    )
    m.c_viol = pyo.Constraint(m.LIMIT_RANK, rule=lambda mm, r: mm.e_viol[r] <= mm.viol_cap[r])
    return sum(m.viol_on[r] * m.e_viol[r] for r in m.LIMIT_RANK)


def tier_value(cfg: PlantConfig, tier: int, terms: dict[str, float]) -> float:
    """A tier's objective from the term values: the same weighted sum as ``e_tier``."""
    return sum(
        t.weight * terms.get(t.term.value, 0.0) for t in cfg.objectives.terms if t.tier == tier
    )


class TermValues:
    """Each objective term's value at the plan now in the variables, without walking the
    term expressions each cycle: each term becomes a LinearForm the first time it is asked
    for (the structure never changes; coefficients are read from the Params each time).
    Once :meth:`read_from` names the solver, the values come from its plan vector (the
    same numbers the variables hold: one gather, not ~10,000 attribute reads)."""

    def __init__(self, m: pyo.ConcreteModel, cfg: PlantConfig) -> None:
        names = ["cost", "energy", "co2", "penalty"]
        if cfg.compensation:
            names.append("deviation")
        if any(t.term is ObjectiveTerm.PLAN_CHANGE for t in cfg.objectives.terms):
            names.append("plan_change")
        self._m = m
        self._names = names
        self._forms: dict[str, LinearForm] | None = None
        self._solver: PersistentHighs | None = None

    def read_from(self, solver: PersistentHighs) -> None:
        """Read the plan from ``solver``'s last loaded plan vector from now on."""
        self._solver = solver
        self._forms = None

    def __call__(self) -> dict[str, float]:
        solver = self._solver
        if self._forms is None:
            col_of = {id(v): c for v, c in solver.columns} if solver is not None else None
            self._forms = {
                n: LinearForm(getattr(self._m, f"e_{n}").expr, n, col_of) for n in self._names
            }
        plan = solver.plan_vector() if solver is not None else None
        return {n: f.value(plan) for n, f in self._forms.items()}
