"""Symbols: normalise what people type into one canonical code that knows its market.

Canonical forms: ``AAPL`` (US), ``0700.HK`` (Hong Kong), ``600519.SH`` / ``000001.SZ``
(China A-shares), ``BTC/USDT`` (crypto), ``EURUSD`` (FX), and the bundled index samples
``SPX``, ``IXIC`` and ``VIX``.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vibetrading.domain.trading.costs import CostModel
from vibetrading.domain.trading.markets import (
    AssetClass,
    Market,
    MarketRules,
    get_calendar,
    market_rules,
)
from vibetrading.errors import UnknownSymbol

__all__ = ["KNOWN_INSTRUMENTS", "Instrument", "Symbol", "parse_symbol"]


class Instrument(BaseModel):
    """A well-known instrument: its canonical code, names in English and Chinese, board lot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    names: tuple[str, ...]
    lot_size: float | None = None


def _inst(code: str, *names: str, lot: float | None = None) -> Instrument:
    return Instrument(code=code, names=names, lot_size=lot)


KNOWN_INSTRUMENTS: tuple[Instrument, ...] = (
    _inst("SPX", "S&P 500", "SP500", "S&P500", "^GSPC", "标普", "标普500", "标普五百"),
    _inst("IXIC", "NASDAQ Composite", "NASDAQ", "^IXIC", "纳斯达克", "纳指"),
    _inst("VIX", "CBOE Volatility Index", "^VIX", "恐慌指数"),
    _inst("EURUSD", "EUR/USD", "euro dollar", "欧元美元"),
    _inst("AAPL", "Apple", "苹果"),
    _inst("MSFT", "Microsoft", "微软"),
    _inst("GOOG", "Alphabet", "Google", "谷歌"),
    _inst("AMZN", "Amazon", "亚马逊"),
    _inst("TSLA", "Tesla", "特斯拉"),
    _inst("NVDA", "NVIDIA", "英伟达"),
    _inst("META", "Meta", "Facebook", "脸书"),
    _inst("0700.HK", "Tencent", "腾讯", "腾讯控股", lot=100),
    _inst("9988.HK", "Alibaba", "阿里巴巴", "阿里", lot=100),
    _inst("3690.HK", "Meituan", "美团", lot=100),
    _inst("1810.HK", "Xiaomi", "小米", "小米集团", lot=200),
    _inst("0005.HK", "HSBC", "汇丰", "汇丰控股", lot=400),
    _inst("0941.HK", "China Mobile", "中国移动", lot=500),
    _inst("0388.HK", "HKEX", "香港交易所", "港交所", lot=100),
    _inst("1299.HK", "AIA", "友邦", "友邦保险", lot=200),
    _inst("2800.HK", "Tracker Fund", "盈富基金", lot=500),
    _inst("600519.SH", "Kweichow Moutai", "Moutai", "茅台", "贵州茅台"),
    _inst("601318.SH", "Ping An Insurance", "中国平安"),
    _inst("600036.SH", "China Merchants Bank", "招商银行", "招行"),
    _inst("000001.SZ", "Ping An Bank", "平安银行"),
    _inst("000858.SZ", "Wuliangye", "五粮液"),
    _inst("300750.SZ", "CATL", "宁德时代"),
    _inst("BTC/USDT", "Bitcoin", "比特币"),
    _inst("ETH/USDT", "Ethereum", "以太坊"),
    _inst("SOL/USDT", "Solana"),
    _inst("BTC/USD", "Bitcoin in US dollars"),
)
_INDEX_CODES = {"SPX", "IXIC", "VIX"}
_FX_CURRENCIES = {"EUR", "USD", "JPY", "GBP", "CHF", "AUD", "CAD", "NZD", "CNH", "HKD"}
_CRYPTO_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "USD", "EUR", "BTC", "ETH")
_CRYPTO_BASES = {
    "BTC",
    "ETH",
    "SOL",
    "BNB",
    "XRP",
    "DOGE",
    "ADA",
    "TRX",
    "LTC",
    "DOT",
    "AVAX",
    "LINK",
    "TON",
    "SHIB",
    "MATIC",
    "BCH",
    "UNI",
    "ATOM",
    "OKB",
}


