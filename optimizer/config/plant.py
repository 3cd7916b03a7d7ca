"""``carriers:``, ``demands:``, ``units:``, ``tariffs:`` and ``co2:`` — the energy system."""

from __future__ import annotations

import itertools
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from optimizer.config.base import Fraction, Name, NonNegFloat, PositiveFloat, Section
from optimizer.config.schedules import Schedule


class CarrierConfig(Section):
    unit: str = Field(description="Unit of power/flow, e.g. kW, t/h, Nm3/h.")
    description: str = ""
    """Free text for people."""
    unmet_penalty: PositiveFloat = Field(
        default=10_000.0,
        description="Cost per unit·hour of demand that cannot be met (keeps the model feasible "
        "and says which balance failed).",
    )


class DemandConfig(Section):
    carrier: Name
    """The carrier the demand draws."""
    forecast: Schedule = Field(description="Demand over the horizon (value, tou or tag).")


class CurvePoint(Section):
    load: float = Field(description="Primary output of the unit.")
    input: NonNegFloat = Field(description="Input carrier consumed at that load.")
    coproducts: dict[Name, NonNegFloat] = Field(
        default_factory=dict,
        description="Co-product output at this point of the curve (shared breakpoints), e.g. "
        "a CHP's heat at this fuel input and electrical load: between points it is "
        "interpolated like the input. Give the same carriers at every point.",
    )


class Outage(Section):
    """A planned outage (maintenance): the unit is off in every period it overlaps."""

    start: datetime = Field(description="Start, ISO date/time (plant local time if no offset).")
    end: datetime = Field(description="End, ISO date/time (plant local time if no offset).")
    reason: str = Field(default="", description="Why, for the plan's explanation.")

    @model_validator(mode="after")
    def _order(self) -> Outage:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give start and end both with or both without a UTC offset")
        if self.end <= self.start:
            raise ValueError(f"end must be after start (got {self.start} .. {self.end})")
        return self


class UnitType(StrEnum):
    BOILER = "boiler"
    CHILLER = "chiller"
    CHP = "chp"
    HEAT_PUMP = "heat_pump"
    COMPRESSOR = "compressor"
    CONVERTER = "converter"


class ConverterUnit(Section):
    """A unit that turns one input carrier into a primary output (and optional co-products).

    ``curve`` gives input as a piecewise-linear function of load between min_load and
    max_load; with two points it is linear. Co-products scale with the load.
    """

    type: Literal["boiler", "chiller", "chp", "heat_pump", "compressor", "converter"]
    """Unit kind: boiler, chiller, chp, heat_pump, compressor or converter (same model, different
    labels).
    """
    input: Name
    """Carrier consumed (gas for a boiler, electricity for a chiller)."""
    output: Name
    """Primary output carrier; load is measured in it."""
    coproducts: dict[Name, NonNegFloat] = Field(
        default_factory=dict,
        description="Extra output carriers per unit of load (CHP heat as a fixed ratio); for "
        "a co-product with its own curve give it on the curve points instead.",
    )
    min_load: NonNegFloat
    """Lowest load while running (0 allowed), in the output carrier's unit."""
    max_load: PositiveFloat
    """Highest load, in the output carrier's unit."""
    curve: list[CurvePoint] = Field(min_length=2)
    """Input rate at output rates, min_load to max_load (see docs/units.md)."""
    startup_cost: NonNegFloat = Field(default=0.0, description="Cost of each start.")
    shutdown_cost: NonNegFloat = Field(default=0.0, description="Cost of each stop.")
    fuel_price: Schedule | None = Field(
        default=None,
        description="Price per input-unit·h where this unit pays another price than its input "
        "carrier's tariff (own contract): the unit then buys its input itself, outside the "
        "carrier's balance.",
    )
    co2_factor: Schedule | None = Field(
        default=None,
        description="t CO2 per input-unit·h of this unit, instead of its input carrier's "
        "factor (e.g. a biogas share).",
    )
    min_up_steps: int = Field(default=1, ge=1)
    """Once started, the unit stays on at least this many periods."""
    min_down_steps: int = Field(default=1, ge=1)
    """Once stopped, the unit stays off at least this many periods."""
    ramp_up: PositiveFloat | None = Field(default=None, description="Max load increase per step.")
    ramp_down: PositiveFloat | None = None
    """Max load decrease per period."""
    availability_tag: Name | None = Field(
        default=None, description="Measurement tag; 0/false forces the unit off (whole horizon)."
    )
    availability: Schedule | None = Field(
        default=None,
        description="Availability per period (< 0.5 forces the unit off in that period): a "
        "forecast tag, or a time-of-day table such as 0 from 06:00 and 1 from 09:00.",
    )
    outages: list[Outage] = Field(
        default_factory=list,
        description="Planned outages (maintenance windows): off in every period they overlap.",
    )
    status_tag: Name | None = Field(
        default=None, description="Measurement tag: is the unit running now (initial state)."
    )
    load_tag: Name | None = Field(
        default=None, description="Measurement tag: present load (start of ramp limits)."
    )
    time_in_state_tag: Name | None = Field(
        default=None, description="Measurement tag: hours in the current on/off state."
    )
    setpoint_tag: Name | None = Field(
        default=None, description="Setpoint tag the first period's load is written to."
    )
    must_run: bool = False
    """The unit is on in every period (if available)."""

    @model_validator(mode="after")
    def _loads_and_curve(self) -> ConverterUnit:
        if self.min_load > self.max_load:
            raise ValueError(
                f"min_load must be <= max_load (got {self.min_load} > {self.max_load})"
            )
        loads = [p.load for p in self.curve]
        for a, b in itertools.pairwise(loads):
            if b <= a:
                raise ValueError(
                    f"curve points must be strictly increasing in load (got {a} then {b})"
                )
        carriers = {frozenset(p.coproducts) for p in self.curve}
        if len(carriers) > 1:
            raise ValueError("curve points must all give the same coproducts carriers")
        both = set(self.coproducts) & set(self.curve[0].coproducts)
        if both:
            raise ValueError(
                f"coproduct {sorted(both)[0]!r} is given as a ratio and on the curve: use one"
            )
        if self.output in self.curve[0].coproducts or self.output in self.coproducts:
            raise ValueError(f"the output {self.output!r} cannot also be a coproduct")
        if abs(loads[0] - self.min_load) > 1e-9 or abs(loads[-1] - self.max_load) > 1e-9:
            raise ValueError(
                f"curve must span min_load..max_load = {self.min_load}..{self.max_load} "
                f"(got {loads[0]}..{loads[-1]})"
            )
        return self


