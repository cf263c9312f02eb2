import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inventory.ledger import InsufficientStock, Ledger  # noqa: E402


def test_weighted_average_cost():
    ledger = Ledger(["X"])
    ledger.receive("X", 10, Decimal("2.00"))
    ledger.receive("X", 30, Decimal("3.00"))
    assert ledger.positions["X"].quantity == 40
    assert ledger.positions["X"].unit_cost == Decimal("2.7500")


def test_issue_keeps_unit_cost():
    ledger = Ledger(["X"])
    ledger.receive("X", 3, Decimal("1.10"))
    ledger.issue("X", 2)
    assert ledger.positions["X"].quantity == 1
    assert ledger.positions["X"].unit_cost == Decimal("1.1000")


def test_issue_more_than_on_hand_is_refused():
    ledger = Ledger(["X"])
    ledger.receive("X", 1, Decimal("5"))
    with pytest.raises(InsufficientStock):
        ledger.issue("X", 2)
    assert ledger.positions["X"].quantity == 1
