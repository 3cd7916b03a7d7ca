"""Configured interlock rules: condition on tags -> hold / force safe value / block tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from optimizer.conditions import Condition, ConditionError, parse_condition
from optimizer.config.control import InterlockRule, RuleAction
from optimizer.plantio.types import Value


@dataclass(frozen=True, kw_only=True)
class FiredRule:
    name: str
    action: RuleAction
    tags: tuple[str, ...]  # empty: all setpoints
    reason: str


class RuleSet:
    def __init__(self, rules: list[InterlockRule]) -> None:
        self._rules: list[tuple[InterlockRule, Condition]] = [
            (r, parse_condition(r.when)) for r in rules
        ]

    def fired(self, values: Mapping[str, Value]) -> list[FiredRule]:
        """Rules whose condition holds. A rule whose inputs are missing or bad fires too
        (fail-safe), and says so."""
        scalars = {k: v for k, v in values.items() if isinstance(v, (int, float)) and v is not None}
        out: list[FiredRule] = []
        for rule, cond in self._rules:
            try:
                hit = cond.evaluate(scalars)
                why = f"rule {rule.name}: {rule.when}"
            except ConditionError as e:
                hit = True
                why = f"rule {rule.name}: cannot evaluate ({e}); applied fail-safe"
            if hit:
                out.append(
                    FiredRule(name=rule.name, action=rule.action, tags=tuple(rule.tags), reason=why)
                )
        return out
