"""Reusable UI pieces: charts, metric cards, the trade table, strategy cards, progress."""

__all__: list[str] = []
