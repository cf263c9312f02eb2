// invoicer's public API.
export { renderInvoice } from './render.js';
export { taxRate } from './tax.js';

export const DEFAULT_CURRENCY = 'EUR';
