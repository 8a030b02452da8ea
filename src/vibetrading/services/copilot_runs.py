"""The copilot's backtests and bookkeeping: run a proposal on sensible default data,
stream its progress, store the run, and add up token usage.

Default data: the strategy's own symbols over their whole available history (or the
service's start and end). A symbol with no real data offline (Tencent, Moutai, ...) is
run on the seeded synthetic ``demo`` series instead, and every output says so.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from vibetrading.domain.backtest.stats import STAT_KEYS
from vibetrading.errors import DataError, VibeTradingError
from vibetrading.services.backtests import BacktestOutcome, BacktestRequest, BacktestService
from vibetrading.services.copilot_prompts import Proposal
from vibetrading.services.ports import BacktestRepository
from vibetrading.services.records import BacktestResultData, JobState

__all__ = ["BacktestRunner", "run_summary"]

RunEvent = tuple[str, dict[str, Any]]
_SUMMARY_KEYS = (
    "total_return",
    "cagr",
    "sharpe",
    "max_drawdown",
    "win_rate",
    "num_trades",
    "benchmark_return",
)
_POLL_S = 0.05
_logger = logging.getLogger(__name__)


class BacktestRunner:
    """Run the copilot's proposals through the backtest service, streaming progress."""

    def __init__(
        self,
        backtests: BacktestService,
        *,
        runs: BacktestRepository | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        self.backtests = backtests
        self.runs = runs
        self.start = start
        self.end = end
        self._listings: list[dict[str, Any]] | None = None

    def listings(self) -> list[dict[str, Any]]:
        """Return the symbols available offline with their timeframe and date range."""
        if self._listings is None:
            self._listings = [
                {
                    "symbol": listing.symbol,
                    "timeframe": listing.timeframe,
                    "start": _day(listing.start),
                    "end": _day(listing.end),
                    "synthetic": listing.is_synthetic,
                }
                for listing in self.backtests.market_data.list_symbols()
            ]
        return self._listings

    def stream(
        self,
        user_id: str,
        proposal: Proposal,
        version: dict[str, Any],
        cancel: threading.Event | None = None,
    ) -> Iterator[RunEvent]:
        """Yield ``backtest_started``, progress events, then the result or an ``error``."""
        request = self._request(proposal)
        yield (
            "backtest_started",
            {
                "symbols": list(request.symbols),
                "start": self.start,
                "end": self.end,
                "kind": proposal.kind,
            },
        )
        synthetic = False
        outcome: BacktestOutcome | None = None
        for event in self._run(request, cancel):
            if event[0] == "outcome":
                outcome = event[1]["outcome"]
            elif event[0] == "data_error":
                try:
                    request, synthetic = self._on_demo(request, proposal), True
                except VibeTradingError as e:
                    yield "error", {"stage": "backtest", "message": str(e)}
                    return
                yield "backtest_progress", {"fraction": 0.0, "message": "using synthetic data"}
                outcome = yield from self._outcome(request, cancel)
                break
            else:
                yield event
        if outcome is None:
            return
        yield "backtest_result", self._result(user_id, outcome, version, synthetic=synthetic)

    def _outcome(
        self, request: BacktestRequest, cancel: threading.Event | None
    ) -> Generator[RunEvent, None, BacktestOutcome | None]:
        for event in self._run(request, cancel):
            if event[0] == "outcome":
                outcome: BacktestOutcome = event[1]["outcome"]
                return outcome
            if event[0] == "data_error":
                yield "error", {"stage": "backtest", "message": event[1]["message"]}
                return None
            yield event
        return None

    def _request(self, proposal: Proposal) -> BacktestRequest:
        symbols = tuple(proposal.universe)
        if proposal.kind == "code":
            return BacktestRequest(
                code=proposal.code, symbols=symbols, start=self.start, end=self.end
            )
        return BacktestRequest(spec=proposal.spec, symbols=symbols, start=self.start, end=self.end)

    def _on_demo(self, request: BacktestRequest, proposal: Proposal) -> BacktestRequest:
        spec = proposal.spec
        timeframe = spec.timeframe.value if spec is not None else "1d"
        bars = self.backtests.market_data.load_bars(
            request.symbols[0],
            start=self.start,
            end=self.end,
            timeframe=timeframe,
            provider="demo",
        )
        return BacktestRequest(spec=spec, code=proposal.code, bars=bars)

    def _run(self, request: BacktestRequest, cancel: threading.Event | None) -> Iterator[RunEvent]:
        events: queue.Queue[RunEvent] = queue.Queue()

        def work() -> None:
            try:
                outcome = self.backtests.run(
                    request,
                    progress=lambda f, m: events.put(
                        ("backtest_progress", {"fraction": f, "message": m})
                    ),
                )
                events.put(("outcome", {"outcome": outcome}))
            except DataError as e:
                events.put(("data_error", {"message": str(e)}))
            except VibeTradingError as e:
                events.put(("error", {"stage": "backtest", "message": str(e)}))
                events.put(("finished", {}))
            except Exception as e:  # a thread boundary: report, never hang the chat
                _logger.exception("copilot backtest failed")
                events.put(("error", {"stage": "backtest", "message": f"internal error: {e}"}))
                events.put(("finished", {}))

        threading.Thread(target=work, name="copilot-backtest", daemon=True).start()
        while not (cancel is not None and cancel.is_set()):
            try:
                event = events.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if event[0] == "finished":
                return
            yield event
            if event[0] in ("outcome", "data_error"):
                return

    def _result(
        self,
        user_id: str,
        outcome: BacktestOutcome,
        version: dict[str, Any],
        *,
        synthetic: bool,
    ) -> dict[str, Any]:
        equity = outcome.result.equity
        first = next(iter(outcome.bars.values()))
        label = outcome.benchmark_label
        if synthetic and label:
            label = label.replace("DATA", str(first.attrs.get("symbol", "DATA")))
        data = {
            "summary": {k: _clean(v) for k, v in outcome.stats.items()},
            "num_trades": len(outcome.result.trades),
            "symbols": list(outcome.bars) if not synthetic else [first.attrs.get("symbol", "")],
            "start": _day(equity.index[0]),
            "end": _day(equity.index[-1]),
            "bars": len(equity),
            "synthetic": synthetic or bool(first.attrs.get("synthetic")),
            "source": first.attrs.get("source"),
            "benchmark_label": label,
            "warnings": list(outcome.warnings),
            "run_id": None,
        }
        data["run_id"] = self._store(user_id, outcome, version, data)
        return data

    def _store(
        self,
        user_id: str,
        outcome: BacktestOutcome,
        version: dict[str, Any],
        data: dict[str, Any],
    ) -> str | None:
        if self.runs is None:
            return None
        try:
            run = self.runs.create_run(
                user_id,
                request={"symbols": data["symbols"], "start": data["start"], "end": data["end"]},
                strategy_id=version.get("strategy_id"),
                strategy_version_id=version.get("version_id"),
            )
            self.runs.set_status(user_id, run.id, JobState.RUNNING)
            result = outcome.result
            self.runs.save_result(
                user_id,
                BacktestResultData(
                    run_id=run.id,
                    stats=data["summary"],
                    equity=result.equity,
                    drawdown=result.drawdown,
                    trades=result.trades,
                    benchmark=result.benchmark,
                    meta={"symbols": data["symbols"], "synthetic": data["synthetic"]},
                ),
            )
        except VibeTradingError as e:
            data["warnings"].append(f"The run was not saved: {e}")
            return None
        return run.id


def run_summary(result: dict[str, Any]) -> dict[str, Any]:
    """Return the headline numbers of a ``backtest_result`` event, for prompts and history."""
    summary = result.get("summary", {})
    return {
        "symbols": result.get("symbols"),
        "start": result.get("start"),
        "end": result.get("end"),
        "bars": result.get("bars"),
        "synthetic": result.get("synthetic"),
        "run_id": result.get("run_id"),
        **{key: summary.get(key) for key in _SUMMARY_KEYS if key in STAT_KEYS or key in summary},
    }


def _day(value: Any) -> str | None:
    return None if value is None else str(value)[:10]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
