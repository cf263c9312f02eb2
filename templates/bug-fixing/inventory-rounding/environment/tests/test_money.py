import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.money import format_amount, parse_amount, round_unit_cost  # noqa: E402


def test_parse_amount():
    assert parse_amount(" 12.50 ") == Decimal("12.50")
    with pytest.raises(ValueError):
        parse_amount("12,50")
    with pytest.raises(ValueError):
        parse_amount("-1")


def test_format_amount():
    assert format_amount(Decimal("1234.5")) == "1,234.50"
    assert format_amount(Decimal("0.1")) == "0.10"


def test_round_unit_cost():
    assert round_unit_cost(Decimal("0.11625")) == Decimal("0.1163")
