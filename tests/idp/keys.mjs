// ES384 (P-384) signing keys. One active key at a time: rotation replaces it,
// so the old kid disappears from the JWKS.
import { randomBytes } from 'node:crypto';
import {
  CompactSign, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK,
} from 'jose';

export const ALG = 'ES384';

export async function newSigningJwk(kid = `key-${randomBytes(6).toString('hex')}`) {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid, alg: ALG, use: 'sig' };
}

let current = await newSigningJwk();

export function currentJwk() {
  return current;
}

export async function rotate() {
  current = await newSigningJwk();
  return current;
}

// Re-signs a JWT with `claims` merged into its payload. `jwk` defaults to the
// real key; pass a foreign one to produce a token the JWKS cannot verify.
export async function resign(jwt, { claims = {}, jwk = current, kid } = {}) {
  const header = decodeProtectedHeader(jwt);
  const payload = { ...decodeJwt(jwt), ...claims };
  const key = await importJWK(jwk, ALG);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ ...header, alg: ALG, kid: kid ?? header.kid })
    .sign(key);
}

// Signs `payload` with the current key; `header` adds to (or overrides) alg and kid.
export async function signJwt(payload, header = {}) {
  const key = await importJWK(current, ALG);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: ALG, kid: current.kid, ...header })
    .sign(key);
}
