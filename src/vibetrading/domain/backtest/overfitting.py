"""How much of a sweep's best result is luck: the deflated Sharpe ratio and the PBO.

* The deflated Sharpe ratio (Bailey and López de Prado, "The Deflated Sharpe Ratio", 2014)
  is the probability that the true Sharpe ratio of the chosen strategy beats the best one
  expected by chance among N trials. With SR the per-period Sharpe ratio of T returns, γ3
  their skewness and γ4 their kurtosis (3 for a normal law):

      PSR(SR*) = Φ((SR - SR*) √(T - 1) / √(1 - γ3 SR + (γ4 - 1) / 4 SR²))
      SR0 = √V[SR_n] ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))
      DSR = PSR(SR0)

  where V[SR_n] is the variance of the N trials' Sharpe ratios and γ ≈ 0.5772 the
  Euler-Mascheroni constant. DSR >= 0.95 is the usual bar.
* The probability of backtest overfitting (Bailey, Borwein, López de Prado and Zhu, "The
  Probability of Backtest Overfitting", 2015) uses combinatorially symmetric
  cross-validation: the T x N matrix of the trials' returns is cut into S blocks of
  rows; for each of the C(S, S/2) ways to pick half of the blocks as in-sample, the trial
  with the best in-sample Sharpe ratio is ranked among all trials out of sample, ω = rank /
  (N + 1), λ = ln(ω / (1 - ω)). PBO is the share of splits with λ < 0: how often the
  in-sample winner lands in the bottom half out of sample. Noise gives about 0.5.

Sharpe ratios here are per period (not annualised): mean / standard deviation (ddof=1).
Skewness and kurtosis are the population moments (biased estimators), as in the papers.
"""

# The formulas keep the papers' Greek letters on purpose.
# ruff: noqa: RUF002

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.errors import ConfigError, DataError

__all__ = [
    "EULER_MASCHERONI",
    "BacktestOverfitting",
    "DeflatedSharpe",
    "OverfittingReport",
    "assess_overfitting",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "sharpe_ratio",
]

_NORMAL = NormalDist()  # the standard normal; statistics is exact enough and costs no import

FloatArray = npt.NDArray[np.float64]

