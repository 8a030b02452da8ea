import numpy as np
import pandas as pd
import pytest

from vibetrading.adapters.sandbox.output import validate_signals
from vibetrading.errors import StrategyError

INDEX = pd.date_range("2020-01-01", periods=5, tz="UTC")
TRUE = pd.Series([True, False, True, False, False], index=INDEX)


def test_validate_signals_boolean_pair_passes():
    entries, exits, check = validate_signals((TRUE, ~TRUE), INDEX)

    assert entries.tolist() == TRUE.tolist()
    assert exits.dtype == bool
    assert check.passed
    assert check.layer == "output"


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (TRUE, "two boolean Series"),
        ((TRUE, TRUE, TRUE), "tuple of 3"),
        ((TRUE.to_numpy(), TRUE), "numpy array"),
        ((TRUE, [True] * 5), "pandas Series"),
        ((TRUE, TRUE.iloc[:3]), "3 values for 5 bars"),
        ((TRUE, TRUE.set_axis(INDEX + pd.Timedelta("1D"))), "not aligned"),
        ((TRUE, TRUE.astype(float).where(TRUE, np.nan)), "NaN"),
        ((TRUE, TRUE.astype(int)), "must be boolean"),
    ],
    ids=["single", "triple", "ndarray", "list", "short", "misaligned", "nan", "int"],
)
def test_validate_signals_bad_output_raises_clear_error(result, message):
    with pytest.raises(StrategyError, match=message):
        validate_signals(result, INDEX)
