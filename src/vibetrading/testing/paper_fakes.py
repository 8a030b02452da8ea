"""An in-memory ``PaperRunnerRepository`` for tests of the runner and the paper service."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import pandas as pd

from vibetrading.domain.trading.orders import Fill, Order
from vibetrading.errors import ConfigError, NotFound
from vibetrading.services.ports import PaperStep, RunnerInbox, RunnerRecord

__all__ = ["InMemoryPaperRunnerRepository"]


@dataclass
class InMemoryPaperRunnerRepository:
    """Runners and what they wrote, in dicts; ``steps`` counts ``save_step`` calls and
    ``inbox_reads`` the ``read_inbox`` ones."""

    runners: dict[str, RunnerRecord] = field(default_factory=dict)
    order_book: dict[str, dict[str, Order]] = field(default_factory=dict)
    fill_log: dict[str, list[Fill]] = field(default_factory=dict)
    holdings: dict[str, dict[str, float]] = field(default_factory=dict)
    cash: dict[str, float] = field(default_factory=dict)
    snapshots: dict[str, list[tuple[pd.Timestamp, float]]] = field(default_factory=dict)
    steps: int = 0
    inbox_reads: int = 0

    def create_runner(self, record: RunnerRecord) -> None:
        """Store a new runner; raise ConfigError if its id exists."""
        if record.runner_id in self.runners:
            raise ConfigError(f"A runner {record.runner_id!r} exists already.")
        self.runners[record.runner_id] = copy.deepcopy(record)
        self.order_book[record.runner_id] = {}
        self.fill_log[record.runner_id] = []
        self.holdings[record.runner_id] = {}
        self.snapshots[record.runner_id] = []

    def get_runner(self, runner_id: str) -> RunnerRecord | None:
        """Return a copy of a runner, or None."""
        record = self.runners.get(runner_id)
        return copy.deepcopy(record) if record else None

    def list_runners(self) -> list[RunnerRecord]:
        """Return every runner, oldest first."""
        return [copy.deepcopy(r) for r in self.runners.values()]

    def set_status(self, runner_id: str, status: str, *, error: str | None = None) -> None:
        """Change a runner's status."""
        record = self.runners[self._known(runner_id)]
        record.status = status
        record.error = error if status == "failed" else None

    def save_step(self, step: PaperStep) -> str:
        """Apply one bar's writes at once (none when stopped); return the runner's status."""
        runner_id = self._known(step.runner_id)
        if self.runners[runner_id].status == "stopped":
            return "stopped"
        book = self.order_book[runner_id]
        for order in step.orders:
            book[order.client_order_id] = order
        self.fill_log[runner_id].extend(step.fills)
        self.holdings[runner_id] = dict(step.positions)
        self.cash[runner_id] = step.cash
        if step.snapshots:  # a replayed bar's snapshot replaces the one stored
            first = step.snapshots[0].timestamp
            kept = [s for s in self.snapshots[runner_id] if s[0] < first]
            self.snapshots[runner_id] = kept + [(s.timestamp, s.equity) for s in step.snapshots]
        record = self.runners[runner_id]
        status = step.status or record.status
        self.runners[runner_id] = replace(
            record, cursor=step.cursor, status=status, state=copy.deepcopy(step.state)
        )
        self.steps += 1
        return status

    def read_inbox(self, runner_id: str) -> RunnerInbox:
        """Return the runner's status and working orders; ``inbox_reads`` counts calls."""
        self.inbox_reads += 1
        return RunnerInbox(self.runners[self._known(runner_id)].status, self.open_orders(runner_id))

    def add_order(self, runner_id: str, order: Order) -> Order:
        """Store an order unless its client order id exists; return the stored one."""
        book = self.order_book[self._known(runner_id)]
        return book.setdefault(order.client_order_id, order)

    def set_order(self, runner_id: str, order: Order) -> None:
        """Write an order's new state."""
        self.order_book[self._known(runner_id)][order.client_order_id] = order

    def open_orders(self, runner_id: str) -> list[Order]:
        """Return the runner's working orders."""
        return [o for o in self.order_book[self._known(runner_id)].values() if o.is_open]

    def orders(self, runner_id: str) -> list[Order]:
        """Return the runner's orders, oldest first."""
        return list(self.order_book[self._known(runner_id)].values())

    def fills(self, runner_id: str) -> list[Fill]:
        """Return the runner's fills, oldest first."""
        return list(self.fill_log[self._known(runner_id)])

    def positions(self, runner_id: str) -> dict[str, float]:
        """Return the runner's positions."""
        return dict(self.holdings[self._known(runner_id)])

    def equity_snapshots(self, runner_id: str) -> list[tuple[pd.Timestamp, float]]:
        """Return the runner's equity snapshots."""
        return list(self.snapshots[self._known(runner_id)])

    def delete_runner(self, runner_id: str) -> None:
        """Remove a runner and everything it wrote."""
        self._known(runner_id)
        for table in (self.runners, self.order_book, self.fill_log, self.holdings, self.snapshots):
            table.pop(runner_id, None)
        self.cash.pop(runner_id, None)

    def _known(self, runner_id: str) -> str:
        if runner_id not in self.runners:
            raise NotFound(f"No paper runner {runner_id!r}.")
        return runner_id
