"""Signals from outside the plant's control: demand, renewables, disturbances, prices.

Pure functions of simulated time (noise is added by the dynamics).
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

from optimizer.config.schema import PlantConfig
from optimizer.sim import profiles as pf
from optimizer.sim.balance import Topology
from optimizer.sim.binding import Binding, Source
from optimizer.sim.ledger import Prices

PRICE_FALLBACK = 120.0  # currency per unit·h when a price comes from a tag
FUEL_FALLBACK = 40.0
CO2_FALLBACK = 0.25
DEMAND_FRACTION = 0.45  # mean demand as a share of the carrier's supply capacity


class Exogenous:
    def __init__(self, cfg: PlantConfig, topo: Topology) -> None:
        self.cfg = cfg
        self.topo = topo
        self.tz = ZoneInfo(cfg.plant.timezone)
        self._demand_mean = self._demand_means()

    def minute(self, t: datetime) -> float:
        return pf.local_minute(t, self.tz)

    def demand(self, name: str, t: datetime) -> float:
        """Expected demand (no noise) of a configured demand at ``t``."""
        d = self.cfg.demands[name]
        if d.forecast.tag is None:
            return d.forecast.at_minute(int(self.minute(t)))
        lt = t.astimezone(self.tz)
        amb = pf.ambient_temperature(self.minute(t), lt.timetuple().tm_yday)
        shape = pf.demand_shape(d.carrier, self.minute(t), lt.weekday(), amb)
        v = self._demand_mean[name] * shape
        vmax = self.cfg.tags[d.forecast.tag].valid_max
        return min(v, 0.9 * vmax) if vmax is not None else v

    def _demand_means(self) -> dict[str, float]:
        cap: dict[str, float] = {}
        for u in self.topo.converters.values():
            cap[u.output] = cap.get(u.output, 0.0) + u.max_load
            for c, f in u.coproducts.items():
                cap[c] = cap.get(c, 0.0) + f * u.max_load
        for g in self.topo.grids.values():
            cap[g.carrier] = cap.get(g.carrier, 0.0) + g.max_import
        per: dict[str, int] = {}
        for d in self.cfg.demands.values():
            per[d.carrier] = per.get(d.carrier, 0) + 1
        return {
            n: DEMAND_FRACTION * cap.get(d.carrier, 1.0) / per[d.carrier]
            for n, d in self.cfg.demands.items()
        }

    def renewable(self, t: datetime) -> dict[str, float]:
        """Available renewable output: the schedule, or a solar day shape for tags."""
        out: dict[str, float] = {}
        for n, r in self.topo.renewables.items():
            if r.forecast.tag is None:
                out[n] = max(0.0, r.forecast.at_minute(int(self.minute(t))))
            else:
                vmax = self.cfg.tags[r.forecast.tag].valid_max or 1.0
                h = self.minute(t) / 60.0
                out[n] = 0.8 * vmax * max(0.0, math.sin(math.pi * (h - 6.0) / 13.0))
        return out

    def disturbance(self, b: Binding, t: datetime, elapsed_s: float) -> float:
        """Ambient temperature, or a slow 8-hour swing around mid-range."""
        if b.source is Source.AMBIENT:
            lt = t.astimezone(self.tz)
            return pf.ambient_temperature(self.minute(t), lt.timetuple().tm_yday)
        mid, span = mid_span(self.cfg.tags[b.tag].valid_min, self.cfg.tags[b.tag].valid_max)
        return mid + 0.05 * span * math.sin(2 * math.pi * elapsed_s / (8 * 3600.0))

    def prices(self, t: datetime) -> Prices:
        imp, exp_ = {}, {}
        for n, g in self.topo.grids.items():
            imp[n] = pf.schedule_value(g.import_price, t, self.tz, PRICE_FALLBACK, True)
            exp_[n] = (
                pf.schedule_value(g.export_price, t, self.tz, 0.0)
                if g.export_price is not None
                else 0.0
            )
        fuel = {
            c: pf.schedule_value(f.price, t, self.tz, FUEL_FALLBACK)
            for c, f in self.cfg.tariffs.fuels.items()
        }
        co2 = {
            c: pf.schedule_value(s, t, self.tz, CO2_FALLBACK)
            for c, s in self.cfg.co2.factors.items()
        }
        return Prices(
            grid_import=imp,
            grid_export=exp_,
            fuel=fuel,
            co2=co2,
            grid_carrier={n: g.carrier for n, g in self.topo.grids.items()},
        )

    def ref_input_prices(self, t: datetime) -> dict[str, float]:
        """Input prices at noon of the day of ``t`` (the baseline's fixed merit order)."""
        p = self.prices(t.replace(hour=12, minute=0, second=0, microsecond=0))
        out = dict(p.fuel)
        for n, c in p.grid_carrier.items():
            out[c] = p.grid_import[n]
        return out


def mid_span(lo: float | None, hi: float | None) -> tuple[float, float]:
    """Middle and span of a validity range (plausible defaults when open)."""
    if lo is not None and hi is not None:
        return (lo + hi) / 2, hi - lo
    if lo is not None:
        return lo + 1.0, 2.0
    if hi is not None:
        return hi / 2, abs(hi) or 1.0
    return 1.0, 1.0
