"""Relations between config sections, as small named checks.

Each check takes the validated config and yields ``(path, message)``; the loader turns the
path into ``FILE:LINE: path``. Entries the schema already rejected are in ``Invalid``:
references to them are not reported again as dangling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from optimizer.conditions import ConditionError, parse_condition
from optimizer.config.control import LoopMode
from optimizer.config.locate import dotted
from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schedules import Schedule
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]


@dataclass
class Invalid:
    """Names the schema rejected (per section), and sections replaced by stand-ins."""

    names: dict[str, set[str]] = field(default_factory=dict)
    sections: set[str] = field(default_factory=set)

    def add(self, section: str, name: str) -> None:
        self.names.setdefault(section, set()).add(name)

    def add_section(self, section: str) -> None:
        self.sections.add(section)

    def known(self, section: str, name: str) -> bool:
        return section in self.sections or name in self.names.get(section, set())


def _tag(
    cfg: PlantConfig, inv: Invalid, path: Path, name: str | None, roles: tuple[TagRole, ...]
) -> Found:
    if name is None or inv.known("tags", name):
        return
    tag = cfg.tags.get(name)
    if tag is None:
        yield path, f"tag '{name}' is not defined under tags:{_near(name, cfg.tags)}"
    elif tag.role not in roles:
        want = " or ".join(r.value for r in roles)
        yield path, f"tag '{name}' must have role {want} (it is {tag.role.value})"


def _carrier(cfg: PlantConfig, inv: Invalid, path: Path, name: str) -> Found:
    if name not in cfg.carriers and not inv.known("carriers", name):
        yield path, f"carrier '{name}' is not defined under carriers:{_near(name, cfg.carriers)}"


def _near(name: str, names: object) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)  # type: ignore[call-overload]
    return f" (did you mean '{close[0]}'?)" if close else ""


_MEAS = (TagRole.MEASUREMENT,)
_WRITTEN = (TagRole.SETPOINT, TagRole.WATCHDOG)
_SCHED = (TagRole.FORECAST, TagRole.MEASUREMENT)


def _schedule(cfg: PlantConfig, inv: Invalid, path: Path, s: Schedule | None) -> Found:
    if s is not None and s.tag is not None:
        yield from _tag(cfg, inv, (*path, "tag"), s.tag, _SCHED)


def check_unit_references(cfg: PlantConfig, inv: Invalid) -> Found:
    for name, u in cfg.units.items():
        p: Path = ("units", name)
        if isinstance(u, ConverterUnit):
            yield from _carrier(cfg, inv, (*p, "input"), u.input)
            yield from _carrier(cfg, inv, (*p, "output"), u.output)
            for c in u.coproducts:
                yield from _carrier(cfg, inv, (*p, "coproducts", c), c)
            for c in u.curve[0].coproducts:
                yield from _carrier(cfg, inv, (*p, "curve", 0, "coproducts", c), c)
            for key in ("availability_tag", "status_tag", "load_tag", "time_in_state_tag"):
                yield from _tag(cfg, inv, (*p, key), getattr(u, key), _MEAS)
            for key in ("availability", "fuel_price", "co2_factor"):
                yield from _schedule(cfg, inv, (*p, key), getattr(u, key))
        elif isinstance(u, StorageUnit):
            yield from _carrier(cfg, inv, (*p, "carrier"), u.carrier)
            yield from _tag(cfg, inv, (*p, "soc_tag"), u.soc_tag, _MEAS)
        elif isinstance(u, GridUnit):
            yield from _carrier(cfg, inv, (*p, "carrier"), u.carrier)
            yield from _tag(cfg, inv, (*p, "peak_so_far_tag"), u.peak_so_far_tag, _MEAS)
            yield from _schedule(cfg, inv, (*p, "import_price"), u.import_price)
            yield from _schedule(cfg, inv, (*p, "export_price"), u.export_price)
        elif isinstance(u, RenewableUnit):
            yield from _carrier(cfg, inv, (*p, "carrier"), u.carrier)
            yield from _schedule(cfg, inv, (*p, "forecast"), u.forecast)
        sp = getattr(u, "setpoint_tag", None)
        yield from _tag(cfg, inv, (*p, "setpoint_tag"), sp, (TagRole.SETPOINT,))


def check_demands(cfg: PlantConfig, inv: Invalid) -> Found:
    suppliers: set[str] = set()
    for u in cfg.units.values():
        if isinstance(u, ConverterUnit):
            suppliers.add(u.output)
            suppliers.update(u.coproducts)
            suppliers.update(u.curve[0].coproducts)
        elif isinstance(u, (GridUnit, RenewableUnit)):
            suppliers.add(u.carrier)
    for name, d in cfg.demands.items():
        p: Path = ("demands", name)
        yield from _carrier(cfg, inv, (*p, "carrier"), d.carrier)
        yield from _schedule(cfg, inv, (*p, "forecast"), d.forecast)
        if d.carrier in cfg.carriers and d.carrier not in suppliers and "units" not in inv.sections:
            rejected = sorted(inv.names.get("units", ()))
            why = (
                f"; units {', '.join(rejected)} have errors reported above"
                if rejected
                else " (add a converter, grid or renewable that outputs it)"
            )
            yield (*p, "carrier"), f"no unit supplies carrier '{d.carrier}'{why}"


def check_tariffs(cfg: PlantConfig, inv: Invalid) -> Found:
    for fuel, f in cfg.tariffs.fuels.items():
        yield from _carrier(cfg, inv, ("tariffs", "fuels", fuel), fuel)
        yield from _schedule(cfg, inv, ("tariffs", "fuels", fuel, "price"), f.price)
    for carrier, s in cfg.co2.factors.items():
        yield from _carrier(cfg, inv, ("co2", "factors", carrier), carrier)
        yield from _schedule(cfg, inv, ("co2", "factors", carrier), s)


def check_compensation(cfg: PlantConfig, inv: Invalid) -> Found:
    for bname, b in cfg.compensation.items():
        p: Path = ("compensation", bname)
        for cv, c in b.cvs.items():
            yield from _tag(cfg, inv, (*p, "cvs", cv, "tag"), c.tag, _MEAS)
            for i, e in enumerate(c.energy):
                yield from _carrier(cfg, inv, (*p, "cvs", cv, "energy", i, "carrier"), e.carrier)
        for mv, m in b.mvs.items():
            yield from _tag(cfg, inv, (*p, "mvs", mv, "tag"), m.tag, (TagRole.SETPOINT,))
            for i, e in enumerate(m.energy):
                yield from _carrier(cfg, inv, (*p, "mvs", mv, "energy", i, "carrier"), e.carrier)
        for dv, d in b.disturbances.items():
            yield from _tag(cfg, inv, (*p, "disturbances", dv, "tag"), d.tag, _MEAS)
        inputs = set(b.mvs) | set(b.disturbances)
        for cv, row in b.gains.items():
            if cv not in b.cvs:
                yield (*p, "gains", cv), f"'{cv}' is not a CV of this block{_near(cv, b.cvs)}"
            for src in row:
                if src not in inputs:
                    yield (
                        (*p, "gains", cv, src),
                        (
                            f"'{src}' is neither an MV nor a disturbance of this block"
                            f"{_near(src, inputs)}"
                        ),
                    )
        for cv in b.cvs:
            if not b.gains.get(cv):
                yield (*p, "cvs", cv), f"CV '{cv}' has no gains: no MV can move it"


def setpoint_writers(cfg: PlantConfig) -> Iterator[tuple[Path, str]]:
    """Every decision that writes a setpoint tag: (its config path, the tag)."""
    for name, u in cfg.units.items():
        sp = getattr(u, "setpoint_tag", None)
        if sp is not None:
            yield ("units", name, "setpoint_tag"), sp
    for bname, b in cfg.compensation.items():
        for mv, m in b.mvs.items():
            yield ("compensation", bname, "mvs", mv, "tag"), m.tag


def check_setpoint_owners(cfg: PlantConfig, inv: Invalid) -> Found:
    """A setpoint tag is written by one decision only (one unit or one MV)."""
    owner: dict[str, Path] = {}
    for path, tag in setpoint_writers(cfg):
        if tag in owner:
            yield path, f"setpoint tag '{tag}' is already written by {dotted(owner[tag][:-1])}"
        else:
            owner[tag] = path


def check_node_ids(cfg: PlantConfig, inv: Invalid) -> Found:
    """A node plantloop writes (setpoint, watchdog) belongs to one tag only; two names for
    one node would let one write overwrite the other's."""
    first: dict[str, str] = {}
    for name, tag in cfg.tags.items():
        other = first.setdefault(tag.node, name)
        if other == name:
            continue
        written = {r for r in (tag.role, cfg.tags[other].role) if r in _WRITTEN}
        if written:
            yield (
                ("tags", name, "node"),
                f"node '{tag.node}' is also tag '{other}'; a {'/'.join(sorted(written))} node "
                "must belong to one tag",
            )


