import math
import statistics

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.backtest.overfitting import (
    EULER_MASCHERONI,
    assess_overfitting,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
    sharpe_ratio,
)
from vibetrading.errors import ConfigError, DataError

NORMAL = statistics.NormalDist()


def test_deflated_sharpe_paper_example_gives_0_90():
    # Bailey & López de Prado (2014), section 5: SR 2.5 a year over 1,250 days, skew -3,
    # kurtosis 10, 100 trials whose annual Sharpe ratios have variance 0.5.
    sharpe = 2.5 / math.sqrt(250)
    variance = 0.5 / 250

    benchmark = expected_max_sharpe(100, variance)
    dsr = probabilistic_sharpe_ratio(
        sharpe, observations=1250, skewness=-3, kurtosis=10, benchmark_sharpe=benchmark
    )

    assert benchmark == pytest.approx(0.1132, abs=1e-4)
    assert dsr == pytest.approx(0.9004, abs=1e-3)


def test_deflated_sharpe_ratio_equals_the_formulas_by_hand():
    rng = np.random.default_rng(3)
    returns = rng.standard_t(5, 500) * 0.01 + 0.001
    trial_sharpes = rng.normal(0.02, 0.03, 40)

    result = deflated_sharpe_ratio(returns, trial_sharpes)

    mean = sum(returns) / len(returns)
    centred = [r - mean for r in returns]
    m2 = sum(c**2 for c in centred) / len(returns)
    skew = sum(c**3 for c in centred) / len(returns) / m2**1.5
    kurt = sum(c**4 for c in centred) / len(returns) / m2**2
    sr = mean / statistics.stdev(returns)
    n = 40
    sr0 = math.sqrt(statistics.variance(trial_sharpes)) * (
        (1 - EULER_MASCHERONI) * NORMAL.inv_cdf(1 - 1 / n)
        + EULER_MASCHERONI * NORMAL.inv_cdf(1 - 1 / (n * math.e))
    )
    z = (sr - sr0) * math.sqrt(len(returns) - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert result.sharpe == pytest.approx(sr, rel=1e-12)
    assert result.skewness == pytest.approx(skew, rel=1e-9)
    assert result.kurtosis == pytest.approx(kurt, rel=1e-9)
    assert result.expected_max_sharpe == pytest.approx(sr0, rel=1e-9)
    assert result.deflated_sharpe == pytest.approx(NORMAL.cdf(z), rel=1e-9)
    assert result.trials == n
    assert result.is_significant() == (result.deflated_sharpe >= 0.95)


def test_expected_max_sharpe_one_trial_is_the_mean_and_grows_with_trials():
    one = expected_max_sharpe(1, 0.01, mean_sharpe=0.05)
    ten = expected_max_sharpe(10, 0.01)
    thousand = expected_max_sharpe(1000, 0.01)

    assert one == 0.05
    assert 0 < ten < thousand


@pytest.mark.parametrize(
    ("trials", "variance"), [(0, 0.1), (10, -1.0)], ids=["no-trial", "negative-variance"]
)
def test_expected_max_sharpe_bad_inputs_raise_config_error(trials, variance):
    with pytest.raises(ConfigError):
        expected_max_sharpe(trials, variance)


def test_probabilistic_sharpe_zero_sharpe_against_zero_is_one_half():
    psr = probabilistic_sharpe_ratio(0.0, observations=100)

    assert psr == pytest.approx(0.5)


def test_sharpe_ratio_without_spread_is_nan():
    assert math.isnan(sharpe_ratio([0.01, 0.01, 0.01]))
    assert math.isnan(sharpe_ratio([0.01]))


def test_deflated_sharpe_too_few_inputs_raise_data_error():
    with pytest.raises(DataError, match="3 returns"):
        deflated_sharpe_ratio([0.1, 0.2], [0.1, 0.2])
    with pytest.raises(DataError, match="2 trials"):
        deflated_sharpe_ratio([0.1, 0.2, 0.3], [0.1, np.nan])


def test_pbo_hand_computed_two_blocks_two_trials():
    # Block 0: A = [.01, .03] (SR 1.41), B = [0, .02] (SR .71); block 1: A = [-.01, .01]
    # (SR 0), B = [.01, .03] (SR 1.41). Each in-sample winner is last out of sample.
    returns = pd.DataFrame({"A": [0.01, 0.03, -0.01, 0.01], "B": [0.0, 0.02, 0.01, 0.03]})

    result = probability_of_backtest_overfitting(returns, blocks=2)

    assert result.combinations == 2
    assert result.probability == 1.0
    np.testing.assert_allclose(result.logits, [math.log(0.5)] * 2)
    np.testing.assert_allclose(result.in_sample, [math.sqrt(2), math.sqrt(2)])
    np.testing.assert_allclose(result.out_of_sample, [0.0, math.sqrt(2) / 2])
    assert result.probability_of_loss == 0.0


def test_pbo_pure_noise_trials_average_near_one_half():
    # One noise sample can land anywhere in [0, 1]: the splits share the same data.
    samples = [np.random.default_rng(seed).normal(0, 0.01, (400, 20)) for seed in range(40)]

    results = [probability_of_backtest_overfitting(noise, blocks=8) for noise in samples]

    assert results[0].combinations == math.comb(8, 4)
    assert 0.4 < np.mean([r.probability for r in results]) < 0.7


def test_pbo_one_genuinely_good_trial_is_low():
    rng = np.random.default_rng(8)
    returns = rng.normal(0, 0.01, (1600, 60))
    returns[:, 17] += 0.004

    result = probability_of_backtest_overfitting(returns, blocks=10)

    assert result.probability < 0.05
    assert result.probability_of_loss == 0.0


@pytest.mark.parametrize(
    ("shape", "blocks", "error"),
    [((100, 1), 4, DataError), ((100, 3), 3, ConfigError), ((6, 3), 4, DataError)],
    ids=["one-trial", "odd-blocks", "too-short"],
)
def test_pbo_bad_inputs_raise(shape, blocks, error):
    with pytest.raises(error):
        probability_of_backtest_overfitting(np.zeros(shape), blocks=blocks)


def test_assess_overfitting_noise_is_not_significant():
    rng = np.random.default_rng(9)
    returns = pd.DataFrame(rng.normal(0, 0.01, (1000, 50)))
    best = max(returns.columns, key=lambda c: sharpe_ratio(returns[c].to_numpy()))

    report = assess_overfitting(returns, best, blocks=8)

    assert report.overfitting is not None
    assert report.deflated.deflated_sharpe < 0.95
    assert report.verdict.startswith(("Likely overfit", "Not significant"))
    assert set(report.to_dict()) >= {"deflated_sharpe", "pbo", "verdict", "trials"}


def test_assess_overfitting_strong_edge_holds_up():
    rng = np.random.default_rng(10)
    returns = pd.DataFrame(rng.normal(0, 0.01, (1000, 20)))
    returns[5] += 0.005

    report = assess_overfitting(returns, 5, blocks=8)

    assert report.deflated.is_significant()
    assert report.verdict.startswith("Holds up")


def test_assess_overfitting_short_series_lowers_blocks():
    rng = np.random.default_rng(11)
    returns = pd.DataFrame(rng.normal(0, 0.01, (20, 4)))

    report = assess_overfitting(returns, 0, blocks=16)

    assert report.overfitting is not None
    assert report.overfitting.blocks == 10


def test_assess_overfitting_unknown_column_raises_config_error():
    with pytest.raises(ConfigError):
        assess_overfitting(pd.DataFrame(np.zeros((10, 2))), "missing")
