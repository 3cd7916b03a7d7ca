"""How a cycle ended. Every cycle records exactly one outcome, with one-line reasons."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    WROTE = "wrote"  # setpoints written and read back
    NO_CHANGE = "no_change"  # healthy; every move within its deadband (watchdog written)
    ADVISORY = "advisory"  # computed and logged; nothing written (mode or --advisory)
    HELD_BAD_DATA = "held_bad_data"  # read failed or a critical input is bad
    HELD_NO_PERMISSIVE = "held_no_permissive"  # the DCS/operator enable is off
    HELD_SOLVER = "held_solver"  # no safe plan: last written setpoints stay in the DCS
    HELD_RULE = "held_rule"  # a configured interlock rule holds all setpoints
    ARMING = "arming"  # healthy; only the watchdog written until the DCS has seen it beat
    SHED = "shed"  # too many failures: advisory until the permissive is cycled
    WRITE_FAILED = "write_failed"  # a write was rejected, timed out or did not read back
    HELD_NO_RECORD = "held_no_record"  # the decision could not be recorded: nothing written
    ABANDONED = "abandoned"  # stop requested during the cycle: nothing written
    ERROR = "error"  # an unexpected failure inside the engine (recorded, loop continues)
    SKIPPED = "skipped"  # the scheduler skipped this run (previous cycle overran): no I/O


WRITING = frozenset({Outcome.WROTE, Outcome.NO_CHANGE, Outcome.ARMING, Outcome.WRITE_FAILED})
