"""Writing many mutable Param values per cycle without Pyomo's per-item checks.

``m.demand[c, t] = x`` normalizes the index, checks it against the index set and checks
the value against the Param's domain (``Any`` for ours) for every single value: about
1,100 values and 4 ms a cycle at 20 units x 96 periods, half of :meth:`PlantModel.update`.
A :class:`ParamTables` fetches every mutable Param's data objects once; a write is then a
dict lookup and an attribute store. An unknown index raises ``KeyError`` as Pyomo would.
Every value the model takes from the plant (units, storage, grid, compensation) is
written through it, so a non-finite reading is refused in one place.
"""

from __future__ import annotations

import math
from typing import Any

import pyomo.environ as pyo

from optimizer.errors import ModelError


class ParamTable:
    """One indexed mutable Param, written by index."""

    def __init__(self, param: Any) -> None:
        self.name = param.local_name
        self._data = dict(param.items())

    def __setitem__(self, index: Any, value: float) -> None:
        v = float(value)
        if not math.isfinite(v):
            raise ModelError(f"{self.name}[{index}]: value {value!r} is not finite")
        self._data[index]._value = v  # what ParamData.set_value stores (domain Any)

    def __getitem__(self, index: Any) -> float:
        return float(self._data[index]._value)


class ParamTables:
    """Every indexed mutable Param of a model by name: ``tables.demand[c, t] = x``."""

    def __init__(self, m: pyo.ConcreteModel) -> None:
        self._tables = {
            p.local_name: ParamTable(p)
            for p in m.component_objects(pyo.Param, descend_into=True)
            if p.mutable and p.is_indexed()
        }

    def __getattr__(self, name: str) -> ParamTable:
        try:
            return self.__dict__["_tables"][name]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(name) from None
