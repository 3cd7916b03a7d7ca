"""The console page over a day of 5-minute cycles: load time and bytes, in headless Chromium.

    python benchmarks/console_page.py SOURCE.sqlite       # a log from a short demo run

The day (288 cycles) is made from SOURCE's records (repeated, 5 minutes apart, outcomes
as recorded), written through the real DecisionLog. `plantloop console` serves it; the
page is loaded N times and each view's time to ready is read from the page itself
(``#view[data-ready-at]``: ms since navigation start; ``data-render-ms``: API + drawing).
Results: benchmarks/results/console-page.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizer.decisions.query import read_records
from optimizer.decisions.record import (
    DecisionRecord,
    InputRecord,
    SetpointRecord,
    SolverRecord,
)
from optimizer.decisions.store import DecisionLog
from optimizer.sim.server import free_port

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"


def _pick(cls: Any, d: dict[str, Any], **fix: Any) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names} | fix)


def _tuple(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def rebuild(d: dict[str, Any], cycle: int, started: datetime) -> DecisionRecord:
    s = d.get("solver")
    return _pick(
        DecisionRecord,
        d,
        cycle=cycle,
        started=started,
        ended=started + timedelta(seconds=2),
        reasons=tuple(d["reasons"]),
        faults=tuple(d.get("faults") or ()),
        inputs=tuple(
            _pick(
                InputRecord,
                i,
                value=_tuple(i["value"]),
                used=_tuple(i["used"]),
                source_ts=started,
            )
            for i in d["inputs"]
        ),
        setpoints=tuple(_pick(SetpointRecord, p) for p in d["setpoints"]),
        solver=_pick(SolverRecord, s, relaxed=tuple(s["relaxed"]), why=tuple(s["why"]))
        if s
        else None,
        limits=d.get("limits") if cycle == 1 else None,
    )


def make_day(source: Path, target: Path, n: int = 288) -> None:
    recs = read_records(source)
    limits = next((r["limits"] for r in recs if r.get("limits")), None)
    recs[0]["limits"] = limits
    log = DecisionLog(target)
    t0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    for k in range(n):
        log.append(rebuild(recs[k % len(recs)], k + 1, t0 + timedelta(minutes=5 * k)))
    log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", type=Path, help="a decision log from a short demo run")
    ap.add_argument("--loads", type=int, default=5)
    args = ap.parse_args()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    day = Path(tempfile.mkdtemp()) / "day.sqlite"
    make_day(args.source, day)
    port = free_port("127.0.0.1")
    server = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "console", str(day), "--http", f"127.0.0.1:{port}"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/api/status", timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        opts.add_argument(a)
    b = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    res: dict[str, Any] = {"cycles": 288}
    try:
        for view in ("overview", "plan", "setpoints", "process", "why", "cycles"):
            ready, render = [], []
            for _ in range(args.loads):
                b.get("about:blank")
                b.get(f"{url}/#/{view}")
                for _ in range(300):
                    got = b.execute_script(
                        "const v = document.querySelector('#view');"
                        f"return v.dataset.view === '{view}' && v.dataset.readyAt"
                        " ? [+v.dataset.readyAt, +v.dataset.renderMs] : null"
                    )
                    if got:
                        break
                    time.sleep(0.02)
                assert got, view
                ready.append(got[0])
                render.append(got[1])
            res[view] = {
                "ready_ms": statistics.median(ready),
                "render_ms": statistics.median(render),
            }
            print(view, res[view], flush=True)
        b.get("about:blank")
        b.get(f"{url}/#/overview")
        time.sleep(3)
        res["strip_cells"] = b.execute_script(
            "return document.querySelectorAll('#strip rect').length"
        )
        res["transferred_bytes"] = b.execute_script(
            "return performance.getEntriesByType('navigation').concat("
            "performance.getEntriesByType('resource')).reduce((a, e) => a + e.transferSize, 0)"
        )
        res["assets_bytes"] = sum(
            p.stat().st_size for p in (REPO / "optimizer" / "console" / "static").iterdir()
        )
    finally:
        b.quit()
        server.terminate()
        server.wait(10)
    print(json.dumps(res, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console-page.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
