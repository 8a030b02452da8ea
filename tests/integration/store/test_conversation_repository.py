import pytest

from vibetrading.errors import NotFound
from vibetrading.services.records import ListQuery

pytestmark = pytest.mark.integration


def test_conversations_create_get_rename_round_trip(store, user):
    conversation = store.conversations.create(user.id, title="Ideas")

    renamed = store.conversations.rename(user.id, conversation.id, "Better ideas")

    assert store.conversations.get(user.id, conversation.id) == renamed
    assert renamed.title == "Better ideas"
    assert renamed.strategy_id is None


def test_conversations_messages_keep_order_and_fields(store, user):
    conversation = store.conversations.create(user.id)
    spec = {"entry": "rsi < 30"}

    first = store.conversations.add_message(user.id, conversation.id, role="user", content="hi")
    second = store.conversations.add_message(
        user.id, conversation.id, role="assistant", content="a spec", spec=spec,
        meta={"tool": "parse"}, prompt_tokens=12, completion_tokens=30, cost=0.0021,
        engine="offline",
    )  # fmt: skip
    oldest_first = store.conversations.list_messages(
        user.id, conversation.id, ListQuery(descending=False)
    )

    assert (first.seq, second.seq) == (1, 2)
    assert oldest_first.items == [first, second]
    assert second.spec == spec
    assert second.meta == {"tool": "parse"}
    assert (second.prompt_tokens, second.completion_tokens, second.cost) == (12, 30, 0.0021)
    assert store.conversations.get(user.id, conversation.id).updated_at >= second.created_at


def test_conversations_list_messages_filters_by_role_and_pages(store, user):
    conversation = store.conversations.create(user.id)
    for i in range(5):
        store.conversations.add_message(
            user.id, conversation.id, role="user" if i % 2 == 0 else "assistant", content=str(i)
        )

    latest_two = store.conversations.list_messages(user.id, conversation.id, ListQuery(limit=2))
    users = store.conversations.list_messages(
        user.id, conversation.id, ListQuery(filters={"role": "user"})
    )

    assert [m.content for m in latest_two.items] == ["4", "3"]
    assert latest_two.total == 5
    assert users.total == 3


def test_conversations_set_strategy_attaches_only_own_strategies(store, user, other_user):
    mine = store.strategies.create(user.id, name="s", kind="spec", spec={"a": 1})
    theirs = store.strategies.create(other_user.id, name="t", kind="spec", spec={"a": 1})
    conversation = store.conversations.create(user.id, strategy_id=mine.id)

    detached = store.conversations.set_strategy(user.id, conversation.id, None)
    listed = store.conversations.list(user.id, ListQuery(filters={"strategy_id": mine.id}))

    assert conversation.strategy_id == mine.id
    assert detached.strategy_id is None
    assert listed.total == 0
    with pytest.raises(NotFound):
        store.conversations.set_strategy(user.id, conversation.id, theirs.id)
    with pytest.raises(NotFound):
        store.conversations.create(user.id, strategy_id=theirs.id)


def test_conversations_other_user_gets_not_found(store, user, other_user):
    conversation = store.conversations.create(user.id)
    calls = [
        lambda: store.conversations.get(other_user.id, conversation.id),
        lambda: store.conversations.rename(other_user.id, conversation.id, "x"),
        lambda: store.conversations.delete(other_user.id, conversation.id),
        lambda: store.conversations.add_message(
            other_user.id, conversation.id, role="user", content="x"
        ),
        lambda: store.conversations.list_messages(other_user.id, conversation.id, ListQuery()),
    ]

    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert store.conversations.list(other_user.id, ListQuery()).total == 0


def test_conversations_delete_removes_messages(store, user):
    conversation = store.conversations.create(user.id)
    store.conversations.add_message(user.id, conversation.id, role="user", content="x")

    store.conversations.delete(user.id, conversation.id)

    with pytest.raises(NotFound):
        store.conversations.list_messages(user.id, conversation.id, ListQuery())


def test_conversations_list_sorted_by_recent_activity(store, user):
    older = store.conversations.create(user.id, title="older")
    newer = store.conversations.create(user.id, title="newer")
    store.conversations.add_message(user.id, older.id, role="user", content="bump")

    page = store.conversations.list(user.id, ListQuery())

    assert [c.title for c in page.items] == ["older", "newer"]
    assert newer.id in {c.id for c in page.items}


def test_conversations_message_links_own_backtest_run_only(store, user, other_user):
    conversation = store.conversations.create(user.id)
    run = store.backtests.create_run(user.id, request={"symbol": "SPX"})
    foreign = store.backtests.create_run(other_user.id, request={"symbol": "SPX"})

    message = store.conversations.add_message(
        user.id, conversation.id, role="tool", content="ran", backtest_run_id=run.id
    )

    assert message.backtest_run_id == run.id
    with pytest.raises(NotFound):
        store.conversations.add_message(
            user.id, conversation.id, role="tool", content="x", backtest_run_id=foreign.id
        )
