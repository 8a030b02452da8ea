"""Skeleton of a market-data provider: copy it to add a source.

A provider implements :class:`vibetrading.services.ports.MarketDataProvider`:

* ``name``: the short name used on the command line (``--provider NAME``).
* ``fetch_bars(symbol, *, timeframe, start, end, progress)``: return
  :class:`~vibetrading.domain.data.FetchedBars` whose ``bars`` satisfy the Bars contract
  (``check_bars``), raw prices, plus ``adj_factor`` when the source gives split and
  dividend data. Call ``progress(fraction, text)`` as pages arrive.
* ``list_symbols()``: what is available without a network call (usually ``[]``).

Errors: translate the library's exceptions exactly once, with ``raise ... from e``:
``UnknownSymbol`` for a symbol the source does not know, ``EmptyData`` for an empty
range, ``TemporaryProviderError`` for timeouts, rate limits, 5xx and a missing network
(name the provider and the cause), ``ProviderError`` for the rest. Never let a library
exception or a stack trace reach the user.
"""

from __future__ import annotations

import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.domain.trading import Symbol
from vibetrading.services.ports import ProgressCallback, SymbolListing

__all__ = ["TemplateProvider"]


class TemplateProvider:
    """A provider that serves nothing; the shape every provider follows."""

    name = "template"

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        raise NotImplementedError

    def list_symbols(self) -> list[SymbolListing]:
        return []
