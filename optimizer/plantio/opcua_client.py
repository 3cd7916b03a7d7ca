"""``OpcUaPlantIO``: the PlantIO of a real OPC UA server (asyncua).

- connect: security from config, namespace URI resolved to its index, every configured
  node id resolved once (a missing one names its tag), setpoint/watchdog DataTypes and
  EURanges read once;
- read: ONE Read service call for every tag (MaxAge 0), keeping value, status code and
  source/server timestamps;
- write: refuses anything but configured setpoint/watchdog tags and non-finite values
  before sending; ONE Write call with each value as a Variant of the node's own type,
  then ONE Read of the written nodes to compare;
- every request under ``asyncio.wait_for``; on connection loss the state goes LOST, reads
  fail until a reconnect (exponential backoff) has re-resolved everything, and no write is
  ever replayed;
- results are paired with the request's nodes by position: an answer with more or fewer
  results than nodes is ``BrokenAnswer`` (named request and counts), never a guess;
- connection epoch: incremented on every (re)connect; each snapshot carries it, the first
  snapshot after a loss is marked stale, and a write whose values were computed from a read
  in another epoch is refused before sending (``BasisChanged``, safety rule 13).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from asyncua import Client, ua

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.errors import (
    BasisChanged,
    BrokenAnswer,
    ConnectError,
    NodeError,
    PlantIOError,
    SecurityError,
    WriteRefused,
)
from optimizer.plantio.types import (
    ConnectionState,
    Snapshot,
    StateListener,
    TagReading,
    Value,
    WriteOutcome,
    WriteReport,
)
from optimizer.plantio.ua_batches import SessionBatches
from optimizer.plantio.ua_errors import describe, explain, plain
from optimizer.plantio.ua_security import (
    SecurityPlan,
    apply,
    discover,
    endpoint_cert,
    prepare,
    warn_if_insecure,
)
from optimizer.plantio.ua_values import (
    counters_fit,
    from_variant,
    quality_of,
    to_variant,
    values_match,
)

log = logging.getLogger("plantloop.opcua")
_WRITABLE = (TagRole.SETPOINT, TagRole.WATCHDOG)


class OpcUaPlantIO:
    def __init__(self, cfg: PlantConfig) -> None:
        self.cfg = cfg
        self.conn = cfg.connection
        self._client: Client | None = None
        self._state = ConnectionState.DISCONNECTED
        self._listeners: list[StateListener] = []
        self._nodes: dict[str, ua.NodeId] = {}
        self._vtypes: dict[str, ua.VariantType] = {}
        self._eu: dict[str, tuple[float, float]] = {}
        self._reconnect: asyncio.Task[None] | None = None
        self._closing = False
        self._order = list(cfg.tags)
        self._batches: SessionBatches | None = None
        self._epoch = 0  # incremented on every (re)connect
        self._read_epoch: int | None = None  # epoch of the last read

    # ----- PlantIO ----------------------------------------------------------------------
    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def eu_ranges(self) -> Mapping[str, tuple[float, float]]:
        return self._eu

    def add_state_listener(self, listener: StateListener) -> None:
        self._listeners.append(listener)

    async def connect(self) -> None:
        self._closing = False
        await self._open()
        self._set(ConnectionState.CONNECTED, f"{self.conn.endpoint} ({len(self._nodes)} tags)")

    async def close(self) -> None:
        self._closing = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reconnect
        await self._drop_client()
        self._set(ConnectionState.DISCONNECTED, "(session closed by plantloop)")

    async def read(self) -> Snapshot:
        client = self._ready()
        params = self._batches_now().read  # built once per session
        epoch = self._epoch
        results = await self._request(client.uaclient.read(params), "read", cycle=True)
        now = datetime.now(UTC)
        self._fits("read", results, len(self._order), "tags", "none of its values is used")
        readings: dict[str, TagReading] = {}
        for tag, dv in zip(self._order, results, strict=True):
            readings[tag] = _reading(tag, dv)
        stale = self._read_epoch is not None and self._read_epoch != epoch
        self._read_epoch = epoch
        return Snapshot(read_at=now, readings=readings, stale=stale, epoch=epoch)

    async def write(self, values: Mapping[str, float | int | bool], *, epoch: int) -> WriteReport:
        for tag, v in values.items():
            t = self.cfg.tags.get(tag)
            if t is None or t.role not in _WRITABLE:
                what = "not a configured tag" if t is None else f"role {t.role.value}"
                raise WriteRefused(
                    f"tag {tag}: refused, {what} (only setpoints and the watchdog are ever written)"
                )
            if not _finite(v):
                raise WriteRefused(f"tag {tag}: refused, value {v} is not finite")
        client = self._ready()
        if epoch != self._epoch:  # no await between this check and the send below
            raise BasisChanged(
                f"connection re-established since the read (epoch {epoch} -> {self._epoch}): "
                "values computed from the old session are not written"
            )
        tags = list(values)
        # every value checked against its node's type before anything is sent
        variants = {tag: to_variant(values[tag], self._vtypes[tag], tag) for tag in tags}
        sent = {tag: variants[tag][1] for tag in tags}
        params, rparams = self._batches_now().write(tuple(tags), [variants[tag][0] for tag in tags])
        statuses = await self._request(client.uaclient.write(params), "write", cycle=True)
        self._fits("write", statuses, len(tags), "values", "the outcome of every value is unknown")
        back = await self._request(client.uaclient.read(rparams), "read-back", cycle=True)
        good = sum(1 for st in statuses if st.is_good())
        self._fits(
            "read-back",
            back,
            len(tags),
            "values",
            f"the write was answered Good for {good} of {len(tags)}, none is confirmed",
        )
        outcomes = []
        for tag, st, dv in zip(tags, statuses, back, strict=True):
            ok = bool(st.is_good())
            rb = from_variant(dv.Value) if dv.StatusCode.is_good() else None
            outcomes.append(
                WriteOutcome(
                    tag=tag,
                    requested=sent[tag],
                    status=st.name,
                    ok=ok,
                    read_back=rb,
                    read_back_matches=ok and values_match(sent[tag], rb, self._vtypes[tag]),
                )
            )
        return WriteReport(outcomes=tuple(outcomes))

    # ----- connection -------------------------------------------------------------------
    async def _open(self) -> None:
        """A session under the configured security. With a pinned server certificate or a
        trust store holding the server's certificate, no SecurityPolicy None channel is ever
        opened (secure-only servers refuse one)."""
        plan = await prepare(self.conn)
        candidates: list[Any] = list(plan.candidates) if plan.secure else [None]
        if plan.secure and not candidates:  # trust store of CA certificates only
            candidates = [await self._discover_server_cert(plan)]
        for i, server_cert in enumerate(candidates):
            client = Client(self.conn.endpoint, timeout=self.conn.request_timeout_s)
            client.session_timeout = int(self.conn.session_timeout_s * 1000)
            client.secure_channel_timeout = int(max(self.conn.session_timeout_s, 60) * 1000)
            try:
                await apply(client, plan, server_cert)
                await asyncio.wait_for(client.connect(), timeout=self.conn.request_timeout_s * 3)
            except Exception as e:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.disconnect(), timeout=2)
                if i + 1 < len(candidates) and not isinstance(e, PlantIOError):
                    continue  # encrypted to the wrong trust-store certificate: next one
                raise await explain(e, plan, server_cert) from None
            warn_if_insecure(plan)
            client.connection_lost_callback = self._on_lost
            self._client = client
            break
        try:
            await self._resolve(self._ready_client())
        except Exception:
            await self._drop_client()
            raise
        self._epoch += 1

    async def _discover_server_cert(self, plan: SecurityPlan) -> Any:
        eps = await discover(self.conn)
        sec = self.conn.security
        if eps is None:
            raise SecurityError(
                f"{self.conn.endpoint}: the trust store {sec.trust_store} holds CA "
                "certificates only and the server does not list its endpoints over an "
                "unsecured channel (secure-only): pin the server's certificate "
                "(connection.security.server_certificate) or put it into the trust store"
            )
        cert = endpoint_cert(eps, self.conn)
        if cert is None:
            raise await explain(
                ua.UaStatusCodeError(ua.StatusCodes.BadSecurityPolicyRejected), plan, None
            )
        return cert

    def _batches_now(self) -> SessionBatches:
        assert self._batches is not None  # set with the nodes at connect
        return self._batches

    def _ready_client(self) -> Client:
        assert self._client is not None
        return self._client

    async def _resolve(self, client: Client) -> None:
        try:
            ns = await self._request(
                client.get_namespace_index(self.conn.namespace_uri), "ns", cycle=False
            )
        except ValueError as e:  # a time-out stays a ConnectError, not "not on the server"
            raise NodeError(
                f"connection.namespace_uri: {self.conn.namespace_uri} is not on the server ({e})"
            ) from None
        nodes = {
            tag: ua.NodeId.from_string(f"ns={ns};{t.node}") for tag, t in self.cfg.tags.items()
        }
        # one Read of every node's DataType: proves each exists, gives the write types
        params = ua.ReadParameters()
        for tag in self._order:
            rv = ua.ReadValueId()
            rv.NodeId = nodes[tag]
            rv.AttributeId = ua.AttributeIds.DataType
            params.NodesToRead.append(rv)
        results = await self._request(client.uaclient.read(params), "resolve", cycle=False)
        self._fits("DataType read", results, len(self._order), "nodes", "not connected")
        missing = [
            t for t, dv in zip(self._order, results, strict=True) if not dv.StatusCode.is_good()
        ]
        if missing:
            raise NodeError(
                "node not found on the server for tag "
                + ", ".join(f"{t} ({self.cfg.tags[t].node})" for t in missing[:5])
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
        vtypes = {}
        for tag, dv in zip(self._order, results, strict=True):
            if self.cfg.tags[tag].role in _WRITABLE:
                vtypes[tag] = ua.datatype_to_varianttype(dv.Value.Value)
        counters_fit(self.cfg, vtypes)
        self._nodes, self._vtypes = nodes, vtypes
        self._batches = SessionBatches(self._order, nodes)
        self._eu = await self._eu_ranges(client)

    async def _eu_ranges(self, client: Client) -> dict[str, tuple[float, float]]:
        tags = [t for t in self._order if self.cfg.tags[t].role is TagRole.SETPOINT]
        if not tags:
            return {}
        params = ua.BrowseParameters()
        params.NodesToBrowse = []
        for tag in tags:
            bd = ua.BrowseDescription()
            bd.NodeId = self._nodes[tag]
            bd.BrowseDirection = ua.BrowseDirection.Forward
            bd.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasProperty)
            bd.IncludeSubtypes = True
            bd.ResultMask = ua.BrowseResultMask.All
            params.NodesToBrowse.append(bd)
        found = await self._request(client.uaclient.browse(params), "eu", cycle=False)
        self._fits("EURange browse", found, len(tags), "setpoint nodes", "not connected")
        with_eu = []
        for tag, res in zip(tags, found, strict=True):
            for ref in res.References if res.StatusCode.is_good() else []:
                if ref.BrowseName.Name == "EURange":
                    with_eu.append((tag, ref.NodeId))
                    break
        if not with_eu:
            return {}
        params = ua.ReadParameters()
        for _, nid in with_eu:
            rv = ua.ReadValueId()
            rv.NodeId = nid
            rv.AttributeId = ua.AttributeIds.Value
            params.NodesToRead.append(rv)
        values = await self._request(client.uaclient.read(params), "eu", cycle=False)
        self._fits("EURange read", values, len(with_eu), "EURanges", "not connected")
        out = {}
        for (tag, _), dv in zip(with_eu, values, strict=True):
            rng = dv.Value.Value if dv.Value is not None else None
            if rng is not None and hasattr(rng, "Low"):
                out[tag] = (float(rng.Low), float(rng.High))
        return out

    async def _request(self, coro: Any, what: str, *, cycle: bool) -> Any:
        """``coro`` under the request timeout. ``what`` names the request in messages only.

        ``cycle``: a request of the cycle (its read, write, read-back) on a live session.
        Then a service-level Bad status too counts the session lost (the outcome of a write
        is unknown; the next read must come from a new session), and the message names no
        step: the cycle says which phase failed. A set-up request (``cycle=False``: the
        namespace, the nodes, the EURanges) answered Bad is a plain error of that step.
        """
        try:
            return await asyncio.wait_for(coro, timeout=self.conn.request_timeout_s)
        except PlantIOError:
            raise
        except (TimeoutError, ConnectionError, OSError, ua.UaError) as e:
            if isinstance(e, ua.UaStatusCodeError) and not cycle:
                raise plain(e, self.conn.endpoint) from None
            detail = (
                f"no answer within {self.conn.request_timeout_s:g} s"
                if isinstance(e, TimeoutError)
                else describe(e)
            )
            self._lost(f"({what}: {detail})")
            where = "" if cycle else f"{what} failed: "
            raise ConnectError(f"{self.conn.endpoint}: {where}{detail}") from None

    def _fits(self, what: str, results: Sequence[Any], asked: int, noun: str, so: str) -> None:
        """Refuse an answer with more or fewer results than ``asked`` (OPC UA Part 4 pairs
        them by position, so none of them can be trusted to be its node's): ``so`` says what
        that means for the request. The session stays: a reconnect does not mend a server."""
        if len(results) != asked:
            raise BrokenAnswer(
                f"{self.conn.endpoint}: {what}: the server answered {_count(len(results))} "
                f"for {asked} {noun}; {so}"
            )

    def _ready(self) -> Client:
        if self._state is not ConnectionState.CONNECTED or self._client is None:
            raise ConnectError(f"{self.conn.endpoint}: not connected ({self._state.value})")
        return self._client

    async def _on_lost(self, exc: Exception) -> None:
        self._lost(f"({describe(exc)})")

    def _lost(self, detail: str) -> None:
        """A live session was lost: go LOST and start reconnecting. A failure while the
        first connect is still under way (DISCONNECTED) is that connect's error, not a loss:
        reconnecting then would leave a session nobody asked for (and, racing the connect,
        the state CONNECTED without a client)."""
        if self._closing or self._state is not ConnectionState.CONNECTED:
            return
        self._set(ConnectionState.LOST, detail)
        self._reconnect = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        """Until connected or closed: every failure (unreachable, refused, a broken trust
        store, anything) is reported and retried with exponential backoff; only closing
        ends the loop."""
        delay = 0.5
        why = ""
        await self._drop_client()
        while not self._closing:
            self._set(ConnectionState.RECONNECTING, f"{why}next try in {delay:g} s")
            await asyncio.sleep(delay)
            try:
                await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                err = e if isinstance(e, PlantIOError) else plain(e, self.conn.endpoint)
                log.warning("reconnect failed: %s", str(err))  # text: see cycle/runner.py
                why = f"reconnect failed: {err}; "
                delay = min(delay * 2, self.conn.reconnect_max_backoff_s)
                continue
            self._set(ConnectionState.CONNECTED, "reconnected; values re-read next cycle")
            return

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.connection_lost_callback = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), timeout=2)

    def _set(self, state: ConnectionState, detail: str) -> None:
        if state is self._state and state is not ConnectionState.RECONNECTING:
            return
        self._state = state
        log.info("connection %s: %s", state.value, detail)
        for listener in self._listeners:
            try:
                listener(state, detail)
            except Exception:
                log.exception("connection listener failed")


def _count(n: int) -> str:
    return f"{n} result" if n == 1 else f"{n} results"


def _finite(v: object) -> bool:
    """False for NaN/inf of any numeric type (float, numpy, Decimal); the type check per
    node comes later in ``to_variant``."""
    try:
        return math.isfinite(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _reading(tag: str, dv: ua.DataValue) -> TagReading:
    status = dv.StatusCode
    value: Value = None
    if dv.Value is not None and dv.Value.Value is not None:
        value = from_variant(dv.Value)
    return TagReading(
        tag=tag,
        value=value,
        quality=quality_of(status),
        status=status.name,
        source_ts=_aware(dv.SourceTimestamp),
        server_ts=_aware(dv.ServerTimestamp),
    )


def _aware(t: datetime | None) -> datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t
