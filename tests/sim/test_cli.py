"""`plantloop sim` as a user runs it: a subprocess, a client, Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys

import pytest
from asyncua import Client, ua

from tests.sim.conftest import REPO
from tests.support.cli import spawn_plantloop


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optimizer", "sim", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def test_serves_until_interrupted_with_faults_from_flags() -> None:
    proc = await spawn_plantloop(
        "sim",
        "config/demo.yaml",
        "--port",
        "0",
        "--speed",
        "600",
        "--fault",
        "chp_load=bad",
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
    m = re.search(r"serving (opc\.tcp://\S+)", line)
    assert m, line
    try:
        async with Client(m.group(1), timeout=4) as c:
            idx = await c.get_namespace_index("urn:plantloop:demo")
            bad, good = await c.uaclient.read_attributes(
                [ua.NodeId("CHP.Load", idx), ua.NodeId("Boiler1.Load", idx)],
                ua.AttributeIds.Value,
            )
            assert bad.StatusCode.is_bad() and good.StatusCode.is_good()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, err.decode()
    assert "stopped" in out.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config/demo.yaml", "--fault", "nope=bad"], "unknown tag 'nope'"),
        (["config/demo.yaml", "--fault", "chp_load=melted"], "unknown fault kind"),
        (["config/demo.yaml", "--security", "tls"], "--security must be"),
        (["config/missing.yaml"], "missing.yaml"),
        (
            ["config/demo.yaml", "--user", "op", "--password-env", "PLANTLOOP_NO_SUCH_VAR"],
            "PLANTLOOP_NO_SUCH_VAR",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(args: list[str], message: str) -> None:
    os.environ.pop("PLANTLOOP_NO_SUCH_VAR", None)
    r = _run(*args)
    assert r.returncode == 2, r.stderr
    assert message in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