class Symbol(BaseModel):
    """A tradable instrument: canonical code, market and everything its market implies.

    Build one with :meth:`Symbol.parse`, which accepts what people type::

        >>> Symbol.parse("sh600519").code
        '600519.SH'
        >>> Symbol.parse("700.HK").lot_size
        100.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="Canonical code, e.g. AAPL, 0700.HK, 600519.SH, BTC/USDT.")
    market: Market
    asset_class: AssetClass
    name: str | None = Field(default=None, description="Display name when known.")
    lot_size: float = Field(description="Units per board lot for buys.")
    currency: str = Field(description="Quote currency.")

    @classmethod
    def parse(cls, text: str) -> Symbol:
        """Normalise `text` into a Symbol, or raise UnknownSymbol with close matches."""
        return parse_symbol(text)

    @property
    def rules(self) -> MarketRules:
        """Return the market's rules with this symbol's lot size and currency."""
        return market_rules(self.market).model_copy(
            update={"lot_size": self.lot_size, "currency": self.currency}
        )

    @property
    def timezone(self) -> str:
        """Return the IANA timezone in which the exchange shows times."""
        return self.rules.timezone

    @property
    def calendar_name(self) -> str:
        """Return the exchange-calendars name of the symbol's trading calendar."""
        return self.rules.calendar_name

    @property
    def calendar(self) -> Any:
        """Return the exchange-calendars calendar of the symbol's market."""
        return get_calendar(self.calendar_name)

    @property
    def costs(self) -> CostModel:
        """Return the market's default cost model."""
        return self.rules.costs

    @property
    def is_continuous(self) -> bool:
        """Return True where the market trades around the clock (crypto)."""
        return self.calendar_name == "24/7"

    @classmethod
    def generic(cls, name: str) -> Symbol:
        """Return a symbol for a user's own series: no market rules, whole units, no costs."""
        code = name.strip().upper()
        if not code or any(c in code for c in '\\:*?"<>|') or ".." in code:
            raise UnknownSymbol(
                f"{name!r} cannot name a series: use letters, digits, '.', '-', '/'."
            )
        return cls(
            code=code,
            market=Market.GENERIC,
            asset_class=AssetClass.OTHER,
            lot_size=1,
            currency="USD",
        )

    def __str__(self) -> str:
        return self.code


def _by_name() -> dict[str, Instrument]:
    table: dict[str, Instrument] = {}
    for instrument in KNOWN_INSTRUMENTS:
        for key in (instrument.code, *instrument.names):
            table.setdefault(key.casefold(), instrument)
    return table


_NAMES = _by_name()


def _make(
    code: str, market: Market, asset_class: AssetClass, currency: str | None = None
) -> Symbol:
    known = _NAMES.get(code.casefold())
    rules = market_rules(market)
    lot = known.lot_size if known and known.lot_size else rules.lot_size
    name = known.names[0] if known and known.code == code else None
    return Symbol(
        code=code,
        market=market,
        asset_class=asset_class,
        name=name,
        lot_size=lot,
        currency=currency or rules.currency,
    )


def _crypto(base: str, quote: str) -> Symbol:
    return _make(f"{base}/{quote}", Market.CRYPTO, AssetClass.CRYPTO, currency=quote)


def _split_crypto(text: str) -> tuple[str, str] | None:
    upper = text.upper()
    for separator in ("/", "-", "_", ":"):
        if separator in upper:
            base, _, quote = upper.partition(separator)
            if (
                base.isalnum()
                and quote.isalnum()
                and (base in _CRYPTO_BASES or quote in _CRYPTO_QUOTES)
            ):
                return base, quote
    for quote in _CRYPTO_QUOTES:
        base = upper.removesuffix(quote)
        if base != upper and base in _CRYPTO_BASES:
            return base, quote
    return None


def _china(digits: str, text: str) -> Symbol:
    if digits[0] in "69":
        market = Market.SH
    elif digits[0] in "023":
        market = Market.SZ
    else:
        raise UnknownSymbol(
            f"{text!r} looks like a Beijing Stock Exchange code, which VibeTrading does not serve."
        )
    return _make(f"{digits}.{market.value}", market, AssetClass.EQUITY)


def _hong_kong(digits: str) -> Symbol:
    number = int(digits)
    if not 0 < number < 100_000:
        raise UnknownSymbol(f"{digits!r} is not a Hong Kong stock code (1 to 99999).")
    return _make(f"{number:04d}.HK", Market.HK, AssetClass.EQUITY)


