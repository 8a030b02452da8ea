"""What several commands read from the command line: shared options and input files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = [
    "CashOption",
    "DataOption",
    "EndOption",
    "FeesOption",
    "FillModel",
    "FillOption",
    "SlippageOption",
    "StartOption",
    "StopLossOption",
    "TakeProfitOption",
    "TrailingStopOption",
    "read_bars_file",
    "read_code_file",
    "read_signals_file",
    "read_spec_file",
]


class FillModel(StrEnum):
    """When orders fill."""

    next_open = "next_open"
    close = "close"


DataOption = Annotated[
    Path | None, typer.Option("--data", help="A bars CSV, traded as a generic instrument.")
]
StartOption = Annotated[
    str | None, typer.Option("--start", help="First date, YYYY-MM-DD (inclusive).")
]
EndOption = Annotated[str | None, typer.Option("--end", help="Last date, YYYY-MM-DD (inclusive).")]
CashOption = Annotated[float, typer.Option("--cash", help="Starting cash.")]
FillOption = Annotated[FillModel, typer.Option("--fill", help="next_open or close.")]
FeesOption = Annotated[
    float | None, typer.Option("--fees", help="Commission as a fraction of notional.")
]
SlippageOption = Annotated[float | None, typer.Option("--slippage", help="Slippage in bps.")]
StopLossOption = Annotated[float | None, typer.Option("--stop-loss", help="Fraction, e.g. 0.05.")]
TakeProfitOption = Annotated[
    float | None, typer.Option("--take-profit", help="Fraction, e.g. 0.10.")
]
TrailingStopOption = Annotated[
    float | None, typer.Option("--trailing-stop", help="Fraction, e.g. 0.08.")
]


def read_spec_file(path: Path) -> Any:
    """Read a StrategySpec JSON file (``strategy parse --format json`` output works)."""
    from vibetrading.domain.strategy import load_spec
    from vibetrading.errors import NotFound

    if not path.is_file():
        raise NotFound(f"No such file: {path}")
    return load_spec(path.read_text(encoding="utf-8"))


def read_code_file(path: Path) -> str:
    """Read a code strategy's Python source (UTF-8); refuse missing or oversized files."""
    from vibetrading.errors import NotFound, SandboxViolation

    if not path.is_file():
        raise NotFound(f"No such file: {path}")
    if path.stat().st_size > 200_000:
        raise SandboxViolation(f"{path.name} is larger than 200 kB; keep strategies short.")
    return path.read_text(encoding="utf-8", errors="replace")


def read_signals_file(path: Path) -> Any:
    """Read a ``timestamp,entry,exit`` CSV of 0/1 values."""
    from vibetrading.adapters.providers.files import read_signal_file

    return read_signal_file(path)


def read_bars_file(path: Path) -> Any:
    """Read and clean a bars CSV or Parquet file as a generic instrument."""
    import pandas as pd

    from vibetrading.adapters.providers.files import read_bar_file
    from vibetrading.domain.data import clean_bars
    from vibetrading.domain.data.resample import infer_timeframe

    frame, _ = read_bar_file(path)
    timeframe = infer_timeframe(pd.DatetimeIndex(frame.index).dropna().unique().sort_values())
    bars, _ = clean_bars(frame, timeframe=timeframe)
    bars.attrs.update(symbol="DATA", timeframe=timeframe.value, source=f"csv:{path.name}")
    return bars
