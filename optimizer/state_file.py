"""A ``plantloop solve`` state file, read the way the loop reads the plant.

The file's values become one Snapshot of Good readings taken at ``_start`` and go through
the same :class:`~optimizer.validation.InputValidator` and the same ``build_inputs`` as a
cycle's read: a SoC of 1.7 or a forecast of the wrong length is refused here exactly as it
would be held in ``run``. Every problem in the file is reported at once, each as
``FILE:LINE: tag: message``.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.inputs import ModelInputs, required_tags
from optimizer.config.schema import PlantConfig
from optimizer.cycle.update import build_inputs
from optimizer.errors import ConfigError, InputError, Problem
from optimizer.plantio.types import Quality, Snapshot, TagReading, Value
from optimizer.validation import InputValidator, IssueKind, ValidatedInputs


@dataclass(frozen=True, kw_only=True)
class StateFile:
    start: datetime  # UTC
    validated: ValidatedInputs
    inputs: ModelInputs


def read_state_file(path: Path, cfg: PlantConfig, *, now: datetime | None = None) -> StateFile:
    """The state file as the model's inputs; :class:`ConfigError` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: state file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read the state file ({e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object of tag -> value")

    problems: list[Problem] = []
    reported: set[str] = set()

    def problem(key: str, message: str) -> None:
        reported.add(key)
        problems.append(
            Problem(file=str(path), line=_line_of(text, key), path=key, message=message)
        )

    start = _start(data.pop("_start", None), cfg, problem) or now or datetime.now(UTC)
    readings: dict[str, TagReading] = {}
    for key, raw in data.items():
        if key not in cfg.tags:
            near = difflib.get_close_matches(key, list(cfg.tags), n=1, cutoff=0.6)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            problem(key, f"not a tag of this config{hint}")
            continue
        value = _value(raw)
        if isinstance(value, str):
            problem(key, value)
            continue
        readings[key] = TagReading(
            tag=key, value=value, quality=Quality.GOOD, source_ts=start, server_ts=start
        )
    validated = InputValidator(cfg).validate(Snapshot(read_at=start, readings=readings), start)
    needed = required_tags(cfg)
    for issue in validated.issues:
        if issue.tag in reported:
            continue
        if issue.kind is IssueKind.MISSING and issue.tag in needed:
            problem(issue.tag, "missing (the model needs it)")
        elif issue.kind is not IssueKind.MISSING:
            problem(issue.tag, issue.message.removeprefix(f"{issue.tag}: "))
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line or 0, p.path)))
    inputs = build_inputs(cfg, validated, start, None)
    return StateFile(start=start, validated=validated, inputs=inputs)


def _start(raw: Any, cfg: PlantConfig, problem: Any) -> datetime | None:
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(str(raw))
    except ValueError:
        problem("_start", f"not an ISO date and time (got {raw!r})")
        return None
    if when.tzinfo is None:
        problem(
            "_start",
            f"{raw!r} has no UTC offset: write it with one, e.g. '{raw}+01:00' or '{raw}Z' "
            f"(the plant's time zone is {cfg.plant.timezone})",
        )
        return None
    return when.astimezone(UTC)


def _value(raw: Any) -> Value | str:
    """The reading's value, or what is wrong with it (a str)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, list):
        if all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw):
            return tuple(float(x) for x in raw)
        return "a forecast must be a list of numbers"
    return f"expected a number, true/false or a list of numbers (got {raw!r})"


def _line_of(text: str, key: str) -> int | None:
    m = re.search(r'"' + re.escape(key) + r'"\s*:', text)
    return text.count("\n", 0, m.start()) + 1 if m else None
