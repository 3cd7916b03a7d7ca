"""Fast values of the model's linear expressions (objective terms) after a solve.

Walking a large Pyomo expression to evaluate it costs milliseconds per term every cycle.
A ``LinearForm`` takes the expression apart once into variables and coefficients; a
coefficient is a number, a number times one mutable Param (prices, CO2 factors: read from
the Param each time), or, for anything else, the coefficient expression itself (evaluated
each time: slower, never wrong). Its value is then one dot product.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.param import ParamData
from pyomo.core.expr.numeric_expr import NPV_NegationExpression, NPV_ProductExpression
from pyomo.repn import generate_standard_repn

from optimizer.errors import ModelError


def _scaled_param(e: Any) -> tuple[float, Any] | None:
    """``e`` as factor x one mutable Param, if it has that shape."""
    if isinstance(e, ParamData):
        return 1.0, e
    if isinstance(e, NPV_NegationExpression):
        inner = _scaled_param(e.args[0])
        return None if inner is None else (-inner[0], inner[1])
    if isinstance(e, NPV_ProductExpression):
        a, b = e.args
        if type(a) in native_numeric_types:
            inner = _scaled_param(b)
            return None if inner is None else (float(a) * inner[0], inner[1])
        if type(b) in native_numeric_types:
            inner = _scaled_param(a)
            return None if inner is None else (float(b) * inner[0], inner[1])
    return None


class LinearForm:
    def __init__(self, expr: Any, name: str) -> None:
        repn = generate_standard_repn(expr, compute_values=False, quadratic=False)
        if not repn.is_linear():
            raise ModelError(f"objective term {name} is not linear")
        self.vars = list(repn.linear_vars)
        n = len(self.vars)
        self.fixed = np.zeros(n)
        p_idx, p_factor, self.params = [], [], []
        e_idx, self.exprs = [], []
        for i, c in enumerate(repn.linear_coefs):
            if type(c) in native_numeric_types:
                self.fixed[i] = float(c)
                continue
            scaled = _scaled_param(c)
            if scaled is not None:
                p_idx.append(i)
                p_factor.append(scaled[0])
                self.params.append(scaled[1])
            else:
                e_idx.append(i)
                self.exprs.append(c)
        self.p_idx = np.array(p_idx, dtype=np.intp)
        self.p_factor = np.array(p_factor)
        self.e_idx = np.array(e_idx, dtype=np.intp)
        self.constant = repn.constant

    def value(self) -> float:
        x = np.fromiter((v.value or 0.0 for v in self.vars), float, len(self.vars))
        coefs = self.fixed.copy()
        if len(self.params):
            pv = np.fromiter((p.value for p in self.params), float, len(self.params))
            coefs[self.p_idx] = self.p_factor * pv
        if self.exprs:
            coefs[self.e_idx] = [pyo.value(e) for e in self.exprs]
        return float(coefs @ x) + float(pyo.value(self.constant))
