"""The venue's taker fee schedule: what a taker fill costs, exactly as the chain charges it.

Since the venue's 2026 upgrade a taker pays `shares * rate * (p * (1 - p)) ** exponent`, floored
to 0.00001 dollar, in collateral on both sides (a buy pays notional plus fee, a sell receives
notional less fee); makers pay nothing. The rate and exponent are set per market. The venue's
trade records do not say reliably what was charged, so the caller's fee stays the fact: the
schedule is for paper trading and for checking a fee the venue reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from weatherman_inventory.errors import InvalidInput

__all__ = ["FEE_STEP_MICRO", "WEATHER_FEES", "FeeSchedule"]

MICRO: Final = 1_000_000
FEE_STEP_MICRO: Final = 10
"""Fees are floored to 0.00001 dollar: 10 micro-dollars."""


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """One market's taker fee: `rate` (e.g. 0.05 for weather markets) and `exponent` (1 today).

    Quantities are micro-shares and prices micro-dollars per share, the ledger's units.
    """

    rate: Decimal
    exponent: int = 1

    def __post_init__(self) -> None:
        rate = self.rate
        if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= 1:
            raise InvalidInput("rate", rate, "a Decimal between 0 and 1 is required")
        if type(self.exponent) is not int or not 0 <= self.exponent <= 4:
            raise InvalidInput("exponent", self.exponent, "an int between 0 and 4 is required")

    def taker_fee_micro(self, shares_micro: int, price_micro: int) -> int:
        """The fee, in micro-dollars, of a taker fill of `shares_micro` at `price_micro`.

        Exact rational arithmetic, then floored to a multiple of 10 micro-dollars (0.00001
        dollar), as the chain rounds: 1.219511 shares at 0.82 and rate 0.07 pay 0.01259.
        """
        if type(shares_micro) is not int or shares_micro < 0:
            raise InvalidInput("shares_micro", shares_micro, "an int >= 0 is required")
        if type(price_micro) is not int or not 0 <= price_micro <= MICRO:
            raise InvalidInput("price_micro", price_micro, "an int in 0..1_000_000 is required")
        p = Fraction(price_micro, MICRO)
        fee_dollars = (
            Fraction(shares_micro, MICRO) * Fraction(self.rate) * (p * (1 - p)) ** self.exponent
        )
        steps = fee_dollars * (MICRO // FEE_STEP_MICRO)  # in units of 0.00001 dollar
        return (steps.numerator // steps.denominator) * FEE_STEP_MICRO

    @staticmethod
    def maker_fee_micro(shares_micro: int, price_micro: int) -> int:
        """Makers pay nothing, whatever the trade record's `fee_rate_bps` says."""
        del shares_micro, price_micro
        return 0


WEATHER_FEES: Final = FeeSchedule(Decimal("0.05"), 1)
"""The schedule of the venue's weather markets at the time of writing (rate 0.05, exponent 1)."""
