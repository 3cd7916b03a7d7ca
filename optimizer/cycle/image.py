"""The process image of one cycle: what each phase produced, and what went wrong where."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.inputs import ModelInputs
    from models.result import PlanResult
    from optimizer.interlocks import WritePlan
    from optimizer.plantio.types import Snapshot, WriteReport
    from optimizer.validation import ValidatedInputs


class Phase(StrEnum):
    READ = "read"
    VALIDATE = "validate"
    UPDATE = "update"
    SOLVE = "solve"
    INTERLOCK = "interlock"
    WRITE = "write"
    RECORD = "record"


@dataclass(frozen=True, kw_only=True)
class PhaseFault:
    phase: Phase
    message: str


@dataclass(kw_only=True)
class CycleImage:
    """Filled phase by phase; a phase that fails leaves its slot None and adds a fault."""

    number: int
    started: datetime
    snapshot: Snapshot | None = None
    validated: ValidatedInputs | None = None
    inputs: ModelInputs | None = None
    plan: PlanResult | None = None
    write_plan: WritePlan | None = None
    report: WriteReport | None = None
    faults: list[PhaseFault] = field(default_factory=list)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    stop_requested: bool = False
    basis_changed: str | None = None  # the write was refused: reconnected since the read
    unrecorded: str | None = None  # the intent could not be recorded: nothing was written

    def fault(self, phase: Phase, message: str) -> None:
        self.faults.append(PhaseFault(phase=phase, message=message))

    def failed(self, phase: Phase) -> bool:
        return any(f.phase is phase for f in self.faults)
