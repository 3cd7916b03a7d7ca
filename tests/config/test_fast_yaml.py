"""The libyaml fast path gives exactly what ruamel gives, or steps aside."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from optimizer.config import fast_yaml
from optimizer.config.loader import _parse, _plain, load_config_text
from optimizer.sim import synthetic_config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    [*REPO.glob("config/*.yaml"), *REPO.glob("tests/models/cases/*/config.yaml")],
    key=str,
)

pytestmark = pytest.mark.skipif(not fast_yaml.AVAILABLE, reason="PyYAML without libyaml")


def ruamel(text: str) -> object:
    return _plain(_parse(text, "x.yaml"))


def typed(v: object) -> object:
    """Values with their kinds, so 1 == 1.0 == True do not pass for one another."""
    if isinstance(v, dict):
        return {typed(k): typed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [typed(x) for x in v]
    for kind in (bool, int, float, str):
        if isinstance(v, kind):
            return (kind.__name__, v)
    return (type(v).__name__, v)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO)))
def test_checked_in_configs_parse_the_same(path: Path) -> None:
    text = path.read_text()
    assert typed(_plain(fast_yaml.load(text))) == typed(ruamel(text))


def test_a_large_generated_config_parses_the_same() -> None:
    cfg = synthetic_config(300, n_units=8, horizon_steps=24, step_minutes=60)
    buf = io.StringIO()
    YAML().dump(json.loads(cfg.model_dump_json(exclude_none=True)), buf)
    text = buf.getvalue()
    assert typed(_plain(fast_yaml.load(text))) == typed(ruamel(text))
    assert load_config_text(text) == cfg


# Spellings where YAML 1.1 (PyYAML) and YAML 1.2 (ruamel) disagree, or that are easy to
# get wrong: the fast path must either agree with ruamel or refuse.
TRICKY = [
    "yes", "no", "on", "off", "y", "n", "Yes", "NO", "06:00", "1:30", "010", "0o17",
    "0x1F", "0b101", "1_000", "1e3", "1E-3", "-.5", ".5", "1.", "+5", "-0", ".inf",
    "-.inf", ".nan", "2026-06-15", "2026-06-15 06:00:00", "~", "null", "Null", "true",
    "TRUE", "tRUE", "<<", "=", "12abc", "0", "00", "1.5e", "1e", "--1", "'quoted'",
    '"06:00"', "!!str 010", "!!int 7", "&a 5", "[1, 2]", "{a: 1}",
]  # fmt: skip


# ... and these the fast path must take itself (YAML 1.2 answers, not PyYAML's 1.1 ones)
HANDLED = {"yes", "no", "on", "06:00", "1:30", "1e3", "1.", ".5", "+5", "-0", "~", "null",
           "true", "TRUE", "tRUE", "12abc", "'quoted'", '"06:00"', "[1, 2]", "{a: 1}"}  # fmt: skip


def agrees_or_steps_aside(text: str) -> bool:
    """True when the fast path took the text (and then agreed with ruamel)."""
    try:
        fast = fast_yaml.load(text)
    except fast_yaml.NotPlain:
        return False
    assert typed(_plain(fast)) == typed(ruamel(text))
    return True


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_scalars_agree_or_step_aside(value: str) -> None:
    taken = agrees_or_steps_aside(f"key: {value}\n")
    if value in HANDLED:
        assert taken


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("0123456789.-+eE_:xobTtrufalsNnyY~ "), min_size=0, max_size=8)
)
def test_any_number_like_scalar_agrees_or_steps_aside(value: str) -> None:
    agrees_or_steps_aside(f"key: {value}\nother: [{value}]\n")


def test_duplicate_keys_and_merge_keys_step_aside() -> None:
    with pytest.raises(fast_yaml.NotPlain):
        fast_yaml.load("a: 1\na: 2\n")
    with pytest.raises(fast_yaml.NotPlain):
        fast_yaml.load("base: &b {x: 1}\nother:\n  <<: *b\n")
