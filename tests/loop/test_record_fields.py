"""What a cycle's decision record holds, field by field, for each way a setpoint can end:
written, refused by the server, lost with the write, never sent, held by the cycle's
outcome (safety rule 16: the record is what operators review). Real SQLite; no solve."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from models.result import RelaxedLimit, SolveReport
from optimizer.cycle.image import CycleImage, Phase
from optimizer.cycle.plan_record import plan_record
from optimizer.cycle.record import Recorder
from optimizer.decisions.record import InputRecord, SetpointRecord, SolverRecord
from optimizer.decisions.store import DecisionLog
from optimizer.interlocks import SetpointDecision, WritePlan
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading, WriteOutcome, WriteReport
from optimizer.validation import InputValidator
from tests.safety.plantgen import plant

SP = {"min": 0, "max": 100, "max_up": 5, "max_down": 5, "deadband": 0.5}
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CFG = plant([SP, SP], [], tag_over={"flow": {"max_bad_reads": 3}})


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    r = Recorder(CFG, DecisionLog(tmp_path / "log.sqlite"), config_hash="h", advisory=False)
    yield r
    r.writer.close()


def _decision(tag: str, to_write: float | None, reason: str = "") -> SetpointDecision:
    return SetpointDecision(
        tag=tag, current=40.0, proposed=60.0, clamped_to=45.0, to_write=to_write, reason=reason
    )


def _image(outcome: Outcome, writes: dict[str, Any], *decisions: SetpointDecision) -> CycleImage:
    img = CycleImage(number=7, started=T0)
    img.write_plan = WritePlan(
        outcome=outcome,
        reasons=(),
        writes=writes,
        decisions=decisions,
        watchdog=writes.get("wd"),
        sequence=None,
    )
    return img


def _record(recorder: Recorder, img: CycleImage) -> dict[str, SetpointRecord]:
    rec = recorder.build(img, ended=T0, outcome=Outcome.WROTE, reasons=())
    return {s.tag: s for s in rec.setpoints}


def _out(tag: str, requested: float, status: str, *, read_back: Any) -> WriteOutcome:
    ok = status == "Good"
    return WriteOutcome(
        tag=tag,
        requested=requested,
        status=status,
        ok=ok,
        read_back=read_back,
        read_back_matches=ok and read_back == requested,
    )


def _sp(tag: str, **kw: Any) -> SetpointRecord:
    f: dict[str, Any] = {"current": 40.0, "proposed": 60.0, "clamped_to": 45.0, "sent": None}
    f.update({"written": None, "read_back": None, "write_status": None, "reason": ""}, **kw)
    return SetpointRecord(tag=tag, **f)


def test_written_refused_and_read_back_are_recorded_apart(recorder: Recorder) -> None:
    img = _image(
        Outcome.WROTE,
        {"sp0": 45.0, "sp1": 45.0, "wd": 8},
        _decision("sp0", 45.0, "move limited to +5 from 40"),
        _decision("sp1", 45.0, "clamped to hard max 100"),
    )
    img.report = WriteReport(
        outcomes=(
            _out("sp0", 45.0, "Good", read_back=44),
            _out("sp1", 45.0, "BadOutOfRange", read_back=None),
            _out("wd", 8, "Good", read_back=8),
        )
    )
    assert _record(recorder, img) == {
        "sp0": _sp(
            "sp0",
            sent=45.0,
            written=45.0,
            read_back=44.0,
            write_status="Good",
            reason="move limited to +5 from 40",
        ),
        "sp1": _sp(
            "sp1",
            sent=45.0,
            write_status="BadOutOfRange",
            reason="clamped to hard max 100; not written: the server answered BadOutOfRange",
        ),
    }


def test_a_batch_lost_with_the_write_or_never_sent_is_not_written(recorder: Recorder) -> None:
    writes = {"sp0": 45.0, "wd": 8}
    lost = _image(Outcome.WROTE, writes, _decision("sp0", 45.0, "clamped to hard max 100"))
    lost.fault(Phase.WRITE, "batched write + read-back did not answer within 0.4 s")
    why = (
        "clamped to hard max 100; not confirmed: the write phase failed;"
        " the value may have reached the controller"
    )
    assert _record(recorder, lost) == {"sp0": _sp("sp0", reason=why)}
    unsent = _image(Outcome.WROTE, writes, _decision("sp0", 45.0))
    assert _record(recorder, unsent) == {
        "sp0": _sp("sp0", reason="not written: the batch was not sent")
    }


def test_a_value_the_cycle_held_names_the_outcome(recorder: Recorder) -> None:
    img = _image(Outcome.HELD_NO_PERMISSIVE, {"wd": 8}, _decision("sp0", 45.0, "move 5"))
    why = "move 5; not written: cycle held_no_permissive"
    assert _record(recorder, img) == {"sp0": _sp("sp0", reason=why)}
    shadow = _image(Outcome.NO_CHANGE, {"wd": 8}, _decision("sp1", None, "shadow mode"))
    assert _record(recorder, shadow) == {"sp1": _sp("sp1", reason="shadow mode")}


def test_inputs_record_what_was_read_what_was_used_and_why(recorder: Recorder) -> None:
    def snap(flow: float, q: Quality, at: datetime) -> Snapshot:
        def reading(tag: str, value: Any, q: Quality, status: str, ts: Any) -> TagReading:
            return TagReading(
                tag=tag, value=value, quality=q, status=status, source_ts=ts, server_ts=at
            )

        r = {
            "temp": reading("temp", 50.0, Quality.GOOD, "Good", at),
            "flow": reading("flow", flow, q, q.value.title(), at),
            "wd": reading("wd", None, Quality.BAD, "BadNoComm", None),
        }
        return Snapshot(read_at=at, readings=r)

    v = InputValidator(CFG)
    v.validate(snap(30.0, Quality.GOOD, T0), T0)
    t1 = T0 + timedelta(seconds=10)
    img = CycleImage(number=8, started=t1)
    img.snapshot = snap(31.0, Quality.BAD, t1)
    img.validated = v.validate(img.snapshot, t1)
    img.fault(Phase.SOLVE, "infeasible")
    img.phase_seconds["read"] = 0.25
    rec = recorder.build(img, ended=t1, outcome=Outcome.HELD_BAD_DATA, reasons=("x",))
    flow = InputRecord(
        tag="flow",
        value=31.0,
        quality="bad",
        status="Bad",
        source_ts=t1,
        used=30.0,
        issue="flow: status Bad",
        substituted=True,
    )
    wd = InputRecord(
        tag="wd",
        value=None,
        quality="bad",
        status="BadNoComm",
        source_ts=None,
        used=None,
        issue="wd: status BadNoComm",
        substituted=False,
    )
    temp = InputRecord(
        tag="temp",
        value=50.0,
        quality="good",
        status="Good",
        source_ts=t1,
        used=50.0,
        issue="",
        substituted=False,
    )
    assert rec.inputs == (temp, flow, wd)
    assert re.fullmatch("[0-9a-f]{12}", rec.run_id)
    assert (rec.run_id, rec.cycle, rec.started, rec.ended) == (recorder.run_id, 8, t1, t1)
    assert (rec.outcome, rec.reasons, rec.config_hash, rec.mode) == (
        "held_bad_data",
        ("x",),
        "h",
        "closed_loop",
    )
    assert rec.faults == ("solve: infeasible",)
    assert rec.phase_seconds == {"read": 0.25}
    assert (rec.solver, rec.setpoints, rec.watchdog, rec.sequence, rec.plan) == (
        None,
        (),
        None,
        None,
        None,
    )
    assert rec.limits is not None and rec.limits["permissive_tag"] == "enable"


def test_the_watchdog_and_sequence_sent_are_recorded(recorder: Recorder) -> None:
    img = _image(Outcome.WROTE, {"sp0": 45.0, "wd": 8}, _decision("sp0", 45.0))
    img.write_plan = WritePlan(
        outcome=Outcome.WROTE, reasons=(), writes={"wd": 8}, watchdog=8, sequence=12
    )
    rec = recorder.build(img, ended=T0, outcome=Outcome.WROTE, reasons=())
    assert (rec.watchdog, rec.sequence) == (8, 12)


def test_a_cycle_whose_validation_failed_records_the_readings_as_unused(
    recorder: Recorder,
) -> None:
    img = CycleImage(number=9, started=T0)
    r = TagReading(
        tag="temp", value=50.0, quality=Quality.GOOD, status="Good", source_ts=T0, server_ts=T0
    )
    img.snapshot = Snapshot(read_at=T0, readings={"temp": r})
    img.fault(Phase.VALIDATE, "unexpected KeyError: 'x'")
    rec = recorder.build(img, ended=T0, outcome=Outcome.ERROR, reasons=())
    assert rec.inputs == (
        InputRecord(
            tag="temp",
            value=50.0,
            quality="good",
            status="Good",
            source_ts=T0,
            used=None,
            issue="",
            substituted=False,
        ),
    )


def test_the_mode_and_the_numbering_of_a_new_log(tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "a.sqlite")
    advisory = Recorder(CFG, log, config_hash="h", advisory=True)
    try:
        assert advisory.last_cycle == 0
        img = CycleImage(number=1, started=T0)
        rec = advisory.build(img, ended=T0, outcome=Outcome.ADVISORY, reasons=())
        assert rec.mode == "advisory"
    finally:
        advisory.writer.close()


def test_only_a_fault_of_the_write_phase_is_a_failed_write() -> None:
    img = CycleImage(number=1, started=T0)
    img.fault(Phase.SOLVE, "infeasible")
    assert (img.failed(Phase.WRITE), img.failed(Phase.SOLVE)) == (False, True)


def test_every_solver_field_and_the_plan_are_recorded(recorder: Recorder) -> None:
    model = PlantModel(CFG)
    inputs = ModelInputs(start=T0, values={}, forecasts={})
    model.update(inputs)
    real = model.solve(time_limit_s=5.0)
    assert real.has_safe_plan
    report = SolveReport(
        start="cold: test",
        candidate="full MIP",
        candidates={"full MIP": 1.0},
        first_plan_s=0.1,
        chosen_plan_s=0.1,
        time_limit_s=5.0,
        overran_s=0.0,
    )
    relaxed = RelaxedLimit(cv="T", tag="t", limit="high", rank=2, by=0.5)
    plan = dataclasses.replace(
        real,
        tiers={1: 5.0, 2: 7.0},
        relaxed=(relaxed,),
        why=("T high relaxed by 0.5",),
        unmet={"heat": 1.5},
        cv_predictions={"T": 1.5},
        mv_moves={"b1": 0.5},
        report=report,
    )
    img = _image(Outcome.WROTE, {"wd": 8})
    img.plan, img.inputs = plan, inputs
    rec = recorder.build(img, ended=T0, outcome=Outcome.WROTE, reasons=())
    assert rec.plan == plan_record(CFG, plan, inputs) and rec.plan is not None
    assert rec.solver == SolverRecord(
        status=real.status.value,
        termination=real.termination,
        attempt=real.attempt,
        has_safe_plan=True,
        message=real.message,
        objective=real.objective,
        bound=real.bound,
        gap=real.gap,
        solve_time_s=real.solve_time_s,
        wall_time_s=real.wall_time_s,
        terms=dict(real.terms),
        tiers={"1": 5.0, "2": 7.0},
        relaxed=({"cv": "T", "tag": "t", "limit": "high", "rank": 2, "by": 0.5},),
        why=("T high relaxed by 0.5",),
        cv_predictions={"T": 1.5},
        mv_moves={"b1": 0.5},
        unmet={"heat": 1.5},
        planner=report.to_dict(real.gap),
    )
    assert rec.solver.planner["start"] == "cold: test"
    assert all(x is not None for x in (real.termination, real.attempt, real.solve_time_s))
