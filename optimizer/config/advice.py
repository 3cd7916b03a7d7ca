"""Warnings: what a config may legally say but probably does not mean.

Each check takes a valid config and yields ``(path, message)``; ``plantloop check`` prints
them as ``FILE:LINE: path: warning: message`` and still exits 0. Errors (what must not run)
are in :mod:`optimizer.config.checks`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from optimizer.conditions import ConditionError, parse_condition
from optimizer.config.plant import ConverterUnit
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]

# Output per input above these is not a real machine when both carriers share a unit.
_MAX_EFFICIENCY = {"boiler": 1.0, "chp": 1.0, "converter": 1.0, "compressor": 1.0}
_MAX_COP = {"chiller": 12.0, "heat_pump": 8.0}


def warn_constant_conditions(cfg: PlantConfig) -> Found:
    for i, rule in enumerate(cfg.interlocks.rules):
        try:
            cond = parse_condition(rule.when)
        except ConditionError:
            continue  # an error, reported by the checks
        if not cond.tags:
            state = "always true" if cond.evaluate({}) else "never true"
            yield (
                ("interlocks", "rules", i, "when"),
                f"condition names no tag: it is {state} (rule '{rule.name}' "
                f"{'fires every cycle' if cond.evaluate({}) else 'never fires'})",
            )


def warn_curves(cfg: PlantConfig) -> Found:
    for name, u in cfg.units.items():
        if not isinstance(u, ConverterUnit):
            continue
        p: Path = ("units", name, "curve")
        for a, b in itertools.pairwise(u.curve):
            if b.input < a.input:
                yield (
                    p,
                    f"input falls from {a.input:g} to {b.input:g} while the load rises from "
                    f"{a.load:g} to {b.load:g}: more output for less input is not a real unit",
                )
                break
        cin, cout = cfg.carriers.get(u.input), cfg.carriers.get(u.output)
        if cin is None or cout is None or cin.unit.strip() != cout.unit.strip():
            continue  # t/h of steam against MW of gas: no efficiency to judge
        same = [c for c in u.coproducts if (cc := cfg.carriers.get(c)) and cc.unit == cin.unit]
        for pt in u.curve:
            if pt.input <= 0:
                continue
            out = pt.load * (1 + sum(u.coproducts[c] for c in same))
            ratio = out / pt.input
            limit = _MAX_EFFICIENCY.get(u.type)
            if limit is not None and ratio > limit:
                yield (
                    p,
                    f"{ratio:.0%} efficiency at load {pt.load:g} ({out:g} {cout.unit} out of "
                    f"{pt.input:g} {cin.unit} in): check the curve's input column",
                )
                break
            cop = _MAX_COP.get(u.type)
            if cop is not None and ratio > cop:
                yield (
                    p,
                    f"COP {ratio:.1f} at load {pt.load:g} is above {cop:g}: check the curve's "
                    "input column",
                )
                break


def warn_watchdog_timing(cfg: PlantConfig) -> Found:
    wd, period = cfg.interlocks.watchdog, cfg.cycle.period_s
    if wd is None or cfg.cycle.cron is not None or period is None:
        return
    if period >= wd.timeout_s:
        yield (
            ("interlocks", "watchdog", "timeout_s"),
            f"the watchdog times out after {wd.timeout_s:g} s but a cycle runs every "
            f"{period:g} s: the DCS will shed between two healthy cycles",
        )


def warn_critical_without_age(cfg: PlantConfig) -> Found:
    for name, tag in cfg.tags.items():
        measured = tag.role in (TagRole.MEASUREMENT, TagRole.FORECAST)
        if tag.critical and measured and tag.max_age_s is None:
            yield (
                ("tags", name, "critical"),
                "critical tag without max_age_s: a value the server stopped updating "
                "is used as if fresh",
            )


def warn_shared_measurement_nodes(cfg: PlantConfig) -> Found:
    first: dict[str, str] = {}
    for name, tag in cfg.tags.items():
        other = first.setdefault(tag.node, name)
        if other != name:
            yield (("tags", name, "node"), f"node '{tag.node}' is also read as tag '{other}'")


WARNINGS: tuple[Callable[[PlantConfig], Found], ...] = (
    warn_shared_measurement_nodes,
    warn_critical_without_age,
    warn_curves,
    warn_watchdog_timing,
    warn_constant_conditions,
)


def run_warnings(cfg: PlantConfig) -> list[tuple[Path, str]]:
    return [found for warn in WARNINGS for found in warn(cfg)]
