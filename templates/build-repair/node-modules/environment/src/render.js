// renderInvoice(order) -> the invoice text (see README.md).
import { total } from '@acme/ledger';
import { itemTable } from './format.js';
import { lineAmounts } from './lines.js';
import { taxRate } from './tax.js';

export function renderInvoice(order) {
  const { currency, lines } = lineAmounts(order);
  const subtotal = total(lines.map((l) => l.amount), currency);
  const out = [`INVOICE ${order.number}`, `Customer: ${order.customer}`, '', itemTable(lines), ''];
  out.push(`Subtotal: ${subtotal} ${currency}`);
  let net = subtotal;
  if (order.discount) {
    const off = subtotal.percent(order.discount.percent);
    net = subtotal.sub(off);
    out.push(`Discount ${order.discount.code} (${order.discount.percent}%): ${off.negate()} ${currency}`);
  }
  const rate = taxRate(order.region);
  const tax = net.percent(rate);
  out.push(`VAT ${order.region} ${rate}%: ${tax} ${currency}`);
  out.push(`Total: ${total([net, tax], currency)} ${currency}`);
  return out.join('\n') + '\n';
}
