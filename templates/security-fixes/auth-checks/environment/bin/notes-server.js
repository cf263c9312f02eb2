#!/usr/bin/env node
// notes-server [--port N] [--data FILE]: serves the notes API on 127.0.0.1.
import { checkConfig } from '../src/auth.js';
import { makeServer } from '../src/server.js';
import { Store } from '../src/store.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
try {
  checkConfig();
} catch (e) {
  console.error(`notes-server: ${e.message}`);
  process.exit(2);
}
const store = new Store(opt('--data', new URL('../data/notes.json', import.meta.url).pathname));
const port = Number(opt('--port', 8800));
makeServer(store).listen(port, '127.0.0.1', () => console.log(`notes-server listening on 127.0.0.1:${port}`));
