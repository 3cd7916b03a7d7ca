"""Fast values of the model's linear expressions (objective terms) after a solve.

Walking a large Pyomo expression to evaluate it costs milliseconds per term every cycle.
A ``LinearForm`` takes the expression apart once into variables and coefficients; a
coefficient that is a number or a sum of monomials of mutable Params (prices, CO2 factors,
tier switches: :func:`models.param_forms.param_form`) is recomputed from the Params in
one vectorized step; anything else is kept as its expression (evaluated each time: slower,
never wrong). Its value is then one dot product.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from models.param_forms import Form, FormValues, param_form
from optimizer.errors import ModelError


class LinearForm:
    def __init__(self, expr: Any, name: str) -> None:
        repn = generate_standard_repn(expr, compute_values=False, quadratic=False)
        if not repn.is_linear():
            raise ModelError(f"objective term {name} is not linear")
        self.vars = list(repn.linear_vars)
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

    def value(self) -> float:
        x = np.fromiter((v.value or 0.0 for v in self.vars), float, len(self.vars))
        coefs = np.empty(len(self.vars))
        coefs[self.f_idx] = self.forms.values()
        if self.exprs:
            coefs[self.e_idx] = [pyo.value(e) for e in self.exprs]
        return float(coefs @ x) + float(pyo.value(self.constant))
