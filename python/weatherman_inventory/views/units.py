"""Ledger units (micro-USDC, micro-shares) spelled the way a person reads them.

Every function is exact: it formats an integer of micro-units (or a Decimal) without going
through a float. Dollars keep at least two decimals and at most six (the ledger's precision),
shares as many decimals as they have, prices in cents per share.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from weatherman_inventory.events import MICRO

__all__ = ["cents", "dollars", "epoch_micros", "shares", "utc_time"]

_CENT_MICRO: Final = MICRO // 100
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _trimmed(value: Decimal, keep: int) -> str:
    """`value` in plain notation with trailing zeros removed, keeping at least `keep`
    decimals."""
    text = f"{value:f}"
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac.ljust(keep, "0")
        text = f"{whole}.{frac}" if frac else whole
    elif keep:
        text = f"{text}.{'0' * keep}"
    return text


def _grouped(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = f"{int(whole):,}"
    return sign + whole + (f".{frac}" if frac else "")


def dollars(micro: int | Decimal) -> str:
    """Micro-USDC as dollars: `$1,234.50`, `-$0.000001` (an amount beyond six decimals, such
    as an unrealised PnL, is shown to the micro-dollar, half to even)."""
    value = Decimal(micro) / MICRO
    value = value.quantize(Decimal("0.000001"))
    text = _grouped(_trimmed(value, 2))
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def shares(micro: int) -> str:
    """Micro-shares as shares: `10`, `2.5`, `0.000001`."""
    return _grouped(_trimmed(Decimal(micro) / MICRO, 0))


def cents(micro: int | None) -> str:
    """A price in micro-USDC per share as cents: `40¢`, `40.5¢`; `-` for none."""
    if micro is None:
        return "-"
    return f"{_trimmed(Decimal(micro) / _CENT_MICRO, 0)}¢"


def utc_time(recorded_at_us: int) -> str:
    """Microseconds since the epoch as UTC to the millisecond: `2026-12-01 14:03:05.123Z`."""
    moment = datetime.fromtimestamp((recorded_at_us // 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_micros(moment: datetime) -> int:
    """An aware time as the journal's `recorded_at`: microseconds since the epoch, exact (a
    float timestamp would round 14:00:05.999999 up to the next second)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)
