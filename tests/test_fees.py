"""The venue's taker fee schedule against fills the chain charged."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weatherman_inventory.errors import InvalidInput
from weatherman_inventory.venue import WEATHER_FEES, FeeSchedule


@pytest.mark.parametrize(
    ("shares_micro", "price_micro", "rate", "exponent", "fee_micro"),
    [
        # 1.219511 shares at 0.82, rate 0.07: 0.0125999... floored to 0.01259.
        (1_219_511, 820_000, "0.07", 1, 12_590),
        # 7.575758 shares at 0.66, rate 0.05 (a $5 market buy): 0.085000.
        (7_575_758, 660_000, "0.05", 1, 85_000),
        # 25 shares at 0.13, rate 0.05: 0.141375 floored to 0.14137.
        (25_000_000, 130_000, "0.05", 1, 141_370),
        # Early-2026 short crypto markets: rate 0.25, exponent 2.
        (10_000_000, 500_000, "0.25", 2, 156_250),
        # A fee under 0.00001 dollar is 0.
        (1, 500_000, "0.05", 1, 0),
        # Prices at the ends pay nothing: p * (1 - p) is 0.
        (100_000_000, 1_000_000, "0.05", 1, 0),
        (100_000_000, 0, "0.05", 1, 0),
        # Geopolitics markets: rate 0.
        (100_000_000, 500_000, "0", 1, 0),
    ],
)
def test_taker_fee_matches_the_chain(
    shares_micro: int, price_micro: int, rate: str, exponent: int, fee_micro: int
) -> None:
    schedule = FeeSchedule(Decimal(rate), exponent)
    assert schedule.taker_fee_micro(shares_micro, price_micro) == fee_micro


def test_makers_pay_nothing() -> None:
    assert WEATHER_FEES.maker_fee_micro(7_575_758, 660_000) == 0


@given(
    shares=st.integers(0, 10**15 - 1),
    price=st.integers(0, 1_000_000),
    rate=st.decimals(min_value=0, max_value=1, places=4),
)
def test_fee_is_the_exact_formula_floored_to_ten_micro(
    shares: int, price: int, rate: Decimal
) -> None:
    fee = FeeSchedule(rate).taker_fee_micro(shares, price)
    p = Fraction(price, 1_000_000)
    exact_micro = Fraction(shares) * Fraction(rate) * p * (1 - p)
    assert fee % 10 == 0
    assert fee <= exact_micro < fee + 10


@pytest.mark.parametrize(
    ("rate", "exponent", "field"),
    [(Decimal("-0.01"), 1, "rate"), (Decimal("NaN"), 1, "rate"), (Decimal("0.05"), -1, "exponent")],
)
def test_a_malformed_schedule_is_refused(rate: Decimal, exponent: int, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        FeeSchedule(rate, exponent)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("shares", "price", "field"),
    [(-1, 500_000, "shares_micro"), (1, 1_000_001, "price_micro"), (True, 1, "shares_micro")],
)
def test_a_malformed_fill_is_refused(shares: int, price: int, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        WEATHER_FEES.taker_fee_micro(shares, price)
    assert info.value.field == field
