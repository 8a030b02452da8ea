import pytest

from vibetrading.errors import ConfigError
from vibetrading.services.records import JobState, ListQuery, Page, new_id, utc_now


@pytest.mark.parametrize(
    "kwargs", [{"limit": 0}, {"limit": 201}, {"offset": -1}], ids=["zero", "too-big", "negative"]
)
def test_list_query_out_of_range_raises_config_error(kwargs):
    with pytest.raises(ConfigError):
        ListQuery(**kwargs)


def test_list_query_defaults_are_fifty_newest_first():
    query = ListQuery()

    assert (query.limit, query.offset, query.sort, query.descending) == (50, 0, None, True)
    assert dict(query.filters) == {}


def test_list_query_check_names_allowed_fields_and_close_match():
    query = ListQuery(sort="craeted_at", filters={})

    with pytest.raises(ConfigError, match="Did you mean 'created_at'") as info:
        query.check(sorts=["created_at", "name"], filters=[])

    assert "created_at, name" in str(info.value)
    with pytest.raises(ConfigError, match=r"\(none\)"):
        ListQuery(filters={"x": 1}).check(sorts=[], filters=[])
    ListQuery(sort="name", filters={"kind": "spec"}).check(sorts=["name"], filters=["kind"])


def test_page_has_more_until_the_last_item():
    assert Page(items=[1, 2], total=5, limit=2, offset=0).has_more
    assert not Page(items=[5], total=5, limit=2, offset=4).has_more


def test_job_state_final_states():
    assert {s for s in JobState if s.is_final} == {
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELLED,
    }


def test_new_id_and_utc_now_follow_the_conventions():
    assert len(new_id()) == 32
    assert new_id() != new_id()
    assert utc_now().utcoffset().total_seconds() == 0