def check_operator_limits(cfg: PlantConfig, inv: Invalid) -> Found:
    for name, t in cfg.tags.items():
        if t.setpoint is None:
            continue
        for key in ("operator_min_tag", "operator_max_tag"):
            p: Path = ("tags", name, "setpoint", key)
            yield from _tag(cfg, inv, p, getattr(t.setpoint, key), _MEAS)


def check_interlocks(cfg: PlantConfig, inv: Invalid) -> Found:
    il = cfg.interlocks
    if cfg.cycle.mode is LoopMode.CLOSED_LOOP:
        if il.permissive_tag is None:
            yield (
                ("interlocks", "permissive_tag"),
                "cycle.mode closed_loop needs a permissive tag (safety rule 2: write only "
                "while the DCS/operator enable is on); give one, or set cycle.mode: advisory",
            )
        if il.watchdog is None:
            yield (
                ("interlocks", "watchdog"),
                "cycle.mode closed_loop needs a watchdog (safety rule 1: heartbeat, shed in the "
                "DCS); give one, or set cycle.mode: advisory",
            )
    yield from _tag(
        cfg, inv, ("interlocks", "permissive_tag"), il.permissive_tag, (TagRole.PERMISSIVE,)
    )
    if il.watchdog is not None:
        yield from _tag(
            cfg, inv, ("interlocks", "watchdog", "tag"), il.watchdog.tag, (TagRole.WATCHDOG,)
        )
    yield from _tag(cfg, inv, ("interlocks", "sequence_tag"), il.sequence_tag, (TagRole.WATCHDOG,))
    yield from _tag(cfg, inv, ("cycle", "clock_tag"), cfg.cycle.clock_tag, _MEAS)
    if il.watchdog is not None and il.sequence_tag == il.watchdog.tag:
        yield (
            ("interlocks", "sequence_tag"),
            f"'{il.sequence_tag}' is already the watchdog; give the sequence its own tag",
        )
    for i, rule in enumerate(il.rules):
        p: Path = ("interlocks", "rules", i)
        try:
            cond = parse_condition(rule.when)
        except ConditionError as e:
            shown = rule.when if len(rule.when) <= 80 else f"{rule.when[:60]}…"
            yield (*p, "when"), f"condition does not parse: {e} (got {shown!r})"
        else:
            for tag in sorted(cond.tags):
                if tag not in cfg.tags and not inv.known("tags", tag):
                    yield (
                        (*p, "when"),
                        f"condition names tag '{tag}', which is not defined{_near(tag, cfg.tags)}",
                    )
                elif tag in cfg.tags and cfg.tags[tag].role is TagRole.FORECAST:
                    yield (
                        (*p, "when"),
                        f"condition names forecast tag '{tag}': a forecast is an array, "
                        "a condition compares single values",
                    )
        for j, tag in enumerate(rule.tags):
            yield from _tag(cfg, inv, (*p, "tags", j), tag, (TagRole.SETPOINT,))


def check_objectives(cfg: PlantConfig, inv: Invalid) -> Found:
    for i, t in enumerate(cfg.objectives.terms):
        if (
            t.term.value == "deviation"
            and not cfg.compensation
            and "compensation" not in (inv.sections | set(inv.names))
        ):
            yield (
                ("objectives", "terms", i, "term"),
                ("term 'deviation' needs a compensation: block (there are no CVs to deviate)"),
            )


CHECKS: tuple[Callable[[PlantConfig, Invalid], Found], ...] = (
    check_unit_references,
    check_demands,
    check_tariffs,
    check_compensation,
    check_setpoint_owners,
    check_node_ids,
    check_operator_limits,
    check_interlocks,
    check_objectives,
)


def run_checks(cfg: PlantConfig, invalid: Invalid | None = None) -> list[tuple[Path, str]]:
    inv = invalid or Invalid()
    return [found for check in CHECKS for found in check(cfg, inv)]
