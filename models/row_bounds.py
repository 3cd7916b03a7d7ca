"""Row bounds that move with mutable Params, recomputed and handed to HiGHS in one call.

Pyomo's persistent HiGHS interface keeps one helper per row whose bounds involve a mutable
Param (demand, availability, initial state, ...) and, before every solve, evaluates each
helper's two bound expressions and calls ``changeRowBounds`` once per row: about 600 rows
and 6 ms a cycle at 20 units x 96 periods. Every bound in our models is affine in the
Params (``demand[c,t]``, ``1 - must_off[u,t]``, ``-on0[u]``, ``96*avail[u]``), so
:class:`AffineBounds` takes each apart once into a constant and factor x Param pairs;
a cycle is then one gather of Param values, two ``bincount`` sums and one
``changeRowsBounds``. A bound of any other shape stays with Pyomo's own helper.
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

Affine = tuple[float, list[tuple[float, ParamData]]]


def affine(e: Any) -> Affine | None:
    """``e`` as constant + sum(factor x Param), or None if it has another shape."""
    if type(e) in native_numeric_types:
        return float(e), []
    if isinstance(e, ParamData):
        return 0.0, [(1.0, e)]
    if isinstance(e, NPV_NegationExpression):
        inner = affine(e.args[0])
        return None if inner is None else (-inner[0], [(-f, p) for f, p in inner[1]])
    if isinstance(e, NPV_SumExpression):
        const, terms = 0.0, []
        for arg in e.args:
            part = affine(arg)
            if part is None:
                return None
            const += part[0]
            terms.extend(part[1])
        return const, terms
    if isinstance(e, NPV_ProductExpression):
        a, b = e.args
        num, other = (a, b) if type(a) in native_numeric_types else (b, a)
        if type(num) not in native_numeric_types:
            return None  # Param x Param: not affine
        inner = affine(other)
        k = float(num)
        return None if inner is None else (k * inner[0], [(k * f, p) for f, p in inner[1]])
    return None


class _Side:
    """One side (lower or upper) of every row: constant + gathered Param terms."""

    def __init__(self, forms: list[Affine], param_pos: dict[int, int]) -> None:
        self.n = len(forms)
        self.constant = np.array([c for c, _ in forms], dtype=np.float64)
        rows, cols, factors = [], [], []
        for i, (_, terms) in enumerate(forms):
            for f, p in terms:
                rows.append(i)
                cols.append(param_pos[id(p)])
                factors.append(f)
        self.rows = np.array(rows, dtype=np.intp)
        self.cols = np.array(cols, dtype=np.intp)
        self.factors = np.array(factors, dtype=np.float64)

    def values(self, params: np.ndarray) -> np.ndarray:
        if not len(self.rows):
            return self.constant.copy()
        return self.constant + np.bincount(
            self.rows, weights=self.factors * params[self.cols], minlength=self.n
        )


class AffineBounds:
    """The bounds of ``rows`` (HiGHS row indices) from their lower and upper expressions."""

    def __init__(self, rows: list[int], lower: list[Affine], upper: list[Affine]) -> None:
        params: dict[int, ParamData] = {}
        for _, terms in (*lower, *upper):
            for _, p in terms:
                params.setdefault(id(p), p)
        self.params = list(params.values())
        pos = {pid: i for i, pid in enumerate(params)}
        self.rows = np.array(rows, dtype=np.int32)
        self.lower = _Side(lower, pos)
        self.upper = _Side(upper, pos)

    def __len__(self) -> int:
        return len(self.rows)

    def compute(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the rows from the Params' present values."""
        pv = np.fromiter((p.value for p in self.params), dtype=np.float64, count=len(self.params))
        return self.lower.values(pv), self.upper.values(pv)

    def push(self, highs: Any) -> None:
        if not len(self.rows):
            return
        lb, ub = self.compute()
        highs.changeRowsBounds(len(self.rows), self.rows, lb, ub)
