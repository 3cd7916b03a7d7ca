"""Pure plant dynamics, baseline and DCS rules (no OPC UA)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.config.plant import ConverterUnit
from optimizer.config.schema import PlantConfig
from optimizer.sim.balance import curve_input
from optimizer.sim.baseline import baseline_dispatch
from optimizer.sim.binding import Source
from optimizer.sim.dcs import DcsLogic
from optimizer.sim.dynamics import PlantDynamics
from optimizer.sim.faults import FaultKind, parse_fault
from optimizer.sim.ledger import compare
from optimizer.sim.synthetic import synthetic_config
from tests.sim.conftest import START


def test_curve_input_interpolates_the_config_curve(demo_cfg: PlantConfig) -> None:
    b1 = demo_cfg.units["boiler1"]
    assert isinstance(b1, ConverterUnit)
    assert curve_input(b1, 0.0) == 0.0
    assert curve_input(b1, 4.0) == pytest.approx(3.2)
    assert curve_input(b1, 7.0) == pytest.approx(3.2 + (7.4 - 3.2) / 2)
    assert curve_input(b1, 16.0) == pytest.approx(11.9)


def test_tags_are_bound_by_reference(demo_cfg: PlantConfig) -> None:
    d = PlantDynamics(demo_cfg, seed=1, start=START)
    b = d.bindings
    assert (b["boiler1_load"].source, b["boiler1_load"].ref) == (Source.UNIT_LOAD, "boiler1")
    assert b["chp_running"].source is Source.UNIT_RUNNING
    assert b["battery_soc"].source is Source.STORAGE_SOC
    assert b["grid_peak_month"].source is Source.GRID_PEAK
    assert b["grid_import"].source is Source.GRID_IMPORT  # by name: nobody references it
    assert b["steam_header_p"].source is Source.CV
    assert b["ambient_temp"].source is Source.AMBIENT
    assert (b["elec_demand_fc"].source, b["elec_demand_fc"].forecast) == (Source.DEMAND, True)


def test_forecasts_follow_the_day_with_small_near_term_error(demo_cfg: PlantConfig) -> None:
    d = PlantDynamics(demo_cfg, seed=2, start=START)
    fc = d.values["elec_demand_fc"]
    assert isinstance(fc, tuple) and len(fc) == demo_cfg.cycle.horizon_steps
    assert all(v >= 0 for v in fc)
    expected = d.exo.demand("site_electricity", START + timedelta(minutes=30))
    assert abs(fc[0] - expected) / expected < 0.1
    assert max(fc) > 1.2 * min(fc)  # a daily shape, not a constant
    before = fc
    d.step(600)
    assert d.values["elec_demand_fc"] != before  # published afresh every step


def test_same_seed_same_plant(demo_cfg: PlantConfig) -> None:
    a = PlantDynamics(demo_cfg, seed=5, start=START)
    b = PlantDynamics(demo_cfg, seed=5, start=START)
    for _ in range(10):
        a.step(300)
        b.step(300)
    assert a.values == b.values
    assert a.actual.cost == b.actual.cost


def test_plant_run_like_the_baseline_costs_what_the_baseline_costs(
    demo_cfg: PlantConfig,
) -> None:
    """Ledger symmetry: if the 'optimizer' writes the baseline's loads, costs agree."""
    d = PlantDynamics(demo_cfg, seed=4, start=START)
    for _ in range(6 * 24):
        avail = {n: s.available for n, s in d.units.items()}
        loads = baseline_dispatch(d.topo, d.demand_now(), avail, {}, d._merit)
        for n, u in d.topo.converters.items():
            if u.setpoint_tag is not None:
                d.write_setpoint(u.setpoint_tag, loads[n])
        d.step(600)
    assert d.baseline.hours == pytest.approx(24.0)
    assert d.actual.cost == pytest.approx(d.baseline.cost, rel=0.03)
    assert sum(d.baseline.unmet.values()) < 1e-6
    assert d.actual.co2_t > 0 and d.baseline.energy_cost > 0


def test_compensation_cvs_respond_through_the_config_gains(demo_cfg: PlantConfig) -> None:
    """Twin plants (same seed, same disturbance): one gets +0.5 bar on the header SP."""
    a = PlantDynamics(demo_cfg, seed=6, start=START)
    b = PlantDynamics(demo_cfg, seed=6, start=START)
    b.write_setpoint("header_p_sp", b.setpoints["header_p_sp"] + 0.5)
    a.step(4 * 3600)
    b.step(4 * 3600)
    # gains: header_pressure 1.0 bar/bar, product_temperature 0.8 degC/bar
    assert b.cv_state["steam_header_p"] - a.cv_state["steam_header_p"] == pytest.approx(0.5, 0.01)
    assert b.cv_state["product_temp"] - a.cv_state["product_temp"] == pytest.approx(0.4, 0.01)
    # the MV's energy coupling: +0.6 t/h steam per bar is drawn from the steam balance
    assert b.actual.cost > a.actual.cost or sum(b.actual.unmet.values()) > sum(
        a.actual.unmet.values()
    )


