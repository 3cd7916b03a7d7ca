"""Map a field path (pydantic ``loc`` or a check's path) to the YAML line it came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def locate(root: Any, loc: Sequence[str | int]) -> tuple[list[str | int], int | None]:
    """Walk ``loc`` through the round-trip YAML tree.

    Returns the path as it appears in the file (pydantic inserts union/discriminator names
    into ``loc``; those are skipped) and the 1-based line of the deepest element found.
    A trailing element that is not in the file (a missing field) stays in the path and the
    line is its parent's.
    """
    node = root
    path: list[str | int] = []
    line: int | None = 1
    parts = list(loc)
    for i, part in enumerate(parts):
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            path.append(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            path.append(part)
            node = node[part]
        elif isinstance(node, CommentedMap) and node.get("type") == part:
            continue  # the discriminator value pydantic puts into loc for a tagged union
        elif i == len(parts) - 1 or not isinstance(node, (CommentedMap, CommentedSeq)):
            if isinstance(part, str) and not _looks_inserted(part):
                path.append(part)
            break
        # otherwise: a name pydantic inserted (union member, discriminator value): skip it
    return path, line


def key_line(root: Any, path: Sequence[str | int], key: str) -> int | None:
    """Line of ``key`` (dotted for nested keys) under ``path`` if the file has it there."""
    node = root
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    line = None
    for k in key.split("."):
        if not (isinstance(node, CommentedMap) and k in node):
            return None
        line = int(node.lc.key(k)[0]) + 1
        node = node[k]
    return line


def dotted(path: Sequence[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _looks_inserted(part: str) -> bool:
    # pydantic's union member labels: 'float', 'list[...]', 'function-after[...]',
    # 'constrained-float', ... (a config field name never has a dash; a user's key that
    # has one is found in the file before this is asked)
    return "[" in part or "-" in part or part in {"float", "int", "str", "bool", "none"}
