"""What the model needs each cycle: scalar tag values, forecast arrays, the previous plan."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schedules import Schedule
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.errors import InputError

if TYPE_CHECKING:
    from models.result import PlanResult


@dataclass(frozen=True, kw_only=True)
class ModelInputs:
    start: datetime  # UTC start of period 0
    values: Mapping[str, float]
    forecasts: Mapping[str, Sequence[float]]
    previous_plan: PlanResult | None = None

    @classmethod
    def from_state_file(
        cls, path: Path, cfg: PlantConfig, start: datetime | None = None
    ) -> ModelInputs:
        """A JSON snapshot: {"tag": number or [numbers], "_start": "ISO time" (optional)}."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"{path}: state file not found") from None
        except json.JSONDecodeError as e:
            raise InputError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a JSON object of tag -> value")
        when = start
        if "_start" in data:
            try:
                when = datetime.fromisoformat(str(data.pop("_start")))
            except ValueError:
                raise InputError(f"{path}: _start is not an ISO date/time") from None
        if when is not None and when.tzinfo is None:
            raise InputError(f"{path}: _start has no UTC offset (write e.g. +01:00 or Z)")
        when = (when or datetime.now(UTC)).astimezone(UTC)
        return cls.from_mapping(data, cfg, start=when, where=str(path))

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], cfg: PlantConfig, *, start: datetime, where: str = "state"
    ) -> ModelInputs:
        values: dict[str, float] = {}
        forecasts: dict[str, tuple[float, ...]] = {}
        horizon = cfg.cycle.horizon_steps
        for tag in sorted(required_tags(cfg)):
            if tag not in data:
                raise InputError(f"{where}: tag {tag}: missing (the model needs it)")
            v = data[tag]
            if cfg.tags[tag].role is TagRole.FORECAST:
                if not isinstance(v, list) or len(v) != horizon:
                    got = f"{len(v)} values" if isinstance(v, list) else type(v).__name__
                    raise InputError(
                        f"{where}: tag {tag}: forecast needs {horizon} values (got {got})"
                    )
                forecasts[tag] = tuple(_number(x, tag, where) for x in v)
            else:
                values[tag] = _number(v, tag, where)
        for tag in sorted(optional_tags(cfg) - values.keys()):
            if tag in data:  # read when the snapshot has it
                values[tag] = _number(data[tag], tag, where)
        return cls(start=start, values=values, forecasts=forecasts)


def _number(v: Any, tag: str, where: str) -> float:
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise InputError(f"{where}: tag {tag}: expected a finite number (got {v!r})")
    return float(v)


def _schedule_tags(s: Schedule | None) -> set[str]:
    return {s.tag} if s is not None and s.tag is not None else set()


def required_tags(cfg: PlantConfig) -> set[str]:
    """Every tag whose value the model reads (scalars and forecasts)."""
    tags: set[str] = set()
    for u in cfg.units.values():
        if isinstance(u, ConverterUnit):
            for t in (u.availability_tag, u.status_tag, u.load_tag, u.time_in_state_tag):
                if t is not None:
                    tags.add(t)
            for sched in (u.availability, u.fuel_price, u.co2_factor):
                tags |= _schedule_tags(sched)
        elif isinstance(u, StorageUnit) and u.soc_tag is not None:
            tags.add(u.soc_tag)
        elif isinstance(u, GridUnit):
            tags |= _schedule_tags(u.import_price) | _schedule_tags(u.export_price)
            if u.peak_so_far_tag is not None:
                tags.add(u.peak_so_far_tag)
        elif isinstance(u, RenewableUnit):
            tags |= _schedule_tags(u.forecast)
    for d in cfg.demands.values():
        tags |= _schedule_tags(d.forecast)
    for f in cfg.tariffs.fuels.values():
        tags |= _schedule_tags(f.price)
    for s in cfg.co2.factors.values():
        tags |= _schedule_tags(s)
    for b in cfg.compensation.values():
        tags |= {c.tag for c in b.cvs.values()} | {m.tag for m in b.mvs.values()}
        tags |= {d.tag for d in b.disturbances.values()}
    return tags


def optional_tags(cfg: PlantConfig) -> set[str]:
    """Tags the model uses when they have a value: the setpoints of units (the plan's first
    period stays within their move limits from the value read now)."""
    tags: set[str] = set()
    for u in cfg.units.values():
        if isinstance(u, ConverterUnit | StorageUnit) and u.setpoint_tag is not None:
            tags.add(u.setpoint_tag)
    return tags
