"""Money helpers. Every amount in this package is a decimal.Decimal, never a float.

See "Money rules" in README.md for how amounts are rounded.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
UNIT_COST_STEP = Decimal("0.0001")


def parse_amount(text):
    """Parses a non-negative amount such as "12.5" or "0.3375"."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"not an amount: {text!r}")
    return value


def round_unit_cost(value):
    """Unit costs are kept to 4 decimal places, half away from zero."""
    return value.quantize(UNIT_COST_STEP, rounding=ROUND_HALF_UP)


def round_cents(value):
    """Rounds an amount to whole cents, half away from zero."""
    return value.quantize(CENT)


def format_amount(value):
    """Formats an amount with thousands separators and two decimals: 1,234.50."""
    return f"{round_cents(value):,.2f}"


def format_unit_cost(value):
    """Formats a unit cost with four decimals."""
    return f"{round_unit_cost(value):.4f}"
