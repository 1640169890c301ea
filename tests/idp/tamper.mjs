// Test-only corruption of one client's token endpoint answers
// (POST /__test/clients/<id>/tamper). See README.md.
import { randomBytes } from 'node:crypto';

import { clientSettings } from './data.mjs';
import { newSigningJwk, resign } from './keys.mjs';

export const TAMPER_KEYS = ['id_token_claims', 'access_token_claims', 'id_token_sign_with_foreign_key', 'token_response_body', 'token_response_fields', 'stall_token_endpoint', 'userinfo_invalid_token', 'token_error_body'];

// Provider-wide faults of endpoints no client authenticates to (POST /__test/endpoints):
// what an outage looks like to a resource server fetching keys. `fail` answers 503,
// `stall` accepts the request and never answers. The request is counted either way.
export const ENDPOINT_FAULT_KEYS = ['jwks', 'discovery'];
const endpointFaults = {};

export function setEndpointFaults(body) {
  for (const [endpoint, fault] of Object.entries(body)) {
    if (!ENDPOINT_FAULT_KEYS.includes(endpoint)) {
      throw new Error(`unknown endpoint ${endpoint}; known: ${ENDPOINT_FAULT_KEYS.join(', ')}`);
    }
    if (![null, false, 'fail', 'stall'].includes(fault)) {
      throw new Error(`${endpoint}: the fault is "fail", "stall" or null`);
    }
  }
  for (const endpoint of ENDPOINT_FAULT_KEYS) delete endpointFaults[endpoint];
  for (const [endpoint, fault] of Object.entries(body)) {
    if (fault) endpointFaults[endpoint] = fault;
  }
  return { ...endpointFaults };
}

// Applies the fault of `endpoint`, if any. Returns true when the request was taken care of.
export function endpointFault(endpoint, res, stalled) {
  const fault = endpointFaults[endpoint];
  if (fault === 'stall') {
    stalled.add(res);
    res.on('close', () => stalled.delete(res));
    return true;
  }
  if (fault === 'fail') {
    res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ error: 'temporarily_unavailable', error_description: `${endpoint} is failing (test fault)` }));
    return true;
  }
  return false;
}

export function tamperOf(clientId) {
  return (clientId && clientSettings.get(clientId)?.tamper) || {};
}

// Switches applied before the provider sees the request. Returns true when
// the request has been taken care of.
export function tamperBeforeToken(clientId, res, stalled) {
  const t = tamperOf(clientId);
  if (t.stall_token_endpoint) {
    // accept and never answer; the socket is kept so shutdown can close it
    stalled.add(res);
    res.on('close', () => stalled.delete(res));
    return true;
  }
  if (typeof t.token_error_body === 'string') {
    res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(t.token_error_body);
    return true;
  }
  if (typeof t.token_response_body === 'string') {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(t.token_response_body);
    return true;
  }
  return false;
}

// The userinfo endpoint refuses access tokens as RFC 6750 says: `true` every one, a
// number N the next N distinct tokens, each of them for good (as if revoked).
const refusedUserinfoTokens = new Map();

export function tamperBeforeUserinfo(clientId, token, res) {
  const t = tamperOf(clientId);
  const refused = refusedUserinfoTokens.get(clientId) ?? new Set();
  refusedUserinfoTokens.set(clientId, refused);
  if (t.userinfo_invalid_token === true) {
    // refuse every token
  } else if (refused.has(token)) {
    // refused before: still refused
  } else if (typeof t.userinfo_invalid_token === 'number' && t.userinfo_invalid_token > 0) {
    t.userinfo_invalid_token -= 1;
    refused.add(token);
  } else {
    return false;
  }
  res.writeHead(401, {
    'content-type': 'application/json; charset=utf-8',
    'www-authenticate': 'Bearer realm="idp", error="invalid_token", error_description="invalid token provided"',
  });
  res.end(JSON.stringify({ error: 'invalid_token', error_description: 'invalid token provided' }));
  return true;
}

// Switches applied to a successful token response body (an object).
export async function tamperTokenResponse(clientId, body) {
  const t = tamperOf(clientId);
  // JWT access tokens (those for a resource or an organization) only: the opaque
  // userinfo token has no claims to change.
  if (t.access_token_claims && typeof t.access_token_claims === 'object'
    && typeof body.access_token === 'string' && body.access_token.split('.').length === 3) {
    body.access_token = await resign(body.access_token, { claims: t.access_token_claims });
  }
  // Plain fields of the answer replaced or added (a `token_type` of `mac`, say).
  if (t.token_response_fields && typeof t.token_response_fields === 'object') {
    Object.assign(body, t.token_response_fields);
  }
  if (!body.id_token) return;
  if (t.id_token_claims && typeof t.id_token_claims === 'object') {
    body.id_token = await resign(body.id_token, { claims: t.id_token_claims });
  }
  if (t.id_token_sign_with_foreign_key) {
    const foreign = await newSigningJwk();
    const kid = t.id_token_sign_with_foreign_key === 'new_kid' ? `foreign-${randomBytes(6).toString('hex')}` : undefined;
    body.id_token = await resign(body.id_token, { jwk: foreign, kid });
  }
}
