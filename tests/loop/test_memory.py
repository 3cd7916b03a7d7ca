"""Nothing a cycle builds outlives it: the bounded-structure side of the soak (issue 15).

A cycle's image (snapshot, validated inputs, model inputs, plan) is garbage once it is
recorded. These tests count live images after cycles instead of watching RSS, so they fail
on the first kept image, not after thousands of cycles of noise.
"""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
import gc
import logging
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer import allocator
from optimizer.config.loader import load_config
from optimizer.cycle.image import CycleImage
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.record import DecisionRecord, InputRecord
from optimizer.decisions.store import CACHE_KIB, DecisionLog
from optimizer.sim import FaultKind
from tests.loop.conftest import REPO, Loop

LOG_METHODS = {"debug", "info", "warning", "error", "critical", "exception", "log"}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def live_images() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, CycleImage))


async def test_faulted_cycles_leave_no_image_behind_in_kept_log_records(
    loop: Loop, caplog: pytest.LogCaptureFixture
) -> None:
    # caplog keeps every record, as a log buffer, a queue handler or pytest's own report
    # capture does: a record that carried the phase's exception kept its traceback, and
    # through its frames the whole cycle image (issue 15: ~30 KB a faulted cycle)
    caplog.set_level(logging.WARNING, logger="plantloop")
    loop.sim.inject("product_temp", FaultKind.BAD)  # the model needs it: update fails
    for _ in range(5):
        s = await loop.cycle()
        assert any("update failed" in r for r in s.reasons), s.reasons
    kept = [r for r in caplog.records if "update failed" in r.getMessage()]
    assert len(kept) == 5
    assert not [a for r in kept for a in r.args or () if isinstance(a, BaseException)]
    assert live_images() == 0


def exception_log_args(root: Path) -> list[str]:
    """``log.<level>(..., e)`` where ``e`` is an ``except ... as e`` name or a parameter
    annotated as an exception."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ExceptHandler) and node.name is not None:
                names = {node.name}
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {
                    a.arg
                    for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)
                    if a.annotation is not None
                    and any(w in ast.unparse(a.annotation) for w in ("Exception", "Error"))
                }
            else:
                continue
            for call in ast.walk(node):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr in LOG_METHODS
                    and any(isinstance(a, ast.Name) and a.id in names for a in call.args)
                ):
                    found.append(f"{path.relative_to(REPO)}:{call.lineno}")
    return found


def test_no_log_call_keeps_an_exception_alive() -> None:
    # the same leak, found statically everywhere: pass str(e), not e
    assert exception_log_args(REPO / "optimizer") + exception_log_args(REPO / "models") == []


def sqlite_memory() -> int:
    """Bytes SQLite has allocated in this process (all connections)."""
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("libsqlite3 not found for sqlite3_memory_used")
    lib = ctypes.CDLL(name)
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return int(lib.sqlite3_memory_used())


def wide_record(n: int, tags: int) -> DecisionRecord:
    t = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=n)
    return DecisionRecord(
        run_id="memory",
        cycle=n,
        started=t,
        ended=t,
        outcome="wrote",
        reasons=(),
        config_hash="x",
        mode="closed_loop",
        inputs=tuple(
            InputRecord(
                tag=f"tag{i:04d}",
                value=float((n * 7919 + i) % 1000) / 7,
                quality="good",
                status="Good",
                source_ts=t,
                used=float((n * 7919 + i) % 1000) / 7,
            )
            for i in range(tags)
        ),
    )


def test_decision_log_page_cache_stays_at_its_bound(tmp_path: Path) -> None:
    # a new log gets 16 KB pages after the connection opened: the cache bound has to be set
    # again after that, or SQLite keeps the page count of 4 KB pages (4x the bytes) and the
    # cache grows with the log up to it (the soak's RSS: +6 MB over the first 3,000 cycles)
    log = DecisionLog(tmp_path / "log.sqlite")
    base = sqlite_memory()
    for n in range(1, 201):
        log.append(wide_record(n, tags=1000))
    size = (tmp_path / "log.sqlite").stat().st_size
    used = sqlite_memory() - base
    log.close()
    # measured: 4.5 MB of log; 1.7 MB of SQLite memory with the bound, 5.2 MB without
    assert size > 2 * CACHE_KIB * 1024, size  # the log outgrew the cache bound
    assert used < 1.5 * CACHE_KIB * 1024, used  # the cache did not


def test_shifting_the_plan_by_every_step_keeps_nothing() -> None:
    # the planner shifts the last plan by the steps elapsed since it was made: a map kept
    # per shift held one int per column for every shift seen (8 MB at 20 x 96), filling
    # over a long run as outages and sheds produced new shifts (issue 15, the large soak)
    cfg = load_config(REPO / "config" / "utility.yaml").config
    pm = PlantModel(cfg)
    assert pm.planner is not None
    cols = pm.planner.cols
    x = np.zeros(cols.n)
    cols.shift(x, 1)  # numpy's own first-use allocations
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for k in range(cols.steps):
            cols.shift(x, k)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 8 * cols.n, (kept, cols.n, cols.steps)  # less than one vector


def test_heap_stats_are_read_on_glibc() -> None:
    st = allocator.stats()
    assert allocator.available() and st is not None  # this machine's Python runs on glibc
    assert st.in_use_mb > 1 and st.free_mb >= 0 and st.arenas >= 1


async def test_a_solve_hands_the_allocators_free_pages_back() -> None:
    # free memory inside the allocator stays resident until malloc_trim: 64 MB freed below
    # a block still in use (as a large solve's temporaries leave it) stay in RSS; the solve
    # worker trims after each solve, so they are back with the OS when the solve returns
    cfg = load_config(REPO / "config" / "demo.yaml").config
    inputs = ModelInputs.from_state_file(REPO / "config" / "demo-state.json", cfg)
    worker = SolveWorker(PlantModel(cfg), time_limit_s=10.0, mip_gap=cfg.cycle.mip_gap)
    try:
        await worker.update_and_solve(inputs)  # the model's own first-solve allocations
        chunks = [bytes(4000) for _ in range(16_000)]  # 64 MB through malloc
        pin = bytes(4000)  # allocated after them: the heap cannot shrink from its top
        del chunks
        held = rss_mb()
        plan = await worker.update_and_solve(inputs)
        after = rss_mb()
    finally:
        worker.close()
    assert plan.has_safe_plan and worker.last_trim_s > 0 and pin
    assert held - after > 40, (held, after)  # MB returned to the OS