_A_SHARE_PREFIX = re.compile(r"^(SH|SZ)(\d{6})$")
_SUFFIXED = re.compile(r"^([A-Z0-9]+(?:[.-][A-Z])?)\.(US|HK|SS|SH|SZ)$")
_US_TICKER = re.compile(r"^[A-Z]{1,5}([.-][A-Z])?$")
_FX_PAIR = re.compile(r"^([A-Z]{3})[/-]?([A-Z]{3})$")


def _parse_exchange_code(upper: str, text: str) -> Symbol | None:
    if match := _A_SHARE_PREFIX.match(upper):
        prefix, digits = match.groups()
        return _make(f"{digits}.{prefix}", Market(prefix), AssetClass.EQUITY)
    if match := _SUFFIXED.match(upper):
        body, suffix = match.groups()
        if suffix == "US" and _US_TICKER.match(body):
            return _parse_plain(body, text)
        if suffix == "HK" and body.isdigit():
            return _hong_kong(body)
        if suffix in {"SS", "SH", "SZ"} and body.isdigit() and len(body) == 6:
            market = Market.SZ if suffix == "SZ" else Market.SH
            return _make(f"{body}.{market.value}", market, AssetClass.EQUITY)
    if upper.isdigit():
        return (
            _china(upper, text)
            if len(upper) == 6
            else _hong_kong(upper)
            if len(upper) <= 5
            else None
        )
    return None


def _parse_plain(upper: str, text: str) -> Symbol | None:
    if upper in _INDEX_CODES:
        return _make(upper, Market.US, AssetClass.INDEX)
    if len(upper) == 6 and upper[:3] in _FX_CURRENCIES and upper[3:] in _FX_CURRENCIES:
        return _make(upper, Market.FX, AssetClass.FX, currency=upper[3:])
    if upper in _CRYPTO_BASES:
        raise UnknownSymbol(
            f"{text!r} is ambiguous: a crypto asset needs a quote currency.",
            suggestions=[f"{upper}/USDT", f"{upper}/USD"],
        )
    if _US_TICKER.match(upper):
        return _make(upper.replace("-", "."), Market.US, AssetClass.EQUITY)
    return None


def parse_symbol(text: str) -> Symbol:
    """Normalise `text` into a Symbol.

    Accepts canonical codes and the usual spellings: ``aapl``, ``AAPL.US``, ``700.HK``,
    ``600519.SS``, ``sh600519``, ``600519``, ``BTC-USD``, ``btcusdt``, and well-known names
    such as ``Apple`` or ``腾讯``. Raises UnknownSymbol, with what was understood and close
    matches, for anything else.
    """
    cleaned = text.strip()
    if not cleaned:
        raise UnknownSymbol("An empty symbol was given.", suggestions=["SPX", "AAPL", "0700.HK"])
    known = _NAMES.get(cleaned.casefold())
    if known is not None:
        cleaned = known.code
    upper = cleaned.upper().replace(" ", "")
    if upper.startswith("^"):
        upper = upper[1:]
    if (match := _FX_PAIR.match(upper)) and {match[1], match[2]} <= _FX_CURRENCIES:
        upper = match[1] + match[2]
    elif (pair := _split_crypto(upper)) is not None:
        return _crypto(*pair)
    symbol = _parse_exchange_code(upper, text) or _parse_plain(upper, text)
    if symbol is not None:
        return symbol
    raise UnknownSymbol(
        f"Could not read {text!r} as a symbol: expected a US ticker (AAPL), a Hong Kong code "
        "(0700.HK), an A-share code (600519.SH) or a crypto pair (BTC/USDT).",
        suggestions=close_matches(text),
    )


def close_matches(text: str, candidates: list[str] | None = None, *, limit: int = 3) -> list[str]:
    """Return up to `limit` canonical codes whose code or name is close to `text`."""
    if candidates is not None:
        pool = {c.casefold(): c for c in candidates}
    else:
        pool = {key: instrument.code for key, instrument in _NAMES.items()}
    words = text.strip().casefold()
    matches: list[str] = []
    for probe in (words, *words.split()):
        matches += difflib.get_close_matches(probe, list(pool), n=limit * 3, cutoff=0.6)
    return list(dict.fromkeys(pool[m] for m in matches))[:limit]