class StorageUnit(Section):
    type: Literal["storage"]
    """storage."""
    carrier: Name
    """The carrier stored (electricity for a battery, cooling for an ice store)."""
    capacity: PositiveFloat = Field(description="Energy capacity in carrier-unit·hours.")
    max_charge: PositiveFloat
    """Highest charging rate, carrier unit."""
    max_discharge: PositiveFloat
    """Highest discharging rate, carrier unit."""
    charge_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.95
    """Share of the charged energy that is stored (0..1]."""
    discharge_efficiency: Annotated[float, Field(gt=0, le=1)] = 0.95
    """Share of the stored energy delivered when discharging (0..1]."""
    soc_min: Fraction = 0.0
    """Lowest state of charge, fraction of capacity."""
    soc_max: Fraction = 1.0
    """Highest state of charge, fraction of capacity."""
    initial_soc: Fraction | None = Field(default=None, description="Used when no soc_tag is given.")
    soc_tag: Name | None = Field(default=None, description="Measurement tag: SoC as fraction.")
    terminal_soc: Fraction | Literal["initial"] | None = Field(
        default="initial", description="SoC at the horizon end: a fraction, 'initial' or null."
    )
    cycle_cost: NonNegFloat = Field(
        default=0.0, description="Cost per unit·hour discharged (wear; stops pointless cycling)."
    )
    setpoint_tag: Name | None = Field(
        default=None, description="Setpoint tag: net discharge power (negative = charge)."
    )

    @model_validator(mode="after")
    def _soc(self) -> StorageUnit:
        if self.soc_min > self.soc_max:
            raise ValueError(f"soc_min must be <= soc_max (got {self.soc_min} > {self.soc_max})")
        if self.soc_tag is None and self.initial_soc is None:
            raise ValueError("give soc_tag (measured) or initial_soc")
        return self


class GridUnit(Section):
    type: Literal["grid"]
    """grid."""
    carrier: Name
    """The carrier bought and sold (electricity)."""
    max_import: NonNegFloat
    """Highest import rate, carrier unit."""
    max_export: NonNegFloat = 0.0
    """Highest export rate, carrier unit (0: no export)."""
    import_price: Schedule
    """Price per carrier unit·hour imported (value, tou or a tag)."""
    export_price: Schedule | None = None
    """Price per carrier unit·hour exported; empty: export earns nothing."""
    peak_charge: NonNegFloat = Field(
        default=0.0, description="Charge per unit of the billing period's maximum import."
    )
    peak_so_far_tag: Name | None = Field(
        default=None, description="Measurement tag: peak import already reached this period."
    )
    peak_so_far: NonNegFloat = 0.0
    """Peak import already reached this billing period, when no peak_so_far_tag is given."""
    setpoint_tag: Name | None = Field(
        default=None, description="Setpoint tag for the import limit (peak target)."
    )


class RenewableUnit(Section):
    type: Literal["renewable"]
    """renewable."""
    carrier: Name
    """The carrier produced (electricity)."""
    forecast: Schedule = Field(description="Available output over the horizon.")
    curtailable: bool = True
    """Output may be curtailed below the forecast."""


UnitConfig = Annotated[
    ConverterUnit | StorageUnit | GridUnit | RenewableUnit,
    Field(discriminator="type"),
]


class FuelConfig(Section):
    """A purchased carrier (gas, oil, biomass) with its price."""

    price: Schedule
    """Price per carrier unit·hour bought (value, tou or a tag)."""


class TariffsConfig(Section):
    fuels: dict[Name, FuelConfig] = Field(default_factory=dict)
    """Purchased carriers and their prices (per carrier unit·hour)."""
    currency: str = "EUR"
    """Label for money in output; no conversion."""


class Co2Config(Section):
    factors: dict[Name, Schedule] = Field(
        default_factory=dict,
        description="t CO2 per carrier-unit·hour bought (fuels) or imported (grid carrier).",
    )
    price: NonNegFloat = Field(default=0.0, description="Currency per t CO2 in the cost term.")
    cap: NonNegFloat | None = Field(default=None, description="Max t CO2 over the horizon.")
