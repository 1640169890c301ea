// The test admin API under /__test/ (JSON). Documented in README.md.
import {
  DEFAULT_TTL, clientSettings, organizationRoles, organizations, patchUser, putUser, resources,
  roles, users,
} from './data.mjs';
import { countsFor, lastAuthFor, resetCounts } from './stats.mjs';
import { hasClient, putClient, revokeClientGrants } from './store.mjs';
import { TAMPER_KEYS, setEndpointFaults } from './tamper.mjs';
import { signJwt } from './keys.mjs';

class HttpError extends Error {
  constructor(status, error, description) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

const bad = (description) => new HttpError(400, 'invalid_request', description);

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw bad('body is not valid JSON');
  }
}

function stringList(value, name) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw bad(`${name} must be an array of strings`);
  return value;
}

function publicUser(user) {
  const { password, ...rest } = user;
  return rest;
}

async function registerClient(body, provider) {
  const clientId = body.client_id;
  if (typeof clientId !== 'string' || !clientId) throw bad('client_id is required');
  const secret = body.client_secret;
  if (secret !== undefined && (typeof secret !== 'string' || !secret)) throw bad('client_secret must be a non-empty string');
  const ttl = { ...DEFAULT_TTL };
  for (const [key, value] of Object.entries(body.ttl || {})) {
    if (!(key in DEFAULT_TTL)) throw bad(`unknown ttl ${key}`);
    if (!Number.isInteger(value) || value <= 0) throw bad(`ttl.${key} must be a positive integer (seconds)`);
    ttl[key] = value;
  }
  const metadata = {
    client_id: clientId,
    client_name: body.client_name || clientId,
    application_type: 'web',
    redirect_uris: stringList(body.redirect_uris, 'redirect_uris'),
    post_logout_redirect_uris: stringList(body.post_logout_redirect_uris, 'post_logout_redirect_uris'),
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: body.token_endpoint_auth_method
      || (secret ? 'client_secret_basic' : 'none'),
    id_token_signed_response_alg: 'ES384',
  };
  if (secret) metadata.client_secret = secret;
  // Back-channel logout, as Logto's backchannelLogoutUri / backchannelLogoutSessionRequired.
  if (body.backchannel_logout_uri !== undefined) {
    metadata.backchannel_logout_uri = body.backchannel_logout_uri;
    metadata.backchannel_logout_session_required = body.backchannel_logout_session_required === true;
  }
  try {
    await provider.Client.validate(metadata);
  } catch (err) {
    throw bad(`invalid client metadata: ${err.error_description || err.message}`);
  }
  const replaced = hasClient(clientId);
  putClient(metadata);
  clientSettings.set(clientId, {
    rotate_refresh_token: body.rotate_refresh_token !== false,
    ttl,
    tamper: {},
  });
  return { replaced, client: { ...metadata, rotate_refresh_token: body.rotate_refresh_token !== false, ttl } };
}

