"""What the operator sees survives the solver: Pyomo's HiGHS interface redirects file
descriptors 1 and 2 for the whole process while it solves (in a worker thread, for
seconds); the CLI prints and logs through its own duplicates of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import logging
from pyomo.common.tee import capture_output
from optimizer.cli._common import console, err_console, setup_logging

setup_logging()
with capture_output(capture_fd=True):  # what a solve does, process-wide
    console.print("cycle line during a solve")
    err_console.print("error line during a solve")
    logging.getLogger("plantloop.test").warning("connection lost during a solve")
    print("solver chatter")
"""


def test_console_and_log_lines_printed_during_a_solve_reach_the_terminal() -> None:
    r = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "cycle line during a solve" in r.stdout
    assert "error line during a solve" in r.stderr
    assert "connection lost during a solve" in r.stderr
    assert "solver chatter" not in r.stdout  # the capture itself still works
