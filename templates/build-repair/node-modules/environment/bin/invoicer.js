#!/usr/bin/env node
// invoicer ORDER.json: prints the invoice of one order.
import { readFileSync } from 'node:fs';
import { renderInvoice } from 'invoicer';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: invoicer ORDER.json');
  process.exit(2);
}
try {
  process.stdout.write(renderInvoice(JSON.parse(readFileSync(file, 'utf8'))));
} catch (err) {
  console.error(`invoicer: ${file}: ${err.message}`);
  process.exit(1);
}
