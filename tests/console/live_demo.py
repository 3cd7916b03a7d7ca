"""One live `plantloop demo --http` run in a subprocess (simulator, loop and console in one
process, as an operator starts it). Tests read it over HTTP and steer the simulated DCS
through the simulator's OPC UA control nodes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import Client, ua

from optimizer.sim.server import free_port

REPO = Path(__file__).resolve().parents[2]


@dataclass
class LiveDemo:
    db: Path
    period: float = 2.0
    port: int = 0
    endpoint: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return self.db.with_suffix(".out").read_text(errors="replace")

    def start(self) -> None:
        self.port = free_port("127.0.0.1")
        out = self.db.with_suffix(".out").open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "optimizer",
                "demo",
                "--cycles",
                "100000",
                "--period",
                str(self.period),
                "--log",
                str(self.db),
                "--http",
                f"127.0.0.1:{self.port}",
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "250"},
        )
        self.wait_for(lambda: "console at" in self.output, timeout=60)
        found = re.search(r"opc\.tcp://\S+", self.output)
        assert found, self.output
        self.endpoint = found.group(0)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def set_permissive(self, on: bool) -> None:
        async def write() -> None:
            async with Client(self.endpoint, timeout=10) as c:
                ns = await c.get_namespace_index("urn:plantloop:demo")
                node = c.get_node(ua.NodeId("Sim.Control.Permissive", ns))
                await node.write_value(ua.DataValue(ua.Variant(on, ua.VariantType.Boolean)))

        asyncio.run(write())

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            body = r.read()
        return json.loads(body) if path.startswith("/api/") else body.decode()

    def wait_for(self, what: Callable[[], Any], timeout: float = 60.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"demo exited {self.proc.returncode}:\n{self.output[-3000:]}")
            try:
                got = what()
            except OSError:
                got = None
            if got:
                return got
            time.sleep(0.3)
        raise AssertionError(f"condition not met in time:\n{self.output[-3000:]}")
