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
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asyncua import Client, Server, ua

from optimizer.config.tags import TagRole
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
    try:
        for r in range(runs + 2):
            order = list(targets) if r % 2 == 0 else list(reversed(targets))
            for name in order:
                sample = await targets[name].run(r)
                if r >= 2:
                    samples[name].append(sample)
    finally:
        for t in targets.values():
            await t.client.disconnect()
    out: dict[str, Any] = {}
    for name, rows in samples.items():
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


async def _measure_plantio(endpoint: str, n: int, runs: int) -> dict[str, float] | None:
    """The same cycle through plantloop's own client (OpcUaPlantIO), when it exists."""
    try:
        from optimizer.plantio.opcua_client import OpcUaPlantIO  # type: ignore[import-not-found]
    except ImportError:
        return None
    cfg = synthetic_config(n, n_units=min(20, n // 10))
    conn = cfg.connection.model_copy(update={"endpoint": endpoint})
    cfg = cfg.model_copy(update={"connection": conn})
    io = OpcUaPlantIO(cfg)
    await io.connect()
    try:
        sps = {name: t for name, t in cfg.tags.items() if t.role is TagRole.SETPOINT}
        read_ms: list[float] = []
        wrb_ms: list[float] = []
        for r in range(runs + 2):
            t0 = time.perf_counter()
            await io.read()
            t1 = time.perf_counter()
            values = {}
            for name, t in sps.items():
                assert t.setpoint is not None
                lo, hi = t.setpoint.min, t.setpoint.max
                values[name] = lo + (hi - lo) * ((r % 5) + 1) / 7.0
            t2 = time.perf_counter()
            report = await io.write(values)
            t3 = time.perf_counter()
            assert report.all_ok, "plantio write not confirmed"
            if r >= 2:
                read_ms.append((t1 - t0) * 1e3)
                wrb_ms.append((t3 - t2) * 1e3)
    finally:
        await io.close()
    return {
        "read_ms": statistics.median(read_ms),
        "write_readback_ms": statistics.median(wrb_ms),
        "cycle_ms": statistics.median([a + b for a, b in zip(read_ms, wrb_ms, strict=True)]),
    }


def _serve(targets: dict[str, Any], n: int) -> tuple[dict[str, str], list[Any]]:
    ctx = mp.get_context("spawn")
    endpoints: dict[str, str] = {}
    procs = []
    for name, fn in targets.items():
        q = ctx.Queue()
        proc = ctx.Process(target=fn, args=(n, q), daemon=True)
        proc.start()
        procs.append(proc)
        endpoints[name] = q.get(timeout=180)
    return endpoints, procs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-server reference")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        servers = {"simulator": _serve_sim}
        if not args.no_plain:
            servers["plain_asyncua"] = _serve_plain
        endpoints, procs = _serve(servers, n)
        try:
            res = asyncio.run(_measure(endpoints, n, args.runs))
            sim = res["simulator"]
            sim["plantio"] = asyncio.run(_measure_plantio(endpoints["simulator"], n, args.runs))
        finally:
            for proc in procs:
                proc.terminate()
                proc.join(5)
        plain = res.get("plain_asyncua")
        row: dict[str, Any] = {"n_setpoints": n, "simulator": sim, "plain_asyncua": plain}
        if plain is not None:
            row["ratio_cycle"] = sim["cycle_ms"] / plain["cycle_ms"]
        rows.append(row)
        print(_line(row), flush=True)
    target_row = next((r for r in rows if r["n_setpoints"] == 1000), None)
    out = {
        "benchmark": "opcua",
        "client": "asyncua read_attributes / write_attributes (one request each); "
        "'plantio': the same cycle through optimizer.plantio.OpcUaPlantIO when present",
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": mp.cpu_count(),
        "target_ms_1000": TARGET_MS,
        "meets_target": None
        if target_row is None
        else target_row["simulator"]["cycle_ms"] <= TARGET_MS,
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS}")


def _line(row: dict[str, Any]) -> str:
    s = row["simulator"]
    p = row["plain_asyncua"]
    ref = f" | plain {p['cycle_ms']:7.1f} ms  ratio {row['ratio_cycle']:.2f}" if p else ""
    if s.get("plantio"):
        ref += f" | OpcUaPlantIO {s['plantio']['cycle_ms']:7.1f} ms"
    return (
        f"N={row['n_setpoints']:>5}  read {s['tags_read']:>5} tags {s['read_ms']:7.1f} ms  "
        f"write {s['write_ms']:7.1f} ms  read-back {s['readback_ms']:7.1f} ms  "
        f"total {s['cycle_ms']:7.1f} ms (client CPU {s['client_cpu_ms']:6.1f} ms){ref}"
    )


if __name__ == "__main__":
    main()
