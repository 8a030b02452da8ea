"""``vibetrading sweep``: try a grid of parameters; show the best, the odds of luck, a heatmap."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from vibetrading.cli.inputs import (
    CashOption,
    DataOption,
    EndOption,
    FeesOption,
    FillModel,
    FillOption,
    SlippageOption,
    StartOption,
    StopLossOption,
    TakeProfitOption,
    read_bars_file,
    read_spec_file,
)

if TYPE_CHECKING:
    import pandas as pd

    from vibetrading.services.sweeps import SweepOutcome

__all__ = ["heatmap_rows", "outcome_json", "parse_values", "sweep"]


class SweepFormat(StrEnum):
    """How ``sweep`` prints its result."""

    table = "table"
    json = "json"


class Crossover(StrEnum):
    """The moving average of a crossover sweep."""

    sma = "sma"
    ema = "ema"


_SHADES = " ░▒▓█"
_COLOURS = ("#d7301f", "#fc8d59", "#fdcc8a", "#d9ef8b", "#91cf60", "#1a9850")
_PERCENT = {"total_return", "cagr", "volatility", "max_drawdown", "win_rate", "exposure"}
_TABLE_METRICS = ("total_return", "cagr", "sharpe", "max_drawdown", "win_rate", "num_trades")
_MAX_VALUES = 10_000


def sweep(
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", help="The idea in words (English or Chinese); sweep --param."),
    ] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="A StrategySpec JSON file.")] = None,
    crossover: Annotated[
        Crossover | None, typer.Option("--crossover", help="Sweep an sma or ema crossover.")
    ] = None,
    fast: Annotated[
        str | None, typer.Option("--fast", help="Fast windows: START:STOP:STEP or 5,10,20.")
    ] = None,
    slow: Annotated[
        str | None, typer.Option("--slow", help="Slow windows: START:STOP:STEP or 50,100,200.")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", help="Spec path=values, e.g. entry.right.value=20:40:5."),
    ] = None,
    symbol: Annotated[
        list[str] | None, typer.Option("--symbol", help="Symbol(s) to sweep; repeat for more.")
    ] = None,
    data: DataOption = None,
    start: StartOption = None,
    end: EndOption = None,
    cash: CashOption = 100_000.0,
    fill: FillOption = FillModel.next_open,
    fees: FeesOption = None,
    slippage: SlippageOption = None,
    stop_loss: StopLossOption = None,
    take_profit: TakeProfitOption = None,
    metric: Annotated[str, typer.Option("--metric", help="Metric to rank by.")] = "sharpe",
    top: Annotated[int, typer.Option("--top", help="Rows of the results table.", min=1)] = 10,
    walk: Annotated[
        str | None,
        typer.Option("--walk-forward", help="TRAIN:TEST window lengths in bars, e.g. 756:252."),
    ] = None,
    output: Annotated[
        SweepFormat, typer.Option("--format", help="table or json.")
    ] = SweepFormat.table,
) -> None:
    """Sweep strategy parameters; show the best, its overfitting odds and a heatmap."""
    from vibetrading.errors import ConfigError
    from vibetrading.services.sweeps import SweepRequest

    if [strategy, spec, crossover].count(None) != 2:
        raise ConfigError(
            "Give exactly one of --strategy TEXT, --spec FILE or --crossover sma|ema."
        )
    request = SweepRequest(
        crossover=None if crossover is None else crossover.value,
        spec=_read_spec(strategy, spec, symbol),
        fast=tuple(int(v) for v in parse_values(fast, "--fast", whole=True)) if fast else (),
        slow=tuple(int(v) for v in parse_values(slow, "--slow", whole=True)) if slow else (),
        grid=_parse_params(param),
        symbols=tuple(symbol or ()),
        bars=read_bars_file(data) if data else None,
        start=start,
        end=end,
        cash=cash,
        fill=fill.value,
        fee_rate=fees,
        slippage_bps=slippage,
        stop_loss=stop_loss,
        take_profit=take_profit,
        metric=metric,
        walk_forward=_parse_walk(walk),
    )
    outcome = _run(request)
    console = Console(highlight=False, soft_wrap=True)
    if output is SweepFormat.json:
        console.file.write(json.dumps(outcome_json(outcome, top=top), indent=2) + "\n")
        return
    console.print(_render(outcome, top=top))


def _read_spec(strategy: str | None, path: Path | None, symbols: list[str] | None) -> Any:
    if path is not None:
        return read_spec_file(path)
    if strategy is None:
        return None
    from vibetrading.services.strategies import strategy_spec

    return strategy_spec(strategy, default_symbol=(symbols or ["SPX"])[0])


def _run(request: Any) -> SweepOutcome:
    from vibetrading.data import service
    from vibetrading.services.sweeps import SweepService

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("sweeping", total=1.0)

        def update(fraction: float, text: str) -> None:
            progress.update(task, completed=fraction, description=text)

        return SweepService(service()).run(request, progress=update)


def parse_values(text: str, option: str, *, whole: bool = False) -> list[float]:
    """Read ``START:STOP:STEP`` (STOP included), ``a,b,c`` or one value into a list.

    Decimal arithmetic keeps ``0.1:0.3:0.1`` exact. Raises ConfigError for anything else,
    a step that is not positive, fractions where `whole` numbers are needed, or more than
    10,000 values.
    """
    from vibetrading.errors import ConfigError

    try:
        if ":" in text:
            first, last, step = (Decimal(p) for p in text.split(":"))
            if step <= 0 or last < first:
                raise ConfigError(f"{option} {text!r}: STEP must be > 0 and STOP >= START.")
            count = int((last - first) / step) + 1
            values = [first + i * step for i in range(min(count, _MAX_VALUES + 1))]
        else:
            values = [Decimal(p) for p in text.split(",") if p.strip()]
    except (InvalidOperation, ValueError) as e:
        raise ConfigError(
            f"{option} {text!r} is not START:STOP:STEP or a comma-separated list."
        ) from e
    if not values or len(values) > _MAX_VALUES:
        raise ConfigError(f"{option} needs between 1 and {_MAX_VALUES:,} values.")
    if whole and any(v != v.to_integral_value() for v in values):
        raise ConfigError(f"{option} takes whole numbers of bars.")
    return [float(v) for v in values]


def _parse_params(items: list[str] | None) -> dict[str, list[Any]] | None:
    from vibetrading.errors import ConfigError

    if not items:
        return None
    grid: dict[str, list[Any]] = {}
    for item in items:
        path, sep, text = item.partition("=")
        if not sep or not path.strip():
            raise ConfigError(
                f"--param {item!r} must be PATH=VALUES, e.g. risk.stop_loss=0.05,0.1."
            )
        values = parse_values(text, f"--param {path}")
        grid[path.strip()] = [int(v) if v.is_integer() and "period" in path else v for v in values]
    return grid


def _parse_walk(text: str | None) -> tuple[int, int] | None:
    from vibetrading.errors import ConfigError

    if text is None:
        return None
    train, sep, test = text.partition(":")
    if not (sep and train.isdigit() and test.isdigit()):
        raise ConfigError(f"--walk-forward {text!r} must be TRAIN:TEST bars, e.g. 756:252.")
    return int(train), int(test)


def _clean(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


def outcome_json(outcome: SweepOutcome, *, top: int = 10) -> dict[str, Any]:
    """Return the JSON document of ``sweep --format json``.

    Keys: ``metric``, ``parameters``, ``backtests``, ``best`` (the best row), ``top``
    (rows), ``overfitting`` (deflated Sharpe, PBO, verdict; null when not computable),
    ``grid`` (the metric over the first two parameters: ``rows``, ``columns``,
    ``values``), ``walk_forward`` (windows and summary, or null), ``settings``,
    ``warnings``.
    """
    result = outcome.result
    document: dict[str, Any] = {
        "metric": outcome.metric,
        "parameters": list(outcome.parameters),
        "backtests": len(result),
        "best": {str(k): _clean(v) for k, v in outcome.best.items()},
        "top": _records(result.top(top, outcome.metric)),
        "overfitting": None if outcome.overfitting is None else outcome.overfitting.to_dict(),
        "grid": None,
        "walk_forward": None,
        "settings": {k: _clean(v) for k, v in result.settings.items() if k != "grid"},
        "warnings": outcome.warnings,
    }
    if len(outcome.parameters) >= 2:
        grid = result.grid(outcome.metric)
        document["grid"] = {
            "rows": {"name": grid.index.name, "values": [_clean(v) for v in grid.index]},
            "columns": {"name": grid.columns.name, "values": [_clean(v) for v in grid.columns]},
            "values": [[_clean(v) for v in row] for row in grid.to_numpy().tolist()],
        }
    walk = outcome.walk_forward
    if walk is not None:
        summary = walk.summary.reset_index()
        document["walk_forward"] = {
            "windows": _records(walk.windows),
            "summary": _records(summary),
            "efficiency": _clean(walk.efficiency),
        }
    return document


def _format(name: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if name in _PERCENT:
        return f"{value:+.2%}" if name in {"total_return", "cagr"} else f"{value:.2%}"
    if name == "num_trades":
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}" if not value.is_integer() else f"{value:,.0f}"
    return str(value)


def heatmap_rows(grid: pd.DataFrame, *, best: tuple[Any, Any] | None = None) -> list[Text]:
    """Return the terminal heatmap of `grid` (rows x columns of a metric), one Text a row.

    Each cell is two characters: a shade from light to full block and a colour from red
    (lowest) to green (highest), so it reads without colour too. Missing cells are blank;
    the `best` (row value, column value) cell is marked ◆◆.
    """
    values = grid.to_numpy(dtype=float)
    finite = values[~(values != values)]  # drop NaN without numpy's nan helpers
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = (high - low) or 1.0
    label_width = max(len(_compact(v)) for v in grid.index) + 1
    rows = [Text(" " * label_width + _column_labels(grid.columns), style="dim")]
    for label, line in zip(grid.index, values, strict=True):
        text = Text(f"{_compact(label):>{label_width - 1}} ", style="dim")
        for column, value in zip(grid.columns, line, strict=True):
            if value != value:  # NaN: a pair that was not tried
                text.append("  ")
                continue
            level = (value - low) / span
            colour = _COLOURS[min(int(level * len(_COLOURS)), len(_COLOURS) - 1)]
            shade = _SHADES[1 + min(int(level * (len(_SHADES) - 1)), len(_SHADES) - 2)]
            is_best = best is not None and (label, column) == best
            text.append("◆◆" if is_best else shade * 2, style=f"bold {colour}")
        rows.append(text)
    return rows


def _column_labels(columns: Any) -> str:
    # A label every `stride` columns, each starting over its two-character cell, with
    # room for the longest label and a space.
    labels = [_compact(value) for value in columns]
    stride = max(1, math.ceil((max(map(len, labels), default=1) + 1) / 2))
    return "".join(
        f"{label:<{2 * stride}}" for position, label in enumerate(labels) if position % stride == 0
    ).rstrip()


def _compact(value: Any) -> str:
    # 60.0 -> "60", 0.05 -> "0.05": a grid axis label as short as it reads
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _render(outcome: SweepOutcome, *, top: int) -> Group:
    result = outcome.result
    metric = outcome.metric
    parameters = list(outcome.parameters)
    multi = len(result.symbols) > 1
    table = Table(title=f"top {top} of {len(result):,} backtests by {metric}", box=None)
    table.add_column("#", justify="right", style="dim")
    for name in (["symbol"] if multi else []) + parameters:
        table.add_column(name.replace(".params.", "."), justify="right")
    for name in _TABLE_METRICS:
        table.add_column(name.replace("_", " "), justify="right")
    for rank, (_, row) in enumerate(result.top(top, metric).iterrows(), start=1):
        cells = [str(rank)] + ([str(row["symbol"])] if multi else [])
        cells += [_format(p, row[p]) for p in parameters]
        cells += [_format(name, row[name]) for name in _TABLE_METRICS]
        table.add_row(*cells)
    parts: list[Any] = [table, Text(""), _overfitting_panel(outcome)]
    if len(parameters) >= 2:
        parts += [Text(""), _heatmap_panel(outcome)]
    if outcome.walk_forward is not None:
        parts += [Text(""), _walk_forward_table(outcome)]
    for line in outcome.warnings:
        parts.append(Text(f"note: {line}", style="yellow"))
    return Group(*parts)


def _overfitting_panel(outcome: SweepOutcome) -> Panel:
    best = outcome.best
    names = ", ".join(f"{p} {_format(p, best[p])}" for p in outcome.parameters)
    lines = [
        Text.assemble(
            ("best ", "dim"),
            (f"{best['symbol']} {names}", "bold"),
            (f"  {outcome.metric} {_format(outcome.metric, best[outcome.metric])}", ""),
        )
    ]
    report = outcome.overfitting
    if report is None:
        lines.append(Text("overfitting figures unavailable (too little data)", style="dim"))
    else:
        figures = report.to_dict()
        pbo = figures["pbo"]
        lines.append(
            Text.assemble(
                ("deflated Sharpe ", "dim"),
                (_probability(figures["deflated_sharpe"]), "bold"),
                ("   PBO ", "dim"),
                (_probability(pbo), "bold"),
                (
                    f"   trials {figures['trials']:,}   observations {figures['observations']:,}",
                    "dim",
                ),
            )
        )
        holds = report.verdict.startswith("Holds up")
        lines.append(Text(report.verdict, style="green" if holds else "yellow"))
    return Panel(Group(*lines), title="best parameters and the odds of luck", expand=False)


def _probability(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _heatmap_panel(outcome: SweepOutcome) -> Panel:
    result = outcome.result
    grid = result.grid(outcome.metric)
    rows_name, columns_name = grid.index.name, grid.columns.name
    best = outcome.best
    marked = (best[rows_name], best[columns_name]) if len(result.symbols) == 1 else None
    finite = grid.stack()
    legend = Text.assemble(
        (f"{outcome.metric}: ", "dim"),
        *[(_SHADES[i] * 2, f"bold {_COLOURS[min(i * 2 - 1, 5)]}") for i in range(1, 5)],
        (
            f"  {_format(outcome.metric, finite.min())} → {_format(outcome.metric, finite.max())}",
            "dim",
        ),
        ("   ◆◆ best" if marked else "   averaged over symbols", "dim"),
    )
    title = f"{outcome.metric} by {rows_name} (rows) x {columns_name} (columns)"
    return Panel(
        Group(*heatmap_rows(grid, best=marked), Text(""), legend), title=title, expand=False
    )


def _walk_forward_table(outcome: SweepOutcome) -> Group:
    walk = outcome.walk_forward
    if walk is None:
        return Group()
    windows = Table(title=f"walk-forward ({len(walk.windows)} windows)", box=None)
    for name in ("train", "test", "fast", "slow", "in sample", "out of sample", "return"):
        windows.add_column(name, justify="left" if name in {"train", "test"} else "right")
    for _, row in walk.windows.iterrows():
        windows.add_row(
            f"{str(row['train_start'])[:10]} → {str(row['train_end'])[:10]}",
            f"{str(row['test_start'])[:10]} → {str(row['test_end'])[:10]}",
            _format("fast", row["fast"]),
            _format("slow", row["slow"]),
            _format(walk.metric, row["in_sample"]),
            _format(walk.metric, row["out_of_sample"]),
            _format("total_return", row["total_return"]),
        )
    summary = Table(title="in sample vs out of sample", box=None)
    for name in ("metric", "in sample", "out of sample", "stitched"):
        summary.add_column(name, justify="left" if name == "metric" else "right")
    for name, row in walk.summary.iterrows():
        summary.add_row(
            str(name).replace("_", " "),
            *(_format(str(name), row[c]) for c in ("in_sample", "out_of_sample", "stitched")),
        )
    efficiency = walk.efficiency
    note = Text(
        f"walk-forward efficiency (out / in sample {walk.metric}): "
        + ("—" if not math.isfinite(efficiency) else f"{efficiency:.2f}"),
        style="dim",
    )
    return Group(windows, Text(""), summary, note)
