"""Phase 3 — update: turn validated readings into the model's inputs (no model rebuild)."""

from __future__ import annotations

from datetime import datetime, timedelta

from models.inputs import ModelInputs, optional_tags, required_tags
from models.result import PlanResult
from optimizer.config.schema import PlantConfig
from optimizer.errors import InputError
from optimizer.validation import ValidatedInputs


def period_start(now: datetime, step_minutes: float) -> datetime:
    """Start of the horizon: now, floored to the step (so TOU tables line up)."""
    step = timedelta(minutes=step_minutes)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + ((now - midnight) // step) * step


def build_inputs(
    cfg: PlantConfig,
    validated: ValidatedInputs,
    now: datetime,
    previous: PlanResult | None,
) -> ModelInputs:
    """ModelInputs from usable values; a tag the model needs but cannot have -> InputError."""
    needed = required_tags(cfg)
    missing = sorted(t for t in needed if t not in validated.values)
    if missing:
        raise InputError(
            f"no usable value for {', '.join(missing)} (see input issues); the model needs it"
        )
    scalars: dict[str, float] = {}
    forecasts: dict[str, tuple[float, ...]] = {}
    for tag in sorted(needed):
        value = validated.values[tag]
        if isinstance(value, tuple):
            forecasts[tag] = value
        elif value is None:
            raise InputError(f"tag {tag}: no value")
        else:
            scalars[tag] = float(value)
    for tag in sorted(optional_tags(cfg) - needed):  # used when there is a usable value
        value = validated.values.get(tag)
        if isinstance(value, int | float) and not isinstance(value, bool):
            scalars[tag] = float(value)
    return ModelInputs(
        start=period_start(now, cfg.cycle.step_minutes),
        values=scalars,
        forecasts=forecasts,
        previous_plan=previous,
    )
