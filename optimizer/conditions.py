"""A small, safe grammar for interlock conditions. Parsed once at config load; never eval.

    expr    := or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := atom (('<' | '<=' | '>' | '>=' | '==' | '!=') atom)?
    atom    := NUMBER | 'true' | 'false' | TAG | '(' expr ')'

A tag on its own is true when its value is non-zero (a Boolean permissive, a running flag).
Evaluating with a tag that has no value raises ``ConditionError``: the caller decides what a
rule does when its inputs are missing (the interlocks treat it as the rule firing).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from optimizer.errors import PlantloopError


class ConditionError(PlantloopError):
    """A condition that does not parse (with the column), or cannot be evaluated."""


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<op><=|>=|==|!=|<|>)|(?P<par>[()])|(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)|(?P<neg>-))"
)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_KEYWORDS = {"and", "or", "not", "true", "false"}


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int


MAX_LENGTH = 2000
"""Longest condition text accepted (characters): a rule is a line an operator can read."""
MAX_DEPTH = 32
"""Deepest nesting of parentheses, ``not`` and ``-`` accepted."""

_SPACE = re.compile(r"\s*")


def _tokens(text: str) -> list[_Tok]:
    """The tokens of ``text`` in one left-to-right pass (linear in its length)."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(
            f"condition is {len(text)} characters long; at most {MAX_LENGTH} are accepted"
        )
    out: list[_Tok] = []
    pos = 0
    end = len(text)
    while True:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            return out
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ConditionError(f"unexpected character {text[pos]!r} at column {pos + 1}")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind), m.start(kind) + 1))
        pos = m.end()


class Node:
    def value(self, values: Mapping[str, float | bool]) -> float:
        raise NotImplementedError


@dataclass(frozen=True)
class _Num(Node):
    v: float

    def value(self, values: Mapping[str, float | bool]) -> float:
        return self.v


@dataclass(frozen=True)
class _Tag(Node):
    name: str

    def value(self, values: Mapping[str, float | bool]) -> float:
        if self.name not in values:
            raise ConditionError(f"tag {self.name} has no usable value")
        v = float(values[self.name])
        if math.isnan(v):
            raise ConditionError(f"tag {self.name} is NaN")
        return v


@dataclass(frozen=True)
class _Cmp(Node):
    op: str
    a: Node
    b: Node

    def value(self, values: Mapping[str, float | bool]) -> float:
        return 1.0 if _COMPARE[self.op](self.a.value(values), self.b.value(values)) else 0.0


@dataclass(frozen=True)
class _Bool(Node):
    op: str  # and / or / not
    args: tuple[Node, ...]

    def value(self, values: Mapping[str, float | bool]) -> float:
        if self.op == "not":
            return 0.0 if self.args[0].value(values) else 1.0
        if self.op == "and":
            return 1.0 if all(a.value(values) for a in self.args) else 0.0
        return 1.0 if any(a.value(values) for a in self.args) else 0.0


@dataclass(frozen=True)
class Condition:
    text: str
    root: Node
    tags: frozenset[str]

    def evaluate(self, values: Mapping[str, float | bool]) -> bool:
        return bool(self.root.value(values))


def parse_condition(text: str) -> Condition:
    parser = _Parser(_tokens(text), text)
    root = parser.expr()
    if parser.i != len(parser.toks):
        t = parser.toks[parser.i]
        raise ConditionError(f"unexpected {t.text!r} at column {t.col}")
    return Condition(text=text, root=root, tags=frozenset(parser.tags))


class _Parser:
    def __init__(self, toks: list[_Tok], text: str) -> None:
        self.toks = toks
        self.text = text
        self.i = 0
        self.tags: set[str] = set()
        self.depth = 0

    def _deeper(self, t: _Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(
                f"nested more than {MAX_DEPTH} levels deep at column {t.col} "
                "(parentheses, 'not' and '-' count)"
            )

    def _peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _word(self, w: str) -> bool:
        t = self._peek()
        if t is not None and t.kind == "name" and t.text.lower() == w:
            self.i += 1
            return True
        return False

    def expr(self) -> Node:
        args = [self.conj()]
        while self._word("or"):
            args.append(self.conj())
        return args[0] if len(args) == 1 else _Bool("or", tuple(args))

    def conj(self) -> Node:
        args = [self.neg()]
        while self._word("and"):
            args.append(self.neg())
        return args[0] if len(args) == 1 else _Bool("and", tuple(args))

    def neg(self) -> Node:
        t = self._peek()
        if t is not None and self._word("not"):
            self._deeper(t)
            node = _Bool("not", (self.neg(),))
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        a = self.atom()
        t = self._peek()
        if t is not None and t.kind == "op":
            self.i += 1
            return _Cmp(t.text, a, self.atom())
        return a

    def atom(self) -> Node:
        t = self._peek()
        if t is None:
            raise ConditionError(f"condition ends too early (column {len(self.text) + 1})")
        self.i += 1
        if t.kind == "neg":
            self._deeper(t)
            inner = self.atom()
            self.depth -= 1
            if isinstance(inner, _Num):
                return _Num(-inner.v)
            raise ConditionError(f"'-' must precede a number (column {t.col})")
        if t.kind == "num":
            return _Num(float(t.text))
        if t.kind == "par" and t.text == "(":
            self._deeper(t)
            node = self.expr()
            self.depth -= 1
            close = self._peek()
            if close is None or close.text != ")":
                raise ConditionError(f"missing ')' for '(' at column {t.col}")
            self.i += 1
            return node
        if t.kind == "name":
            low = t.text.lower()
            if low in ("true", "false"):
                return _Num(1.0 if low == "true" else 0.0)
            if low in _KEYWORDS:
                raise ConditionError(f"unexpected '{t.text}' at column {t.col}")
            self.tags.add(t.text)
            return _Tag(t.text)
        raise ConditionError(f"unexpected {t.text!r} at column {t.col}")
