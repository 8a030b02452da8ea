"""The paper trading page with NiceGUI's simulated user, over a paper service in memory."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.domain.trading.enums import OrderSide, OrderStatus
from vibetrading.domain.trading.orders import Order
from vibetrading.services.paper import PaperRequest, PaperTradingService
from vibetrading.testing.paper_fakes import InMemoryPaperRunnerRepository
from vibetrading.web.pages.paper import order_line

pytestmark = pytest.mark.slow  # each test starts NiceGUI's app: a few seconds

RSI = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"


@pytest.fixture
def paper(web_services):
    service = PaperTradingService(
        web_services.market_data, InMemoryPaperRunnerRepository(), build_simulated_broker
    )
    mine = service.for_user("local")  # the owner of local mode without a user store
    record = mine.start(PaperRequest(symbol="SPX", strategy=RSI, start="2010-01-01"))
    mine.run(record.runner_id, should_stop=lambda: mine.summary(record.runner_id).bars >= 40)
    return service


def test_paper_page_shows_accounts_orders_and_places_an_order(run_ui, web_services, paper):
    async def scenario(user, state):
        await user.open("/paper")
        await user.should_see(marker="paper-accounts")
        rows = user.find(marker="paper-accounts").elements.pop().rows
        assert [(r["symbol"], r["mode"], r["status"]) for r in rows] == [
            ("SPX", "PAPER", "stopped")
        ]
        user.find(marker="ticket-symbol").type("SPX")
        user.find(marker="ticket-submit").click()
        await user.should_see("PAPER buy 1 SPX: accepted", retries=50)
        await user.should_see("Orders go to: PAPER")

    run_ui(scenario, services=replace(web_services, paper=paper))

    placed = [o for o in paper.orders() if o.reason == "manual"]
    assert [(o.side, o.quantity, o.status) for o in placed] == [
        (OrderSide.BUY, 1.0, OrderStatus.ACCEPTED)
    ]


def test_paper_page_ticket_without_account_says_so(run_ui, web_services, paper):
    async def scenario(user, state):
        await user.open("/paper")
        user.find(marker="ticket-symbol").type("GOOG")
        user.find(marker="ticket-submit").click()
        await user.should_see("No paper account trades GOOG", retries=50)

    run_ui(scenario, services=replace(web_services, paper=paper))

    assert all(o.symbol == "SPX" for o in paper.orders())


def test_paper_page_of_another_user_shows_no_runners(run_ui, web_services, paper):
    other = replace(web_services, paper=paper, local_user=lambda: "someone-else")

    async def scenario(user, state):
        await user.open("/paper")
        await user.should_see(marker="no-runners")

    run_ui(scenario, services=other)


def test_order_line_reads_mode_side_quantity_status():
    order = Order("o1", "SPX", OrderSide.SELL, quantity=3).accepted()

    assert order_line("dry_run", order) == "DRY_RUN sell 3 SPX: accepted"
