"""The root of a plant configuration: one YAML file describes one plant area.

Every section is a frozen pydantic model with unknown keys refused. Relations between
sections (a tag referenced by a unit exists and has the right role, ...) are checked in
:mod:`optimizer.config.checks` after the sections themselves are valid.
"""

from __future__ import annotations

import difflib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator

from optimizer.config.base import Name, Section
from optimizer.config.connection import ConnectionConfig
from optimizer.config.control import (
    CompensationConfig,
    CycleConfig,
    InterlocksConfig,
    LogConfig,
    ObjectivesConfig,
)
from optimizer.config.plant import (
    CarrierConfig,
    Co2Config,
    DemandConfig,
    TariffsConfig,
    UnitConfig,
)
from optimizer.config.tags import TagConfig, TagRole


class PlantInfo(Section):
    name: Name = Field(description="Short name of the plant area; shown in status lines and logs.")
    description: str = Field(default="", description="Free text for people.")
    timezone: str = Field(
        default="UTC",
        description="IANA time zone of the plant (e.g. Europe/Berlin): time-of-use tables "
        "and cron schedules are local times in it.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            near = difflib.get_close_matches(v, sorted(available_timezones()), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ValueError(f"unknown time zone {v!r}{hint}; use an IANA name") from None
        return v


class PlantConfig(Section):
    plant: PlantInfo
    """Name, description and time zone of the plant area."""
    connection: ConnectionConfig
    """How plantloop reaches the control system's OPC UA server."""
    cycle: CycleConfig = CycleConfig()
    """When a cycle runs, the solver's limits and the planning horizon."""
    tags: dict[Name, TagConfig]
    """Every OPC UA variable plantloop reads or writes, by a name used everywhere else."""
    carriers: dict[Name, CarrierConfig]
    """Energy and media carriers (electricity, gas, steam, ...) and their units."""
    demands: dict[Name, DemandConfig] = Field(default_factory=dict)
    """What the site needs of each carrier over the horizon."""
    units: dict[Name, UnitConfig]
    """Boilers, chillers, CHPs, heat pumps, compressors, converters, storage, grid and renewables.
    """
    tariffs: TariffsConfig = TariffsConfig()
    """Prices of purchased fuels and the currency label."""
    co2: Co2Config = Co2Config()
    """CO2 factors per carrier, a CO2 price and an optional cap."""
    compensation: dict[Name, CompensationConfig] = Field(default_factory=dict)
    """Setpoint compensation blocks: CVs, MVs, disturbances and gains."""
    objectives: ObjectivesConfig
    """Objective terms, their weights and tiers."""
    interlocks: InterlocksConfig
    """Permissive, watchdog, shed thresholds and interlock rules."""
    log: LogConfig = LogConfig()
    """Where the decision log is written and how long it is kept."""

    def tags_with_role(self, role: TagRole) -> dict[str, TagConfig]:
        return {name: t for name, t in self.tags.items() if t.role is role}

    @property
    def setpoint_tags(self) -> dict[str, TagConfig]:
        return self.tags_with_role(TagRole.SETPOINT)
