import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from vibetrading.adapters.llm.offline import OfflineDrafter
from vibetrading.adapters.store.db import SqlStore, upgrade
from vibetrading.bootstrap import build_backtests
from vibetrading.services.copilot import CopilotService
from vibetrading.services.records import ListQuery
from vibetrading.testing.llm_server import ScriptedReply

pytestmark = pytest.mark.integration

IDEA = "Buy when RSI crosses below 30, sell above 70, stop loss 5%"


POSTGRES = os.environ.get(
    "VIBETRADING_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database(action):
    name = f"vt_chat_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(action.format(name=name)))
    except OperationalError as e:
        pytest.skip(f"PostgreSQL is unreachable: {e}")
    finally:
        engine.dispose()
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'vibetrading.db'}"
    else:
        name = _postgres_database('CREATE DATABASE "{name}"')
        url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    store = SqlStore(url)
    yield store
    store.close()
    if name is not None:
        engine = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture
def user_id(store):
    return store.users.create(email="chat@example.com", password_hash="x").id


def make_copilot(store, llm=None):
    return CopilotService(
        llm=llm,
        backtests=build_backtests(),
        conversations=store.conversations,
        strategies=store.strategies,
        runs=store.backtests,
        drafter=OfflineDrafter(),
        start="2009-01-01",
    )


def test_chat_persists_messages_versions_and_runs_and_resumes(store, user_id):
    copilot = make_copilot(store)
    first = list(copilot.chat(user_id, IDEA))
    conversation_id = first[-1].data["conversation_id"]

    second = list(copilot.chat(user_id, "tighter stop", conversation_id=conversation_id))

    conversation = store.conversations.get(user_id, conversation_id)
    messages = store.conversations.list_messages(
        user_id, conversation_id, ListQuery(descending=False)
    ).items
    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant"]
    assert messages[1].engine == "offline"
    assert messages[3].spec["risk"]["stop_loss"] == 0.03
    versions = store.strategies.list_versions(user_id, conversation.strategy_id, ListQuery())
    assert versions.total == 2
    result = next(e for e in second if e.type == "backtest_result").data
    run = store.backtests.get_run(user_id, result["run_id"])
    assert run.strategy_id == conversation.strategy_id
    assert messages[3].backtest_run_id == run.id
    stored = store.backtests.get_result(user_id, run.id)
    assert len(stored.equity) == result["bars"]


def test_chat_usage_is_counted_per_conversation_and_per_user(store, user_id, server, client):
    copilot = make_copilot(store, llm=client)
    server.script(
        ScriptedReply(text="Hi.", usage=(10, 2)), ScriptedReply(text="Hey.", usage=(5, 1))
    )
    first = list(copilot.chat(user_id, "what is RSI?"))
    list(copilot.chat(user_id, "what is MACD?"))

    per_conversation = copilot.usage(user_id, first[-1].data["conversation_id"])
    per_user = copilot.usage(user_id)

    assert per_conversation["total_tokens"] == 12
    assert per_user["total_tokens"] == 18
    assert per_user["cost_usd"] == pytest.approx((15 * 0.001 + 3 * 0.002) / 1000)
