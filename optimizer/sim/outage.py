"""Outages of the simulated server: pause (frozen, sockets open), stop/start, restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from asyncua.server.binary_server_asyncio import BinaryServer

from optimizer.sim.uaserver import guard_channels


class _PausableBinaryServer(BinaryServer):  # type: ignore[misc]
    """asyncua's socket server; a connection accepted while paused is never read."""

    def __init__(self, *args: Any, is_paused: Callable[[], bool], secure_only: bool) -> None:
        super().__init__(*args)
        self._is_paused = is_paused
        self._secure_only = secure_only

    def _make_protocol(self) -> Any:
        proto = super()._make_protocol()
        made = proto.connection_made

        def connection_made(transport: asyncio.BaseTransport) -> None:
            made(transport)
            guard_channels(proto, self._secure_only)
            if self._is_paused() and not transport.is_closing():
                transport.pause_reading()  # type: ignore[attr-defined]

        proto.connection_made = connection_made
        return proto


class OutageMixin:
    """Mixed into SimulatedPlant; needs ``_server`` (asyncua Server), ``host``, ``port``,
    ``_resumed`` (set while answering) and ``_pause_task``."""

    _server: Any
    security: Any  # SimSecurity | None
    host: str
    port: int
    _resumed: asyncio.Event
    _pause_task: asyncio.Task[None] | None

    async def pause(self, seconds: float | None = None) -> None:
        """Stop answering (sockets stay open, nothing is read) until :meth:`resume` or
        ``seconds`` pass. The plant itself keeps running."""
        self._resumed.clear()
        for t in self._transports():
            t.pause_reading()
        if self._pause_task is not None:
            self._pause_task.cancel()
        self._pause_task = asyncio.create_task(self._hold_paused(seconds))

    async def _hold_paused(self, seconds: float | None) -> None:
        if seconds is None:
            return
        await asyncio.sleep(seconds)
        self._pause_task = None
        self._resume_now()

    async def resume(self) -> None:
        if self._pause_task is not None:
            self._pause_task.cancel()
            self._pause_task = None
        self._resume_now()

    def _resume_now(self) -> None:
        for t in self._transports():
            t.resume_reading()
        self._resumed.set()

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def _transports(self) -> list[asyncio.Transport]:
        if self._server is None:
            return []
        return [t for t in self._server.iserver.asyncio_transports if not t.is_closing()]

    async def stop_serving(self) -> None:
        """Close every connection and the listening socket (the plant keeps running)."""
        if self._server is not None and self._server.bserver is not None:
            await self._server.bserver.stop()
            self._server.bserver = None

    async def start_serving(self) -> None:
        """Listen (again) on the same host and port."""
        server = self._server
        assert server is not None
        if server.bserver is not None:
            return
        bserver = _PausableBinaryServer(
            server.iserver,
            self.host,
            self.port,
            server.limits,
            is_paused=lambda: self.paused,
            secure_only=self.security is not None and self.security.secure_only,
        )
        bserver.set_policies(server._policies)
        await bserver.start()
        server.bserver = bserver

    async def restart(self, down_s: float = 0.0) -> None:
        """Server restart: connections drop, sessions and subscriptions are gone (asyncua
        would otherwise keep sessions with subscriptions for transfer), same endpoint."""
        await self.resume()
        await self.stop_serving()
        if self._server is not None:
            registry = self._server.iserver._external_sessions
            for session in list(registry.values()):
                await session.close_session(delete_subs=True)
            registry.clear()
        await asyncio.sleep(down_s)
        await self.start_serving()
