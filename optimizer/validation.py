"""Input validation: which readings a cycle may use (pure; state carried across cycles).

Per tag, in order: present, status Good (Uncertain only where ``accept_uncertain``), a
finite value of the right shape, within validity limits, source timestamp not older than
``max_age_s`` and not ahead of our clock by more than ``interlocks.max_clock_skew_s``,
change since the previous reading within ``max_change``, not frozen for ``frozen_cycles``
reads. A bad non-critical input is replaced by its last good value for up to
``max_bad_reads`` consecutive cycles, then dropped; a bad critical input blocks writes.
Tags that guard a write (``optimizer.guards``) are never substituted (safety rule 15).

``max_change`` compares with the previous reading when that reading was itself good: a spike
is rejected on the way up and on the way down, while a genuine step is rejected once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagConfig, TagRole
from optimizer.guards import guard_tags
from optimizer.plantio.types import Quality, Snapshot, TagReading, Value


class IssueKind(StrEnum):
    MISSING = "missing"
    BAD_QUALITY = "bad_quality"
    UNCERTAIN = "uncertain"
    NOT_FINITE = "not_finite"
    WRONG_SHAPE = "wrong_shape"
    OUT_OF_RANGE = "out_of_range"
    STALE = "stale"
    FUTURE = "future"  # source timestamp ahead of our clock by more than the skew tolerance
    RATE = "rate"
    FROZEN = "frozen"


@dataclass(frozen=True, kw_only=True)
class InputIssue:
    tag: str
    kind: IssueKind
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"tag": self.tag, "kind": self.kind.value, "message": self.message}


@dataclass(frozen=True, kw_only=True)
class ValidatedInputs:
    """Usable values of one cycle, and what was wrong with the rest."""

    values: Mapping[str, Value]
    readings: Mapping[str, TagReading]
    issues: tuple[InputIssue, ...] = ()
    substituted: frozenset[str] = frozenset()
    dropped: frozenset[str] = frozenset()
    critical_bad: frozenset[str] = frozenset()

    @property
    def writes_allowed(self) -> bool:
        return not self.critical_bad

    def issue_of(self, tag: str) -> InputIssue | None:
        return next((i for i in self.issues if i.tag == tag), None)


@dataclass
class _TagState:
    last_good: Value = None
    previous: Value = None
    previous_good: bool = False
    bad_reads: int = 0
    same_reads: int = 0


@dataclass
class InputValidator:
    cfg: PlantConfig
    _state: dict[str, _TagState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._guards = guard_tags(self.cfg)
        self._skew_s = self.cfg.interlocks.max_clock_skew_s

    def validate(self, snapshot: Snapshot, now: datetime) -> ValidatedInputs:
        values: dict[str, Value] = {}
        issues: list[InputIssue] = []
        substituted: set[str] = set()
        dropped: set[str] = set()
        critical: set[str] = set()
        for name, tag in self.cfg.tags.items():
            st = self._state.setdefault(name, _TagState())
            reading = snapshot.readings.get(name)
            issue = _check(
                name,
                tag,
                reading,
                st,
                now,
                stale_image=snapshot.stale,
                horizon=self.cfg.cycle.horizon_steps,
                skew_s=self._skew_s,
            )
            raw = reading.value if reading is not None else None
            _track_frozen(st, raw)
            if issue is None:
                assert reading is not None
                values[name] = reading.value
                st.last_good = reading.value
                st.bad_reads = 0
                st.previous, st.previous_good = raw, True
                continue
            st.previous, st.previous_good = raw, False
            st.bad_reads += 1
            issues.append(issue)
            if tag.critical:
                critical.add(name)
            elif (
                name not in self._guards
                and st.last_good is not None
                and st.bad_reads <= tag.max_bad_reads
            ):
                values[name] = st.last_good
                substituted.add(name)
            else:
                dropped.add(name)
        return ValidatedInputs(
            values=values,
            readings=dict(snapshot.readings),
            issues=tuple(issues),
            substituted=frozenset(substituted),
            dropped=frozenset(dropped),
            critical_bad=frozenset(critical),
        )


def _track_frozen(st: _TagState, raw: Value) -> None:
    if raw is not None and raw == st.previous:
        st.same_reads += 1
    else:
        st.same_reads = 1


def _check(
    name: str,
    tag: TagConfig,
    r: TagReading | None,
    st: _TagState,
    now: datetime,
    *,
    stale_image: bool,
    horizon: int,
    skew_s: float,
) -> InputIssue | None:
    def issue(kind: IssueKind, msg: str) -> InputIssue:
        return InputIssue(tag=name, kind=kind, message=f"{name}: {msg}")

    if r is None:
        return issue(IssueKind.MISSING, "not in this cycle's read")
    if stale_image:
        return issue(IssueKind.STALE, "connection was lost; value is stale")
    if r.quality is Quality.BAD:
        return issue(IssueKind.BAD_QUALITY, f"status {r.status}")
    if r.quality is Quality.UNCERTAIN and not tag.accept_uncertain:
        return issue(IssueKind.UNCERTAIN, f"status {r.status} (tag does not accept Uncertain)")
    shape = _shape_issue(tag, r.value, horizon)
    if shape is not None:
        return issue(*shape)
    if r.source_ts is not None and (r.source_ts - now).total_seconds() > skew_s:
        ahead = (r.source_ts - now).total_seconds()
        return issue(
            IssueKind.FUTURE,
            f"source timestamp {ahead:.0f} s in the future (clock skew tolerance {skew_s:g} s)",
        )
    if tag.max_age_s is not None:
        if r.source_ts is None:
            return issue(IssueKind.STALE, "no source timestamp")
        age = (now - r.source_ts).total_seconds()
        if age > tag.max_age_s:
            return issue(
                IssueKind.STALE, f"source timestamp {age:.0f} s old (max {tag.max_age_s:g})"
            )
    if isinstance(r.value, (tuple, bool)):
        return None
    v = float(r.value)  # type: ignore[arg-type]
    if tag.max_change is not None and st.previous_good and isinstance(st.previous, (int, float)):
        step = abs(v - float(st.previous))
        if step > tag.max_change:
            return issue(IssueKind.RATE, f"changed {step:g} in one cycle (max {tag.max_change:g})")
    if (
        tag.frozen_cycles is not None
        and st.same_reads + 1 >= tag.frozen_cycles
        and v == st.previous
    ):
        return issue(IssueKind.FROZEN, f"unchanged for {st.same_reads + 1} reads")
    return None


def _shape_issue(tag: TagConfig, value: Value, horizon: int) -> tuple[IssueKind, str] | None:
    if value is None:
        return IssueKind.MISSING, "no value"
    if tag.role is TagRole.FORECAST:
        if not isinstance(value, tuple):
            return IssueKind.WRONG_SHAPE, f"forecast must be an array (got {type(value).__name__})"
        if len(value) != horizon:
            # periods past the end would silently become 0 (no demand, free energy)
            return (
                IssueKind.WRONG_SHAPE,
                f"forecast has {len(value)} values; the horizon has {horizon} steps",
            )
        for i, x in enumerate(value):
            if not math.isfinite(x):
                return IssueKind.NOT_FINITE, f"element {i} is {x}"
            if _outside(tag, x):
                return IssueKind.OUT_OF_RANGE, f"element {i} = {x:g} outside {_limits(tag)}"
        return None
    if isinstance(value, tuple):
        return IssueKind.WRONG_SHAPE, "expected a scalar, got an array"
    if isinstance(value, bool):
        return None
    x = float(value)
    if not math.isfinite(x):
        return IssueKind.NOT_FINITE, f"value is {x}"
    if _outside(tag, x):
        return IssueKind.OUT_OF_RANGE, f"{x:g} outside validity limits {_limits(tag)}"
    return None


def _outside(tag: TagConfig, x: float) -> bool:
    return (tag.valid_min is not None and x < tag.valid_min) or (
        tag.valid_max is not None and x > tag.valid_max
    )


def _limits(tag: TagConfig) -> str:
    lo = "-inf" if tag.valid_min is None else f"{tag.valid_min:g}"
    hi = "inf" if tag.valid_max is None else f"{tag.valid_max:g}"
    return f"[{lo}, {hi}]"
