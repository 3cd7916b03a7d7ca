"""The mutation report (docs/mutation-survivors.md) is what its data says, and explains
every survivor: a new survivor needs a killing test or a reason in docs/mutation/reasons.txt."""

from __future__ import annotations

from tools.mutation_report import OUT, report


def test_every_survivor_has_a_reason_and_the_table_is_current() -> None:
    text, unexplained, stale = report()
    assert unexplained == [], "add a test that kills it, or a reason to docs/mutation/reasons.txt"
    assert stale == [], "reasons for mutants that no longer survive: remove them"
    assert OUT.read_text() == text, "run: python tools/mutation_report.py render"
