"""The console contract: --debug everywhere, library log lines only with --debug,
identifiers printed as they are, config paths relative to the config file (issue 11)."""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path

import pytest
import typer
from rich.console import Console

from optimizer.cli import _common, app
from optimizer.config.loader import load_config
from tests.cli.conftest import REPO, Cli


def _commands() -> dict[str, object]:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_takes_debug(name: str, cli: Cli) -> None:
    r = cli(name, "--help")
    assert r.code == 0 and "--debug" in r.out, r.out


def test_library_log_lines_only_with_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(_common, "stderr", err)
    try:
        _common.setup_logging()
        logging.getLogger("asyncua.client.ua_client").error("asyncua line")
        logging.getLogger("apscheduler.executors.default").warning("apscheduler line")
        logging.getLogger("plantloop.schedule").warning("our own line")
        assert err.getvalue() == "our own line\n"
        _common.setup_logging(debug=True)
        logging.getLogger("apscheduler.executors.default").warning("apscheduler line")
        assert "apscheduler.executors.default: apscheduler line" in err.getvalue()
    finally:
        logging.getLogger().handlers[:] = []
        logging.getLogger("asyncua").setLevel(logging.NOTSET)


def test_identifiers_are_printed_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(_common.console, "file", out)
    monkeypatch.setattr(_common.console, "width", 40)
    fingerprint = "SHA-256 fingerprint 12:AB:CD:[bold]:ab:" + ":".join(["FF"] * 32)
    _common.print_plain(fingerprint)
    assert out.getvalue() == fingerprint + "\n"  # no emoji, no markup, not wrapped at 40
    plain = Console(file=io.StringIO(), emoji=True)
    plain.print(":ab:")
    assert plain.file.getvalue() != ":ab:\n"  # type: ignore[attr-defined]  # what rich would do


def test_config_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    area = tmp_path / "site" / "area1"
    area.mkdir(parents=True)
    shutil.copy(REPO / "config" / "air_cooling.yaml", area / "plant.yaml")
    text = (area / "plant.yaml").read_text()
    text = text.replace("path: /var/lib/plantloop/air_cooling.sqlite", "path: logs/ac.sqlite")
    text = text.replace(
        "    server_certificate: certs/dcs-server.der\n", "    trust_store: ../pki/trusted\n"
    )
    (area / "plant.yaml").write_text(text)
    sec_cfg = load_config(area / "plant.yaml").config
    sec = sec_cfg.connection.security
    assert sec.client_certificate == area / "certs" / "plantloop-cert.der"
    assert sec.client_private_key == area / "certs" / "plantloop-key.pem"
    assert sec.trust_store == area / "../pki/trusted"
    assert sec_cfg.log.path == area / "logs" / "ac.sqlite"


def test_config_paths_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    area = tmp_path / "area"
    area.mkdir()
    shutil.copy(REPO / "config" / "first-plant.yaml", area / "plant.yaml")
    monkeypatch.chdir(tmp_path)
    assert load_config(Path("area/plant.yaml")).config.log.path == (
        tmp_path / "area" / "first-plant.sqlite"
    )


def test_certs_go_next_to_the_config_and_say_the_lines_to_paste(tmp_path: Path, cli: Cli) -> None:
    shutil.copy(REPO / "config" / "air_cooling.yaml", tmp_path / "plant.yaml")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    r = cli("certs", "--config", str(tmp_path / "plant.yaml"), cwd=elsewhere)
    assert r.code == 0, r.err
    assert (tmp_path / "certs" / "plantloop-cert.der").exists()
    assert "    client_certificate: certs/plantloop-cert.der" in r.out.splitlines()
    line = next(ln for ln in r.out.splitlines() if ln.startswith("SHA-256 fingerprint"))
    assert len(line.split()[-1].split(":")) == 32  # every byte, as printed by the tool
    assert load_config(tmp_path / "plant.yaml").config.connection.security.client_certificate == (
        tmp_path / "certs" / "plantloop-cert.der"
    )


def test_advisory_status_line_shows_the_proposed_setpoints() -> None:
    from datetime import UTC, datetime

    from optimizer.cycle.record import CycleSummary
    from optimizer.service.status import StatusPrinter

    out = io.StringIO()
    t = datetime(2026, 12, 1, 8, tzinfo=UTC)
    StatusPrinter(Console(file=out, width=200)).cycle(
        CycleSummary(
            number=3,
            started=t,
            ended=t,
            outcome="advisory",
            reasons=(),
            objective=10.0,
            solve_time_s=0.1,
            written={},
            proposed={"b1_sp": 12.0, "b2_sp": 3.0},
        )
    )
    assert "proposed b1_sp=12 b2_sp=3" in out.getvalue()


def test_a_refused_write_says_how_to_reenable_the_simulator() -> None:
    from datetime import UTC, datetime

    from optimizer.cycle.record import CycleSummary
    from optimizer.service.status import StatusPrinter

    out = io.StringIO()
    t = datetime(2026, 12, 1, 8, tzinfo=UTC)
    StatusPrinter(Console(file=out, width=300)).cycle(
        CycleSummary(
            number=4,
            started=t,
            ended=t,
            outcome="write_failed",
            reasons=("write rejected: b1_sp: BadUserAccessDenied",),
            objective=10.0,
            solve_time_s=0.1,
        )
    )
    assert "plantloop sim CONFIG --reenable" in out.getvalue()
