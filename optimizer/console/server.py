"""Serve the console from the running event loop (uvicorn's server as one more task).

The loop's own signal handling stays in charge: uvicorn's signal capture is turned off,
and the service stops the server when it stops. The socket is bound here first, so a
port in use is one clear error before anything else starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from optimizer.console.access import Bind
from optimizer.console.app import create_app
from optimizer.console.live import LiveFeed
from optimizer.errors import InputError

log = logging.getLogger("plantloop.console")


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the loop service owns SIGINT/SIGTERM
        yield


class ConsoleServer:
    def __init__(self, db: Path, bind: Bind, live: LiveFeed | None = None) -> None:
        self.bind = bind
        self.app = create_app(db, live=live, token=bind.token, secure=bind.tls_cert is not None)
        config = uvicorn.Config(
            self.app,
            host=bind.host,
            port=bind.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            ssl_certfile=str(bind.tls_cert) if bind.tls_cert else None,
            ssl_keyfile=str(bind.tls_key) if bind.tls_key else None,
        )
        self.server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.bind.host else socket.AF_INET
        try:
            sock = socket.create_server((self.bind.host, self.bind.port), family=family)
        except OSError as e:
            raise InputError(
                f"--http {self.bind.host}:{self.bind.port}: cannot listen ({e.strerror})"
            ) from None
        sock.set_inheritable(True)
        self._task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise InputError(f"console at {self.bind.url} stopped during start-up")
            await asyncio.sleep(0.02)

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        for s in self.server.servers:
            for sock in s.sockets:
                return int(sock.getsockname()[1])
        return self.bind.port

    async def stop(self) -> None:
        self.app.state.stopping = True
        self.server.should_exit = True
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=5)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("console server did not stop within 5 s")
            except SystemExit:
                pass
