"""Phase 4 — solve: the MILP on a worker thread, never on the event loop.

One worker thread owns the Pyomo model: parameter updates and solves are serialized there.
If a solve outlives its deadline (HiGHS normally stops itself at the time limit), the cycle
gives up waiting and later cycles report the solver busy instead of touching the model.
After each solve the C allocator's free pages go back to the OS (``optimizer.allocator``).
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future, ThreadPoolExecutor

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from models.result import PlanResult
from optimizer import allocator
from optimizer.errors import ModelError


class SolverBusy(ModelError):
    """The previous solve has not returned yet; this cycle cannot use the model."""


def grace_s(time_limit_s: float) -> float:
    """How long past its time limit a solve is waited for (HiGHS may overrun a little)."""
    return max(2.0, 0.5 * time_limit_s)


class SolveWorker:
    def __init__(self, model: PlantModel, *, time_limit_s: float, mip_gap: float) -> None:
        self.model = model
        self.time_limit_s = time_limit_s
        self.mip_gap = mip_gap
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plantloop-solve")
        self._pending: Future[PlanResult] | None = None
        self.last_update_s = 0.0
        self.last_trim_s = 0.0
        self.trim_after_solve = True  # False only to measure without it (benchmarks/soak.py)

    @property
    def busy(self) -> bool:
        return self._pending is not None and not self._pending.done()

    async def update_and_solve(self, inputs: ModelInputs) -> PlanResult:
        if self.busy:
            raise SolverBusy("previous solve still running; holding this cycle")
        loop = asyncio.get_running_loop()
        fut = self._executor.submit(self._job, inputs)
        self._pending = fut
        grace = grace_s(self.time_limit_s)
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(fut, loop=loop)),
                timeout=self.time_limit_s + grace,
            )
        except TimeoutError:
            raise ModelError(
                f"solve did not return within its {self.time_limit_s:g} s limit + {grace:g} s grace"
            ) from None

    def _job(self, inputs: ModelInputs) -> PlanResult:
        t0 = time.perf_counter()
        try:
            self.model.update(inputs)
            self.last_update_s = time.perf_counter() - t0
            return self.model.solve(time_limit_s=self.time_limit_s, mip_gap=self.mip_gap)
        finally:
            # the solve's temporaries leave free memory spread over the allocator's arenas
            # (~15 MB at 20 x 96); glibc keeps it resident unless asked: hand whole free
            # pages back after each solve (~1 ms), so fragmentation cannot add up in RSS
            # over months. Here, off the event loop, on the thread that did the allocating.
            if self.trim_after_solve:
                t1 = time.perf_counter()
                allocator.trim()
                self.last_trim_s = time.perf_counter() - t1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
