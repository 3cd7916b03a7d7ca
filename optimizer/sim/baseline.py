"""What the plant does without plantloop: fixed rules, as a DCS would run it.

- Co-generation units (a unit with co-products, e.g. a CHP) run at a fixed base load
  (75 % of max_load) whenever available.
- Every other carrier with demand is covered in a **fixed merit order**: units sorted once
  by specific input use at full load × a reference input price, each loaded as far as
  needed (at least min_load once started); must-run units never go below min_load.
- Storage stays idle; process MVs stay at their reference values; the grid balances.

The simulator runs this baseline beside the real plant on the same demand and disturbance
so `plantloop demo` can report energy cost against it.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.config.plant import ConverterUnit
from optimizer.sim.balance import Topology, curve_input

BASE_LOAD_FRACTION = 0.75


def merit_order(topo: Topology, input_price: Mapping[str, float]) -> list[str]:
    """Converters without co-products, cheapest specific input cost first."""

    def key(name: str) -> tuple[float, str]:
        u = topo.converters[name]
        specific = curve_input(u, u.max_load) / u.max_load
        return (specific * input_price.get(u.input, 1.0), name)

    return sorted((n for n, u in topo.converters.items() if not u.coproducts), key=key)


def _carrier_order(topo: Topology) -> list[str]:
    """Carriers to dispatch: those whose producers' inputs are also dispatched come first
    (cooling before the electricity its chillers use); grid-covered carriers last."""
    order: list[str] = []
    pending = [c for c in topo.carriers if c not in topo.fuels]
    for _ in range(len(pending) + 1):
        for c in list(pending):
            consumers = [u for u in topo.converters.values() if u.input == c]
            if all(u.output in order or u.output == c for u in consumers):
                order.append(c)
                pending.remove(c)
    order.extend(pending)  # cycles: any order
    return sorted(order, key=lambda c: c in topo.grid_of)  # stable: grid carriers last


def baseline_dispatch(
    topo: Topology,
    demand: Mapping[str, float],
    available: Mapping[str, bool],
    renewable: Mapping[str, float],
    order: list[str],
) -> dict[str, float]:
    """Unit loads the rule-based DCS would choose for this demand (storage idle)."""
    loads: dict[str, float] = dict.fromkeys(topo.converters, 0.0)
    net = dict(demand)
    for n, r in topo.renewables.items():
        net[r.carrier] = net.get(r.carrier, 0.0) - renewable.get(n, 0.0)
    for n, u in topo.converters.items():
        if u.coproducts and available.get(n, True):
            _run(loads, net, n, u, u.max_load * BASE_LOAD_FRACTION)
    for c in _carrier_order(topo):
        if c in topo.grid_of:
            continue  # the grid balances its carrier
        for n in order:
            u = topo.converters[n]
            if u.output != c or not available.get(n, True):
                continue
            need = net.get(c, 0.0)
            if need <= 1e-9 and not u.must_run:
                continue
            _run(loads, net, n, u, min(u.max_load, max(u.min_load, need)))
    return loads


def _run(
    loads: dict[str, float], net: dict[str, float], name: str, u: ConverterUnit, load: float
) -> None:
    loads[name] = load
    net[u.output] = net.get(u.output, 0.0) - load
    for c, f in u.coproducts.items():
        net[c] = net.get(c, 0.0) - f * load
    net[u.input] = net.get(u.input, 0.0) + curve_input(u, load)