def test_generic_config_with_many_units(tmp_path: object) -> None:
    cfg = synthetic_config(300, n_units=20)
    d = PlantDynamics(cfg, seed=1, start=START)
    d.step(3600)
    assert len(d.values) == len(cfg.tags)
    assert isinstance(d.values["boiler001_running"], bool)
    assert d.values["sp_00001"] == 0.0  # stand-alone setpoints start at max(0, min)
    assert d.baseline.cost > 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-1.0, max_value=1.0), min_size=1, max_size=30))
def test_battery_soc_stays_within_its_limits(moves: list[float]) -> None:
    cfg = synthetic_config(10, n_units=1)
    d = PlantDynamics(cfg, seed=0, start=START)
    s = cfg.units["battery"]
    for m in moves:
        d.write_setpoint("battery_sp", m)
        d.step(1800)
        soc = d.values["soc"]
        assert isinstance(soc, float)
        assert s.soc_min - 0.02 <= soc <= s.soc_max + 0.02  # type: ignore[union-attr]


def test_dcs_eurange_override_and_nan(demo_cfg: PlantConfig) -> None:
    dcs = DcsLogic(demo_cfg, eu_ranges={"chp_sp": (0.0, 3.0)})
    assert dcs.check_setpoint("chp_sp", 3.5) == "BadOutOfRange"
    assert dcs.check_setpoint("chp_sp", 2.5) == "Good"
    assert dcs.check_setpoint("chp_sp", float("inf")) == "BadOutOfRange"
    assert list(dcs.rejected) == [("chp_sp", "BadOutOfRange"), ("chp_sp", "BadOutOfRange")]


def test_parse_fault_flags() -> None:
    assert parse_fault("boiler1_load=bad") == ("boiler1_load", FaultKind.BAD)
    assert parse_fault("x=NaN") == ("x", FaultKind.NAN)
    for bad in ("boiler1_load", "=bad", "t=broken"):
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_cost_comparison_summary(demo_cfg: PlantConfig) -> None:
    from optimizer.sim.ledger import compare

    d = PlantDynamics(demo_cfg, seed=4, start=START)
    d.write_setpoint("battery_sp", 0.0)
    d.step(6 * 3600)  # setpoints never follow demand: shortfalls appear
    c = compare(d.actual, d.baseline, "EUR")
    assert c.hours == pytest.approx(6.0)
    assert c.saving == pytest.approx(c.baseline["cost"] - c.actual["cost"])
    assert "EUR" in c.summary() and "baseline" in c.summary()
    assert 0.0 <= c.unmet_actual < 0.05  # the DCS master control trims units to demand
    assert ("demand not met" in c.summary()) == (c.unmet_actual > c.unmet_baseline + 0.005)
    assert set(c.to_dict()) >= {"actual", "baseline", "saving_pct"}


@settings(max_examples=300, deadline=None)
@given(
    value=st.floats(allow_nan=True, allow_infinity=True, width=64),
    shed=st.booleans(),
    permissive=st.booleans(),
)
def test_dcs_accepts_exactly_the_in_range_writes(
    demo_cfg: PlantConfig, value: float, shed: bool, permissive: bool
) -> None:
    dcs = DcsLogic(demo_cfg)
    dcs.set_permissive(permissive)
    dcs.shed = shed
    status = dcs.check_setpoint("boiler1_sp", value)
    if shed:
        assert status == "BadUserAccessDenied"
    elif 0.0 <= value <= 16.0:  # NaN compares false: never accepted
        assert status == "Good"
        assert bool(dcs.violations) == (not permissive)
    else:
        assert status == "BadOutOfRange"


def test_battery_arbitrage_beats_the_baseline(demo_cfg: PlantConfig) -> None:
    """A controller that charges at night (85 EUR/MWh) and discharges in the evening peak
    (230 EUR/MWh) must show a saving: the ledger responds to control, not only to demand."""
    start = START.replace(hour=0)
    d = PlantDynamics(demo_cfg, seed=8, start=start)
    for _ in range(6 * 24):
        avail = {n: s.available for n, s in d.units.items()}
        loads = baseline_dispatch(d.topo, d.demand_now(), avail, {}, d._merit)
        for n, u in d.topo.converters.items():
            if u.setpoint_tag is not None:
                d.write_setpoint(u.setpoint_tag, loads[n])
        h = d.t.hour
        d.write_setpoint("battery_sp", -0.8 if h < 6 else 0.8 if 17 <= h < 21 else 0.0)
        d.step(600)
    c = compare(d.actual, d.baseline, "EUR")
    assert c.saving > 0, c.summary()
    assert c.unmet_actual < 0.005
