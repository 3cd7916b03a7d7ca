"""The simulated plant served over OPC UA (asyncua): tags, DCS behaviour, faults, control.

    async with SimulatedPlant(cfg, port=0, speed=60) as sim:
        sim.endpoint             # opc.tcp://127.0.0.1:<port><path of the config endpoint>
        sim.inject("boiler1_load", FaultKind.BAD); await sim.advance(600)

Reads are served from the simulation state through asyncua value callbacks; writes go
through :class:`optimizer.sim.uaserver.SimAttributeService`, which applies the DCS rules
(shed, EURange, types) and returns the OPC UA status of each write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlparse

from asyncua import Server, ua
from asyncua.common.callback import CallbackType

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.sim import binding, control, faults, nodes
from optimizer.sim.dcs import GOOD, DcsLogic
from optimizer.sim.dynamics import PlantDynamics
from optimizer.sim.faults import Fault, FaultKind
from optimizer.sim.ledger import CostComparison, compare
from optimizer.sim.outage import OutageMixin
from optimizer.sim.security import (
    SERVER_URI,
    ClientTrust,
    PasswordUsers,
    SimSecurity,
    server_certificate,
)
from optimizer.sim.uaserver import (
    SimAttributeService,
    WriteHandler,
    as_variant_value,
    configure_security,
    free_port,
    not_writable,
)

log = logging.getLogger("plantloop.sim")


class SimulatedPlant(OutageMixin):
    """A PlantConfig's plant as an OPC UA server with believable dynamics (async context
    manager). ``speed`` is simulated seconds per real second (0: time moves only through
    :meth:`advance`). The endpoint path defaults to the config's (so the config's own
    endpoint reaches the simulator when host and port match)."""

    def __init__(
        self,
        cfg: PlantConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 60.0,
        seed: int = 0,
        security: SimSecurity | None = None,
        start: datetime | None = None,
        tick_s: float = 0.1,
        path: str | None = None,
        eu_ranges: Mapping[str, tuple[float, float]] | None = None,
        watchdog_timeout_s: float | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.cfg = cfg
        self.host = host
        self.port = port
        self.speed = speed
        self.security = security
        self.tick_s = tick_s
        self.path = path if path is not None else (urlparse(cfg.connection.endpoint).path or "/")
        self._eu_override = dict(eu_ranges or {})
        self._wd_override = watchdog_timeout_s
        self.wall = wall_clock or (lambda: datetime.now(UTC))
        self.dynamics = PlantDynamics(cfg, seed=seed, start=start)
        self.dcs = DcsLogic(cfg, eu_ranges=eu_ranges, watchdog_timeout_s=watchdog_timeout_s)
        self.faults: dict[str, Fault] = {}
        self.server_certificate_der: bytes | None = None
        self._server: Server | None = None
        self._ns = 0
        self._vtype: dict[str, ua.VariantType] = {}
        self._node_of: dict[str, ua.NodeId] = {}
        self._writers: dict[ua.NodeId, WriteHandler] = {}
        self._cache: dict[str, ua.DataValue] = {}
        self._ts: dict[str, datetime] = {}
        self._tick_wall = self.wall()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._clock_task: asyncio.Task[None] | None = None
        self._pause_task: asyncio.Task[None] | None = None
        self._push_tasks: set[asyncio.Future[Any]] = set()
        self.control = control.ControlNodes(self)
        self._measured = [
            n for n, t in cfg.tags.items() if t.role in (TagRole.MEASUREMENT, TagRole.FORECAST)
        ]
        self._measured_set = frozenset(self._measured)

    # ----- lifecycle ----------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}{self.path}"

    @property
    def namespace_index(self) -> int:
        return self._ns

    async def __aenter__(self) -> SimulatedPlant:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Build the address space and listen; port 0 picks a free port (retried if another
        process takes it between the probe and the bind)."""
        auto = self.port == 0
        for attempt in range(3):
            if auto:
                self.port = free_port(self.host)
            try:
                await self._start_once()
                return
            except OSError:
                await self.stop()
                if not auto or attempt == 2:
                    raise
                self.port = 0

    async def _start_once(self) -> None:
        server = Server(user_manager=PasswordUsers(self.security.users if self.security else {}))
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name(f"plantloop simulated plant: {self.cfg.plant.name}")
        await server.set_application_uri(SERVER_URI)
        configure_security(server, self.security)
        if self.security is not None:
            der, pem = server_certificate(self.security.cert_dir, self.host)
            self.server_certificate_der = der
            await server.load_certificate(der, format="der")
            await server.load_private_key(pem, format="pem")
            if self.security.client_trust is not None:
                server.set_certificate_validator(ClientTrust(self.security.client_trust))
        self._ns = await server.register_namespace(self.cfg.connection.namespace_uri)
        server.iserver.attribute_service = SimAttributeService(server.iserver.aspace, self)
        server.subscribe_server_callback(CallbackType.PreRead, self._wait_resumed)
        self._server = server
        await self._build()
        # Server.start() without its socket server: ours can hold new connections unread
        await server._setup_server_nodes()
        await server.iserver.start()
        await self.start_serving()
        self._clock_task = asyncio.create_task(self._run_clock(), name="plantloop-sim-clock")
        log.info("simulated plant %s serving %s", self.cfg.plant.name, self.endpoint)

    async def stop(self) -> None:
        for task in (self._clock_task, self._pause_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._clock_task = self._pause_task = None
        self._resumed.set()
        if self._server is not None:
            clock = self._server.iserver.time_task  # sleeps 1 s between beats: cancel it
            if clock is not None:
                clock.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await clock
                self._server.iserver.time_task = None
            await self._server.stop()
            self._server = None

    async def _wait_resumed(self, event: Any, dispatcher: Any) -> None:
        await self._resumed.wait()

    # ----- address space ------------------------------------------------------------------
    async def _build(self) -> None:
        assert self._server is not None
        server, idx = self._server, self._ns
        folder = ua.NodeId(f"plantloop.{self.cfg.plant.name}", idx)
        await nodes.add_folder(
            server, ua.NodeId(ua.ObjectIds.ObjectsFolder), folder, self.cfg.plant.name
        )
        specs: list[nodes.VarSpec] = []
        eu: list[tuple[ua.NodeId, float, float]] = []
        for name, b in self.dynamics.bindings.items():
            t = self.cfg.tags[name]
            nid = nodes.tag_nodeid(t.node, idx)
            vt = nodes.tag_vtype(self.cfg, b)
            self._vtype[name], self._node_of[name] = vt, nid
            writable = t.role in (TagRole.SETPOINT, TagRole.WATCHDOG)
            specs.append(
                nodes.VarSpec(
                    nodeid=nid,
                    name=name,
                    vtype=vt,
                    writable=writable,
                    array_len=self.cfg.cycle.horizon_steps if b.forecast else None,
                    description=t.description,
                )
            )
            self._ts[name] = self._tick_wall
            if t.role is TagRole.SETPOINT:
                lo, hi = self.dcs.eu_ranges[name]
                eu.append((nid, lo, hi))
                self._writers[nid] = self._setpoint_writer(name)
            elif b.source is binding.Source.SEQUENCE:
                self._writers[nid] = self._counter_writer(name, self._store_sequence)
            elif t.role is TagRole.WATCHDOG:
                self._writers[nid] = self._counter_writer(name, self._store_watchdog)
            else:
                self._writers[nid] = not_writable
        await nodes.add_variables(server, folder, specs)
        if eu:
            await nodes.add_eu_ranges(server, eu)
        await self.control.build(server, idx, set(self._node_of.values()))
        aspace = server.iserver.aspace
        for name, nid in self._node_of.items():
            aspace.set_attribute_value_callback(nid, ua.AttributeIds.Value, self._reader(name))

    def _reader(self, tag: str) -> Callable[[ua.NodeId, ua.AttributeIds], ua.DataValue]:
        return lambda nid, attr: self.datavalue(tag)

    def datavalue(self, tag: str) -> ua.DataValue:
        """The DataValue a client reads for ``tag`` now (faults applied)."""
        dv = self._cache.get(tag)
        if dv is not None:
            return dv
        value, status, ts = faults.apply(
            self.faults.get(tag), self.dynamics.values[tag], self._ts[tag]
        )
        vt = self._vtype[tag]
        if status.startswith("Bad"):
            variant = ua.Variant(None, ua.VariantType.Null)
        elif isinstance(value, tuple):
            variant = ua.Variant(list(value), vt, Dimensions=[len(value)])
        else:
            variant = ua.Variant(as_variant_value(vt, value), vt)
        dv = ua.DataValue(
            Value=variant,
            StatusCode=ua.StatusCode(getattr(ua.StatusCodes, status)),
            SourceTimestamp=ts,
            ServerTimestamp=max(self._ts[tag], self._tick_wall)
            if tag in self._measured_set
            else self._ts[tag],
        )
        self._cache[tag] = dv
        return dv

    def _setpoint_writer(self, tag: str) -> WriteHandler:
        def write(v: ua.Variant) -> str:
            if v.VariantType != ua.VariantType.Double or v.Value is None:
                return "BadTypeMismatch"
            status = self.dcs.check_setpoint(tag, float(v.Value))
            if status == GOOD:
                self.dynamics.write_setpoint(tag, float(v.Value))
                self._changed(tag)
            return status

        return write

    def _counter_writer(self, tag: str, store: Callable[[str, int], None]) -> WriteHandler:
        """A UInt32 counter plantloop writes (watchdog, command sequence)."""

        def write(v: ua.Variant) -> str:
            if v.VariantType != ua.VariantType.UInt32 or v.Value is None:
                return "BadTypeMismatch"
            store(tag, int(v.Value))
            self._changed(tag)
            return GOOD

        return write

    def _store_watchdog(self, tag: str, value: int) -> None:
        self.dcs.note_watchdog(value, self.wall())
        self.dynamics.write_watchdog(value)

    def _store_sequence(self, tag: str, value: int) -> None:
        self.dynamics.sequence = self.dynamics.values[tag] = value

    def _changed(self, tag: str) -> None:
        self._ts[tag] = self.wall()
        self._cache.pop(tag, None)
        self._notify((tag,))

    def _notify(self, tags: Any) -> None:
        """Push new values to subscriptions (asyncua datachange callbacks), if any."""
        if self._server is None:
            return
        aspace = self._server.iserver.aspace
        for tag in tags:
            nid = self._node_of[tag]
            attval = aspace._nodes[nid].attributes[ua.AttributeIds.Value]
            if attval.datachange_callbacks:
                dv = self.datavalue(tag)
                for handle, cb in list(attval.datachange_callbacks.items()):
                    task = asyncio.ensure_future(cb(handle, dv))
                    self._push_tasks.add(task)
                    task.add_done_callback(self._push_tasks.discard)

    # ----- time ---------------------------------------------------------------------------
    async def _run_clock(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(self.tick_s)
            now = time.monotonic()
            dt, last = (now - last) * self.speed, now
            try:
                if dt > 0:
                    self.dynamics.step(dt)
                    self._after_step()
                elif self.dcs.tick(self.wall()):  # frozen time: values and stamps stay
                    log.warning("DCS shed: %s", self.dcs.shed_reason)
            except Exception:  # keep serving; a dynamics bug must not kill the server
                log.exception("simulation step failed")

    def _after_step(self) -> None:
        """New measurements: fresh timestamps; setpoint values stay cached until written
        (their server timestamp is the time of the last write)."""
        self._tick_wall = self.wall()
        for n in self._measured:
            self._ts[n] = self._tick_wall
            self._cache.pop(n, None)
        if self.dcs.tick(self._tick_wall):
            log.warning("DCS shed: %s", self.dcs.shed_reason)
        self._notify(self._measured)

    def reset(
        self,
        *,
        seed: int = 0,
        start: datetime | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Fresh plant state, DCS and faults on the running server (same endpoint): lets
        tests share one server. Open sessions stay connected."""
        if wall_clock is not None:
            self.wall = wall_clock
        self.dynamics = PlantDynamics(self.cfg, seed=seed, start=start)
        self.dcs = DcsLogic(
            self.cfg, eu_ranges=self._eu_override, watchdog_timeout_s=self._wd_override
        )
        self.faults.clear()
        self._cache.clear()
        for tag in self.dcs.eu_ranges:
            self._show_eu_range(tag)
        self._after_step()
        for tag in self._ts:
            self._ts[tag] = self._tick_wall

    async def advance(self, sim_seconds: float) -> None:
        """Step simulated time now by ``sim_seconds`` (whatever the speed)."""
        self.dynamics.step(sim_seconds)
        self._after_step()

    def now(self) -> datetime:
        """Simulated time (UTC)."""
        return self.dynamics.t

    # ----- DCS and faults -----------------------------------------------------------------
    def set_permissive(self, on: bool) -> None:
        """Operator's enable switch; cycling it false -> true re-enables after a shed."""
        self.dcs.set_permissive(on)
        self.dynamics.set_permissive(on)
        if self.cfg.interlocks.permissive_tag is not None:
            self._changed(self.cfg.interlocks.permissive_tag)

    def reenable(self) -> None:
        """Clear a watchdog shed (as an operator re-selecting remote mode)."""
        self.dcs.reenable()

    def set_eu_range(self, tag: str, low: float, high: float) -> None:
        """The DCS engineer changes a setpoint's range while plantloop runs: the DCS
        enforces it at once and the node's EURange property shows it."""
        if tag not in self.dcs.eu_ranges:
            raise KeyError(f"{tag!r} is not a setpoint tag")
        self.dcs.eu_ranges[tag] = (low, high)
        self._show_eu_range(tag)

    def _show_eu_range(self, tag: str) -> None:
        if self._server is None or tag not in self._node_of:
            return
        low, high = self.dcs.eu_ranges[tag]
        nid = nodes.eu_range_nodeid(self._node_of[tag])
        attr = self._server.iserver.aspace._nodes[nid].attributes[ua.AttributeIds.Value]
        variant = ua.Variant(ua.Range(Low=low, High=high), ua.VariantType.ExtensionObject)
        attr.value = ua.DataValue(variant, SourceTimestamp=self.wall())

    @property
    def shed(self) -> bool:
        return self.dcs.shed

    def check_watchdog(self) -> bool:
        """Run the watchdog check now; True when it shed."""
        return self.dcs.tick(self.wall())

    def set_available(self, unit: str, on: bool) -> None:
        self.dynamics.set_available(unit, on)
        self._cache.clear()

    def inject(self, tag: str, kind: FaultKind | str) -> None:
        """Inject a fault on a tag (``FaultKind.NONE`` clears it)."""
        if tag not in self.cfg.tags:
            raise KeyError(f"unknown tag {tag!r}")
        kind = FaultKind(kind)
        if kind is FaultKind.NONE:
            self.faults.pop(tag, None)
        else:
            self.faults[tag] = Fault(
                kind=kind, value=self.dynamics.values[tag], source_ts=self._ts[tag]
            )
        self._cache.pop(tag, None)

    def clear_faults(self) -> None:
        self.faults.clear()
        self._cache.clear()

    # ----- reporting ----------------------------------------------------------------------
    def cost_comparison(self) -> CostComparison:
        """Energy cost since start (or reset) against the rule-based baseline."""
        d = self.dynamics
        return compare(d.actual, d.baseline, self.cfg.tariffs.currency)

    def status_line(self) -> str:
        d = self.dynamics
        flags = ["SHED" if self.dcs.shed else "ok", "paused" if self.paused else ""]
        if not self.dcs.permissive:
            flags.append("permissive off")
        if self.faults:
            flags.append("faults " + ",".join(f"{t}={f.kind}" for t, f in self.faults.items()))
        cur = self.cfg.tariffs.currency
        return (
            f"sim {d.t:%Y-%m-%d %H:%M} | cost {d.actual.cost:,.0f} {cur} vs baseline "
            f"{d.baseline.cost:,.0f} {cur} | watchdog {d.watchdog} | "
            + " ".join(f for f in flags if f)
        )
