"""The stock valuation report: one line per sku on hand and a total."""

from dataclasses import dataclass
from decimal import Decimal

from .catalog import load_items, load_movements
from .ledger import Ledger
from .money import format_amount, format_unit_cost, round_cents


@dataclass(frozen=True)
class Line:
    sku: str
    name: str
    quantity: int
    unit_cost: Decimal
    value: Decimal  # quantity x unit cost, in whole cents


@dataclass(frozen=True)
class Report:
    lines: list
    total: Decimal


def valuation(ledger, items):
    """Lines for every sku with stock on hand, sorted by sku."""
    lines = []
    for sku in sorted(ledger.positions):
        pos = ledger.positions[sku]
        if pos.quantity == 0:
            continue
        value = pos.quantity * pos.unit_cost
        lines.append(Line(sku, items[sku].name, pos.quantity, pos.unit_cost, value))
    return lines


def build_report(items_path, movements_path):
    items = load_items(items_path)
    movements = load_movements(movements_path, items)
    ledger = Ledger(items).apply(movements)
    lines = valuation(ledger, items)
    total = round_cents(sum((line.value for line in lines), Decimal("0")))
    return Report(lines, total)


def render(report):
    out = [f"{'SKU':<10}{'NAME':<28}{'QTY':>7}{'UNIT COST':>13}{'VALUE':>14}"]
    for line in report.lines:
        out.append(
            f"{line.sku:<10}{line.name[:27]:<28}{line.quantity:>7}"
            f"{format_unit_cost(line.unit_cost):>13}{format_amount(line.value):>14}"
        )
    out.append(f"{'TOTAL':<58}{format_amount(report.total):>14}")
    return "\n".join(out) + "\n"
