// The printed layout of an invoice.
import { formatCents } from '@acme/money/format';
import tabular from 'tabular';

const { formatTable } = tabular;

export function itemTable(lines) {
  const rows = [['qty', 'item', 'unit price', 'amount']];
  for (const l of lines) rows.push([l.qty, l.name, formatCents(l.unit.cents), formatCents(l.amount.cents)]);
  return formatTable(rows, ['r', 'l', 'r', 'r']);
}
