// The data file: users and documents, kept in memory and written back after every change.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export class Store {
  constructor(path) {
    this.path = path;
    const data = JSON.parse(readFileSync(path, 'utf8'));
    this.users = new Map(Object.entries(data.users || {}));
    this.docs = new Map(Object.entries(data.docs || {}));
    this.nextId = data.next_id || 1;
  }

  save() {
    const data = {
      users: Object.fromEntries(this.users),
      docs: Object.fromEntries(this.docs),
      next_id: this.nextId,
    };
    writeFileSync(`${this.path}.tmp`, JSON.stringify(data, null, 2));
    renameSync(`${this.path}.tmp`, this.path);
  }

  user(name) {
    return typeof name === 'string' && this.users.has(name) ? this.users.get(name) : undefined;
  }

  doc(id) {
    return this.docs.has(id) ? this.docs.get(id) : undefined;
  }

  addDoc(owner, title, body) {
    const id = `d${this.nextId++}`;
    this.docs.set(id, { owner, title, body, shared_with: [] });
    this.save();
    return id;
  }
}
