"""Load a plant config from YAML and report every problem as ``FILE:LINE: path: message``.

Three layers, all reported in one run:
1. YAML syntax (including duplicate keys);
2. the schema (pydantic): types, unknown keys (with a suggestion), per-section rules;
3. relations between sections (:mod:`optimizer.config.checks`).
When (2) fails, invalid entries are set aside and the rest is validated again, so (3) still
runs on what is left: one edit-and-check round shows all the problems a file has.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from optimizer.config import fast_yaml
from optimizer.config.advice import run_warnings
from optimizer.config.checks import Invalid, run_checks
from optimizer.config.locate import dotted, key_line, locate
from optimizer.config.schema import PlantConfig
from optimizer.config.suggest import allowed_keys, did_you_mean
from optimizer.errors import ConfigError, Problem

M = TypeVar("M", bound=BaseModel)

# Sections that map names to entries: a bad entry is set aside, the others stay checked.
_NAMED_SECTIONS = ("tags", "carriers", "demands", "units", "compensation")
# Stand-ins for a broken required section, only so the cross-section checks can run.
_PLACEHOLDERS: dict[str, Any] = {
    "plant": {"name": "placeholder"},
    "connection": {
        "endpoint": "opc.tcp://placeholder",
        "namespace_uri": "urn:placeholder",
        "security": {"policy": "None", "mode": "None"},
    },
    "objectives": {"terms": [{"term": "cost"}]},
    "interlocks": {},
    "tags": {},
    "carriers": {},
    "units": {},
}


@dataclass(frozen=True, kw_only=True)
class LoadedConfig:
    config: PlantConfig
    path: Path
    config_hash: str  # sha256 of the file's bytes: recorded with every decision


def load_config(path: str | Path) -> LoadedConfig:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(file=str(p), line=None, path="", message="file not found")]
        ) from None
    except OSError as e:
        raise ConfigError(
            [Problem(file=str(p), line=None, path="", message=e.strerror or str(e))]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(
            [Problem(file=str(p), line=None, path="", message=f"not UTF-8 text ({e.reason})")]
        ) from None
    cfg = anchor_paths(load_config_text(text, str(p)), p.resolve().parent)
    return LoadedConfig(config=cfg, path=p, config_hash=hashlib.sha256(raw).hexdigest())


def anchor_paths(model: M, folder: Path) -> M:
    """Every relative path in the config (certificates, trust store, decision log, and any
    path field added later) resolved against the config file's folder, not the shell's."""

    def anchored(v: Any) -> Any:
        if isinstance(v, Path):
            return v if v.is_absolute() else folder / v
        if isinstance(v, BaseModel):
            return anchor_paths(v, folder)
        if isinstance(v, dict):
            return {k: anchored(x) for k, x in v.items()}
        if isinstance(v, list):
            return [anchored(x) for x in v]
        return v

    update = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        new = anchored(value)
        if new is not value and new != value:
            update[name] = new
    return model.model_copy(update=update) if update else model


def config_warnings(loaded: LoadedConfig) -> list[Problem]:
    """What the config may legally say but probably does not mean (see
    :mod:`optimizer.config.advice`), located like errors, each message starting 'warning:'."""
    found = run_warnings(loaded.config)
    if not found:
        return []
    tree = _parse(loaded.path.read_text(encoding="utf-8"), str(loaded.path))
    out = []
    for path, message in found:
        _, line = locate(tree, path)
        out.append(
            Problem(
                file=str(loaded.path), line=line, path=dotted(path), message=f"warning: {message}"
            )
        )
    return sorted(out, key=lambda p: (p.line or 0, p.path))


MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""Largest config accepted: about 20,000 tags in block style (50,000 one-line tags). A
valid 1,000-tag file loads in well under a second; a file with an error is parsed again
by ruamel (pure Python, ~2 ms a tag) to find its lines, so 600,000 tags took minutes and
gigabytes. One config describes one plant area: split larger plants into areas."""


