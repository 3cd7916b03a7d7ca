"""What each configured tag means to the simulator, found from the config's references.

A tag is bound by role and by which unit, demand, tariff or compensation block names it.
Measurement tags nobody references get a heuristic by name (``import``/``export``/``peak``
/``ambient``) or a plausible constant with noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schedules import Schedule
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole


class Source(StrEnum):
    PERMISSIVE = "permissive"
    WATCHDOG = "watchdog"
    SEQUENCE = "sequence"  # the cycle number plantloop writes with its setpoints
    SETPOINT = "setpoint"  # any setpoint: value is what was last written
    UNIT_LOAD = "unit_load"
    UNIT_RUNNING = "unit_running"
    UNIT_AVAILABLE = "unit_available"
    UNIT_HOURS = "unit_hours"
    STORAGE_SOC = "storage_soc"
    GRID_IMPORT = "grid_import"
    GRID_EXPORT = "grid_export"
    GRID_PEAK = "grid_peak"
    CV = "cv"
    DISTURBANCE = "disturbance"
    AMBIENT = "ambient"
    DEMAND = "demand"  # ref: demand name
    IMPORT_PRICE = "import_price"  # ref: grid unit
    EXPORT_PRICE = "export_price"  # ref: grid unit
    FUEL_PRICE = "fuel_price"  # ref: fuel carrier
    CO2_FACTOR = "co2_factor"  # ref: carrier
    RENEWABLE = "renewable"  # ref: renewable unit
    OPERATOR_MIN = "operator_min"  # ref: setpoint tag
    OPERATOR_MAX = "operator_max"
    CONSTANT = "constant"
    CLOCK = "clock"  # cycle.clock_tag: simulated time, seconds since 1970 UTC


BOOLEAN_SOURCES = frozenset({Source.PERMISSIVE, Source.UNIT_RUNNING, Source.UNIT_AVAILABLE})


@dataclass(frozen=True, kw_only=True)
class Binding:
    tag: str
    source: Source
    ref: str = ""
    forecast: bool = False  # a Double array of horizon_steps values

    @property
    def boolean(self) -> bool:
        return self.source in BOOLEAN_SOURCES


def _schedule_refs(cfg: PlantConfig) -> list[tuple[Schedule, Source, str]]:
    out: list[tuple[Schedule, Source, str]] = []
    for name, d in cfg.demands.items():
        out.append((d.forecast, Source.DEMAND, name))
    for name, u in cfg.units.items():
        if isinstance(u, GridUnit):
            out.append((u.import_price, Source.IMPORT_PRICE, name))
            if u.export_price is not None:
                out.append((u.export_price, Source.EXPORT_PRICE, name))
        elif isinstance(u, RenewableUnit):
            out.append((u.forecast, Source.RENEWABLE, name))
    for carrier, f in cfg.tariffs.fuels.items():
        out.append((f.price, Source.FUEL_PRICE, carrier))
    for carrier, s in cfg.co2.factors.items():
        out.append((s, Source.CO2_FACTOR, carrier))
    return out


def bind(cfg: PlantConfig) -> dict[str, Binding]:
    """Bind every configured tag to its simulated source."""
    found: dict[str, tuple[Source, str]] = {}

    def put(tag: str | None, source: Source, ref: str) -> None:
        if tag is not None and tag not in found:
            found[tag] = (source, ref)

    if cfg.interlocks.permissive_tag is not None:
        put(cfg.interlocks.permissive_tag, Source.PERMISSIVE, "")
    if cfg.interlocks.watchdog is not None:
        put(cfg.interlocks.watchdog.tag, Source.WATCHDOG, "")
    put(cfg.interlocks.sequence_tag, Source.SEQUENCE, "")
    put(cfg.cycle.clock_tag, Source.CLOCK, "")
    for name, u in cfg.units.items():
        if isinstance(u, ConverterUnit):
            put(u.availability_tag, Source.UNIT_AVAILABLE, name)
            put(u.status_tag, Source.UNIT_RUNNING, name)
            put(u.load_tag, Source.UNIT_LOAD, name)
            put(u.time_in_state_tag, Source.UNIT_HOURS, name)
        elif isinstance(u, StorageUnit):
            put(u.soc_tag, Source.STORAGE_SOC, name)
        elif isinstance(u, GridUnit):
            put(u.peak_so_far_tag, Source.GRID_PEAK, name)
    for block in cfg.compensation.values():
        for cv in block.cvs.values():
            put(cv.tag, Source.CV, cv.tag)
        for d in block.disturbances.values():
            src = Source.AMBIENT if _looks_ambient(d.tag, cfg) else Source.DISTURBANCE
            put(d.tag, src, d.tag)
    for sched, src, ref in _schedule_refs(cfg):
        put(sched.tag, src, ref)
    for name, t in cfg.tags.items():
        if t.setpoint is not None:
            put(t.setpoint.operator_min_tag, Source.OPERATOR_MIN, name)
            put(t.setpoint.operator_max_tag, Source.OPERATOR_MAX, name)

    grids = [n for n, u in cfg.units.items() if isinstance(u, GridUnit)]
    out: dict[str, Binding] = {}
    for name, t in cfg.tags.items():
        if t.role is TagRole.SETPOINT:
            src, ref = Source.SETPOINT, name
        elif name in found:
            src, ref = found[name]
        else:
            src, ref = _guess(name, t.node, grids, cfg)
        out[name] = Binding(tag=name, source=src, ref=ref, forecast=t.role is TagRole.FORECAST)
    return out


def _looks_ambient(tag: str, cfg: PlantConfig) -> bool:
    text = f"{tag} {cfg.tags[tag].node}".lower()
    return "ambient" in text or "outdoor" in text or "outside" in text


def _guess(name: str, node: str, grids: list[str], cfg: PlantConfig) -> tuple[Source, str]:
    text = f"{name} {node}".lower()
    if grids and "peak" in text:
        return Source.GRID_PEAK, grids[0]
    if grids and "import" in text:
        return Source.GRID_IMPORT, grids[0]
    if grids and "export" in text:
        return Source.GRID_EXPORT, grids[0]
    if _looks_ambient(name, cfg):
        return Source.AMBIENT, name
    return Source.CONSTANT, name
