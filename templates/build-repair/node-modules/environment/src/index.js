// invoicer's public API.
export { DEFAULT_CURRENCY } from './config.js';
export { renderInvoice } from './render.js';
export { taxRate } from './tax.js';
