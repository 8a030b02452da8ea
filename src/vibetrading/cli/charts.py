"""Terminal charts: a price line drawn with block characters, for Rich output."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["line_chart"]

_BLOCKS = " ▁▂▃▄▅▆▇█"


def line_chart(values: Sequence[float], *, width: int = 72, height: int = 8) -> list[str]:
    """Return `height` text rows drawing `values` as a filled area chart `width` columns wide.

    The series is resampled to `width` points (last value per column, or stretched when
    shorter); NaNs are skipped.
    """
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    if len(data) == 0 or width < 1 or height < 1:
        return []
    if len(data) >= width:
        edges = np.linspace(0, len(data), num=width + 1).astype(int)
        points = data[np.maximum(edges[1:] - 1, 0)]
    else:  # stretch a short series over the full width
        points = data[(np.arange(width) * len(data)) // width]
    low, high = float(points.min()), float(points.max())
    span = high - low or 1.0
    levels = 1 + (points - low) / span * (height * 8 - 1)  # eighths of a row; the low shows
    rows = []
    for row in range(height - 1, -1, -1):
        fill = np.clip(levels - row * 8, 0, 8).round().astype(int)
        rows.append("".join(_BLOCKS[f] for f in fill))
    return rows
