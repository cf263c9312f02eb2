"""Reading the item master and the movement journal (CSV files, see README.md)."""

import csv
from dataclasses import dataclass
from datetime import date

from .money import parse_amount

ITEM_COLUMNS = ["sku", "name", "category"]
MOVEMENT_COLUMNS = ["date", "sku", "kind", "quantity", "unit_cost"]
KINDS = ("receive", "issue")


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    category: str


@dataclass(frozen=True)
class Movement:
    day: date
    sku: str
    kind: str
    quantity: int
    unit_cost: object  # Decimal for receipts, None for issues


def _rows(path, columns):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != columns:
            raise ValueError(f"{path}: header must be {','.join(columns)}, got {header}")
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise ValueError(f"{path}:{lineno}: expected {len(columns)} fields, got {len(row)}")
            yield lineno, [cell.strip() for cell in row]


def load_items(path):
    """Returns {sku: Item}."""
    items = {}
    for lineno, (sku, name, category) in _rows(path, ITEM_COLUMNS):
        if sku in items:
            raise ValueError(f"{path}:{lineno}: duplicate sku {sku}")
        items[sku] = Item(sku, name, category)
    return items


def load_movements(path, items):
    """Returns the movements in file order; every sku must be in `items`."""
    movements = []
    for lineno, (day, sku, kind, quantity, unit_cost) in _rows(path, MOVEMENT_COLUMNS):
        where = f"{path}:{lineno}"
        if sku not in items:
            raise ValueError(f"{where}: unknown sku {sku}")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind must be receive or issue, got {kind!r}")
        try:
            qty = int(quantity)
        except ValueError:
            raise ValueError(f"{where}: quantity must be a whole number, got {quantity!r}") from None
        if qty <= 0:
            raise ValueError(f"{where}: quantity must be positive, got {qty}")
        try:
            parsed_day = date.fromisoformat(day)
            cost = parse_amount(unit_cost) if kind == "receive" else None
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        movements.append(Movement(parsed_day, sku, kind, qty, cost))
    return movements
