"""The cold start's LP relaxation without the rows it does not need.

A cold start solves the LP relaxation only as a guide: its commitments are rounded up and
repaired, and where they are fractional the neighbourhood decides. Minimum up/down rows,
the ramp rows after period 0 and the no-restart rows (su + sd <= 1) hardly move that LP
(at 50 x 288: its optimum 0.0006 % lower; at the utility plant not at all) but are 40 % of
the model's rows and more than half the dual simplex's time there (measured at 50 x 288:
7.4 s of CPU with them, 3.3 s without; 20 x 96: 0.17 s, 0.09 s). For this LP only, those
rows are made free (bounds -inf..inf: HiGHS's presolve drops them) and put back afterwards;
every other run sees the full model. The LP without them is still a relaxation of the
model, so its optimum remains a valid bound for the plan's gap (a slightly weaker one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import highspy
import numpy as np
import numpy.typing as npt
import pyomo.environ as pyo

from models.highs_bounds import change_row_bounds
from models.solver import PersistentHighs

# rows the guiding LP does without: (constraint, period 0 kept: it holds the present state)
GUIDE_FREE = (
    ("c_min_up", False),
    ("c_min_down", False),
    ("c_ramp_up", True),
    ("c_ramp_down", True),
    ("c_su_sd", False),
)


class LightRelaxation:
    """HiGHS rows of the constraints in ``GUIDE_FREE``, freed for one LP at a time."""

    def __init__(self, m: pyo.ConcreteModel, solver: PersistentHighs) -> None:
        self.solver = solver
        con_map = solver.opt._pyomo_con_to_solver_con_map
        first = m.T.first()
        rows: list[int] = []
        for name, keep_first in GUIDE_FREE:
            con = getattr(m, name, None)
            if con is None:
                continue
            for idx, cd in con.items():
                if keep_first and idx[-1] == first:
                    continue
                if cd in con_map:
                    rows.append(con_map[cd])
        self.rows: npt.NDArray[np.int32] = np.array(sorted(rows), dtype=np.int32)

    @contextmanager
    def freed(self) -> Iterator[None]:
        """The rows free while the block runs; their bounds restored afterwards."""
        hm = self.solver.opt._solver_model
        n = len(self.rows)
        if hm is None or not n:
            yield
            return
        _, _, lower, upper, _ = hm.getRows(n, self.rows)
        inf = np.full(n, highspy.kHighsInf)
        change_row_bounds(hm, self.rows, -inf, inf)
        try:
            yield
        finally:
            change_row_bounds(hm, self.rows, np.asarray(lower), np.asarray(upper))
