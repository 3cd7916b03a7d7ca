"""The console against one live demo run (simulator + loop + console on one event loop):
the JSON API, the metrics, and the page in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimizer.sim.server import free_port
from tests.console.live_demo import LiveDemo

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("PLANTLOOP_TEST_ARTIFACTS", REPO / "test-artifacts"))
UNITS = {"boiler1", "boiler2", "chp", "chiller1", "chiller2", "battery", "grid"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    d = LiveDemo(db=tmp_path_factory.mktemp("console") / "decisions.sqlite")
    d.start()
    d.wait_for(lambda: len(d.get("/api/cycles")) >= 2, timeout=90)
    yield d
    d.stop()


def test_status_is_live_and_running(demo: LiveDemo) -> None:
    s = demo.get("/api/status")
    assert s["source"] == "live" and s["plant"] == "demo_site"
    assert s["state"] in ("running", "arming"), s
    assert s["connection"]["state"] == "connected"
    assert s["last_cycle"]["outcome"] in ("wrote", "no_change", "arming")
    assert s["next_run"] is not None and s["permissive"] == {
        "tag": "apc_enable",
        "value": True,
        "quality": "good",
    }
    assert s["log"]["bytes"] > 0 and s["log"]["free_bytes"] > 0


def test_cycles_filters_and_one_cycle(demo: LiveDemo) -> None:
    cycles = demo.get("/api/cycles")
    ids = [c["id"] for c in cycles]
    assert ids == sorted(ids) and len(ids) >= 2
    assert demo.get(f"/api/cycles?after_id={ids[0]}")[0]["id"] == ids[1]
    assert [c["id"] for c in demo.get("/api/cycles?limit=1")] == [demo.get("/api/cycles")[-1]["id"]]
    assert demo.get("/api/cycles?outcome=shed") == []
    with pytest.raises(urllib.error.HTTPError) as e:
        demo.get("/api/cycles?outcome=nonsense")
    assert e.value.code == 422
    rec = demo.get(f"/api/cycles/{ids[0]}")
    assert rec["id"] == ids[0] and rec["cycle"] == 1
    assert set(rec["limits"]["setpoints"]) >= {"boiler1_sp", "battery_sp"}
    assert rec["limits"]["setpoints"]["boiler1_sp"]["mode"] == "closed_loop"
    light = demo.get(f"/api/cycles/{ids[0]}?inputs=none")
    assert light["inputs"] == [] and light["limits"] == rec["limits"]
    one = demo.get(f"/api/cycles/{ids[0]}?inputs=apc_enable,battery_soc")
    assert sorted(i["tag"] for i in one["inputs"]) == ["apc_enable", "battery_soc"]
    assert len(rec["inputs"]) > 20
    with pytest.raises(urllib.error.HTTPError) as e:
        demo.get("/api/cycles/999999")
    assert e.value.code == 404


def test_plan_has_every_unit_by_carrier(demo: LiveDemo) -> None:
    p = demo.get("/api/plan")["plan"]
    steps = len(p["periods"])
    assert steps == 24
    supply = {u for c in p["carriers"].values() for u in c["supply"]}
    assert supply == UNITS
    assert {"boiler1", "boiler2", "chp"} <= set(p["carriers"]["steam"]["supply"])
    assert len(p["carriers"]["steam"]["demand"]) == steps and any(p["carriers"]["steam"]["demand"])
    assert len(p["storage"]["battery"]["soc"]) == steps
    grid = p["grid"]["grid"]
    assert len(grid["import"]) == len(grid["import_price"]) == steps
    assert max(grid["import_price"]) > min(grid["import_price"])  # the demo's TOU tariff
    prices = p["carriers"]["electricity"].get("marginal_price")  # the model's balance duals
    assert prices is not None and len(prices) == steps, p["carriers"]["electricity"].keys()


def test_console_over_the_log_alone(demo: LiveDemo) -> None:
    """`plantloop console DB` beside the running engine: the same cycles, read-only."""
    port = free_port("127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "console", str(demo.db), "--http", f"127.0.0.1:{port}"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        status = demo.wait_for(
            lambda: json.loads(urllib.request.urlopen(url + "/api/status").read())
        )
        assert status["source"] == "log" and "connection" not in status
        assert status["state"] in ("running", "held")
        with urllib.request.urlopen(url + "/api/cycles?limit=5") as r:
            ids = [c["id"] for c in json.loads(r.read())]
        assert ids and ids[-1] <= demo.get("/api/cycles")[-1]["id"]
    finally:
        proc.terminate()
        proc.wait(10)


def test_openapi_describes_the_api(demo: LiveDemo) -> None:
    doc = demo.get("/api/openapi.json")
    assert {"/api/status", "/api/cycles", "/api/cycles/{cycle_id}", "/api/plan"} <= set(
        doc["paths"]
    )
    assert all(set(ops) == {"get"} for ops in doc["paths"].values())  # read-only


def test_metrics_show_the_series(demo: LiveDemo) -> None:
    demo.wait_for(lambda: len(demo.get("/api/cycles")) >= 3)
    text = demo.get("/metrics")
    for needle in (
        'plantloop_cycles_total{outcome="wrote"}',
        'plantloop_phase_seconds_bucket{le="0.1",phase="solve"}',
        'plantloop_solves_total{status="ok"}',
        "plantloop_solve_seconds_count",
        "plantloop_solve_gap ",
        'plantloop_objective_term{term="cost"}',
        'plantloop_connection_state{state="connected"} 1.0',
        "plantloop_shed 0.0",
        "plantloop_permissive 1.0",
        'plantloop_setpoint_writes_total{tag="boiler1_sp"}',
        "plantloop_loop_state{state=",
        "plantloop_decision_log_bytes ",
        "plantloop_decision_log_free_bytes ",
    ):
        assert needle in text, needle


# ---------- the page in a real browser ----------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    b = webdriver.Chrome(service=Service(driver), options=opts)
    b.set_page_load_timeout(30)
    yield b
    b.quit()


def _wait(b: Any, js: str, timeout: float = 30.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = b.execute_script(js)
        if got:
            return got
        time.sleep(0.2)
    header = b.execute_script("return document.querySelector('header').innerText")
    raise AssertionError(f"page never satisfied: {js} (header: {header!r})")


def test_page_loads_without_console_errors(demo: LiveDemo, browser: Any) -> None:
    t0 = time.monotonic()
    browser.get(demo.url + "/")
    _wait(browser, "return document.querySelector('#view').dataset.view === 'overview'")
    _wait(browser, "return document.querySelectorAll('#strip rect').length >= 2")
    loaded = time.monotonic() - t0
    assert browser.execute_script("return document.querySelector('#state').dataset.state") in (
        "running",
        "arming",
    )
    for view in ("plan", "setpoints", "process", "why", "cycles"):
        browser.get(f"{demo.url}/#/{view}")
        _wait(browser, f"return document.querySelector('#view').dataset.view === '{view}'")
        if view == "setpoints":
            rows = "return document.querySelectorAll('table.setpoints tbody tr').length"
            assert browser.execute_script(rows) == 8  # the demo's setpoint tags
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    assert loaded < 10, loaded  # generous: the machine is shared; measured figure in docs


def test_live_state_changes_when_a_cycle_ends(demo: LiveDemo, browser: Any) -> None:
    browser.get(demo.url + "/")
    first = _wait(browser, "return document.querySelector('#last').dataset.id")
    _wait(browser, "return document.querySelector('#live').classList.contains('on')")
    newer = _wait(
        browser,
        "const id = document.querySelector('#last').dataset.id; "
        f"return id && id !== '{first}' && id",
        timeout=30,
    )
    assert int(newer) > int(first)  # no reload: the event stream brought it
    assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "console-overview.png"))


def test_plan_chart_has_the_plants_units(demo: LiveDemo, browser: Any) -> None:
    browser.get(demo.url + "/#/plan")
    _wait(browser, "return document.querySelector('#view').dataset.view === 'plan'")
    shown = set(
        browser.execute_script(
            "return [...document.querySelectorAll('.plan-chart g.series.stacked')]"
            ".map(g => g.dataset.series)"
        )
    )
    assert shown >= UNITS, shown
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "console-plan.png"))


def test_a_past_cycle_opens(demo: LiveDemo, browser: Any) -> None:
    browser.get(demo.url + "/")
    _wait(browser, "return document.querySelectorAll('#strip rect').length >= 2")
    browser.execute_script(
        "document.querySelector('#strip rect').dispatchEvent(new MouseEvent('click'))"
    )
    title = _wait(
        browser,
        "const t = document.querySelector('#cycle-title'); return t && t.textContent",
    )
    assert title.startswith("Cycle #1 ")
    href = browser.execute_script("return document.querySelector('#cycle-json').href")
    first = demo.get("/api/cycles")[0]["id"]
    assert href.endswith(f"/api/cycles/{first}")


def test_a_held_cycle_shows_its_reason(demo: LiveDemo, browser: Any) -> None:
    browser.get(demo.url + "/")
    _wait(
        browser,
        "return ['running', 'arming'].includes(document.querySelector('#state').dataset.state)",
    )
    demo.set_permissive(False)
    try:
        state = _wait(
            browser,
            "const s = document.querySelector('#state').dataset.state; return s === 'held' && s",
            timeout=45,
        )
        assert state == "held"
        why = browser.execute_script("return document.querySelector('#overview-why').textContent")
        assert "permissive" in why.lower(), why
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "console-held.png"))
    finally:
        demo.set_permissive(True)
