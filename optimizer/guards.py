"""Tags that guard a write (safety rule 15): the permissive, the watchdog and sequence
counters, operator-limit tags and the inputs of interlock rules.

They are never substituted, whatever their ``max_bad_reads`` says, and the interlocks use
them only when read fresh and Good this cycle (Uncertain does not count, even where the tag
accepts it for the model): otherwise the setpoints they guard hold, or the rule fires.
Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.conditions import parse_condition
from optimizer.config.schema import PlantConfig
from optimizer.plantio.types import Quality, TagReading, Value


def guard_tags(cfg: PlantConfig) -> frozenset[str]:
    il = cfg.interlocks
    out: set[str] = set()
    if il.permissive_tag is not None:
        out.add(il.permissive_tag)
    if il.watchdog is not None:
        out.add(il.watchdog.tag)
    if il.sequence_tag is not None:
        out.add(il.sequence_tag)
    for t in cfg.tags.values():
        if t.setpoint is not None:
            out.update(x for x in (t.setpoint.operator_min_tag, t.setpoint.operator_max_tag) if x)
    for rule in il.rules:
        out.update(parse_condition(rule.when).tags)
    return frozenset(out)


def fresh_good(
    values: Mapping[str, Value], readings: Mapping[str, TagReading], substituted: frozenset[str]
) -> dict[str, Value]:
    """The validated values that were read this cycle with status Good (no substitutes,
    no Uncertain)."""
    return {
        k: v
        for k, v in values.items()
        if k not in substituted and k in readings and readings[k].quality is Quality.GOOD
    }
