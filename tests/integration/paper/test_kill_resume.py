"""Kill a paper runner process mid-run, start it again: no lost and no doubled order.

``vibetrading paper start`` runs in a subprocess over a SQLite store in its own
VIBETRADING_HOME; once the database shows it mid-way (a cursor and some orders) it gets
SIGKILL, and the same command runs again to the end. Its orders and fills must equal
those of an uninterrupted run in another home. At a given speed every bar is written;
at max speed quiet bars (no order, no fill) wait for the next write, so the killed
runner replays them on resume, and they must create nothing.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STRATEGY = "buy when SMA(5) crosses above SMA(20), sell when SMA(5) crosses below SMA(20)"
ARGS = ["--strategy", STRATEGY, "--symbol", "SPX", "--start", "2010-01-01", "--end", "2010-12-31"]


def paper(home, *extra, wait=True, args=ARGS):
    env = os.environ | {"VIBETRADING_HOME": str(home)}
    command = [sys.executable, "-m", "vibetrading.cli.main", "paper", "start", *args, *extra]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    if wait:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        return json.loads(out)
    return process


def query(home, sql):
    path = home / "vibetrading.db"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as connection:
        try:
            return connection.execute(sql).fetchall()
        except sqlite3.OperationalError:  # tables not migrated yet
            return []


def wait_until_mid_run(home, process, timeout_s=300, orders_at_least=3, poll_s=0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        orders = query(home, "select count(*) from paper_orders")
        if orders and orders[0][0] >= orders_at_least:
            return
        time.sleep(poll_s)
    pytest.fail("the runner never got mid-way")


def stored(home):
    # client order ids start with the runner id, which names the home's own local user
    orders = query(
        home,
        "select substr(client_order_id, instr(client_order_id, '-') + 1), side, quantity, "
        "status, filled_quantity, average_price from paper_orders order by client_order_id",
    )
    fills = query(
        home,
        "select substr(o.client_order_id, instr(o.client_order_id, '-') + 1), f.timestamp, "
        "f.quantity, f.price, f.fees from paper_fills f "
        "join paper_orders o on o.id = f.order_id order by f.timestamp",
    )
    return orders, fills


def test_killed_runner_resumes_without_lost_or_duplicated_orders(tmp_path):
    whole_home, killed_home = tmp_path / "whole", tmp_path / "killed"
    whole = paper(whole_home, "--speed", "max", "--format", "json")
    process = paper(killed_home, "--speed", "25", "--format", "json", wait=False)

    wait_until_mid_run(killed_home, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    cursor = query(killed_home, "select cursor from paper_runners")[0][0]
    resumed = paper(killed_home, "--speed", "max", "--format", "json")

    assert process.returncode == -signal.SIGKILL
    assert cursor is not None
    assert cursor < whole["summary"]["cursor"].replace("T", " ")
    assert resumed["trades"] == whole["trades"]
    assert resumed["summary"]["final_equity"] == whole["summary"]["final_equity"]
    orders, fills = stored(killed_home)
    assert (orders, fills) == stored(whole_home)
    ids = [row[0] for row in orders]
    assert len(ids) == len(set(ids))
    assert len(fills) == len({(row[0], row[1]) for row in fills})


def test_runner_killed_at_max_speed_replays_its_quiet_bars_without_new_orders(tmp_path):
    args = ["--strategy", STRATEGY, "--symbol", "SPX"]  # the whole history: 5,031 bars
    whole_home, killed_home = tmp_path / "whole", tmp_path / "killed"
    whole = paper(whole_home, "--speed", "max", "--format", "json", args=args)
    process = paper(killed_home, "--speed", "max", "--format", "json", wait=False, args=args)

    wait_until_mid_run(killed_home, process, orders_at_least=6, poll_s=0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    cursor = query(killed_home, "select cursor from paper_runners")[0][0]
    resumed = paper(killed_home, "--speed", "max", "--format", "json", args=args)

    assert process.returncode == -signal.SIGKILL
    assert cursor is not None
    assert cursor < whole["summary"]["cursor"].replace("T", " ")
    assert resumed["trades"] == whole["trades"]
    assert resumed["summary"]["final_equity"] == whole["summary"]["final_equity"]
    assert resumed["summary"]["bars"] == whole["summary"]["bars"] == 5031
    orders, fills = stored(killed_home)
    assert (orders, fills) == stored(whole_home)
    assert len(orders) == len({row[0] for row in orders})
    snapshots = "select timestamp, equity from equity_snapshots order by timestamp"
    assert query(killed_home, snapshots) == query(whole_home, snapshots)
