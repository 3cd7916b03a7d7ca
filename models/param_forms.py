"""Row bounds and objective costs that move with mutable Params, recomputed and handed to
HiGHS in one call each.

Pyomo's persistent HiGHS interface keeps one helper per row bound and per objective
coefficient that involves a mutable Param (demand, availability, initial state, prices,
tier switches) and, before every solve, evaluates each helper's expression and calls
HiGHS once per row or column: about 600 rows and 290 costs at 20 units x 96 periods, and
2,300 costs with ranked tiers. Every such expression in our models is a sum of a constant
and monomials of one or two Params (``demand[c,t]``, ``1 - must_off[u,t]``,
``96*avail[u]``, ``0.25*p_imp[g,t]``, ``tier_on[2]*0.25*p_imp[g,t]``), so
:func:`param_form` takes each apart once; a cycle is then one gather of Param values, a
``bincount`` per side and one bulk HiGHS call. An expression of any other shape stays
with Pyomo's own helper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.param import ParamData
from pyomo.core.expr.numeric_expr import (
    NPV_NegationExpression,
    NPV_ProductExpression,
    NPV_SumExpression,
)

from models.highs_bounds import change_row_bounds

# constant + sum(factor x Param [x Param])
Monomial = tuple[float, tuple[ParamData, ...]]
Form = tuple[float, list[Monomial]]


def param_form(e: Any) -> Form | None:
    """``e`` as a constant plus monomials of at most two Params, or None."""
    if type(e) in native_numeric_types:
        return float(e), []
    if isinstance(e, ParamData):
        return 0.0, [(1.0, (e,))]
    if isinstance(e, NPV_NegationExpression):
        inner = param_form(e.args[0])
        return None if inner is None else _scale(inner, -1.0)
    if isinstance(e, NPV_SumExpression):
        const, terms = 0.0, []
        for arg in e.args:
            part = param_form(arg)
            if part is None:
                return None
            const += part[0]
            terms.extend(part[1])
        return const, terms
    if isinstance(e, NPV_ProductExpression):
        a, b = (param_form(x) for x in e.args)
        return None if a is None or b is None else _product(a, b)
    return None


def _scale(f: Form, k: float) -> Form:
    return k * f[0], [(k * c, ps) for c, ps in f[1]]


def _product(a: Form, b: Form) -> Form | None:
    if not a[1]:
        return _scale(b, a[0])
    if not b[1]:
        return _scale(a, b[0])
    if a[0] or b[0] or len(a[1]) != 1 or len(b[1]) != 1:
        return None  # (c + p) x q and the like: not worth the cases
    (ca, pa), (cb, pb) = a[1][0], b[1][0]
    ps = pa + pb
    return (0.0, [(ca * cb, ps)]) if len(ps) <= 2 else None


class FormValues:
    """The values of many forms at once from the Params' present values."""

    def __init__(self, forms: list[Form]) -> None:
        params: dict[int, ParamData] = {}
        for _, terms in forms:
            for _, ps in terms:
                for p in ps:
                    params.setdefault(id(p), p)
        self.params = list(params.values())
        pos = {pid: i + 1 for i, pid in enumerate(params)}  # slot 0 holds 1.0
        self.n = len(forms)
        self.constant = np.array([c for c, _ in forms], dtype=np.float64)
        rows, first, second, factors = [], [], [], []
        for i, (_, terms) in enumerate(forms):
            for c, ps in terms:
                rows.append(i)
                first.append(pos[id(ps[0])])
                second.append(pos[id(ps[1])] if len(ps) > 1 else 0)
                factors.append(c)
        self.rows = np.array(rows, dtype=np.intp)
        self.first = np.array(first, dtype=np.intp)
        self.second = np.array(second, dtype=np.intp)
        self.factors = np.array(factors, dtype=np.float64)

    def values(self) -> np.ndarray:
        if not len(self.rows):
            return self.constant.copy()
        pv = np.empty(len(self.params) + 1)
        pv[0] = 1.0
        pv[1:] = np.fromiter((p._value for p in self.params), np.float64, len(self.params))
        terms = self.factors * pv[self.first] * pv[self.second]
        return self.constant + np.bincount(self.rows, weights=terms, minlength=self.n)


class RowBounds:
    """Lower and upper bounds of HiGHS rows ``rows``."""

    def __init__(self, rows: list[int], lower: list[Form], upper: list[Form]) -> None:
        self.rows = np.array(rows, dtype=np.int32)
        self.lower = FormValues(lower)
        self.upper = FormValues(upper)

    def __len__(self) -> int:
        return len(self.rows)

    def push(self, highs: Any) -> None:
        if len(self.rows):
            lb, ub = self.lower.values(), self.upper.values()
            change_row_bounds(highs, self.rows, lb, ub)  # in chunks: see highs_bounds


class ColumnCosts:
    """Objective coefficients of HiGHS columns ``cols``."""

    def __init__(self, cols: list[int], costs: list[Form]) -> None:
        self.cols = np.array(cols, dtype=np.int32)
        self.costs = FormValues(costs)

    def __len__(self) -> int:
        return len(self.cols)

    def push(self, highs: Any) -> None:
        if len(self.cols):
            highs.changeColsCost(len(self.cols), self.cols, self.costs.values())