function setTamper(clientId, body) {
  const settings = clientSettings.get(clientId);
  if (!settings) throw new HttpError(404, 'not_found', `client ${clientId} is not registered`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be an object');
  const { revoke_grants: revoke, ...switches } = body;
  for (const key of Object.keys(switches)) {
    if (!TAMPER_KEYS.includes(key)) throw bad(`unknown tamper switch ${key}; known: ${TAMPER_KEYS.join(', ')}`);
  }
  for (const key of ['token_response_body', 'token_error_body']) {
    if (key in switches && typeof switches[key] !== 'string') throw bad(`${key} must be a string`);
  }
  if ('id_token_claims' in switches && (typeof switches.id_token_claims !== 'object' || !switches.id_token_claims)) {
    throw bad('id_token_claims must be an object');
  }
  if ('token_response_fields' in switches
    && (typeof switches.token_response_fields !== 'object' || !switches.token_response_fields)) {
    throw bad('token_response_fields must be an object');
  }
  if ('access_token_claims' in switches
    && (typeof switches.access_token_claims !== 'object' || !switches.access_token_claims)) {
    throw bad('access_token_claims must be an object');
  }
  const foreign = switches.id_token_sign_with_foreign_key;
  if (foreign !== undefined && ![true, false, 'same_kid', 'new_kid'].includes(foreign)) {
    throw bad('id_token_sign_with_foreign_key must be true, "same_kid" or "new_kid"');
  }
  // switches set to false/null are simply off
  settings.tamper = Object.fromEntries(Object.entries(switches).filter(([, v]) => v !== false && v !== null));
  const result = { client_id: clientId, tamper: settings.tamper };
  if (revoke) result.revoked_grants = revokeClientGrants(clientId);
  return result;
}

// Returns true when the request was handled.
export async function handleAdmin(req, res, url, { provider, rotateKeys }) {
  const path = url.pathname.replace(/\/+$/, '');
  const method = req.method;
  const q = url.searchParams;
  let m;
  try {
    if (path === '/__test/health' && method === 'GET') {
      return send(res, 200, { ok: true, issuer: provider().issuer });
    }
    if (path === '/__test/clients' && method === 'POST') {
      const { replaced, client } = await registerClient(await readJson(req), provider());
      return send(res, 201, { ...client, replaced });
    }
    if ((m = path.match(/^\/__test\/clients\/([^/]+)$/)) && method === 'GET') {
      const id = decodeURIComponent(m[1]);
      const settings = clientSettings.get(id);
      if (!settings) throw new HttpError(404, 'not_found', `client ${id} is not registered`);
      return send(res, 200, { client_id: id, ...settings });
    }
    if ((m = path.match(/^\/__test\/clients\/([^/]+)\/tamper$/)) && method === 'POST') {
      return send(res, 200, setTamper(decodeURIComponent(m[1]), await readJson(req)));
    }
    if ((m = path.match(/^\/__test\/clients\/([^/]+)\/revoke-grants$/)) && method === 'POST') {
      const id = decodeURIComponent(m[1]);
      return send(res, 200, { client_id: id, revoked_grants: revokeClientGrants(id) });
    }
    if (path === '/__test/counts' && (method === 'GET' || method === 'DELETE')) {
      const id = q.get('client_id') ?? undefined;
      if (method === 'DELETE') {
        resetCounts(id);
        return send(res, 200, { reset: id ?? 'all' });
      }
      return send(res, 200, countsFor(id));
    }
    if (path === '/__test/last-auth' && method === 'GET') {
      const id = q.get('client_id');
      if (!id) throw bad('client_id query parameter is required');
      const last = lastAuthFor(id);
      if (!last) throw new HttpError(404, 'not_found', `no authorization request recorded for ${id}`);
      return send(res, 200, last);
    }
    if (path === '/__test/endpoints' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('body must be an object');
      try {
        return send(res, 200, { faults: setEndpointFaults(body) });
      } catch (err) {
        throw bad(err.message);
      }
    }
    if (path === '/__test/sign' && method === 'POST') {
      // Signs any payload with the provider's real key (tests mint bad logout tokens).
      const body = await readJson(req);
      if (typeof body.payload !== 'object' || body.payload === null) throw bad('payload must be an object');
      if (body.header !== undefined && (typeof body.header !== 'object' || body.header === null)) throw bad('header must be an object');
      return send(res, 200, { jwt: await signJwt(body.payload, body.header ?? {}) });
    }
    if (path === '/__test/rotate-keys' && method === 'POST') {
      return send(res, 200, { kid: await rotateKeys() });
    }
    if (path === '/__test/users' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.password !== 'string') throw bad('password is required');
      let user;
      try {
        user = putUser(body);
      } catch (err) {
        throw bad(err.message);
      }
      return send(res, 201, publicUser(user));
    }
    if ((m = path.match(/^\/__test\/users\/([^/]+)$/)) && (method === 'PATCH' || method === 'GET')) {
      const name = decodeURIComponent(m[1]);
      const user = method === 'PATCH' ? patchUser(name, await readJson(req)) : users.get(name);
      if (!user) throw new HttpError(404, 'not_found', `user ${name} not found`);
      return send(res, 200, publicUser(user));
    }
    if (path === '/__test/resources' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.indicator !== 'string' || !body.indicator) throw bad('indicator is required');
      resources.set(body.indicator, stringList(body.scopes, 'scopes'));
      return send(res, 201, { indicator: body.indicator, scopes: resources.get(body.indicator) });
    }
    if (path === '/__test/roles' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.name !== 'string' || !body.name) throw bad('name is required');
      roles.set(body.name, body.scopes || {});
      return send(res, 201, { name: body.name, scopes: roles.get(body.name) });
    }
    if (path === '/__test/organizations' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.id !== 'string' || !body.id) throw bad('id is required');
      organizations.set(body.id, { name: body.name ?? body.id, description: body.description ?? null });
      return send(res, 201, { id: body.id, ...organizations.get(body.id) });
    }
    if (path === '/__test/organization-roles' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.name !== 'string' || !body.name) throw bad('name is required');
      organizationRoles.set(body.name, stringList(body.scopes, 'scopes'));
      return send(res, 201, { name: body.name, scopes: organizationRoles.get(body.name) });
    }
    if (path === '/__test/data' && method === 'GET') {
      return send(res, 200, {
        resources: Object.fromEntries(resources),
        roles: Object.fromEntries(roles),
        organizations: Object.fromEntries(organizations),
        organization_roles: Object.fromEntries(organizationRoles),
        users: [...users.values()].map(publicUser),
      });
    }
    throw new HttpError(404, 'not_found', `no admin route ${method} ${path}`);
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, { error: err.error, error_description: err.message });
    console.error('admin error', err);
    return send(res, 500, { error: 'server_error', error_description: err.message });
  }
}
