# Oracle for security-fixes/auth-checks: run in /workspace by the agent's shell.
# Rewrites the two modules: the signing key comes only from NOTES_SECRET; a token needs both
# parts, a signature equal (full length, constant time) to the HMAC of its payload, string
# sub/role and an integer exp in the future; login takes the role from the user record only;
# no debug header; every document route checks read access first, edit/share need the owner,
# delete the owner or an admin; the listing filter and the admin route check the role.
cd /workspace &&
cat > src/auth.js <<'JSFILE' &&
// Passwords (PBKDF2) and bearer tokens (HMAC-signed claims), see README.md.
import { createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const TOKEN_TTL = Number(process.env.NOTES_TOKEN_TTL || 3600);

export class AuthError extends Error {}

function secret() {
  const s = process.env.NOTES_SECRET;
  if (!s || s.length < 16) throw new Error('NOTES_SECRET must be set (16 characters or more)');
  return s;
}

export function checkConfig() {
  secret();
}

export function hashPassword(password, saltHex) {
  return pbkdf2Sync(String(password), Buffer.from(saltHex, 'hex'), 10000, 32, 'sha256').toString('hex');
}

export function verifyPassword(record, password) {
  if (!record || typeof password !== 'string') return false;
  const got = Buffer.from(hashPassword(password, record.salt), 'hex');
  const want = Buffer.from(record.hash, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

function sign(payload) {
  return createHmac('sha256', secret()).update(payload).digest('base64url');
}

export function issueToken(user, role, now = Date.now()) {
  const claims = { sub: user, role, exp: Math.floor(now / 1000) + TOKEN_TTL };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

// The claims of a valid token; throws AuthError for anything else.
export function verifyToken(token, now = Date.now()) {
  const parts = String(token || '').split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new AuthError('malformed token');
  const [payload, sig] = parts;
  const want = Buffer.from(sign(payload));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw new AuthError('bad signature');
  let claims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('malformed token');
  }
  if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') throw new AuthError('malformed token');
  if (!Number.isInteger(claims.exp) || claims.exp <= Math.floor(now / 1000)) throw new AuthError('expired token');
  return claims;
}
JSFILE
cat > src/server.js <<'JSFILE' &&
// The HTTP API (see README.md). Every route after /login needs a bearer token.
import { createServer } from 'node:http';
import { AuthError, issueToken, verifyPassword, verifyToken } from './auth.js';

const MAX_BODY = 1 << 20;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpError(413, 'body too large'));
      else chunks.push(c);
    });
    req.on('end', () => {
      if (!chunks.length) return resolve({});
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
        resolve(value);
      } catch {
        reject(new HttpError(400, 'body must be a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  const data = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function authenticate(req) {
  const header = req.headers.authorization || '';
  const m = /^Bearer (\S+)$/.exec(header);
  if (!m) throw new HttpError(401, 'missing token');
  try {
    return verifyToken(m[1]);
  } catch (e) {
    if (e instanceof AuthError) throw new HttpError(401, e.message);
    throw e;
  }
}

const isAdmin = (claims) => claims.role === 'admin';
const canRead = (claims, doc) => isAdmin(claims) || doc.owner === claims.sub || doc.shared_with.includes(claims.sub);
const isOwner = (claims, doc) => doc.owner === claims.sub;

function text(value, field) {
  if (typeof value !== 'string' || value.length > 100000) throw new HttpError(400, `${field} must be a string`);
  return value;
}

export function makeServer(store) {
  async function route(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;
    const method = req.method;

    if (method === 'POST' && path === '/login') {
      const body = await readJson(req);
      const record = store.user(body.user);
      if (!verifyPassword(record, body.password)) throw new HttpError(401, 'wrong user or password');
      return send(res, 200, { token: issueToken(body.user, record.role) });
    }

    const claims = authenticate(req);

    if (method === 'GET' && path === '/me') {
      return send(res, 200, { user: claims.sub, role: claims.role });
    }
    if (method === 'GET' && path === '/admin/users') {
      if (!isAdmin(claims)) throw new HttpError(403, 'admins only');
      const users = [...store.users].map(([user, r]) => ({ user, role: r.role }));
      users.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
      return send(res, 200, { users });
    }
    if (path === '/docs') {
      if (method === 'GET') {
        const docs = [...store.docs]
          .filter(([, d]) => canRead(claims, d))
          .map(([id, d]) => ({ id, owner: d.owner, title: d.title }));
        return send(res, 200, { docs });
      }
      if (method === 'POST') {
        const body = await readJson(req);
        const id = store.addDoc(claims.sub, text(body.title, 'title'), text(body.body ?? '', 'body'));
        return send(res, 201, { id });
      }
      throw new HttpError(405, 'method not allowed');
    }
    const m = /^\/docs\/([A-Za-z0-9_-]+)(\/share)?$/.exec(path);
    if (!m) throw new HttpError(404, 'not found');
    const [, id, share] = m;
    const doc = store.doc(id);
    if (!doc || !canRead(claims, doc)) throw new HttpError(404, 'no such document');

    if (share) {
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      if (!isOwner(claims, doc)) throw new HttpError(403, 'only the owner shares a document');
      const body = await readJson(req);
      if (!store.user(body.user)) throw new HttpError(400, 'no such user');
      if (!doc.shared_with.includes(body.user) && body.user !== doc.owner) doc.shared_with.push(body.user);
      store.save();
      return send(res, 200, { id, shared_with: doc.shared_with });
    }
    if (method === 'GET') {
      return send(res, 200, { id, ...doc });
    }
    if (method === 'PUT') {
      if (!isOwner(claims, doc)) throw new HttpError(403, 'only the owner edits a document');
      const body = await readJson(req);
      if (body.title !== undefined) doc.title = text(body.title, 'title');
      if (body.body !== undefined) doc.body = text(body.body, 'body');
      store.save();
      return send(res, 200, { id, ...doc });
    }
    if (method === 'DELETE') {
      if (!isOwner(claims, doc) && !isAdmin(claims)) throw new HttpError(403, 'only the owner or an admin deletes');
      store.docs.delete(id);
      store.save();
      return send(res, 204);
    }
    throw new HttpError(405, 'method not allowed');
  }

  return createServer((req, res) => {
    route(req, res).catch((e) => {
      if (e instanceof HttpError) send(res, e.status, { error: e.message });
      else {
        console.error(e);
        send(res, 500, { error: 'internal error' });
      }
    });
  });
}
JSFILE
node --check src/auth.js && node --check src/server.js && echo notes-api patched
