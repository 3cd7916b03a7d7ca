"""Five-field cron expressions, checked as the scheduler (APScheduler 3) will read them.

Pure: the config must not import the scheduler. The accepted syntax is the common subset:
``*``, numbers, names (``jan``…``dec``, ``mon``…``sun``), ranges ``a-b``, steps ``*/n`` and
``a-b/n``, and comma lists. Day of week is 0–6 (``mon``–``sun`` by name), as APScheduler's
``from_crontab`` takes it. A test holds this to APScheduler's own parser.
"""

from __future__ import annotations

import re

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# (name, lowest, highest, names -> number)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
)
_PART = re.compile(r"^(?P<range>\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/(?P<step>\d+))?$")


def cron_problem(expr: str) -> str | None:
    """What is wrong with ``expr`` as a 5-field cron expression, or None."""
    fields = expr.split()
    if len(fields) != 5:
        return f"cron needs 5 fields 'minute hour day-of-month month day-of-week' (got {expr!r})"
    for text, (name, lo, hi, names) in zip(fields, _FIELDS, strict=True):
        for part in text.lower().split(","):
            problem = _part_problem(part, name, lo, hi, names)
            if problem is not None:
                return f"cron {name} field {text!r}: {problem} (in {expr!r})"
    return None


def _part_problem(part: str, name: str, lo: int, hi: int, names: dict[str, int]) -> str | None:
    m = _PART.match(part)
    if m is None:
        return f"cannot read {part!r} (use *, N, N-M, */N or N-M/N)"
    if m["step"] is not None and int(m["step"]) == 0:
        return "a step must be at least 1"
    if m["range"] == "*":
        return None
    ends = m["range"].split("-")
    values = []
    for e in ends:
        if e.isdigit():
            values.append(int(e))
        elif e in names:
            values.append(names[e])
        else:
            return f"{e!r} is not a {name}" + (f" ({lo}-{hi} or a name)" if names else "")
    for v in values:
        if not lo <= v <= hi:
            return f"{v} is outside {lo}-{hi}"
    if len(values) == 2 and values[0] > values[1]:
        return f"range {part!r} runs backwards"
    return None
