import numpy as np
import pandas as pd

from vibetrading.domain.data.sessions import (
    in_session_mask,
    session_labels,
    session_segments,
    to_session_labels,
)
from vibetrading.domain.trading import get_calendar


def test_session_segments_hong_kong_split_at_lunch():
    day = pd.Timestamp("2024-03-04", tz="UTC")

    starts, ends, labels = session_segments(get_calendar("XHKG"), day, day)

    local = pd.DatetimeIndex(starts).tz_localize("UTC").tz_convert("Asia/Hong_Kong")
    on_day = local[local.normalize() == pd.Timestamp("2024-03-04", tz="Asia/Hong_Kong")]
    assert list(on_day.strftime("%H:%M")) == ["09:30", "13:00"]
    assert len(starts) == len(ends) == len(labels)
    assert np.all(ends > starts)


def test_session_labels_skip_holidays():
    labels = session_labels(
        get_calendar("XNYS"), pd.Timestamp("2024-12-24"), pd.Timestamp("2024-12-27")
    )

    assert list(labels.strftime("%Y-%m-%d")) == ["2024-12-24", "2024-12-26", "2024-12-27"]


def test_session_labels_history_reaches_1999_for_samples():
    labels = session_labels(
        get_calendar("XNYS"), pd.Timestamp("1999-01-04"), pd.Timestamp("1999-01-08")
    )

    assert len(labels) == 5


def test_in_session_mask_and_labels_nyse_minutes():
    index = pd.DatetimeIndex(
        ["2024-03-04 14:29", "2024-03-04 14:30", "2024-03-04 20:59", "2024-03-04 21:00"], tz="UTC"
    )
    calendar = get_calendar("XNYS")

    mask = in_session_mask(index, calendar)
    labels = to_session_labels(index, calendar)

    assert mask.tolist() == [False, True, True, False]
    assert labels[1] == pd.Timestamp("2024-03-04", tz="UTC").value
    assert labels[0] == -1
    assert labels[3] == -1


def test_in_session_mask_empty_index():
    assert len(in_session_mask(pd.DatetimeIndex([], tz="UTC"), get_calendar("XNYS"))) == 0
    assert len(to_session_labels(pd.DatetimeIndex([], tz="UTC"), get_calendar("XNYS"))) == 0
