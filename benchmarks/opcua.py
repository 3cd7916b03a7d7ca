"""OPC UA speed: batched read, batched write + read-back against the simulated plant.

    /work/venv/bin/python benchmarks/opcua.py [--sizes 100 1000 5000] [--runs 7]

For each size N a synthetic config with N setpoint tags (optimizer.sim.synthetic) is served
by the simulator in a **separate process** (as a real server would be), and the client
measures, per run: one batched Read of every configured tag (value, status, timestamps),
one batched Write of the N setpoints (Double variants), and one batched Read-back of
them. The same requests against a plain asyncua server holding the same number of Double
variables (no simulator logic) give the reference ratio, measured in the same run.
``client_cpu_ms`` is the client process's CPU time for the three requests: the part a
faster (compiled) server would not remove.
Medians over ``--runs`` runs after two warm-up runs. Results: a table on stdout and
benchmarks/results/opcua.json.
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


async def _measure(endpoint: str, n: int, runs: int) -> dict[str, float]:
    cfg = synthetic_config(n, n_units=min(20, n // 10))
    async with Client(endpoint, timeout=30) as c:
        idx = await c.get_namespace_index(cfg.connection.namespace_uri)
        all_ids = [ua.NodeId.from_string(f"ns={idx};{t.node}") for t in cfg.tags.values()]
        sps = [(name, t) for name, t in cfg.tags.items() if t.role is TagRole.SETPOINT]
        sp_ids = [ua.NodeId.from_string(f"ns={idx};{t.node}") for _, t in sps]
        read_ms: list[float] = []
        write_ms: list[float] = []
        back_ms: list[float] = []
        cpu_ms: list[float] = []
        for r in range(runs + 2):
            c0 = time.process_time()
            t0 = time.perf_counter()
            dvs = await c.uaclient.read_attributes(all_ids, ua.AttributeIds.Value)
            t1 = time.perf_counter()
            assert len(dvs) == len(all_ids) and all(d.StatusCode.is_good() for d in dvs)
            values = []
            for _, t in sps:
                assert t.setpoint is not None
                lo, hi = t.setpoint.min, t.setpoint.max
                values.append(lo + (hi - lo) * ((r % 5) + 1) / 7.0)
            wdv = [ua.DataValue(ua.Variant(v, ua.VariantType.Double)) for v in values]
            t2 = time.perf_counter()
            st = await c.uaclient.write_attributes(sp_ids, wdv)
            t3 = time.perf_counter()
            back = await c.uaclient.read_attributes(sp_ids, ua.AttributeIds.Value)
            t4 = time.perf_counter()
            c1 = time.process_time()
            assert all(s.is_good() for s in st), "write refused"
            assert [b.Value.Value for b in back] == values, "read-back differs"
            if r >= 2:
                read_ms.append((t1 - t0) * 1e3)
                write_ms.append((t3 - t2) * 1e3)
                back_ms.append((t4 - t3) * 1e3)
                cpu_ms.append((c1 - c0) * 1e3)
    total = [a + b + c for a, b, c in zip(read_ms, write_ms, back_ms, strict=True)]
    return {
        "tags_read": len(all_ids),
        "setpoints": len(sp_ids),
        "read_ms": statistics.median(read_ms),
        "write_ms": statistics.median(write_ms),
        "readback_ms": statistics.median(back_ms),
        "cycle_ms": statistics.median(total),
        "client_cpu_ms": statistics.median(cpu_ms),
    }


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


def _run_against(target: Any, n: int, runs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=target, args=(n, q), daemon=True)
    proc.start()
    try:
        endpoint = q.get(timeout=120)
        out: dict[str, Any] = asyncio.run(_measure(endpoint, n, runs))
        if target is _serve_sim:
            out["plantio"] = asyncio.run(_measure_plantio(endpoint, n, runs))
        return out
    finally:
        proc.terminate()
        proc.join(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-server reference")
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        sim = _run_against(_serve_sim, n, args.runs)
        plain = None if args.no_plain else _run_against(_serve_plain, n, args.runs)
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
