import numpy as np

from vibetrading.cli.charts import line_chart


def test_line_chart_rising_series_fills_right_column_to_the_top():
    rows = line_chart(np.arange(100.0), width=10, height=4)

    assert len(rows) == 4
    assert all(len(row) == 10 for row in rows)
    assert rows[0][-1] == "█"
    assert rows[0][0] == " "


def test_line_chart_short_series_stretched_to_width():
    rows = line_chart([1.0, 2.0], width=8, height=2)

    assert rows[-1] == "▁▁▁▁████"
    assert rows[0] == "    ████"


def test_line_chart_empty_or_nan_series_draws_nothing():
    assert line_chart([]) == []
    assert line_chart([float("nan")]) == []


def test_line_chart_flat_series_draws_floor():
    rows = line_chart([5.0] * 20, width=5, height=3)

    assert rows[-1] == "▁▁▁▁▁"
    assert rows[0] == "     "
