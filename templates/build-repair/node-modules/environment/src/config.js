// Settings shared by the modules of invoicer.
export const DEFAULT_CURRENCY = 'EUR';
