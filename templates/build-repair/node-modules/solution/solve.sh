# Oracle for build-repair/node-modules: run in /workspace by the agent's shell.
# Puts back an ES-module package whose "exports" points at src/index.js, a ledger package that
# declares itself an ES module, ES-module imports with extensions, the CommonJS tabular module
# through its default export, rates.json read with fs (no experimental JSON modules), the
# shared currency in its own module (no import cycle), and drops the stale nested copy of
# @acme/money under @acme/ledger so that both use one Money class.
cd /workspace &&
rm -rf node_modules/@acme/ledger/node_modules &&
cat > package.json <<'JSFILE' &&
{
  "name": "invoicer",
  "version": "2.0.0",
  "private": true,
  "description": "Renders plain-text invoices from order files",
  "type": "module",
  "exports": {
    ".": "./src/index.js"
  },
  "bin": {
    "invoicer": "bin/invoicer.js"
  },
  "scripts": {
    "test": "node --test test/"
  },
  "dependencies": {
    "@acme/ledger": "^1.4.0",
    "@acme/money": "^2.1.0",
    "tabular": "^3.0.0"
  }
}
JSFILE
cat > node_modules/@acme/ledger/package.json <<'JSFILE' &&
{
  "name": "@acme/ledger",
  "version": "1.4.0",
  "description": "Sums of money amounts with checks",
  "type": "module",
  "main": "index.js",
  "exports": "./index.js",
  "dependencies": {
    "@acme/money": "^2.0.0"
  },
  "license": "MIT"
}
JSFILE
cat > src/config.js <<'JSFILE' &&
// Settings shared by the modules of invoicer.
export const DEFAULT_CURRENCY = 'EUR';
JSFILE
cat > src/index.js <<'JSFILE' &&
// invoicer's public API.
export { DEFAULT_CURRENCY } from './config.js';
export { renderInvoice } from './render.js';
export { taxRate } from './tax.js';
JSFILE
cat > src/tax.js <<'JSFILE' &&
// VAT rates by region code (rates.json, percent as decimal strings).
import { readFileSync } from 'node:fs';

const rates = JSON.parse(readFileSync(new URL('./rates.json', import.meta.url), 'utf8'));

export function taxRate(region) {
  const rate = rates[region];
  if (rate === undefined) throw new RangeError(`no VAT rate for region ${JSON.stringify(region)}`);
  return rate;
}
JSFILE
cat > src/lines.js <<'JSFILE' &&
// Order lines: validation and amounts.
import { Money } from '@acme/money';
import { DEFAULT_CURRENCY } from './config.js';

const NO_LINES = Money.zero(DEFAULT_CURRENCY);

export function lineAmounts(order) {
  const currency = order.currency || DEFAULT_CURRENCY;
  if (!Array.isArray(order.lines) || order.lines.length === 0) {
    return { currency, lines: [], empty: NO_LINES };
  }
  const lines = order.lines.map((line, i) => {
    if (!Number.isInteger(line.qty) || line.qty <= 0) {
      throw new RangeError(`line ${i + 1}: qty must be a positive whole number`);
    }
    const unit = Money.parse(line.unit_price, currency);
    return { name: String(line.name), qty: line.qty, unit, amount: unit.times(line.qty) };
  });
  return { currency, lines, empty: NO_LINES };
}
JSFILE
cat > src/format.js <<'JSFILE' &&
// The printed layout of an invoice.
import tabular from 'tabular';

const { formatTable } = tabular;

export function itemTable(lines) {
  const rows = [['qty', 'item', 'unit price', 'amount']];
  for (const l of lines) rows.push([l.qty, l.name, l.unit.toString(), l.amount.toString()]);
  return formatTable(rows, ['r', 'l', 'r', 'r']);
}
JSFILE
cat > src/render.js <<'JSFILE' &&
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
JSFILE
node --test test/ &&
node bin/invoicer.js data/order-1042.json && node bin/invoicer.js data/order-1043.json
