"""Daily shapes of the simulated plant: demand, ambient temperature, prices, forecast error.

Pure functions of simulated time. Shapes are dimensionless multipliers around 1.0 so the
same code serves any carrier size; the dynamics scale them to the plant's capacity.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from optimizer.config.schedules import Schedule


def local_minute(t: datetime, tz: ZoneInfo) -> float:
    """Minute of the local day (fractional) for TOU tables and daily shapes."""
    lt = t.astimezone(tz)
    return lt.hour * 60.0 + lt.minute + lt.second / 60.0


def _bump(minute: float, centre_h: float, width_h: float) -> float:
    """A smooth daily bump (0..1) centred at ``centre_h`` with half-width ``width_h``."""
    d = abs(minute / 60.0 - centre_h)
    d = min(d, 24.0 - d)
    return math.exp(-0.5 * (d / width_h) ** 2)


def ambient_temperature(minute: float, day_of_year: int) -> float:
    """Site ambient temperature (degC): 6 degC swing around a seasonal mean, peak at 15:00."""
    seasonal = 12.0 - 8.0 * math.cos(2 * math.pi * (day_of_year - 15) / 365.0)
    return seasonal + 6.0 * math.cos(2 * math.pi * (minute / 60.0 - 15.0) / 24.0)


def demand_shape(carrier: str, minute: float, weekday: int, ambient: float) -> float:
    """Demand multiplier (mean about 1) for a carrier at a minute of the day.

    Electricity and generic carriers: a day plateau with morning and evening peaks; steam
    and heat: production shifts 06-22 h; cooling: follows ambient temperature.
    """
    weekend = 0.85 if weekday >= 5 else 1.0
    name = carrier.lower()
    if "cool" in name or "chill" in name:
        return max(0.25, 0.55 + 0.045 * (ambient - 10.0)) * weekend
    if "steam" in name or "heat" in name:
        shift = 0.75 + 0.4 * _bump(minute, 14.0, 5.0)
        return shift * weekend
    day = 0.7 + 0.35 * _bump(minute, 10.5, 3.0) + 0.45 * _bump(minute, 18.5, 2.0)
    return day * weekend


def price_shape(minute: float) -> float:
    """Generic electricity price multiplier when a price comes from a tag (no TOU table)."""
    return 0.7 + 0.5 * _bump(minute, 8.5, 1.5) + 0.8 * _bump(minute, 19.0, 2.0)


def schedule_value(
    schedule: Schedule, t: datetime, tz: ZoneInfo, fallback: float, shape_price: bool = False
) -> float:
    """Value of a constant or TOU schedule at ``t``; tag schedules get a generated shape."""
    if schedule.tag is None:
        return schedule.at_minute(int(local_minute(t, tz)))
    if shape_price:
        return fallback * price_shape(local_minute(t, tz))
    return fallback


class ForecastError:
    """Smooth multiplicative forecast error that grows with lead time.

    One persistent standard-normal state per lead step, relaxing towards fresh noise with
    a one-hour correlation time, so consecutive forecasts differ only a little.
    """

    def __init__(self, steps: int, rng: random.Random, sigma0: float = 0.02, sigma_h: float = 0.08):
        self._rng = rng
        self._z = [rng.gauss(0.0, 1.0) for _ in range(steps)]
        self._sigma = [sigma0 + sigma_h * k / max(1, steps - 1) for k in range(steps)]

    def advance(self, dt_s: float) -> None:
        rho = math.exp(-dt_s / 3600.0)
        keep = math.sqrt(max(0.0, 1.0 - rho * rho))
        self._z = [rho * z + keep * self._rng.gauss(0.0, 1.0) for z in self._z]

    def factors(self) -> list[float]:
        return [max(0.0, 1.0 + s * z) for s, z in zip(self._sigma, self._z, strict=True)]


class SlowDisturbance:
    """A slow, bounded process disturbance: two sines plus a mean-reverting random walk."""

    def __init__(self, amplitude: float, rng: random.Random) -> None:
        self.amplitude = amplitude
        self._phase1 = rng.uniform(0, 2 * math.pi)
        self._phase2 = rng.uniform(0, 2 * math.pi)
        self._walk = 0.0
        self._rng = rng

    def value(self, t_s: float) -> float:
        a = self.amplitude
        return (
            0.6 * a * math.sin(2 * math.pi * t_s / (6 * 3600.0) + self._phase1)
            + 0.25 * a * math.sin(2 * math.pi * t_s / (47 * 60.0) + self._phase2)
            + self._walk
        )

    def advance(self, dt_s: float) -> None:
        rho = math.exp(-dt_s / 1800.0)
        keep = math.sqrt(max(0.0, 1.0 - rho * rho))
        self._walk = rho * self._walk + keep * 0.15 * self.amplitude * self._rng.gauss(0, 1)


def horizon_times(t0: datetime, steps: int, step_minutes: float) -> list[datetime]:
    """Mid-points of the forecast periods starting at ``t0``."""
    return [t0 + timedelta(minutes=step_minutes * (k + 0.5)) for k in range(steps)]
