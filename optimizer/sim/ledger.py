"""Running totals of what the plant bought: energy cost, CO2, unmet demand, peak import."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizer.sim.balance import Flows


@dataclass(frozen=True, kw_only=True)
class Prices:
    """Prices and CO2 factors at one instant."""

    grid_import: Mapping[str, float]  # grid unit -> currency per unit·h imported
    grid_export: Mapping[str, float]
    fuel: Mapping[str, float]  # fuel carrier -> currency per unit·h
    co2: Mapping[str, float]  # carrier -> t CO2 per unit·h bought/imported
    grid_carrier: Mapping[str, str]  # grid unit -> its carrier


@dataclass(kw_only=True)
class Ledger:
    """Integrated totals since the simulator started (currency, t CO2, unit·h)."""

    energy_cost: float = 0.0
    co2_t: float = 0.0
    co2_cost: float = 0.0
    unmet: dict[str, float] = field(default_factory=dict)
    bought: dict[str, float] = field(default_factory=dict)
    demand: dict[str, float] = field(default_factory=dict)  # carrier -> demanded unit·h
    hours: float = 0.0

    @property
    def cost(self) -> float:
        """Energy cost plus priced CO2 (the figure `plantloop demo` compares)."""
        return self.energy_cost + self.co2_cost

    def add(
        self,
        flows: Flows,
        prices: Prices,
        dt_s: float,
        co2_price: float,
        demand: Mapping[str, float],
    ) -> None:
        h = dt_s / 3600.0
        self.hours += h
        for c, d in demand.items():
            self.demand[c] = self.demand.get(c, 0.0) + d * h
        for g, imp in flows.grid_import.items():
            c = prices.grid_carrier[g]
            price = prices.grid_import[g] if imp >= 0 else prices.grid_export[g]
            self.energy_cost += price * imp * h
            if imp > 0:
                self._bought(c, imp * h, prices, co2_price)
        for c, q in flows.purchased.items():
            self.energy_cost += prices.fuel.get(c, 0.0) * q * h
            self._bought(c, q * h, prices, co2_price)
        for c, q in flows.unmet.items():
            self.unmet[c] = self.unmet.get(c, 0.0) + q * h

    def _bought(self, carrier: str, qty: float, prices: Prices, co2_price: float) -> None:
        self.bought[carrier] = self.bought.get(carrier, 0.0) + qty
        t = prices.co2.get(carrier, 0.0) * qty
        self.co2_t += t
        self.co2_cost += t * co2_price

    def to_dict(self) -> dict[str, Any]:
        return {
            "cost": self.cost,
            "energy_cost": self.energy_cost,
            "co2_t": self.co2_t,
            "co2_cost": self.co2_cost,
            "unmet": dict(self.unmet),
            "bought": dict(self.bought),
            "demand": dict(self.demand),
            "hours": self.hours,
        }


UNMET_FLAG = 0.005  # the demo summary flags unmet demand above 0.5 % of a carrier's demand


@dataclass(frozen=True, kw_only=True)
class CostComparison:
    """The plant's purchased-energy cost against the rule-based baseline, same period."""

    hours: float
    currency: str
    actual: Mapping[str, Any]
    baseline: Mapping[str, Any]
    saving: float  # baseline cost - actual cost (positive: plantloop saved money)
    saving_pct: float
    unmet_actual: float  # share of the demand not delivered (0..1): a saving bought with
    unmet_baseline: float  # unmet demand is no saving; check these before quoting it

    def to_dict(self) -> dict[str, Any]:
        return {
            "hours": self.hours,
            "currency": self.currency,
            "actual": dict(self.actual),
            "baseline": dict(self.baseline),
            "saving": self.saving,
            "saving_pct": self.saving_pct,
            "unmet_actual": self.unmet_actual,
            "unmet_baseline": self.unmet_baseline,
        }

    def summary(self) -> str:
        """One line for `plantloop demo`."""
        line = (
            f"energy cost {self.actual['cost']:,.0f} {self.currency} vs rule-based baseline "
            f"{self.baseline['cost']:,.0f} {self.currency} over {self.hours:.1f} h simulated "
            f"({self.saving_pct:+.1f} % saved)"
        )
        if self.unmet_actual > self.unmet_baseline + UNMET_FLAG:
            line += f"; {100 * self.unmet_actual:.1f} % of demand not met (baseline "
            line += f"{100 * self.unmet_baseline:.1f} %)"
        return line


def compare(actual: Ledger, baseline: Ledger, currency: str) -> CostComparison:
    saving = baseline.cost - actual.cost
    return CostComparison(
        hours=actual.hours,
        currency=currency,
        actual=actual.to_dict(),
        baseline=baseline.to_dict(),
        saving=saving,
        saving_pct=100.0 * saving / baseline.cost if baseline.cost > 0 else 0.0,
        unmet_actual=_share(actual.unmet, actual.demand),
        unmet_baseline=_share(baseline.unmet, baseline.demand),
    )


def _share(unmet: Mapping[str, float], demand: Mapping[str, float]) -> float:
    """Largest share of any carrier's demand that was not delivered."""
    return max((q / demand[c] for c, q in unmet.items() if demand.get(c, 0.0) > 0), default=0.0)
