"""Plant dynamics of the simulator: pure, deterministic for a seed, stepped in simulated time.

- Demands follow daily shapes scaled to the plant's supply capacity (45 % of it on
  average), with 2 % AR(1) noise; forecast tags publish the next ``horizon_steps`` period
  means with a lead-time-growing error.
- Converters follow their setpoint with a first-order lag (tau 2 min): a setpoint below
  half of min_load stops the unit, otherwise the load target is clamped to
  [min_load, max_load]; an unavailable unit trips to 0. Units without a setpoint tag run
  the rule-based baseline dispatch (the DCS runs them). On carriers no grid balances
  (steam, cooling), the DCS master control trims the running units around their
  setpoints to meet the actual demand (:func:`optimizer.sim.balance.master_trim`).
- Storage: power follows the setpoint (tau 5 s) within charge/discharge limits and stops
  at soc_min/soc_max; SoC integrates with the configured efficiencies.
- Grid: import balances its carrier; the billing peak is the max of the 15-min average.
- Compensation CVs: ``base + sum(gain * (input - reference)) + slow disturbance + noise``,
  lagged (tau 5 min), with base the CV's target (or mid-range) and references the MVs'
  and disturbances' start values. MV process values follow their setpoints (tau 1 min).
- Costs: energy (grid + fuels) and CO2 are integrated for the plant and for the rule-based
  baseline fed the same demand and disturbance (:mod:`optimizer.sim.baseline`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from optimizer.config.plant import StorageUnit
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.sim import profiles as pf
from optimizer.sim.balance import Flows, Topology, master_trim, settle
from optimizer.sim.baseline import baseline_dispatch, merit_order
from optimizer.sim.binding import Binding, Source, bind
from optimizer.sim.exogenous import Exogenous, mid_span
from optimizer.sim.ledger import Ledger, Prices

Value = float | bool | int | tuple[float, ...]

TAU_UNIT_S = 120.0
TAU_STORAGE_S = 5.0
TAU_MV_S = 60.0
TAU_CV_S = 300.0
TAU_PEAK_S = 900.0
MAX_SUBSTEP_S = 30.0


@dataclass(kw_only=True)
class UnitState:
    load: float = 0.0
    running: bool = False
    available: bool = True
    hours_in_state: float = 10.0


class PlantDynamics:
    """The simulated plant's state; ``step`` advances simulated time, ``values`` is the
    current process image by tag name."""

    def __init__(self, cfg: PlantConfig, *, seed: int = 0, start: datetime | None = None):
        self.cfg = cfg
        self.topo = Topology.of(cfg)
        self.bindings: dict[str, Binding] = bind(cfg)
        self.tz = ZoneInfo(cfg.plant.timezone)
        self.rng = random.Random(seed)
        self.t = (start or datetime.now(UTC)).astimezone(UTC)
        self.elapsed_s = 0.0
        self.horizon = cfg.cycle.horizon_steps
        self.step_minutes = cfg.cycle.step_minutes
        self.watchdog = 0
        self.sequence = 0  # last cycle number plantloop wrote with its setpoints
        self.permissive = True
        self.units = {n: UnitState() for n in self.topo.converters}
        self.master_trim = True  # DCS master controls trim units around their setpoints
        self._trimmable = frozenset(
            n for n, u in self.topo.converters.items() if u.setpoint_tag is not None
        )
        self.soc = {n: _initial_soc(s) for n, s in self.topo.storages.items()}
        self.storage_p = dict.fromkeys(self.topo.storages, 0.0)
        self.peak_avg = dict.fromkeys(self.topo.grids, 0.0)
        self.peak = {n: g.peak_so_far for n, g in self.topo.grids.items()}
        self.month = self.t.month
        self.actual = Ledger()
        self.baseline = Ledger()
        self.flows = Flows()
        self.exo = Exogenous(cfg, self.topo)
        self._noise = dict.fromkeys(cfg.demands, 0.0)
        self._fc_err = {
            b.tag: pf.ForecastError(self.horizon, self.rng)
            for b in self.bindings.values()
            if b.forecast
        }
        self._merit = merit_order(self.topo, self.exo.ref_input_prices(self.t))
        self.setpoints: dict[str, float] = {}
        self._mv_tags = {mv.tag for blk in cfg.compensation.values() for mv in blk.mvs.values()}
        for name, t in cfg.setpoint_tags.items():
            assert t.setpoint is not None
            sp = t.setpoint
            mid = sp.safe_value if sp.safe_value is not None else (sp.min + sp.max) / 2
            self.setpoints[name] = (
                min(max(0.0, sp.min), sp.max) if name not in self._mv_tags else mid
            )
        for g in self.topo.grids.values():  # an import limit starts wide open
            if g.setpoint_tag is not None:
                lim = cfg.tags[g.setpoint_tag].setpoint
                assert lim is not None
                self.setpoints[g.setpoint_tag] = min(max(g.max_import, lim.min), lim.max)
        self._init_dispatch()
        self.mv_pv = {tag: self.setpoints[tag] for tag in self._mv_tags}
        self.mv_ref = dict(self.mv_pv)
        self.dist_ref = {
            b.tag: self._disturbance(b)
            for b in self.bindings.values()
            if b.source in (Source.DISTURBANCE, Source.AMBIENT)
        }
        self._cv_dist: dict[str, pf.SlowDisturbance] = {}
        self.cv_state: dict[str, float] = {}
        self._cv_base: dict[str, float] = {}
        for blk in cfg.compensation.values():
            for cv in blk.cvs.values():
                base = cv.target if cv.target is not None else _mid(cv.low, cv.high)
                amp = (
                    0.5 * (cv.high - cv.low)
                    if cv.low is not None and cv.high is not None
                    else max(1.0, 0.03 * abs(base))
                )
                self._cv_base[cv.tag] = base
                self._cv_dist[cv.tag] = pf.SlowDisturbance(amp, self.rng)
                self.cv_state[cv.tag] = base + self._cv_dist[cv.tag].value(0.0)
        self.flows = settle(
            self.topo,
            self.demand_now(),
            {n: u.load for n, u in self.units.items()},
            self.storage_p,
            self._renewable_now(),
        )
        self.values: dict[str, Value] = {}
        self._publish()

    # ----- inputs from the control side -------------------------------------------------
    def write_setpoint(self, tag: str, value: float) -> None:
        self.setpoints[tag] = float(value)
        self.values[tag] = float(value)

    def write_watchdog(self, value: int) -> None:
        self.watchdog = int(value)
        if self.cfg.interlocks.watchdog is not None:
            self.values[self.cfg.interlocks.watchdog.tag] = self.watchdog

    def set_permissive(self, on: bool) -> None:
        self.permissive = on
        if self.cfg.interlocks.permissive_tag is not None:
            self.values[self.cfg.interlocks.permissive_tag] = on

    def set_available(self, unit: str, on: bool) -> None:
        self.units[unit].available = on
        self._publish()

    # ----- time ---------------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance simulated time by ``dt_s`` seconds (sub-stepped for accuracy)."""
        while dt_s > 1e-9:
            h = min(dt_s, MAX_SUBSTEP_S)
            self._substep(h)
            dt_s -= h
        self._publish()

    def _substep(self, dt: float) -> None:
        self.t += timedelta(seconds=dt)
        self.elapsed_s += dt
        if self.t.month != self.month:
            self.month = self.t.month
            self.peak = dict.fromkeys(self.peak, 0.0)
        for n in self._noise:
            rho = math.exp(-dt / 600.0)
            self._noise[n] = rho * self._noise[n] + math.sqrt(
                1 - rho * rho
            ) * 0.02 * self.rng.gauss(0, 1)
        for err in self._fc_err.values():
            err.advance(dt)
        demand = self.demand_now()
        renew = self._renewable_now()
        avail = {n: s.available for n, s in self.units.items()}
        base_loads = baseline_dispatch(self.topo, demand, avail, renew, self._merit)
        actual_demand = dict(demand)
        for c, d in self._coupling().items():
            actual_demand[c] = actual_demand.get(c, 0.0) + d
        self._step_units(dt, base_loads, actual_demand, renew)
        self._step_storage(dt)
        self._step_process(dt)
        loads = {n: s.load for n, s in self.units.items()}
        self.flows = settle(self.topo, actual_demand, loads, self.storage_p, renew)
        base_flows = settle(self.topo, demand, base_loads, {}, renew)
        prices = self._prices()
        self.actual.add(self.flows, prices, dt, self.cfg.co2.price, actual_demand)
        self.baseline.add(base_flows, prices, dt, self.cfg.co2.price, demand)
        a = 1 - math.exp(-dt / TAU_PEAK_S)
        for g, imp in self.flows.grid_import.items():
            self.peak_avg[g] += (imp - self.peak_avg[g]) * a
            self.peak[g] = max(self.peak[g], self.peak_avg[g])

    def _step_units(
        self,
        dt: float,
        base_loads: Mapping[str, float],
        demand: Mapping[str, float],
        renew: Mapping[str, float],
    ) -> None:
        a = 1 - math.exp(-dt / TAU_UNIT_S)
        targets: dict[str, float] = {}
        for n, u in self.topo.converters.items():
            if not self.units[n].available:
                targets[n] = 0.0
            elif u.setpoint_tag is None:
                targets[n] = base_loads[n]
            else:
                sp = self.setpoints[u.setpoint_tag]
                lim = min(max(sp, u.min_load), u.max_load)
                targets[n] = 0.0 if sp < 0.5 * u.min_load else lim
        if self.master_trim:
            targets = master_trim(self.topo, targets, demand, renew, self._trimmable)
        for n in self.topo.converters:
            st, target = self.units[n], targets[n]
            running = target > 0.0
            st.hours_in_state = 0.0 if running != st.running else st.hours_in_state + dt / 3600
            st.running = running
            st.load += (target - st.load) * a
            if not running and st.load < 1e-3:
                st.load = 0.0

    def _step_storage(self, dt: float) -> None:
        a = 1 - math.exp(-dt / TAU_STORAGE_S)
        for n, s in self.topo.storages.items():
            cmd = self.setpoints[s.setpoint_tag] if s.setpoint_tag is not None else 0.0
            cmd = min(max(cmd, -s.max_charge), s.max_discharge)
            soc = self.soc[n]
            if (cmd > 0 and soc <= s.soc_min) or (cmd < 0 and soc >= s.soc_max):
                cmd = 0.0
            p = self.storage_p[n] + (cmd - self.storage_p[n]) * a
            self.storage_p[n] = p
            use = p / s.discharge_efficiency if p > 0 else p * s.charge_efficiency
            self.soc[n] = min(1.0, max(0.0, soc - use * dt / 3600.0 / s.capacity))

    def _step_process(self, dt: float) -> None:
        a_mv = 1 - math.exp(-dt / TAU_MV_S)
        for tag in self.mv_pv:
            self.mv_pv[tag] += (self.setpoints[tag] - self.mv_pv[tag]) * a_mv
        a_cv = 1 - math.exp(-dt / TAU_CV_S)
        for blk in self.cfg.compensation.values():
            for cv_name, cv in blk.cvs.items():
                dist = self._cv_dist[cv.tag]
                dist.advance(dt)
                target = self._cv_base[cv.tag] + dist.value(self.elapsed_s)
                for src, gain in blk.gains.get(cv_name, {}).items():
                    if src in blk.mvs:
                        mv = blk.mvs[src].tag
                        target += gain * (self.mv_pv[mv] - self.mv_ref[mv])
                    elif src in blk.disturbances:
                        d = blk.disturbances[src].tag
                        target += gain * (self._disturbance(self.bindings[d]) - self.dist_ref[d])
                self.cv_state[cv.tag] += (target - self.cv_state[cv.tag]) * a_cv

    # ----- exogenous signals --------------------------------------------------------------
    def demand_now(self, t: datetime | None = None, noise: bool = True) -> dict[str, float]:
        """Demand per carrier at ``t`` (default: now), before MV energy couplings."""
        t = t or self.t
        out: dict[str, float] = {}
        for name, d in self.cfg.demands.items():
            v = self._demand(name, t) * (1.0 + (self._noise[name] if noise else 0.0))
            out[d.carrier] = out.get(d.carrier, 0.0) + max(0.0, v)
        return out

    def _demand(self, name: str, t: datetime) -> float:
        return self.exo.demand(name, t)

    def _renewable_now(self, t: datetime | None = None) -> dict[str, float]:
        return self.exo.renewable(t or self.t)

    def _disturbance(self, b: Binding, t: datetime | None = None) -> float:
        return self.exo.disturbance(b, t or self.t, self.elapsed_s)

    def _coupling(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for blk in self.cfg.compensation.values():
            for mv in blk.mvs.values():
                for e in mv.energy:
                    delta = e.per_unit * (self.mv_pv[mv.tag] - self.mv_ref[mv.tag])
                    out[e.carrier] = out.get(e.carrier, 0.0) + delta
        return out

    def _prices(self, t: datetime | None = None) -> Prices:
        return self.exo.prices(t or self.t)

    def _init_dispatch(self) -> None:
        """Start from the baseline dispatch so the plant begins in a believable state."""
        avail = {n: True for n in self.units}
        loads = baseline_dispatch(
            self.topo, self.demand_now(noise=False), avail, self._renewable_now(), self._merit
        )
        for n, u in self.topo.converters.items():
            st = self.units[n]
            st.load, st.running = loads[n], loads[n] > 0
            if u.setpoint_tag is not None:
                t = self.cfg.tags[u.setpoint_tag].setpoint
                assert t is not None
                self.setpoints[u.setpoint_tag] = min(max(loads[n], t.min), t.max)

    # ----- the process image --------------------------------------------------------------
    def _publish(self) -> None:
        for tag, b in self.bindings.items():
            self.values[tag] = self._value(b)

    def forecast(self, b: Binding) -> tuple[float, ...]:
        times = pf.horizon_times(self.t, self.horizon, self.step_minutes)
        err = self._fc_err[b.tag].factors()
        vals = [self._scalar(b, t, noisy=False) for t in times]
        return tuple(round(v * e, 6) for v, e in zip(vals, err, strict=True))

    def _value(self, b: Binding) -> Value:
        if b.forecast:
            return self.forecast(b)
        s = b.source
        if s is Source.PERMISSIVE:
            return self.permissive
        if s is Source.WATCHDOG:
            return self.watchdog
        if s is Source.SEQUENCE:
            return self.sequence
        if s is Source.SETPOINT:
            return self.setpoints[b.tag]
        if s is Source.UNIT_RUNNING:
            return self.units[b.ref].running
        if s is Source.UNIT_AVAILABLE:
            return self.units[b.ref].available
        return self._scalar(b, self.t, noisy=True)

    def _scalar(self, b: Binding, t: datetime, noisy: bool) -> float:
        s, cfg_tag = b.source, self.cfg.tags[b.tag]
        noise = self.rng.gauss(0.0, 1.0) if noisy else 0.0
        if s is Source.UNIT_LOAD:
            return max(
                0.0,
                self.units[b.ref].load
                + noise
                * 0.003
                * self.topo.converters[b.ref].max_load
                * (self.units[b.ref].load > 0),
            )
        if s is Source.CLOCK:
            return self.t.timestamp()
        if s is Source.UNIT_HOURS:
            return round(self.units[b.ref].hours_in_state, 4)
        if s is Source.STORAGE_SOC:
            return self.soc[b.ref]
        if s in (Source.GRID_IMPORT, Source.GRID_EXPORT):
            imp = self.flows.grid_import.get(b.ref, 0.0)
            return imp if s is Source.GRID_IMPORT else max(0.0, -imp)
        if s is Source.GRID_PEAK:
            return self.peak[b.ref]
        if s is Source.CV:
            return self.cv_state[b.tag] + noise * 0.02 * self._cv_dist[b.tag].amplitude
        if s in (Source.DISTURBANCE, Source.AMBIENT):
            return self._disturbance(b, t) + noise * 0.1
        if s is Source.DEMAND:
            d = self.cfg.demands[b.ref]
            return (
                self.demand_now(t, noise=t == self.t)[d.carrier]
                if t == self.t
                else self._demand(b.ref, t)
            )
        if s in (Source.IMPORT_PRICE, Source.EXPORT_PRICE):
            p = self._prices(t)
            return (p.grid_import if s is Source.IMPORT_PRICE else p.grid_export)[b.ref]
        if s is Source.FUEL_PRICE:
            return self._prices(t).fuel[b.ref]
        if s is Source.CO2_FACTOR:
            return self._prices(t).co2[b.ref]
        if s is Source.RENEWABLE:
            return self._renewable_now(t)[b.ref]
        if s in (Source.OPERATOR_MIN, Source.OPERATOR_MAX):
            sp = self.cfg.tags[b.ref].setpoint
            assert sp is not None
            return sp.min if s is Source.OPERATOR_MIN else sp.max
        mid, span = mid_span(cfg_tag.valid_min, cfg_tag.valid_max)
        return mid + noise * 0.001 * span if cfg_tag.role is TagRole.MEASUREMENT else mid


def _initial_soc(s: StorageUnit) -> float:
    return s.initial_soc if s.initial_soc is not None else (s.soc_min + s.soc_max) / 2


def _mid(lo: float | None, hi: float | None) -> float:
    return mid_span(lo, hi)[0]
