"""Carrier balances of the simulated plant: who produces, who consumes, what the grid covers.

Pure: used for the plant itself and for the rule-based baseline running beside it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

from optimizer.config.plant import ConverterUnit, GridUnit, RenewableUnit, StorageUnit
from optimizer.config.schema import PlantConfig


def curve_input(unit: ConverterUnit, load: float) -> float:
    """Input carrier use at ``load`` (piecewise-linear curve; 0 when off, clamped above)."""
    if load <= 0.0:
        return 0.0
    pts = unit.curve
    if load <= pts[0].load:  # below min load (during start-up): scale the first point
        return pts[0].input * load / pts[0].load if pts[0].load > 0 else pts[0].input
    for a, b in itertools.pairwise(pts):
        if load <= b.load:
            return a.input + (b.input - a.input) * (load - a.load) / (b.load - a.load)
    last, prev = pts[-1], pts[-2]
    slope = (last.input - prev.input) / (last.load - prev.load)
    return last.input + slope * (load - last.load)


@dataclass(frozen=True, kw_only=True)
class Topology:
    """The energy system of a config, grouped once for fast stepping."""

    converters: Mapping[str, ConverterUnit]
    storages: Mapping[str, StorageUnit]
    grids: Mapping[str, GridUnit]
    renewables: Mapping[str, RenewableUnit]
    carriers: tuple[str, ...]
    grid_of: Mapping[str, str]  # carrier -> grid unit covering it
    fuels: tuple[str, ...]  # carriers nobody in the plant produces: bought

    @classmethod
    def of(cls, cfg: PlantConfig) -> Topology:
        conv = {n: u for n, u in cfg.units.items() if isinstance(u, ConverterUnit)}
        stor = {n: u for n, u in cfg.units.items() if isinstance(u, StorageUnit)}
        grids = {n: u for n, u in cfg.units.items() if isinstance(u, GridUnit)}
        ren = {n: u for n, u in cfg.units.items() if isinstance(u, RenewableUnit)}
        grid_of: dict[str, str] = {}
        for n, g in grids.items():
            grid_of.setdefault(g.carrier, n)
        produced = {u.output for u in conv.values()}
        produced |= {c for u in conv.values() for c in u.coproducts}
        produced |= {u.carrier for u in ren.values()} | {u.carrier for u in stor.values()}
        fuels = tuple(c for c in cfg.carriers if c not in produced and c not in grid_of)
        return cls(
            converters=conv,
            storages=stor,
            grids=grids,
            renewables=ren,
            carriers=tuple(cfg.carriers),
            grid_of=grid_of,
            fuels=fuels,
        )


@dataclass(kw_only=True)
class Flows:
    """Rates at one instant (carrier units, e.g. MW or t/h)."""

    grid_import: dict[str, float] = field(default_factory=dict)  # per grid unit; < 0 export
    purchased: dict[str, float] = field(default_factory=dict)  # fuel carrier -> bought
    unmet: dict[str, float] = field(default_factory=dict)  # carrier -> shortfall
    excess: dict[str, float] = field(default_factory=dict)  # carrier -> vented/curtailed


def settle(
    topo: Topology,
    demand: Mapping[str, float],
    loads: Mapping[str, float],
    storage_power: Mapping[str, float],
    renewable: Mapping[str, float],
) -> Flows:
    """Balance every carrier: the grid covers its carrier, fuels are bought, the rest is
    unmet (shortfall) or excess."""
    prod = dict.fromkeys(topo.carriers, 0.0)
    cons = dict.fromkeys(topo.carriers, 0.0)
    for c, d in demand.items():
        cons[c] = cons.get(c, 0.0) + d
    for n, u in topo.converters.items():
        load = loads.get(n, 0.0)
        prod[u.output] = prod.get(u.output, 0.0) + load
        for c, f in u.coproducts.items():
            prod[c] = prod.get(c, 0.0) + f * load
        cons[u.input] = cons.get(u.input, 0.0) + curve_input(u, load)
    for n, s in topo.storages.items():
        prod[s.carrier] = prod.get(s.carrier, 0.0) + storage_power.get(n, 0.0)
    for n, r in topo.renewables.items():
        prod[r.carrier] = prod.get(r.carrier, 0.0) + renewable.get(n, 0.0)
    flows = Flows()
    for c in prod.keys() | cons.keys():
        net = cons.get(c, 0.0) - prod.get(c, 0.0)
        if c in topo.grid_of:
            g = topo.grids[topo.grid_of[c]]
            imp = min(max(net, -g.max_export), g.max_import)
            flows.grid_import[topo.grid_of[c]] = imp
            if net > imp:
                flows.unmet[c] = net - imp
            elif net < imp:
                flows.excess[c] = imp - net
        elif c in topo.fuels:
            flows.purchased[c] = max(0.0, net)
        elif net > 1e-9:
            flows.unmet[c] = net
        elif net < -1e-9:
            flows.excess[c] = -net
    for n in topo.grids:
        flows.grid_import.setdefault(n, 0.0)
    return flows


def master_trim(
    topo: Topology,
    targets: Mapping[str, float],
    demand: Mapping[str, float],
    renewable: Mapping[str, float],
    trimmable: frozenset[str],
    max_fraction: float = 0.25,
) -> dict[str, float]:
    """The DCS's master controls (e.g. the steam header's boiler master): on a carrier no
    grid balances, running ``trimmable`` units share the gap between demand and planned
    output in proportion to their headroom, each by at most ``max_fraction`` of its
    max_load and within [min_load, max_load]. Units are never started or stopped by the
    trim; the setpoints stay what was written."""
    out = dict(targets)
    for c in topo.carriers:
        if c in topo.grid_of or c in topo.fuels:
            continue
        prod = sum(renewable.get(n, 0.0) for n, r in topo.renewables.items() if r.carrier == c)
        cons = demand.get(c, 0.0)
        for n, u in topo.converters.items():
            load = out[n]
            prod += load * (u.output == c) + load * u.coproducts.get(c, 0.0)
            if u.input == c:
                cons += curve_input(u, load)
        gap = cons - prod
        units = [n for n in trimmable if out[n] > 0.0 and topo.converters[n].output == c]
        if not units or abs(gap) < 1e-9:
            continue
        cap = {n: max_fraction * topo.converters[n].max_load for n in units}
        if gap > 0:
            room = {n: min(cap[n], topo.converters[n].max_load - out[n]) for n in units}
        else:
            room = {n: min(cap[n], out[n] - topo.converters[n].min_load) for n in units}
        total = sum(room.values())
        if total <= 1e-12:
            continue
        share = min(1.0, abs(gap) / total)
        sign = 1.0 if gap > 0 else -1.0
        for n in units:
            out[n] += sign * room[n] * share
    return out
