"""The README and docs/ stay true: every relative link and anchor resolves, the first-plant
walkthrough shows the bundled files as they are, and every command the README shows runs
(check and solve for real; the others parse their arguments without starting a loop)."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from optimizer.cli import _common, app

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes."""
    out = set()
    text = FENCE.sub("", page.read_text())
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        out.add(slug)
    return out


def _links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        missing_anchor = bool(anchor) and dest.suffix == ".md" and anchor not in _anchors(dest)
        if not dest.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


def test_readme_is_a_few_screens() -> None:
    assert len(README.read_text().splitlines()) <= 220


def _blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(README.read_text()) if kind == lang]


def test_walkthrough_shows_the_bundled_first_plant_as_it_is() -> None:
    config = (REPO / "config" / "first-plant.yaml").read_text().strip()
    state = (REPO / "config" / "first-plant-state.json").read_text().strip()
    assert config in [b.strip() for b in _blocks("yaml")]
    assert state in [b.strip() for b in _blocks("json")]


def _readme_commands() -> list[list[str]]:
    cmds = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("plantloop "):
                cmds.append(shlex.split(line)[1:])
    return cmds


COMMANDS = _readme_commands()


def _commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_the_readme_shows_the_walkthrough_commands() -> None:
    assert [c[0] for c in COMMANDS] == ["check", "solve", "sim", "run", "log", "console"]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: " ".join(a))
def test_every_readme_command_runs(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    if argv[0] in ("check", "solve"):
        # the CLI prints through its own console handles (see optimizer.cli._common), which
        # a CliRunner does not capture: point them at a buffer so the output can be checked
        out = io.StringIO()
        monkeypatch.setattr(_common.console, "file", out)
        monkeypatch.setattr(_common.err_console, "file", out)
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, result.output + out.getvalue()
        assert out.getvalue().strip(), f"plantloop {' '.join(argv)} printed nothing"
        return
    # long-running or needing a log: the arguments must parse exactly as written
    command = _commands()[argv[0]]
    command.make_context(argv[0], list(argv[1:]))


def test_every_command_in_the_command_table_exists() -> None:
    table = re.findall(r"^\| `plantloop ([a-z]+)", README.read_text(), re.M)
    assert set(table) == set(_commands()), "README command table vs the CLI"


def test_every_config_key_has_a_meaning() -> None:
    from optimizer.config.reference import _models
    from optimizer.config.schema import PlantConfig

    empty = [
        f"{m.__name__}.{name}"
        for m in _models(PlantConfig)
        for name, f in m.model_fields.items()
        if not (f.description or "").strip()
    ]
    assert not empty, f"give these fields a description (or a docstring): {empty}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    block = next(b for b in _blocks("bash") if "run the tests" in b).splitlines()
    after = next(i for i, ln in enumerate(block) if "run the tests" in ln)
    command = block[after + 1]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert command in ci, "README's test command and .ci/run differ"
