"""Fast values of the model's linear expressions (objective terms) after a solve.

Walking a large Pyomo expression to evaluate it costs milliseconds per term every cycle.
A ``LinearForm`` takes the expression apart once into variables and coefficients; a
coefficient that is a number or a sum of monomials of mutable Params (prices, CO2 factors,
tier switches: :func:`models.param_forms.param_form`) is recomputed from the Params in
one vectorized step; anything else is kept as its expression (evaluated each time: slower,
never wrong). Its value is then one dot product, with the variables' values read from the
plan's column vector (HiGHS order) when one is given, else from the variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr.visitor import identify_mutable_parameters, identify_variables
from pyomo.repn import generate_standard_repn

from models.param_forms import Form, FormValues, param_form
from optimizer.errors import ModelError


class LinearForm:
    def __init__(self, expr: Any, name: str, col_of: Mapping[int, int] | None = None) -> None:
        """``col_of``: id(variable) -> HiGHS column, to read values from a column vector."""
        repn = generate_standard_repn(expr, compute_values=False, quadratic=False)
        if not repn.is_linear():
            raise ModelError(f"objective term {name} is not linear")
        self.vars = list(repn.linear_vars)
        self.cols: np.ndarray | None = None
        if col_of is not None and all(id(v) in col_of for v in self.vars):
            self.cols = np.array([col_of[id(v)] for v in self.vars], dtype=np.intp)
        f_idx: list[int] = []
        forms: list[Form] = []
        e_idx: list[int] = []
        self.exprs: list[Any] = []
        for i, c in enumerate(repn.linear_coefs):
            form = param_form(c)
            if form is None:
                e_idx.append(i)
                self.exprs.append(c)
            else:
                f_idx.append(i)
                forms.append(form)
        self.f_idx = np.array(f_idx, dtype=np.intp)
        self.forms = FormValues(forms)
        self.e_idx = np.array(e_idx, dtype=np.intp)
        self.constant = repn.constant
        # a constant made of mutable Params (e.g. 0.25 * co2f[c, t] * 0, one per period:
        # 0.4 ms to evaluate at 20 x 96) is evaluated again only when one of them changed
        self._const_params: list[Any] = []
        self._const_key: tuple[float, ...] | None = None
        self._const_value = 0.0
        if type(self.constant) not in native_numeric_types and not any(
            True for _ in identify_variables(self.constant)
        ):
            self._const_params = list(identify_mutable_parameters(self.constant))

    def value(self, plan: np.ndarray | None = None) -> float:
        """The form's value; ``plan``: the values by HiGHS column, each -0.0 as 0.0 (as
        ``v.value or 0.0`` reads the variables): the same numbers, one gather."""
        if plan is not None and self.cols is not None:
            x = plan[self.cols]
        else:
            x = np.fromiter((v.value or 0.0 for v in self.vars), float, len(self.vars))
        coefs = np.empty(len(self.vars))
        coefs[self.f_idx] = self.forms.values()
        if self.exprs:
            coefs[self.e_idx] = [pyo.value(e) for e in self.exprs]
        return float(coefs @ x) + self._constant()

    def _constant(self) -> float:
        if not self._const_params:
            return float(pyo.value(self.constant))
        key = tuple([p._value for p in self._const_params])
        if key != self._const_key:  # the same values give the same value: no walk
            self._const_value = float(pyo.value(self.constant))
            self._const_key = key
        return self._const_value
