import pytest

from vibetrading.errors import ConfigError, NotFound, SpecError
from vibetrading.services.records import ListQuery, new_id

pytestmark = pytest.mark.integration

SPEC = {"universe": ["SPX"], "entry": {"op": "crosses_above", "args": ["sma_20", "sma_50"]}}


def _create(store, user, name="Golden cross", **kwargs):
    kwargs.setdefault("kind", "spec")
    if kwargs["kind"] == "spec":
        kwargs.setdefault("spec", SPEC)
    return store.strategies.create(user.id, name=name, **kwargs)


def test_strategies_create_stores_version_one(store, user):
    strategy = _create(store, user, description="SMA cross", source_text="buy when ...")

    version = store.strategies.get_version(user.id, strategy.id)

    assert store.strategies.get(user.id, strategy.id) == strategy
    assert strategy.current_version == 1
    assert strategy.kind == "spec"
    assert version.version == 1
    assert version.spec == SPEC
    assert version.code is None
    assert version.source_text == "buy when ..."


def test_strategies_create_code_kind_keeps_code(store, user):
    code = "def signals(data, params):\n    return data.close > 0, data.close < 0\n"

    strategy = _create(store, user, kind="code", code=code)

    assert store.strategies.get_version(user.id, strategy.id).code == code


@pytest.mark.parametrize(
    ("kind", "content"),
    [("spec", {}), ("code", {}), ("spec", {"spec": SPEC, "code": "x"}), ("python", {"code": "x"})],
    ids=["spec-missing", "code-missing", "both", "unknown-kind"],
)
def test_strategies_create_bad_content_raises_spec_error(store, user, kind, content):
    with pytest.raises(SpecError):
        store.strategies.create(user.id, name="bad", kind=kind, **content)


def test_strategies_other_user_gets_not_found_everywhere(store, user, other_user):
    strategy = _create(store, user)
    calls = [
        lambda: store.strategies.get(other_user.id, strategy.id),
        lambda: store.strategies.update(other_user.id, strategy.id, name="mine"),
        lambda: store.strategies.soft_delete(other_user.id, strategy.id),
        lambda: store.strategies.add_version(other_user.id, strategy.id, spec=SPEC),
        lambda: store.strategies.list_versions(other_user.id, strategy.id, ListQuery()),
        lambda: store.strategies.get_version(other_user.id, strategy.id, 1),
        lambda: store.strategies.restore_version(other_user.id, strategy.id, 1),
    ]

    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert store.strategies.list(other_user.id, ListQuery()).total == 0


def test_strategies_soft_delete_hides_from_get_and_list(store, user):
    kept, deleted = _create(store, user, "kept"), _create(store, user, "deleted")

    store.strategies.soft_delete(user.id, deleted.id)

    page = store.strategies.list(user.id, ListQuery())
    assert [s.id for s in page.items] == [kept.id]
    with pytest.raises(NotFound):
        store.strategies.get(user.id, deleted.id)


def test_strategies_add_version_bumps_current_and_lists_versions(store, user):
    strategy = _create(store, user)

    second = store.strategies.add_version(user.id, strategy.id, spec={**SPEC, "v": 2}, note="tweak")
    page = store.strategies.list_versions(user.id, strategy.id, ListQuery(descending=False))

    assert second.version == 2
    assert second.note == "tweak"
    assert store.strategies.get(user.id, strategy.id).current_version == 2
    assert store.strategies.get_version(user.id, strategy.id) == second
    assert [v.version for v in page.items] == [1, 2]
    with pytest.raises(SpecError):
        store.strategies.add_version(user.id, strategy.id, code="print(1)")


def test_strategies_restore_version_creates_a_new_copy(store, user):
    strategy = _create(store, user)
    store.strategies.add_version(user.id, strategy.id, spec={"changed": True})

    restored = store.strategies.restore_version(user.id, strategy.id, 1)

    assert restored.version == 3
    assert restored.spec == SPEC
    assert restored.note == "restored from v1"
    assert store.strategies.get(user.id, strategy.id).current_version == 3
    with pytest.raises(NotFound):
        store.strategies.restore_version(user.id, strategy.id, 9)


def test_strategies_update_renames_and_touches_updated_at(store, user):
    strategy = _create(store, user)

    updated = store.strategies.update(user.id, strategy.id, name="Renamed", description="d")

    assert (updated.name, updated.description) == ("Renamed", "d")
    assert updated.updated_at >= strategy.updated_at
    assert updated.current_version == 1


def test_strategies_list_paginates_sorts_and_filters(store, user):
    for name in ["c", "a", "e", "b", "d"]:
        _create(store, user, name)
    _create(store, user, "z", kind="code", code="pass")

    first = store.strategies.list(user.id, ListQuery(limit=2, sort="name", descending=False))
    third = store.strategies.list(
        user.id, ListQuery(limit=2, offset=4, sort="name", descending=False)
    )
    specs = store.strategies.list(user.id, ListQuery(filters={"kind": "spec"}))
    named = store.strategies.list(user.id, ListQuery(filters={"name": "b"}))

    assert [s.name for s in first.items] == ["a", "b"]
    assert first.total == 6
    assert first.has_more
    assert [s.name for s in third.items] == ["e", "z"]
    assert not third.has_more
    assert specs.total == 5
    assert [s.name for s in named.items] == ["b"]


def test_strategies_list_newest_first_by_default(store, user):
    names = ["one", "two", "three"]
    for name in names:
        _create(store, user, name)

    page = store.strategies.list(user.id, ListQuery())

    assert [s.name for s in page.items] == names[::-1]


def test_strategies_list_unknown_sort_or_filter_raises_config_error(store, user):
    with pytest.raises(ConfigError, match="Did you mean 'name'"):
        store.strategies.list(user.id, ListQuery(sort="nmae"))
    with pytest.raises(ConfigError, match="filter"):
        store.strategies.list(user.id, ListQuery(filters={"deleted": True}))


def test_strategies_spec_json_is_queryable_on_postgresql(postgresql_store):
    from sqlalchemy import text

    user = postgresql_store.users.create(email=f"jsonb-{new_id()}@example.com", password_hash="h")
    strategy = postgresql_store.strategies.create(user.id, name="j", kind="spec", spec=SPEC)

    with postgresql_store.database.engine.connect() as connection:
        found = (
            connection.execute(
                text("SELECT strategy_id FROM strategy_versions WHERE spec @> CAST(:doc AS jsonb)"),
                {"doc": '{"universe": ["SPX"]}'},
            )
            .scalars()
            .all()
        )

    assert strategy.id in found
