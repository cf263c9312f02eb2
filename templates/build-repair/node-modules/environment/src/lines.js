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
