// VAT rates by region code (rates.json, percent as decimal strings).
import { readFileSync } from 'node:fs';

const rates = JSON.parse(readFileSync(new URL('./rates.json', import.meta.url), 'utf8'));

export function taxRate(region) {
  const rate = rates[region];
  if (rate === undefined) throw new RangeError(`no VAT rate for region ${JSON.stringify(region)}`);
  return rate;
}
