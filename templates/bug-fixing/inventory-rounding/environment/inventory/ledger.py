"""The stock ledger: quantities on hand and moving weighted average unit costs."""

from dataclasses import dataclass
from decimal import Decimal

from .money import round_unit_cost


class InsufficientStock(ValueError):
    """An issue asked for more than is on hand."""


@dataclass
class Position:
    quantity: int = 0
    unit_cost: Decimal = Decimal("0")


class Ledger:
    def __init__(self, skus=()):
        self.positions = {sku: Position() for sku in skus}

    def position(self, sku):
        return self.positions.setdefault(sku, Position())

    def receive(self, sku, quantity, unit_cost):
        """Adds stock; the unit cost becomes the weighted average of old and new stock."""
        if quantity <= 0:
            raise ValueError(f"receive of {quantity} {sku}: quantity must be positive")
        pos = self.position(sku)
        total_cost = pos.quantity * pos.unit_cost + quantity * unit_cost
        pos.quantity += quantity
        pos.unit_cost = round_unit_cost(total_cost / pos.quantity)

    def issue(self, sku, quantity):
        """Removes stock at the current unit cost; never below zero."""
        if quantity <= 0:
            raise ValueError(f"issue of {quantity} {sku}: quantity must be positive")
        pos = self.position(sku)
        if quantity > pos.quantity:
            raise InsufficientStock(
                f"issue of {quantity} {sku}: only {pos.quantity} on hand"
            )
        pos.quantity -= quantity

    def apply(self, movements):
        for m in movements:
            if m.kind == "receive":
                self.receive(m.sku, m.quantity, m.unit_cost)
            else:
                self.issue(m.sku, m.quantity)
        return self
