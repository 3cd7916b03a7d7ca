"""OPC UA speed: batched read, batched write + read-back against the simulated plant.

    .venv/bin/python benchmarks/opcua.py [--sizes 100 1000 5000] [--runs 7]

For each size N a synthetic config with N setpoint tags (optimizer.sim.synthetic) is served
by the simulator in a **separate process** (as a real server would be), and the client
measures, per run: one batched Read of every configured tag (value, status, timestamps),
one batched Write of the N setpoints (Double variants), and one batched Read-back of
them. The same requests against a plain asyncua server holding the same number of Double
variables (no simulator logic) give the reference ratio, measured in the same run.
``client_cpu_ms`` is the client process's CPU time for the three requests: the part a
faster (compiled) server would not remove.
Medians over ``--runs`` runs after two warm-up runs; the runs alternate between the two
servers (both up at once) so other load on the machine hits both alike. Results: a table
on stdout and benchmarks/results/opcua.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asyncua import Client, Server, ua

from optimizer.config.tags import TagRole
from optimizer.errors import ConnectError
from optimizer.sim.synthetic import synthetic_config

RESULTS = Path(__file__).resolve().parent / "results" / "opcua.json"
TARGET_MS = 100.0  # 1,000 tags read + written + read back


def _serve_sim(n: int, q: Any) -> None:
    from optimizer.sim import SimulatedPlant

    async def main() -> None:
        cfg = synthetic_config(n, n_units=min(20, n // 10))
        async with SimulatedPlant(cfg, speed=60.0) as sim:
            q.put(sim.endpoint)
            await asyncio.Event().wait()

    asyncio.run(main())


def _serve_plain(n: int, q: Any) -> None:
    """A plain asyncua server: the same node ids and count, stored values, no logic."""

    async def main() -> None:
        from optimizer.sim.uaserver import free_port

        cfg = synthetic_config(n, n_units=min(20, n // 10))
        port = free_port("127.0.0.1")
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/plain")
        idx = await server.register_namespace(cfg.connection.namespace_uri)
        folder = await server.nodes.objects.add_folder(idx, "Plain")
        h = cfg.cycle.horizon_steps
        for t in cfg.tags.values():
            nid = ua.NodeId.from_string(f"ns={idx};{t.node}")
            if t.role is TagRole.FORECAST:
                v = ua.Variant([0.0] * h, ua.VariantType.Double)
            elif t.role is TagRole.WATCHDOG:
                v = ua.Variant(0, ua.VariantType.UInt32)
            else:
                v = ua.Variant(1.0, ua.VariantType.Double)
            node = await folder.add_variable(nid, nid.Identifier, v)
            if t.role in (TagRole.SETPOINT, TagRole.WATCHDOG):
                await node.set_writable()
        async with server:
            q.put(f"opc.tcp://127.0.0.1:{port}/plain")
            await asyncio.Event().wait()

    asyncio.run(main())


class _Target:
    """One connected client and the node ids of a synthetic config on one server."""

    def __init__(self, client: Client, cfg: Any, idx: int) -> None:
        self.client = client
        self.all_ids = [ua.NodeId.from_string(f"ns={idx};{t.node}") for t in cfg.tags.values()]
        self.sps = [t for t in cfg.tags.values() if t.role is TagRole.SETPOINT]
        self.sp_ids = [ua.NodeId.from_string(f"ns={idx};{t.node}") for t in self.sps]

    @classmethod
    async def open(cls, endpoint: str, cfg: Any) -> _Target:
        client = Client(endpoint, timeout=30)
        await client.connect()
        idx = await client.get_namespace_index(cfg.connection.namespace_uri)
        return cls(client, cfg, idx)

    async def run(self, r: int) -> tuple[float, float, float, float]:
        """(read, write, read-back, client CPU) in ms for one cycle."""
        c = self.client
        c0 = time.process_time()
        t0 = time.perf_counter()
        dvs = await c.uaclient.read_attributes(self.all_ids, ua.AttributeIds.Value)
        t1 = time.perf_counter()
        assert len(dvs) == len(self.all_ids) and all(d.StatusCode.is_good() for d in dvs)
        values = []
        for t in self.sps:
            lo, hi = t.setpoint.min, t.setpoint.max
            values.append(lo + (hi - lo) * ((r % 5) + 1) / 7.0)
        wdv = [ua.DataValue(ua.Variant(v, ua.VariantType.Double)) for v in values]
        t2 = time.perf_counter()
        st = await c.uaclient.write_attributes(self.sp_ids, wdv)
        t3 = time.perf_counter()
        back = await c.uaclient.read_attributes(self.sp_ids, ua.AttributeIds.Value)
        t4 = time.perf_counter()
        c1 = time.process_time()
        assert all(s.is_good() for s in st), "write refused"
        assert [b.Value.Value for b in back] == values, "read-back differs"
        return ((t1 - t0) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3, (c1 - c0) * 1e3)


async def _measure(endpoints: dict[str, str], n: int, runs: int) -> dict[str, Any]:
    """Runs alternate between the servers so load changes on the machine hit all alike."""
    cfg = synthetic_config(n, n_units=min(20, n // 10))
    targets = {name: await _Target.open(ep, cfg) for name, ep in endpoints.items()}
    samples: dict[str, list[tuple[float, float, float, float]]] = {k: [] for k in targets}
    failed: dict[str, str] = {}
    try:
        for r in range(runs + 2):
            order = list(targets) if r % 2 == 0 else list(reversed(targets))
            for name in order:
                if name in failed:
                    continue
                try:
                    sample = await targets[name].run(r)
                except (ConnectionError, TimeoutError) as e:  # reported, the rest goes on
                    failed[name] = f"{type(e).__name__}: {e}"
                    continue
                if r >= 2:
                    samples[name].append(sample)
    finally:
        for t in targets.values():
            await t.client.disconnect()
    out: dict[str, Any] = {}
    for name, rows in samples.items():
        if name in failed or not rows:
            out[name] = {"tags_read": len(targets[name].all_ids), "failed": failed.get(name)}
            continue
        read, write, back, cpu = (list(col) for col in zip(*rows, strict=True))
        out[name] = {
            "tags_read": len(targets[name].all_ids),
            "setpoints": len(targets[name].sp_ids),
            "read_ms": statistics.median(read),
            "write_ms": statistics.median(write),
            "readback_ms": statistics.median(back),
            "cycle_ms": statistics.median(x[0] + x[1] + x[2] for x in rows),
            "client_cpu_ms": statistics.median(cpu),
        }
    return out


async def _measure_plantio(endpoint: str, n: int, runs: int, pid: int) -> dict[str, float]:
    """The same cycle through plantloop's own client (OpcUaPlantIO): read every tag, write
    the setpoints, read them back; wall time, client CPU and server CPU per cycle."""
    from optimizer.plantio.opcua_client import OpcUaPlantIO

    cfg = synthetic_config(n, n_units=min(20, n // 10))
    conn = cfg.connection.model_copy(update={"endpoint": endpoint, "request_timeout_s": 60})
    cfg = cfg.model_copy(update={"connection": conn})
    io = OpcUaPlantIO(cfg)
    await io.connect()
    try:
        sps = {name: t for name, t in cfg.tags.items() if t.role is TagRole.SETPOINT}
        rows: list[tuple[float, float, float, float]] = []
        for r in range(runs + 2):
            s0, c0, t0 = _cpu_of(pid), time.process_time(), time.perf_counter()
            snap = await io.read()
            t1 = time.perf_counter()
            values = {}
            for name, t in sps.items():
                assert t.setpoint is not None
                lo, hi = t.setpoint.min, t.setpoint.max
                values[name] = lo + (hi - lo) * ((r % 5) + 1) / 7.0
            report = await io.write(values, epoch=snap.epoch)
            t2, c1, s1 = time.perf_counter(), time.process_time(), _cpu_of(pid)
            assert report.all_ok, "plantio write not confirmed"
            if r >= 2:
                rows.append(((t1 - t0) * 1e3, (t2 - t0) * 1e3, (c1 - c0) * 1e3, (s1 - s0) * 1e3))
    finally:
        await io.close()
    read, cycle, cpu, server = (list(col) for col in zip(*rows, strict=True))
    return {
        "read_ms": statistics.median(read),
        "cycle_ms": statistics.median(cycle),
        "client_cpu_ms": statistics.median(cpu),
        "server_cpu_ms": statistics.mean(server),  # clock ticks: the mean, not the median
    }


async def _measure_subscription(endpoint: str, n: int, seconds: float = 3.0) -> dict[str, Any]:
    """A subscription-based read path: every tag monitored (100 ms publishing), consumed the
    way a cycle would (drained once per second). asyncua's iterator queue holds 1,000 events
    and drops the oldest beyond that (its default): count the tags whose value never
    arrived, and the client CPU per second of notifications."""
    cfg = synthetic_config(n, n_units=min(20, n // 10))
    client = Client(endpoint, timeout=60)
    await client.connect()
    try:
        idx = await client.get_namespace_index(cfg.connection.namespace_uri)
        nodes = [client.get_node(f"ns={idx};{t.node}") for t in cfg.tags.values()]
        sub = await client.create_subscription(100)
        c0 = time.process_time()
        await sub.subscribe_data_change(nodes)
        seen: set[Any] = set()
        events = 0
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            await asyncio.sleep(1.0)  # a cycle's worth of notifications piles up
            while True:
                try:
                    ev = sub._event_queue.get_nowait()
                except (asyncio.QueueEmpty, AttributeError):
                    break
                events += 1
                node = getattr(ev, "node", None)
                if node is not None:
                    seen.add(node.nodeid)
        cpu_per_s = (time.process_time() - c0) / seconds * 1e3
        await sub.delete()
    finally:
        await client.disconnect()
    return {
        "tags": len(nodes),
        "events": events,
        "tags_never_seen": len(nodes) - len(seen),
        "client_cpu_ms_per_s": cpu_per_s,
    }


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(targets: dict[str, Any], n: int) -> tuple[dict[str, str], dict[str, int], list[Any]]:
    ctx = mp.get_context("spawn")
    endpoints: dict[str, str] = {}
    pids: dict[str, int] = {}
    procs: list[Any] = []
    for name, fn in targets.items():
        if name == "node_opcua":
            ep, proc = _serve_node(n)
            endpoints[name], pids[name] = ep, proc.pid
            procs.append(proc)
            continue
        q = ctx.Queue()
        p = ctx.Process(target=fn, args=(n, q), daemon=True)
        p.start()
        procs.append(p)
        endpoints[name] = q.get(timeout=180)
        assert p.pid is not None
        pids[name] = p.pid
    return endpoints, pids, procs


def _serve_node(n: int) -> tuple[str, subprocess.Popen[str]]:
    """node-opcua (compiled-speed JS codec) with the same nodes, on 127.0.0.1."""
    from optimizer.sim.uaserver import free_port

    cfg = synthetic_config(n, n_units=min(20, n // 10))
    kinds = {TagRole.FORECAST: "DoubleArray", TagRole.WATCHDOG: "UInt32"}
    nodes = [
        [t.node, kinds.get(t.role, "Double"), t.role in (TagRole.SETPOINT, TagRole.WATCHDOG)]
        for t in cfg.tags.values()
    ]
    spec = Path(tempfile.mkdtemp(prefix="plantloop-bench-")) / "nodes.json"
    spec.write_text(json.dumps({"namespace": cfg.connection.namespace_uri, "nodes": nodes}))
    port = free_port("127.0.0.1")
    proc = subprocess.Popen(
        ["node", str(Path(__file__).with_name("opcua_node_server.js")), str(port), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for _ in range(200):
        line = proc.stdout.readline()
        if line.startswith("READY") or not line:
            break
    if not line.startswith("READY"):
        raise SystemExit("node-opcua server did not start (npm ci in tests/interop first)")
    return f"opc.tcp://127.0.0.1:{port}/bench", proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument(
        "--servers",
        nargs="+",
        default=["simulator", "plain_asyncua", "node_opcua"],
        choices=["simulator", "plain_asyncua", "node_opcua"],
    )
    ap.add_argument(
        "--subscription", action="store_true", help="also measure a subscription read path"
    )
    args = ap.parse_args()
    makers = {"simulator": _serve_sim, "plain_asyncua": _serve_plain, "node_opcua": None}
    rows = []
    for n in args.sizes:
        endpoints, pids, procs = _serve({k: makers[k] for k in args.servers}, n)
        try:
            raw = asyncio.run(_measure(endpoints, n, args.runs))
            for name, ep in endpoints.items():
                try:
                    pio = asyncio.run(_measure_plantio(ep, n, args.runs, pids[name]))
                except ConnectError as e:  # e.g. asyncua's 1 s health probe at 5,000 tags
                    print(f"N={n:>5} {name:<13} OpcUaPlantIO FAILED: {e}", flush=True)
                    continue
                r = raw[name]
                row = {
                    "n_setpoints": n,
                    "server": name,
                    "tags_read": r["tags_read"],
                    "asyncua": r,
                    "plantio": pio,
                    "client_cpu_ratio": pio["client_cpu_ms"] / r["client_cpu_ms"]
                    if "client_cpu_ms" in r
                    else None,
                }
                if args.subscription:
                    row["subscription"] = asyncio.run(_measure_subscription(ep, n))
                    sb = row["subscription"]
                    print(
                        f"         subscription: {sb['events']} events, "
                        f"{sb['tags_never_seen']} of {sb['tags']} tags never delivered, "
                        f"client CPU {sb['client_cpu_ms_per_s']:.1f} ms/s",
                        flush=True,
                    )
                rows.append(row)
                print(_line(row), flush=True)
        finally:
            for proc in procs:
                proc.terminate()
                proc.join(5) if hasattr(proc, "join") else proc.wait(5)
    target = [r for r in rows if r["n_setpoints"] == 1000]
    out = {
        "benchmark": "opcua",
        "client": "'asyncua': read_attributes / write_attributes / read_attributes, one "
        "request each; 'plantio': the same cycle through optimizer.plantio.OpcUaPlantIO",
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": mp.cpu_count(),
        "target_ms_1000": TARGET_MS,
        "meets_target": {r["server"]: r["plantio"]["cycle_ms"] <= TARGET_MS for r in target},
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def _line(row: dict[str, Any]) -> str:
    a, p = row["asyncua"], row["plantio"]
    raw = (
        f"asyncua {a['cycle_ms']:7.1f} ms, client CPU {a['client_cpu_ms']:6.1f} ms"
        if "cycle_ms" in a
        else f"asyncua FAILED ({a['failed']})"
    )
    ratio = row["client_cpu_ratio"]
    return (
        f"N={row['n_setpoints']:>5} {row['server']:<13} {row['tags_read']:>5} tags | {raw} | "
        "OpcUaPlantIO "
        f"{p['cycle_ms']:7.1f} ms, client CPU {p['client_cpu_ms']:6.1f} ms "
        f"({p['client_cpu_ms'] / 3:5.1f} ms/request), server CPU {p['server_cpu_ms']:6.1f} ms"
        + (f" | client CPU ratio {ratio:.2f}" if ratio is not None else "")
    )


if __name__ == "__main__":
    main()
