import assert from 'node:assert/strict';
import test from 'node:test';
import { renderInvoice, taxRate } from '../src/index.js';

const order = {
  number: 'T-1',
  customer: 'Test Customer',
  region: 'DE',
  lines: [
    { sku: 'A', name: 'Widget', qty: 2, unit_price: '12.50' },
    { sku: 'B', name: 'Gadget with a long name', qty: 1, unit_price: '3' },
  ],
};

test('totals', () => {
  const text = renderInvoice(order);
  assert.match(text, /^Subtotal: 28\.00 EUR$/m);
  assert.match(text, /^VAT DE 19%: 5\.32 EUR$/m);
  assert.match(text, /^Total: 33\.32 EUR$/m);
});

test('discount', () => {
  const text = renderInvoice({ ...order, discount: { code: 'TEN', percent: '10' } });
  assert.match(text, /^Discount TEN \(10%\): -2\.80 EUR$/m);
  assert.match(text, /^Total: 29\.99 EUR$/m);
});

test('rates', () => {
  assert.equal(taxRate('FR-REDUCED'), '5.5');
  assert.throws(() => taxRate('XX'), RangeError);
});
