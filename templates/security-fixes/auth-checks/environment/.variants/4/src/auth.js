// Passwords (PBKDF2) and bearer tokens (HMAC-signed claims), see README.md.
import { createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export const TOKEN_TTL = Number(process.env.NOTES_TOKEN_TTL || 3600);

export class AuthError extends Error {}

function secret() {
  const s = process.env.NOTES_SECRET_KEY || 'notes-dev-secret-0000';
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
