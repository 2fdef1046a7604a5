"""Numbers as published: exact half-up rounding, rounding to the nearest 10, number text and
percentiles. The one implementation: the formatter and the checks both use it."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import accumulate

import numpy as np

def round_half_up(value: int | Fraction | float, dp: int = 0) -> Decimal:
    """Round half-up exactly (floats, NumPy's included, go through their shortest repr)."""
    if isinstance(value, Fraction):
        scaled = value * (10 ** dp)
        q, r = divmod(scaled.numerator, scaled.denominator)
        if 2 * r >= scaled.denominator:
            q += 1
        return Decimal(q).scaleb(-dp)
    if isinstance(value, (float, np.floating)):
        exact = Decimal(repr(float(value)))  # shortest repr, also for NumPy floats
    elif isinstance(value, np.integer):
        exact = Decimal(int(value))
    else:
        exact = Decimal(value)
    return exact.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def round_to_10(n: int) -> int:
    """Nearest 10, halves up: 399505 -> 399510, 4 -> 0, 5 -> 10."""
    return int(round_half_up(Fraction(int(n), 10), 0)) * 10


def fmt(value: Decimal | int) -> str:
    """Published number format: no trailing zeros after the point, no exponent."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(int(d))
    s = format(d.normalize(), "f")
    return s


def fmt_fraction(value: Fraction, dp: int, aggregated: bool) -> str:
    r = round_half_up(value, dp)
    if r == 0 and value != 0 and aggregated:
        return "k"
    return fmt(r)


def percentile(values: list[float] | np.ndarray, q: float) -> Fraction | None:
    """Linear-interpolation percentile (numpy default / Excel PERCENTILE.INC), exact, of a list
    of whole numbers."""
    return percentile_of_counts(Counter(int(v) for v in np.asarray(values, dtype=np.int64)), q)


def percentile_of_counts(counts: Mapping[int, int], q: float) -> Fraction | None:
    """:func:`percentile` of the whole numbers that ``counts`` holds ``{value: how many}``: the
    values are never listed one by one (a national distribution holds millions)."""
    items = sorted((int(v), int(n)) for v, n in counts.items() if n > 0)
    total = sum(n for _, n in items)
    if total == 0:
        return None
    cumulative = list(accumulate(n for _, n in items))

    def nth(k: int) -> int:  # the k-th smallest value, from 0
        return items[bisect_right(cumulative, k)][0]

    pos = Fraction(q).limit_denominator(1000) * (total - 1)
    lo = int(pos)
    frac = pos - lo
    if lo + 1 >= total:
        return Fraction(items[-1][0])
    return Fraction(nth(lo)) + (Fraction(nth(lo + 1)) - Fraction(nth(lo))) * frac
