"""The cold start's guiding LP without min up/down and later ramp rows (models/relaxation.py).

A 24-period cut of the utility example (five units with min up/down, four with ramps).
"""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np

from tests.support.plants import utility_cut

ROOT = Path(__file__).resolve().parents[2]
STEPS = 24


def _bounds(hm: highspy.Highs) -> tuple[np.ndarray, np.ndarray]:
    lp = hm.getLp()
    return np.array(lp.row_lower_), np.array(lp.row_upper_)


def test_light_lp_frees_min_up_down_and_later_ramp_rows_and_puts_them_back() -> None:
    pm, inputs = utility_cut(STEPS)
    pm.update(inputs)
    pm.solver._update_parameters()
    assert pm.planner is not None
    light = pm.planner.light
    hm = pm.solver.opt._solver_model
    m = pm.m
    # min up/down and no-restart rows of the five units, ramp rows after period 0 of the
    # four with ramps
    expected = len(m.c_min_up) + len(m.c_min_down) + len(m.c_su_sd)
    expected += len(m.c_ramp_up) + len(m.c_ramp_down) - 2 * 4
    assert len(light.rows) == expected == 3 * 5 * STEPS + 2 * 4 * (STEPS - 1)
    con_map = pm.solver.opt._pyomo_con_to_solver_con_map
    kept = [con_map[m.c_ramp_up["chp1", 0]], con_map[m.c_balance["heat", 3]]]
    lo, up = _bounds(hm)
    with light.freed():
        lo2, up2 = _bounds(hm)
        assert np.all(np.isinf(lo2[light.rows])) and np.all(np.isinf(up2[light.rows]))
        others = np.setdiff1d(np.arange(len(lo)), light.rows)
        assert np.array_equal(lo2[others], lo[others]) and np.array_equal(up2[others], up[others])
        assert set(kept).isdisjoint(light.rows.tolist())
    lo3, up3 = _bounds(hm)
    assert np.array_equal(lo3, lo) and np.array_equal(up3, up)


def test_cold_start_on_the_light_lp_gives_a_plan_of_the_full_model() -> None:
    """The guiding LP is lighter; the plan is still the full model's (min up/down kept)."""
    pm, inputs = utility_cut(STEPS)
    pm.update(inputs)
    res = pm.solve(time_limit_s=5)
    assert res.report is not None and res.report.start.startswith("cold")
    lp = res.report.candidates["LP relaxation"]
    assert lp is not None and res.objective is not None
    assert lp <= res.objective + 1e-6  # still a relaxation: a valid bound
    # chp1 was started 0.75 h ago with a min up of 8 periods (2 h): on for the first 5
    assert all(round(v) == 1 for v in res.schedule["chp1.on"].iloc[:5])
    assert res.unmet == {}
