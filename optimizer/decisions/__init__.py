"""The decision log: what each cycle saw, decided and wrote (SQLite, append-only)."""

from optimizer.decisions.record import DecisionRecord, InputRecord, SetpointRecord, SolverRecord
from optimizer.decisions.store import DecisionLog

__all__ = ["DecisionLog", "DecisionRecord", "InputRecord", "SetpointRecord", "SolverRecord"]
