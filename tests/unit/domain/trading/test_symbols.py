import pytest

from vibetrading.domain.trading import AssetClass, Market, Symbol, parse_symbol
from vibetrading.errors import UnknownSymbol


@pytest.mark.parametrize(
    ("text", "code", "market"),
    [
        ("aapl", "AAPL", Market.US),
        ("AAPL.US", "AAPL", Market.US),
        ("700.HK", "0700.HK", Market.HK),
        ("0700.HK", "0700.HK", Market.HK),
        ("09988.HK", "9988.HK", Market.HK),
        ("600519.SS", "600519.SH", Market.SH),
        ("sh600519", "600519.SH", Market.SH),
        ("600519", "600519.SH", Market.SH),
        ("000001.SZ", "000001.SZ", Market.SZ),
        ("sz300750", "300750.SZ", Market.SZ),
        ("BTC-USD", "BTC/USD", Market.CRYPTO),
        ("btcusdt", "BTC/USDT", Market.CRYPTO),
        ("BTC/USDT", "BTC/USDT", Market.CRYPTO),
        ("eth_usdt", "ETH/USDT", Market.CRYPTO),
        ("EURUSD", "EURUSD", Market.FX),
        ("EUR/USD", "EURUSD", Market.FX),
        ("SPX", "SPX", Market.US),
        ("^GSPC", "SPX", Market.US),
        ("BRK.B", "BRK.B", Market.US),
        ("Tencent", "0700.HK", Market.HK),
        ("茅台", "600519.SH", Market.SH),
        ("比特币", "BTC/USDT", Market.CRYPTO),
        ("  Apple ", "AAPL", Market.US),
    ],
    ids=lambda v: str(v),
)
def test_parse_symbol_common_spellings_normalised(text, code, market):
    symbol = parse_symbol(text)

    assert symbol.code == code
    assert symbol.market is market


def test_symbol_market_facts_a_share_follow_market_rules():
    symbol = Symbol.parse("600519")

    assert symbol.currency == "CNY"
    assert symbol.timezone == "Asia/Shanghai"
    assert symbol.calendar_name == "XSHG"
    assert symbol.lot_size == 100
    assert symbol.rules.t_plus == 1
    assert symbol.rules.price_limit_rate == pytest.approx(0.10)
    assert not symbol.rules.allows_shorting
    assert symbol.costs.stamp_duty_sell_rate > 0
    assert symbol.costs.stamp_duty_buy_rate == 0


def test_symbol_hong_kong_board_lot_per_symbol():
    assert Symbol.parse("0005.HK").lot_size == 400
    assert Symbol.parse("1810.HK").lot_size == 200
    assert Symbol.parse("0700.HK").lot_size == 100


def test_symbol_crypto_trades_around_the_clock():
    symbol = Symbol.parse("btcusdt")

    assert symbol.is_continuous
    assert symbol.currency == "USDT"
    assert symbol.rules.annualisation == 365


def test_symbol_index_sample_is_index():
    assert Symbol.parse("SPX").asset_class is AssetClass.INDEX


def test_parse_symbol_bare_crypto_base_ambiguous_with_suggestions():
    with pytest.raises(UnknownSymbol, match="ambiguous") as info:
        parse_symbol("BTC")

    assert info.value.suggestions == ["BTC/USDT", "BTC/USD"]


def test_parse_symbol_typo_offers_close_match():
    with pytest.raises(UnknownSymbol) as info:
        parse_symbol("Appel Inc")

    assert "AAPL" in info.value.suggestions
    assert "US ticker" in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "830799", "123456789", "x$y", "99999999.HK"])
def test_parse_symbol_invalid_input_raises_unknown_symbol(text):
    with pytest.raises(UnknownSymbol):
        parse_symbol(text)


def test_symbol_generic_accepts_own_names_without_rules():
    symbol = Symbol.generic("my series")

    assert symbol.code == "MY SERIES"
    assert symbol.market is Market.GENERIC
    assert symbol.costs.total(10_000, 10, is_buy=True) == 0


def test_symbol_generic_refuses_path_like_names():
    with pytest.raises(UnknownSymbol):
        Symbol.generic("../etc")
