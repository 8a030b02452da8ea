import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from vibetrading.errors import NotFound
from vibetrading.services.records import BacktestResultData, JobState, ListQuery

pytestmark = pytest.mark.integration


def _result(run_id: str, bars: int = 2_000) -> BacktestResultData:
    index = pd.date_range("2015-01-01", periods=bars, freq="D", tz="UTC", name="timestamp")
    rng = np.random.default_rng(7)
    equity = pd.Series(100_000 * np.cumprod(1 + rng.normal(0, 0.01, bars)), index, name="equity")
    drawdown = (equity / equity.cummax() - 1).rename("drawdown")
    count = min(20, bars // 2)
    trades = pd.DataFrame(
        {
            "entry_time": index[: 2 * count : 2],
            "exit_time": index[1 : 2 * count : 2],
            "symbol": ["SPX"] * count,
            "quantity": np.arange(1, count + 1, dtype=np.int64),
            "pnl": rng.normal(0, 100, count),
            "exit_reason": ["signal"] * count,
        }
    )
    return BacktestResultData(
        run_id=run_id,
        stats={"sharpe": np.float64(1.25), "max_drawdown": -0.2, "bad": float("nan"),
               "start": pd.Timestamp("2015-01-01", tz="UTC"), "trades": np.int64(20)},
        equity=equity,
        drawdown=drawdown,
        trades=trades,
        returns=equity.pct_change().rename("returns"),
        benchmark=None,
        meta={"symbols": ["SPX"]},
    )  # fmt: skip


def test_backtests_save_result_round_trips_series_and_frames(store, user):
    run = store.backtests.create_run(user.id, request={"symbol": "SPX", "timeframe": "1d"})
    result = _result(run.id)

    saved = store.backtests.save_result(user.id, result)
    loaded = store.backtests.get_result(user.id, run.id)

    pd.testing.assert_series_equal(loaded.equity, result.equity, check_freq=False)
    pd.testing.assert_series_equal(loaded.drawdown, result.drawdown, check_freq=False)
    pd.testing.assert_series_equal(loaded.returns, result.returns, check_freq=False)
    pd.testing.assert_frame_equal(loaded.trades, result.trades)
    assert loaded.benchmark is None
    assert loaded.orders is None
    assert loaded.meta == {"symbols": ["SPX"]}
    assert loaded.stats == {
        "sharpe": 1.25, "max_drawdown": -0.2, "bad": None,
        "start": "2015-01-01T00:00:00+00:00", "trades": 20,
    }  # fmt: skip
    assert saved.status is JobState.SUCCEEDED
    assert saved.summary == loaded.stats
    assert saved.finished_at is not None


def test_backtests_result_is_stored_compactly(store, user):
    run = store.backtests.create_run(user.id, request={})
    result = _result(run.id, bars=5_000)
    as_json = sum(
        len(s.to_json(date_format="iso")) for s in (result.equity, result.drawdown, result.returns)
    )

    store.backtests.save_result(user.id, result)

    with store.database.engine.connect() as connection:
        size = connection.execute(
            text("SELECT size_bytes FROM backtest_results WHERE run_id = :id"), {"id": run.id}
        ).scalar()
        rows = connection.execute(text("SELECT count(*) FROM backtest_results")).scalar()
    # one row per result; three float64 series of 5000 bars are 120 kB raw
    assert size < 125_000
    assert size < as_json / 2
    assert rows >= 1


def test_backtests_save_result_twice_replaces_it(store, user):
    run = store.backtests.create_run(user.id, request={})
    store.backtests.save_result(user.id, _result(run.id, bars=10))

    store.backtests.save_result(user.id, _result(run.id, bars=20))

    assert len(store.backtests.get_result(user.id, run.id).equity) == 20


def test_backtests_other_user_gets_not_found(store, user, other_user):
    run = store.backtests.create_run(user.id, request={})
    store.backtests.save_result(user.id, _result(run.id, bars=10))
    calls = [
        lambda: store.backtests.get_run(other_user.id, run.id),
        lambda: store.backtests.get_result(other_user.id, run.id),
        lambda: store.backtests.set_status(other_user.id, run.id, JobState.FAILED),
        lambda: store.backtests.save_result(other_user.id, _result(run.id, bars=10)),
    ]

    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert store.backtests.list_runs(other_user.id, ListQuery()).total == 0


def test_backtests_get_result_before_saving_raises_not_found(store, user):
    run = store.backtests.create_run(user.id, request={})

    with pytest.raises(NotFound, match="result"):
        store.backtests.get_result(user.id, run.id)


def test_backtests_create_run_links_own_job_and_strategy_version(store, user, other_user):
    strategy = store.strategies.create(user.id, name="s", kind="spec", spec={"a": 1})
    version = store.strategies.get_version(user.id, strategy.id)
    job = store.jobs.create(user.id, kind="backtest", payload={})
    foreign_job = store.jobs.create(other_user.id, kind="backtest", payload={})

    run = store.backtests.create_run(
        user.id, request={}, job_id=job.id, strategy_id=strategy.id,
        strategy_version_id=version.id,
    )  # fmt: skip
    by_strategy = store.backtests.list_runs(
        user.id, ListQuery(filters={"strategy_id": strategy.id})
    )

    assert (run.job_id, run.strategy_version_id) == (job.id, version.id)
    assert [r.id for r in by_strategy.items] == [run.id]
    with pytest.raises(NotFound):
        store.backtests.create_run(user.id, request={}, job_id=foreign_job.id)
    with pytest.raises(NotFound):
        store.backtests.create_run(user.id, request={}, strategy_version_id=version.id)
    with pytest.raises(NotFound):
        store.backtests.create_run(
            other_user.id, request={}, strategy_id=strategy.id, strategy_version_id=version.id
        )


def test_backtests_create_run_unknown_version_raises_not_found(store, user):
    strategy = store.strategies.create(user.id, name="s", kind="spec", spec={"a": 1})

    with pytest.raises(NotFound):
        store.backtests.create_run(
            user.id, request={}, strategy_id=strategy.id, strategy_version_id="nope"
        )


def test_backtests_set_status_failed_keeps_error(store, user):
    run = store.backtests.create_run(user.id, request={})

    running = store.backtests.set_status(user.id, run.id, JobState.RUNNING)
    failed = store.backtests.set_status(
        user.id, run.id, JobState.FAILED, error={"title": "No data", "detail": "SPX 1900"}
    )
    listed = store.backtests.list_runs(user.id, ListQuery(filters={"status": "failed"}))

    assert running.finished_at is None
    assert failed.error == {"title": "No data", "detail": "SPX 1900"}
    assert failed.finished_at is not None
    assert [r.id for r in listed.items] == [run.id]