EULER_MASCHERONI = 0.5772156649015329
_CHUNK_CELLS = 4_000_000  # combinations x trials evaluated at once by the PBO


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a chosen strategy and what went into it.

    ``sharpe`` and ``expected_max_sharpe`` are per period; ``probabilistic_sharpe`` is
    PSR(0), the probability that the true Sharpe ratio is above zero; ``deflated_sharpe``
    is PSR(expected_max_sharpe).
    """

    sharpe: float
    expected_max_sharpe: float
    probabilistic_sharpe: float
    deflated_sharpe: float
    trials: int
    observations: int
    skewness: float
    kurtosis: float

    def is_significant(self, level: float = 0.95) -> bool:
        """Return True when the deflated Sharpe ratio reaches `level` (a probability)."""
        return bool(self.deflated_sharpe >= level)


@dataclass(frozen=True)
class BacktestOverfitting:
    """The probability of backtest overfitting (CSCV) of a set of trials.

    ``logits`` holds λ per split; ``in_sample`` and ``out_of_sample`` the per-period Sharpe
    ratio of each split's in-sample winner on both halves; ``probability_of_loss`` is the
    share of splits where the winner lost money out of sample (Sharpe < 0).
    """

    probability: float
    logits: FloatArray
    in_sample: FloatArray
    out_of_sample: FloatArray
    probability_of_loss: float
    blocks: int
    trials: int

    @property
    def combinations(self) -> int:
        """Return the number of in-sample / out-of-sample splits evaluated."""
        return len(self.logits)


@dataclass(frozen=True)
class OverfittingReport:
    """The overfitting figures to show next to a sweep's best parameters."""

    deflated: DeflatedSharpe
    overfitting: BacktestOverfitting | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-ready data (NaN as None)."""
        pbo = self.overfitting
        return {
            "deflated_sharpe": _number(self.deflated.deflated_sharpe),
            "probabilistic_sharpe": _number(self.deflated.probabilistic_sharpe),
            "sharpe_per_period": _number(self.deflated.sharpe),
            "expected_max_sharpe_per_period": _number(self.deflated.expected_max_sharpe),
            "trials": self.deflated.trials,
            "observations": self.deflated.observations,
            "skewness": _number(self.deflated.skewness),
            "kurtosis": _number(self.deflated.kurtosis),
            "pbo": None if pbo is None else _number(pbo.probability),
            "pbo_probability_of_loss": None if pbo is None else _number(pbo.probability_of_loss),
            "pbo_blocks": None if pbo is None else pbo.blocks,
            "pbo_combinations": None if pbo is None else pbo.combinations,
            "verdict": self.verdict,
        }


def sharpe_ratio(returns: Sequence[float] | FloatArray) -> float:
    """Return the per-period Sharpe ratio mean / std (ddof=1); NaN for < 2 values or no spread."""
    values = _finite(returns)
    if len(values) < 2:
        return math.nan
    std = float(np.std(values, ddof=1))
    return float(np.mean(values)) / std if std > 0 else math.nan


def probabilistic_sharpe_ratio(
    sharpe: float,
    *,
    observations: int,
    skewness: float = 0.0,
    kurtosis: float = 3.0,
    benchmark_sharpe: float = 0.0,
) -> float:
    """Return PSR: the probability that the true Sharpe ratio exceeds `benchmark_sharpe`.

    `sharpe` and `benchmark_sharpe` are per period, measured on `observations` returns of
    the given `skewness` and `kurtosis` (3 for normal returns). NaN when fewer than two
    observations or when the moments make the variance estimate non-positive.
    """
    radicand = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if observations < 2 or not radicand > 0 or not math.isfinite(sharpe):
        return math.nan
    z = (sharpe - benchmark_sharpe) * math.sqrt(observations - 1) / math.sqrt(radicand)
    return _NORMAL.cdf(z)


def expected_max_sharpe(trials: int, sharpe_variance: float, *, mean_sharpe: float = 0.0) -> float:
    """Return the Sharpe ratio the best of `trials` independent trials reaches by luck.

    ``mean + √variance ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))``, in the unit of the
    inputs (per period in ``deflated_sharpe_ratio``). One trial gives the mean. Raises
    ConfigError for fewer than one trial or a negative variance.
    """
    if trials < 1:
        raise ConfigError(f"trials must be at least 1, not {trials}.")
    if not sharpe_variance >= 0:
        raise ConfigError(f"sharpe_variance must be >= 0, not {sharpe_variance}.")
    if trials == 1:
        return float(mean_sharpe)
    gamma = EULER_MASCHERONI
    spread = (1 - gamma) * _NORMAL.inv_cdf(1 - 1 / trials) + gamma * _NORMAL.inv_cdf(
        1 - 1 / (trials * math.e)
    )
    return float(mean_sharpe + math.sqrt(sharpe_variance) * spread)


def deflated_sharpe_ratio(
    returns: Sequence[float] | FloatArray | pd.Series,
    trial_sharpes: Sequence[float] | FloatArray,
    *,
    trials: int | None = None,
) -> DeflatedSharpe:
    """Return the deflated Sharpe ratio of the chosen strategy's per-period `returns`.

    `trial_sharpes` are the per-period Sharpe ratios of every trial of the search (the
    chosen one included; NaN ignored): their variance sets the luck to beat. `trials`
    overrides N, e.g. when the trials searched outnumber those listed. Raises DataError
    for fewer than 3 returns or fewer than 2 finite trial Sharpe ratios.
    """
    values = _finite(returns)
    if len(values) < 3:
        raise DataError("The deflated Sharpe ratio needs at least 3 returns.")
    sharpes = _finite(trial_sharpes)
    if len(sharpes) < 2:
        raise DataError("The deflated Sharpe ratio needs the Sharpe ratios of at least 2 trials.")
    count = trials if trials is not None else len(sharpes)
    sharpe = sharpe_ratio(values)
    skewness, kurtosis = _moments(values)
    benchmark = expected_max_sharpe(count, float(np.var(sharpes, ddof=1)))
    observations = len(values)
    return DeflatedSharpe(
        sharpe=sharpe,
        expected_max_sharpe=benchmark,
        probabilistic_sharpe=probabilistic_sharpe_ratio(
            sharpe, observations=observations, skewness=skewness, kurtosis=kurtosis
        ),
        deflated_sharpe=probabilistic_sharpe_ratio(
            sharpe,
            observations=observations,
            skewness=skewness,
            kurtosis=kurtosis,
            benchmark_sharpe=benchmark,
        ),
        trials=count,
        observations=observations,
        skewness=skewness,
        kurtosis=kurtosis,
    )


def probability_of_backtest_overfitting(
    returns: pd.DataFrame | FloatArray, *, blocks: int = 16
) -> BacktestOverfitting:
    """Return the PBO of the trials whose per-period returns are the columns of `returns`.

    Rows (T observations) are cut into `blocks` equal blocks (an even number; the oldest
    T mod blocks rows are dropped); every choice of half of the blocks is one in-sample
    split, the rest its out-of-sample. The performance measure is the per-period Sharpe
    ratio; a trial without spread on a half scores 0 (±inf when its mean is not 0). NaN
    returns count as 0. Ties in the out-of-sample ranking take the average rank.

    Raises ConfigError for an odd or too small `blocks`, DataError for fewer than two
    trials or fewer than two rows per block.
    """
    matrix = np.nan_to_num(np.asarray(returns, dtype=np.float64), nan=0.0)
    if matrix.ndim != 2 or matrix.shape[1] < 2:
        raise DataError("The PBO needs a returns matrix with at least two trials (columns).")
    if blocks < 2 or blocks % 2:
        raise ConfigError(f"blocks must be an even number >= 2, not {blocks}.")
    rows = matrix.shape[0] // blocks
    if rows < 2:
        raise DataError(
            f"{matrix.shape[0]} observations are too few for {blocks} blocks: use fewer blocks."
        )
    trimmed = matrix[matrix.shape[0] - rows * blocks :]
    sums = trimmed.reshape(blocks, rows, -1).sum(axis=1)
    squares = np.square(trimmed).reshape(blocks, rows, -1).sum(axis=1)
    chosen = np.array(list(itertools.combinations(range(blocks), blocks // 2)), dtype=np.int64)
    membership = np.zeros((len(chosen), blocks))
    np.put_along_axis(membership, chosen, 1.0, axis=1)
    half = rows * blocks // 2
    logits, in_sample, out_sample = [], [], []
    step = max(1, _CHUNK_CELLS // matrix.shape[1])
    for first in range(0, len(membership), step):
        part = membership[first : first + step]
        train = _block_sharpe(part @ sums, part @ squares, half)
        test = _block_sharpe((1 - part) @ sums, (1 - part) @ squares, half)
        winner = np.argmax(np.where(np.isnan(train), -np.inf, train), axis=1)
        picked = np.take_along_axis(test, winner[:, None], axis=1)
        rank = (test < picked).sum(axis=1) + ((test == picked).sum(axis=1) + 1) / 2
        omega = rank / (matrix.shape[1] + 1)
        logits.append(np.log(omega / (1 - omega)))
        in_sample.append(np.take_along_axis(train, winner[:, None], axis=1)[:, 0])
        out_sample.append(picked[:, 0])
    lambdas = np.concatenate(logits)
    out_of_sample = np.concatenate(out_sample)
    return BacktestOverfitting(
        probability=float(np.mean(lambdas < 0)),
        logits=lambdas,
        in_sample=np.concatenate(in_sample),
        out_of_sample=out_of_sample,
        probability_of_loss=float(np.mean(out_of_sample < 0)),
        blocks=blocks,
        trials=matrix.shape[1],
    )


def assess_overfitting(
    returns: pd.DataFrame,
    selected: Any,
    *,
    trial_sharpes: Sequence[float] | FloatArray | None = None,
    trials: int | None = None,
    blocks: int = 16,
) -> OverfittingReport:
    """Return the deflated Sharpe ratio and PBO of column `selected` of the trials' `returns`.

    `returns` is T x N per-period returns, one column per trial of the same symbol and
    period; `selected` the label of the chosen column. `trial_sharpes` (per period) and
    `trials` describe the whole search when it was wider than these columns (several
    symbols); by default they come from `returns`. `blocks` is lowered to fit short series;
    the PBO is None when there are too few observations or a single trial.
    """
    if selected not in returns.columns:
        raise ConfigError(f"{selected!r} is not a column of the returns.")
    sharpes = (
        np.asarray(trial_sharpes, dtype=np.float64)
        if trial_sharpes is not None
        else np.array([sharpe_ratio(returns[c].to_numpy()) for c in returns.columns])
    )
    deflated = deflated_sharpe_ratio(returns[selected].to_numpy(), sharpes, trials=trials)
    pbo = None
    fitting = min(blocks, 2 * (len(returns) // 4))
    if returns.shape[1] >= 2 and fitting >= 2:
        pbo = probability_of_backtest_overfitting(returns, blocks=fitting)
    return OverfittingReport(deflated=deflated, overfitting=pbo, verdict=_verdict(deflated, pbo))


def _verdict(deflated: DeflatedSharpe, pbo: BacktestOverfitting | None) -> str:
    dsr = deflated.deflated_sharpe
    if pbo is not None and pbo.probability > 0.5:
        return (
            f"Likely overfit: the in-sample winner ranks in the bottom half out of sample "
            f"in {pbo.probability:.0%} of the splits."
        )
    if not math.isfinite(dsr) or dsr < 0.95:
        shown = "undefined" if not math.isfinite(dsr) else f"{dsr:.2f}"
        return (
            f"Not significant after {deflated.trials} trials: the deflated Sharpe ratio is "
            f"{shown} (0.95 is the usual bar)."
        )
    return f"Holds up: deflated Sharpe ratio {dsr:.2f} after {deflated.trials} trials" + (
        "." if pbo is None else f", PBO {pbo.probability:.0%}."
    )


def _block_sharpe(sums: FloatArray, squares: FloatArray, count: int) -> FloatArray:
    mean = sums / count
    variance = np.maximum(squares - sums * mean, 0.0) / (count - 1)
    std = np.sqrt(variance)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(std > 0, mean / std, np.sign(mean) * np.inf)
    return np.asarray(np.where((std == 0) & (mean == 0), 0.0, ratio), dtype=np.float64)


def _moments(values: FloatArray) -> tuple[float, float]:
    centred = values - np.mean(values)
    variance = float(np.mean(centred**2))
    if variance <= 0:
        return math.nan, math.nan
    skewness = float(np.mean(centred**3)) / variance**1.5
    kurtosis = float(np.mean(centred**4)) / variance**2
    return skewness, kurtosis


def _finite(values: Any) -> FloatArray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return np.asarray(array[np.isfinite(array)], dtype=np.float64)


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
