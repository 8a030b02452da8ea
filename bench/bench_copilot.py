"""Copilot speed: an idea in words to the first backtest result in the chat stream, offline."""

from __future__ import annotations

from _timing import Case, measure, print_cases
from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.bootstrap import build_backtests
from vibetrading.services.backtests import BacktestRequest
from vibetrading.services.copilot import CopilotService
from vibetrading.testing.memory_store import (
    MemoryConversationRepository,
    MemoryStrategyRepository,
)

IDEA = "Buy when RSI crosses below 30, sell when it rises above 70, stop loss 5%"


def run() -> list[Case]:
    backtests = build_backtests()
    copilot = CopilotService(
        llm=None,
        backtests=backtests,
        conversations=MemoryConversationRepository(),
        strategies=MemoryStrategyRepository(),
        drafter=OfflineDrafter(),
        start="2009-01-01",
        end="2018-12-31",
    )

    def first_result() -> None:
        for event in copilot.chat("bench", IDEA):
            if event.type == "backtest_result":
                return
        raise RuntimeError("no backtest result")

    def backtest_only() -> None:
        backtests.run(BacktestRequest(strategy=IDEA, start="2009-01-01", end="2018-12-31"))

    ours = measure(first_result, repeat=21)
    peer = measure(backtest_only, repeat=21)
    cases = [
        Case(
            "chat idea -> first backtest_result (SPX 10y daily)",
            ours,
            "backtest of the same text",
            peer,
            "< 1000 ms",
        )
    ]
    print_cases("Copilot (offline)", cases)
    return cases


if __name__ == "__main__":
    run()
