# Oracle for bug-fixing/inventory-rounding: run in /workspace by the agent's shell.
# Two fixes: round_cents must round half away from zero (the default context rounds half to
# even), and a line's value must be rounded to cents before the total adds the lines up.
cd /workspace &&
python3 - <<'PY'
from pathlib import Path

money = Path("inventory/money.py")
text = money.read_text()
text = text.replace(
    "return value.quantize(CENT)\n",
    "return value.quantize(CENT, rounding=ROUND_HALF_UP)\n",
)
money.write_text(text)

report = Path("inventory/report.py")
text = report.read_text()
text = text.replace(
    "value = pos.quantity * pos.unit_cost\n",
    "value = round_cents(pos.quantity * pos.unit_cost)\n",
)
text = text.replace(
    'total = round_cents(sum((line.value for line in lines), Decimal("0")))',
    'total = sum((line.value for line in lines), Decimal("0.00"))',
)
report.write_text(text)
PY
python3 -m inventory report data/items.csv data/movements.csv
