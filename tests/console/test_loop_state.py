"""The console's loop state from the last cycle's outcome: every outcome the engine records
maps to a state an operator reads at a glance, with the cycle's reasons as the why."""

from __future__ import annotations

import pytest

from optimizer.console.views import loop_state
from optimizer.outcomes import Outcome

EXPECTED = {
    Outcome.WROTE: "running",
    Outcome.NO_CHANGE: "running",
    Outcome.ADVISORY: "advisory",
    Outcome.HELD_BAD_DATA: "held",
    Outcome.HELD_NO_PERMISSIVE: "held",
    Outcome.HELD_SOLVER: "held",
    Outcome.HELD_RULE: "held",
    Outcome.HELD_NO_RECORD: "held",
    Outcome.ARMING: "arming",
    Outcome.SHED: "shed",
    Outcome.WRITE_FAILED: "write_failed",
    Outcome.ABANDONED: "abandoned",
    Outcome.ERROR: "error",
    Outcome.SKIPPED: "skipped",
}


@pytest.mark.parametrize("outcome", list(Outcome), ids=str)
def test_every_outcome_has_a_state(outcome: Outcome) -> None:
    state, why = loop_state(
        {"outcome": outcome.value, "reasons": ["r1"], "mode": "closed_loop"}, None
    )
    assert state == EXPECTED[outcome] and why == ["r1"]


def test_advisory_mode_reads_advisory_and_no_cycle_reads_waiting() -> None:
    assert loop_state({"outcome": "no_change", "reasons": [], "mode": "advisory"}, None)[0] == (
        "advisory"
    )
    assert loop_state(None, None) == ("waiting", ["no cycle recorded yet"])
