// The printed layout of an invoice.
import { formatTable } from 'tabular';

export function itemTable(lines) {
  const rows = [['qty', 'item', 'unit price', 'amount']];
  for (const l of lines) rows.push([l.qty, l.name, l.unit.toString(), l.amount.toString()]);
  return formatTable(rows, ['r', 'l', 'r', 'r']);
}