def load_config_text(text: str, filename: str = "<config>") -> PlantConfig:
    size = len(text.encode("utf-8"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            [
                Problem(
                    file=filename,
                    line=None,
                    path="",
                    message=f"the config is {size / 2**20:.1f} MB; plantloop reads at most "
                    f"{MAX_CONFIG_BYTES // 2**20} MB (about 20,000 tags): split the plant "
                    "into areas, one config each",
                )
            ]
        )
    fast = _load_fast(text)
    if fast is not None:
        return fast
    tree = _parse(text, filename)
    data = _plain(tree)
    problems: list[Problem] = []
    invalid = Invalid()
    cfg: PlantConfig | None = None
    for _attempt in range(6):
        try:
            cfg = PlantConfig.model_validate(data)
            break
        except ValidationError as e:
            fresh = _merge_alternatives(_schema_problem(tree, filename, err) for err in e.errors())
            problems.extend(p for p in fresh if p not in problems)
            if not _set_aside(data, e, invalid):
                break
    relations: list[Problem] = []
    if cfg is not None:
        for path, message in run_checks(cfg, invalid):
            _, line = locate(tree, path)
            relations.append(Problem(file=filename, line=line, path=dotted(path), message=message))
    if problems or relations:
        # with entries set aside, a relation error may be their consequence ("no unit
        # supplies steam" when the boiler was rejected): the causes come first
        by_line = lambda p: (p.line or 0, p.path)  # noqa: E731
        if problems:
            problems.sort(key=by_line)
            problems.extend(sorted(relations, key=by_line))
        else:
            problems = sorted(relations, key=by_line)
        raise ConfigError(problems)
    assert cfg is not None
    return cfg


def _load_fast(text: str) -> PlantConfig | None:
    """The config from libyaml's parse when it is plain YAML and valid; None otherwise (the
    caller then parses with ruamel, which knows the line of every problem)."""
    if not fast_yaml.AVAILABLE:
        return None
    try:
        data = fast_yaml.load(text)
    except fast_yaml.NotPlain:
        return None
    if not isinstance(data, dict):
        return None
    try:
        cfg = PlantConfig.model_validate(_plain(data))
    except ValidationError:
        return None
    if run_checks(cfg, Invalid()):
        return None
    return cfg


def _parse(text: str, filename: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(x) for x in (e.problem, e.context) if x) or "malformed YAML"
        raise ConfigError(
            [Problem(file=filename, line=line, path="", message=f"YAML: {_one_line(what)}")]
        ) from None
    except YAMLError as e:
        raise ConfigError(
            [Problem(file=filename, line=None, path="", message=f"YAML: {_one_line(str(e))}")]
        ) from None
    if tree is None:
        raise ConfigError([Problem(file=filename, line=1, path="", message="the file is empty")])
    if not isinstance(tree, dict):
        raise ConfigError(
            [
                Problem(
                    file=filename,
                    line=1,
                    path="",
                    message=f"the top level must be a mapping of sections "
                    f"(got {type(tree).__name__})",
                )
            ]
        )
    return tree


def _schema_problem(tree: Any, filename: str, err: Any) -> Problem:
    loc = tuple(err["loc"])
    path, line = locate(tree, loc)
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        options = allowed_keys(PlantConfig, loc[:-1])
        msg = f"unknown key '{key}'{did_you_mean(key, options)}"
    elif kind == "missing":
        msg = f"required key '{loc[-1]}' is missing"
    elif kind == "union_tag_invalid":
        ctx = err.get("ctx") or {}
        msg = f"unknown type {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
        sub = key_line(tree, path, "type")
        if sub is not None:
            path, line = [*path, "type"], sub
    elif kind == "union_tag_not_found":
        msg = (
            "missing key 'type' (boiler, chiller, chp, heat_pump, compressor, converter, "
            "storage, grid or renewable)"
        )
    else:
        # a rule inside a section: point at the field the message starts with, if present
        first = msg.split(" ", 1)[0]
        sub = key_line(tree, path, first)
        if sub is not None:
            path, line = [*path, *first.split(".")], sub
        got = err.get("input")
        if kind != "value_error" and _is_scalar(got):
            msg = f"{msg} (got {got!r})"
    return Problem(file=filename, line=line, path=dotted(path), message=_one_line(msg))


def _merge_alternatives(found: Iterable[Problem]) -> list[Problem]:
    """One problem per place: a value that fits none of a union's members gives one line
    ("Input should be 'initial', or less than or equal to 1 (got 1.5)"), not one per member."""
    merged: dict[tuple[int | None, str], Problem] = {}
    for p in found:
        key = (p.line, p.path)
        if key not in merged:
            merged[key] = p
            continue
        first = merged[key].message
        got = ""
        if first.endswith(")") and " (got " in first:
            first, got = first.rsplit(" (got ", 1)
            got = f" (got {got}"
        extra = p.message.removesuffix(got).removeprefix("Input should be ")
        if extra not in first:
            merged[key] = replace(merged[key], message=f"{first}, or {extra}{got}")
    return list(merged.values())


def _set_aside(data: dict[str, Any], e: ValidationError, invalid: Invalid) -> bool:
    """Remove what failed so the rest validates; False when nothing could be removed."""
    changed = False
    for err in e.errors():
        loc = err["loc"]
        if not loc:
            continue
        section = str(loc[0])
        if section in _NAMED_SECTIONS and len(loc) >= 2 and isinstance(data.get(section), dict):
            name = str(loc[1])
            if name in data[section]:
                del data[section][name]
                invalid.add(section, name)
                changed = True
                continue
        if section in _PLACEHOLDERS and data.get(section) != _PLACEHOLDERS[section]:
            data[section] = copy.deepcopy(_PLACEHOLDERS[section])
            invalid.add_section(section)
            changed = True
        elif section in data and section not in _PLACEHOLDERS:
            del data[section]  # optional section with defaults
            invalid.add_section(section)
            changed = True
    return changed


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None


def _one_line(s: str) -> str:
    return " ".join(s.split())
