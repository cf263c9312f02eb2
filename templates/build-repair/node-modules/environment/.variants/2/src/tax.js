// VAT rates by region code (rates.json, percent as decimal strings).
import rates from './rates.json';

export function taxRate(region) {
  const rate = rates[region];
  if (rate === undefined) throw new RangeError(`no VAT rate for region ${JSON.stringify(region)}`);
  return rate;
}
