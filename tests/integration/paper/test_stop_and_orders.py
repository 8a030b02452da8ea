"""``paper stop`` and ``paper order`` from another process reach a running replay.

``vibetrading paper start --speed N`` runs in a subprocess over a SQLite store in its
own VIBETRADING_HOME. While it runs, other processes place a manual order and then stop
it: the order fills at the runner's next bar and stays filled in the database, and the
runner ends on its own, stopped, before the end of its bars.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STRATEGY = "buy when SMA(5) crosses above SMA(20), sell when SMA(5) crosses below SMA(20)"
ARGS = ["--strategy", STRATEGY, "--symbol", "SPX", "--start", "2010-01-01", "--end", "2010-12-31"]


def cli(home, *args, wait=True):
    env = os.environ | {"VIBETRADING_HOME": str(home)}
    command = [sys.executable, "-m", "vibetrading.cli.main", "paper", *args]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if not wait:
        return process
    out, err = process.communicate(timeout=600)
    return process.returncode, out, err


def query(home, sql):
    path = home / "vibetrading.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as connection:
        try:
            return connection.execute(sql).fetchall()
        except sqlite3.OperationalError:  # tables not migrated yet
            return []


def wait_for(home, process, sql, predicate, timeout_s=300):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        rows = query(home, sql)
        if rows and predicate(rows):
            return rows
        time.sleep(0.2)
    pytest.fail(f"never true: {sql}")


def test_order_then_stop_from_other_processes_reach_the_running_replay(tmp_path):
    home = tmp_path / "home"
    runner = cli(home, "start", *ARGS, "--speed", "20", "--format", "json", wait=False)
    wait_for(home, runner, "select cursor from paper_runners", lambda r: r[0][0] is not None)

    placed = cli(home, "order", "SPX", "sell", "1", "--client-order-id", "manual-1")
    filled = wait_for(
        home,
        runner,
        "select status, filled_quantity from paper_orders where client_order_id = 'manual-1'",
        lambda r: r[0][0] == "FILLED",
    )
    stopped = cli(home, "stop")
    out, err = runner.communicate(timeout=120)

    assert placed[0] == 0, placed[2]
    assert "PAPER sell 1 SPX: accepted" in placed[1]
    assert filled == [("FILLED", 1.0)]
    assert "stopped 1 runner(s)" in stopped[1]
    assert runner.returncode == 0, err
    summary = json.loads(out)["summary"]
    status, cursor = query(home, "select status, cursor from paper_runners")[0]
    assert status == "stopped"
    assert cursor < "2010-12-30"
    assert summary["cursor"].replace("T", " ").startswith(cursor[:10])
    fills = query(
        home,
        "select count(*) from paper_fills f join paper_orders o on o.id = f.order_id "
        "where o.client_order_id = 'manual-1'",
    )
    assert fills == [(1,)]
