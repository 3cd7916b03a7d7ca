"""Parse a config with libyaml (C) when that is sure to give what ruamel would.

ruamel's round-trip parser keeps the line of every key, which the error messages need, but
it is pure Python: a 1,000-tag config (16,000 lines) takes about 2 s, most of a process's
start-up. libyaml through PyYAML parses the same file in about 0.15 s.

The two follow different YAML versions (PyYAML 1.1: ``yes`` is true, ``06:00`` is 360;
ruamel 1.2: both are strings), so this parser never guesses. Every plain scalar is typed
by ruamel's own YAML 1.2 resolver, and only the plainest spellings are converted here
(decimal ints without leading zeros, decimal floats, the six booleans, null). Anything
else (``0o17``, ``1_000``, timestamps, merge keys, duplicate keys, custom tags) raises
:class:`NotPlain` and the caller parses with ruamel instead. The fast result is used only
when the config is also valid; any problem is reported from the ruamel parse, with lines.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

AVAILABLE: bool = bool(getattr(yaml, "__with_libyaml__", False))

_T = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"  # 1.5, .5, 1., 1.5e3
    r"|[-+]?[0-9]+[eE][-+]?[0-9]+"  # 1e3
)
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
_TAG = re.compile(r"(?:^|[\s\[{,])!", re.MULTILINE)


class NotPlain(Exception):
    """The text uses YAML the fast parser does not convert itself; use ruamel."""


_yaml12 = VersionedResolver(version=(1, 2))


@functools.lru_cache(maxsize=8192)  # configs repeat the same few values many times
def _scalar(value: str) -> Any:
    tag = _yaml12.resolve(RuamelScalar, value, (True, False))
    if tag == _T + "str":
        return value
    if tag == _T + "int" and _INT.fullmatch(value):
        return int(value)
    if tag == _T + "float" and _FLOAT.fullmatch(value):
        return float(value)
    if tag == _T + "bool" and value in _BOOL:
        return _BOOL[value]
    if tag == _T + "null" and value in _NULL:
        return None
    raise NotPlain(f"scalar {value!r} ({tag})")


if AVAILABLE:
    _Base: Any = yaml.CSafeLoader
else:  # pragma: no cover - PyYAML wheels ship libyaml on every platform we support
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc]
    """libyaml's parser; plain scalars typed as YAML 1.2 (ruamel), mappings without
    duplicates or merge keys."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == _PLAIN:
            return _scalar(node.value)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == _T + "seq":
            return [self.construct_object(child) for child in node.value]
        if isinstance(node, yaml.ScalarNode) and node.tag == _T + "str":
            return node.value  # quoted, or an explicit !!str
        raise NotPlain(f"node tagged {node.tag}")

    def _mapping(self, node: Any) -> dict[Any, Any]:
        if node.tag != _T + "map":
            raise NotPlain(f"mapping tagged {node.tag}")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node)
            if isinstance(key, (dict, list)) or key in out or key == "<<":
                raise NotPlain("complex, duplicate or merge key")
            out[key] = self.construct_object(value_node)
        return out


# Plain scalars are resolved by us (ruamel's rules), not by PyYAML's YAML 1.1 table.
_PLAIN = "plantloop:plain"
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(_PLAIN, re.compile(r"(?s).*"), None)


def load(text: str) -> Any:
    """The document as plain Python data, or :class:`NotPlain` (also for any YAML error)."""
    if _TAG.search(text):
        # ruamel keeps explicit tags (TaggedScalar, CommentedMap with a tag); libyaml does
        # not say which nodes had one. Rare in a config: leave them to ruamel.
        raise NotPlain("explicit tag")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else loader.construct_object(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise NotPlain(str(e)) from None
    except RecursionError:
        raise NotPlain("nesting too deep") from None
