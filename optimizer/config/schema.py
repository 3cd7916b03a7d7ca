"""The root of a plant configuration: one YAML file describes one plant area.

Every section is a frozen pydantic model with unknown keys refused. Relations between
sections (a tag referenced by a unit exists and has the right role, ...) are checked in
:mod:`optimizer.config.checks` after the sections themselves are valid.
"""

from __future__ import annotations

from pydantic import Field

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
    name: Name
    description: str = ""
    timezone: str = Field(default="UTC", description="IANA zone for time-of-use tables.")


class PlantConfig(Section):
    plant: PlantInfo
    connection: ConnectionConfig
    cycle: CycleConfig = CycleConfig()
    tags: dict[Name, TagConfig]
    carriers: dict[Name, CarrierConfig]
    demands: dict[Name, DemandConfig] = Field(default_factory=dict)
    units: dict[Name, UnitConfig]
    tariffs: TariffsConfig = TariffsConfig()
    co2: Co2Config = Co2Config()
    compensation: dict[Name, CompensationConfig] = Field(default_factory=dict)
    objectives: ObjectivesConfig
    interlocks: InterlocksConfig
    log: LogConfig = LogConfig()

    def tags_with_role(self, role: TagRole) -> dict[str, TagConfig]:
        return {name: t for name, t in self.tags.items() if t.role is role}

    @property
    def setpoint_tags(self) -> dict[str, TagConfig]:
        return self.tags_with_role(TagRole.SETPOINT)
