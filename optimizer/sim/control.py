"""The simulator's own folder ``Sim``: clock, DCS state, costs, and control nodes.

Control nodes (writable by any client, string node ids in the config's namespace):
``s=Sim.Control.Permissive`` (Boolean), ``s=Sim.Control.Reenable`` (Boolean, write true),
``s=Sim.Control.Speed`` (Double), ``s=Sim.Control.PauseSeconds`` (Double: pause after the
reply), ``s=Sim.Control.RestartSeconds`` (Double: restart with that downtime),
``s=Sim.Control.Fault.<tag>`` (String: none|bad|uncertain|stale|freeze|nan) and
``s=Sim.Control.Available.<unit>`` (Boolean). Read-only: ``s=Sim.Time`` (simulated UTC),
``s=Sim.Dcs.Shed``, ``s=Sim.Dcs.ShedReason``, ``s=Sim.Cost.Actual``, ``s=Sim.Cost.Baseline``,
``s=Sim.Co2.Actual``, ``s=Sim.Co2.Baseline``, ``s=Sim.Unmet.Actual``, ``s=Sim.Unmet.Baseline``
(totals since start: currency, t CO2, carrier-unit·h of demand not met).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from asyncua import Server, ua

from optimizer.sim import nodes
from optimizer.sim.faults import FaultKind

if TYPE_CHECKING:
    from optimizer.sim.server import SimulatedPlant

Reader = Callable[[], Any]


class ControlNodes:
    def __init__(self, plant: SimulatedPlant) -> None:
        self.plant = plant
        self._tasks: set[asyncio.Task[None]] = set()

    def _readers(self) -> dict[str, tuple[ua.VariantType, Reader]]:
        p = self.plant
        return {
            "Sim.Time": (nodes.VTYPE_DATETIME, lambda: p.dynamics.t),
            "Sim.Dcs.Shed": (nodes.VTYPE_BOOL, lambda: p.dcs.shed),
            "Sim.Dcs.ShedReason": (nodes.VTYPE_STRING, lambda: p.dcs.shed_reason),
            "Sim.Cost.Actual": (nodes.VTYPE_DOUBLE, lambda: p.dynamics.actual.cost),
            "Sim.Cost.Baseline": (nodes.VTYPE_DOUBLE, lambda: p.dynamics.baseline.cost),
            "Sim.Co2.Actual": (nodes.VTYPE_DOUBLE, lambda: p.dynamics.actual.co2_t),
            "Sim.Co2.Baseline": (nodes.VTYPE_DOUBLE, lambda: p.dynamics.baseline.co2_t),
            "Sim.Unmet.Actual": (nodes.VTYPE_DOUBLE, lambda: sum(p.dynamics.actual.unmet.values())),
            "Sim.Unmet.Baseline": (
                nodes.VTYPE_DOUBLE,
                lambda: sum(p.dynamics.baseline.unmet.values()),
            ),
            "Sim.Control.Permissive": (nodes.VTYPE_BOOL, lambda: p.dcs.permissive),
            "Sim.Control.Reenable": (nodes.VTYPE_BOOL, lambda: False),
            "Sim.Control.Speed": (nodes.VTYPE_DOUBLE, lambda: p.speed),
            "Sim.Control.PauseSeconds": (nodes.VTYPE_DOUBLE, lambda: 0.0),
            "Sim.Control.RestartSeconds": (nodes.VTYPE_DOUBLE, lambda: 0.0),
        }

    def _writers(self) -> dict[str, Callable[[Any], None]]:
        p = self.plant
        return {
            "Sim.Control.Permissive": lambda v: p.set_permissive(bool(v)),
            "Sim.Control.Reenable": lambda v: p.reenable() if v else None,
            "Sim.Control.Speed": lambda v: setattr(p, "speed", max(0.0, float(v))),
            "Sim.Control.PauseSeconds": lambda v: self._later(p.pause(float(v))),
            "Sim.Control.RestartSeconds": lambda v: self._later(p.restart(float(v))),
        }

    def _later(self, coro: Any) -> None:
        async def run() -> None:
            await asyncio.sleep(0.05)  # let the write response leave first
            await coro

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def build(self, server: Server, idx: int, taken: set[ua.NodeId]) -> None:
        p = self.plant
        folder = ua.NodeId("Sim", idx)
        await nodes.add_folder(server, ua.NodeId(ua.ObjectIds.ObjectsFolder), folder, "Sim")
        readers = self._readers()
        writers = self._writers()
        specs: list[nodes.VarSpec] = []
        for ident, (vt, _) in readers.items():
            specs.append(self._spec(ident, idx, vt, ident in writers))
        for tag in p.cfg.tags:
            ident = f"Sim.Control.Fault.{tag}"
            readers[ident] = (nodes.VTYPE_STRING, self._fault_reader(tag))
            writers[ident] = self._fault_writer(tag)
            specs.append(self._spec(ident, idx, nodes.VTYPE_STRING, True))
        for unit in p.dynamics.units:
            ident = f"Sim.Control.Available.{unit}"
            readers[ident] = (nodes.VTYPE_BOOL, self._avail_reader(unit))
            writers[ident] = self._avail_writer(unit)
            specs.append(self._spec(ident, idx, nodes.VTYPE_BOOL, True))
        clash = [s.nodeid.to_string() for s in specs if s.nodeid in taken]
        if clash:
            raise ValueError(f"config node ids clash with the simulator's own: {clash[0]}")
        await nodes.add_variables(server, folder, specs)
        aspace = server.iserver.aspace
        for ident, (vt, read) in readers.items():
            nid = ua.NodeId(ident, idx)
            aspace.set_attribute_value_callback(nid, ua.AttributeIds.Value, _cb(vt, read, p))
            if ident in writers:
                p._writers[nid] = _writer(vt, writers[ident])

    @staticmethod
    def _spec(ident: str, idx: int, vt: ua.VariantType, writable: bool) -> nodes.VarSpec:
        return nodes.VarSpec(nodeid=ua.NodeId(ident, idx), name=ident, vtype=vt, writable=writable)

    def _fault_reader(self, tag: str) -> Reader:
        def read() -> str:
            f = self.plant.faults.get(tag)
            return f.kind.value if f is not None else FaultKind.NONE.value

        return read

    def _fault_writer(self, tag: str) -> Callable[[Any], None]:
        return lambda v: self.plant.inject(tag, FaultKind(str(v).strip().lower()))

    def _avail_reader(self, unit: str) -> Reader:
        return lambda: self.plant.dynamics.units[unit].available

    def _avail_writer(self, unit: str) -> Callable[[Any], None]:
        return lambda v: self.plant.set_available(unit, bool(v))


def _cb(vt: ua.VariantType, read: Reader, p: SimulatedPlant) -> Any:
    def cb(nid: ua.NodeId, attr: ua.AttributeIds) -> ua.DataValue:
        variant = ua.Variant(read(), vt)
        return ua.DataValue(
            Value=variant, SourceTimestamp=p._tick_wall, ServerTimestamp=p._tick_wall
        )

    return cb


def _writer(vt: ua.VariantType, apply: Callable[[Any], None]) -> Callable[[ua.Variant], str]:
    def write(v: ua.Variant) -> str:
        if v.VariantType != vt or v.Value is None:
            return "BadTypeMismatch"
        try:
            apply(v.Value)
        except (ValueError, KeyError):
            return "BadOutOfRange"
        return "Good"

    return write
