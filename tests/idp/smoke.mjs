// Smoke test of the test identity provider, with plain fetch (no Rust), on Node's
// test runner:
//   node --test tests/idp/smoke.mjs      (scripts/test runs it; `node smoke.mjs` works too)
// Starts server.mjs as a child process, walks one scenario through its endpoints in
// steps that build on each other, and stops it by closing its stdin.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify,
} from 'jose';

const REDIRECT = 'http://127.0.0.1:9/callback';
const POST_LOGOUT = 'http://127.0.0.1:9/signed-out';
const SHOPPING = 'https://shopping.example.com/api';
const ORGS_RESOURCE = 'urn:logto:resource:organizations';

// One condition of a step; the name says what the provider got wrong.
function check(name, condition, detail) {
  assert.ok(condition, `${name}${detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`);
}

// The server, started before the first step.
let child;
let BASE;
let ISSUER;
const stderr = [];
const stdoutLines = [];

function startServer() {
  child = spawn(process.execPath, [fileURLToPath(new URL('./server.mjs', import.meta.url))], {
    env: { ...process.env, IDP_PORT: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.on('data', (d) => stderr.push(d));
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.on('line', (line) => {
      stdoutLines.push(line);
      if (line.startsWith('IDP_READY ')) resolve(line.slice('IDP_READY '.length));
    });
    child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${Buffer.concat(stderr)}`)));
    setTimeout(() => reject(new Error('server not ready in 20 s')), 20_000).unref();
  });
}

// --- a tiny browser: cookie jar + manual redirects --------------------------
class Browser {
  jar = new Map();

  cookieHeader() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(res) {
    for (const raw of res.headers.getSetCookie()) {
      const [pair, ...attrs] = raw.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /expires=thu, 01 jan 1970/i.test(a.trim())) || value === '';
      if (expired) this.jar.delete(name); else this.jar.set(name, value);
    }
  }

  async request(url, { method = 'GET', form } = {}) {
    const headers = { cookie: this.cookieHeader() };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(new URL(url, BASE), { method, headers, body, redirect: 'manual' });
    this.store(res);
    return res;
  }

  // Follows redirects until one leaves the provider (returned as a URL) or a
  // page is answered (returned as the Response).
  async follow(url, options) {
    let res = await this.request(url, options);
    for (let i = 0; i < 10; i += 1) {
      if (res.status < 300 || res.status >= 400) return res;
      const next = new URL(res.headers.get('location'), BASE);
      if (next.origin !== BASE) return next;
      res = await this.request(next.href);
    }
    throw new Error('too many redirects');
  }
}

function formOf(html, id) {
  const m = html.match(new RegExp(`<form[^>]*id="${id}"[^>]*>([\\s\\S]*?)</form>`));
  if (!m) return undefined;
  const action = m[0].match(/action="([^"]*)"/)[1].replaceAll('&amp;', '&');
  const inputs = {};
  for (const input of m[1].matchAll(/<input[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/)?.[1];
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) inputs[name] = value;
  }
  return { action, inputs, method: m[0].match(/method="([^"]*)"/)?.[1] };
}

async function admin(path, body, method = body ? 'POST' : 'GET') {
  const res = await fetch(`${BASE}/__test${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

const clients = {};
async function token(clientId, params, { post = false, signal } = {}) {
  const secret = clients[clientId];
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(params);
  if (post) {
    body.set('client_id', clientId);
    body.set('client_secret', secret);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }
  const res = await fetch(`${ISSUER}/token`, { method: 'POST', headers, body, signal });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, body: json, text };
}

async function register(clientId, extra = {}) {
  const secret = `${clientId}-secret`;
  clients[clientId] = secret;
  return admin('/clients', {
    client_id: clientId,
    client_secret: secret,
    redirect_uris: [REDIRECT],
    post_logout_redirect_uris: [POST_LOGOUT],
    ...extra,
  });
}

// Runs the authorization request; signs in with the form when shown.
async function signIn(browser, clientId, {
  scope, resources = [], prompt = 'consent', username = 'demo', password = 'demo-password', expectForm,
}) {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const nonce = randomBytes(8).toString('hex');
  const q = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  if (prompt) q.set('prompt', prompt);
  for (const r of resources) q.append('resource', r);
  let result = await browser.follow(`/oidc/auth?${q}`);
  let formShown = false;
  if (result instanceof Response) {
    const html = await result.text();
    const form = formOf(html, 'login');
    if (!form) throw new Error(`expected the login form, got ${result.status}: ${html.slice(0, 300)}`);
    formShown = true;
    const bad = await browser.request(form.action, { method: 'POST', form: { username, password: 'wrong' } });
    const badHtml = await bad.text();
    check('wrong password re-renders the form with an error', bad.status === 200
      && badHtml.includes('Invalid username or password') && formOf(badHtml, 'login'), bad.status);
    result = await browser.follow(form.action, { method: 'POST', form: { username, password } });
  }
  if (expectForm !== undefined) check(`login form ${expectForm ? 'shown' : 'skipped'}`, formShown === expectForm);
  if (!(result instanceof URL)) throw new Error(`sign-in did not come back: ${result.status} ${await result.text()}`);
  check('callback carries state', result.searchParams.get('state') === state);
  check('callback carries iss (RFC 9207)', result.searchParams.get('iss') === ISSUER, result.search);
  const code = result.searchParams.get('code');
  if (!code) throw new Error(`no code: ${result}`);
  const tokens = await token(clientId, {
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
  });
  if (tokens.status !== 200) throw new Error(`code exchange failed: ${tokens.text}`);
  return { ...tokens.body, nonce };
}

async function jwks() {
  return (await fetch(`${ISSUER}/jwks`)).json();
}

async function verify(jwt, audience, typ) {
  const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(await jwks()), {
    issuer: ISSUER, audience, algorithms: ['ES384'], typ,
  });
  return { payload, header: protectedHeader };
}

// What the steps hand on to the next ones.
let browser;
let scope;
let t1;
let rt;
let firstRt;
let t2;

// The steps form one scenario: after one fails, the later ones are skipped (they
// would fail only because of it), and the failure shows the server's log.
let failedStep;
function step(name, fn) {
  it(name, async (t) => {
    if (failedStep) {
      t.skip(`after "${failedStep}" failed`);
      return;
    }
    try {
      await fn();
    } catch (error) {
      failedStep = name;
      t.diagnostic(`server stderr (last 4000 bytes):\n${Buffer.concat(stderr).toString().slice(-4000)}`);
      throw error;
    }
  });
}

describe('the test provider, through plain fetch', { concurrency: 1 }, () => {
  before(async () => {
    BASE = await startServer();
    ISSUER = `${BASE}/oidc`;
  });

  // Never leaves the server running, whatever failed.
  after(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  step('the provider starts, answers health and discovery, registers clients', async () => {
    check('exactly one stdout line so far', stdoutLines.length === 1, stdoutLines);
    check('health', (await admin('/health')).status === 200);

    const disco = await (await fetch(`${ISSUER}/.well-known/openid-configuration`)).json();
    check('discovery issuer', disco.issuer === ISSUER);
    check('discovery iss parameter supported', disco.authorization_response_iss_parameter_supported === true);
    check('discovery routes', disco.token_endpoint === `${ISSUER}/token` && disco.userinfo_endpoint === `${ISSUER}/me`
      && disco.end_session_endpoint === `${ISSUER}/session/end` && disco.revocation_endpoint === `${ISSUER}/token/revocation`
      && disco.jwks_uri === `${ISSUER}/jwks`, disco);
    check('discovery ES384 id tokens', JSON.stringify(disco.id_token_signing_alg_values_supported) === '["ES384"]');

    const reg = await register('smoke');
    check('register client → 201', reg.status === 201, reg);
    check('re-register client → 201', (await register('smoke')).status === 201);
  });

  step("sign-in through the login form; the ID token carries Logto's claims", async () => {
    browser = new Browser();
    scope = 'openid profile email phone address roles custom_data identities offline_access '
      + 'urn:logto:scope:organizations urn:logto:scope:organization_roles read write read:members invite:members';
    t1 = await signIn(browser, 'smoke', { scope, resources: [SHOPPING, ORGS_RESOURCE], expectForm: true });
    check('refresh token issued with prompt=consent', typeof t1.refresh_token === 'string');
    check('opaque access token without resource', t1.access_token.split('.').length !== 3, t1.access_token);

    const last = await admin('/last-auth?client_id=smoke');
    check('last-auth records scope/resource/prompt', last.body.scope === scope && last.body.prompt === 'consent'
      && JSON.stringify(last.body.resource) === JSON.stringify([SHOPPING, ORGS_RESOURCE]), last.body);

    const keys1 = await jwks();
    const id = await verify(t1.id_token, 'smoke');
    const c = id.payload;
    check('id token ES384 with kid in JWKS', id.header.alg === 'ES384' && keys1.keys.some((k) => k.kid === id.header.kid), id.header);
    check('id token sub/nonce', c.sub === 'user_demo' && c.nonce === t1.nonce, c);
    check('id token ms timestamps', c.created_at === 1700000000123 && c.updated_at === 1710000000456, c);
    check('id token profile', c.name === 'Demo User' && c.username === 'demo' && c.picture === 'https://example.com/avatar.png', c);
    check('id token email/phone', c.email === 'demo@example.com' && c.email_verified === true
      && c.phone_number === '+15555550100' && c.phone_number_verified === false, c);
    check('id token address', c.address?.country === 'US', c.address);
    check('id token roles', JSON.stringify(c.roles) === '["reader"]', c.roles);
    check('id token organizations', JSON.stringify(c.organizations) === '["org_acme","org_globex"]', c.organizations);
    check('id token organization_roles', JSON.stringify(c.organization_roles) === '["org_acme:admin","org_globex:member"]', c.organization_roles);
    check('id token has no userinfo-only claims', !('custom_data' in c) && !('identities' in c)
      && !('sso_identities' in c) && !('organization_data' in c), Object.keys(c));
  });

  step('userinfo has the userinfo-only claims', async () => {
    const ui = await (await fetch(`${ISSUER}/me`, { headers: { authorization: `Bearer ${t1.access_token}` } })).json();
    check('userinfo custom_data', JSON.stringify(ui.custom_data) === '{"plan":"pro","seats":3}', ui);
    check('userinfo identities', ui.identities?.github?.userId === '42' && Array.isArray(ui.sso_identities), ui);
    check('userinfo organization_data', ui.organization_data?.[0]?.id === 'org_acme' && ui.organization_data[0].name === 'Acme'
      && 'description' in ui.organization_data[0], ui.organization_data);
  });

  step('resource tokens by refresh; invalid_target burns the refresh token', async () => {
    rt = t1.refresh_token;
    const r1 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, resource: SHOPPING });
    check('resource refresh 200', r1.status === 200, r1.text);
    check('refresh token rotated', r1.body.refresh_token && r1.body.refresh_token !== rt);
    rt = r1.body.refresh_token;
    const at1 = await verify(r1.body.access_token, SHOPPING, 'at+jwt');
    check('resource token: typ at+jwt, ES384, aud, client_id', at1.header.typ === 'at+jwt' && at1.header.alg === 'ES384'
      && at1.payload.client_id === 'smoke' && at1.payload.aud === SHOPPING, at1);
    check('resource token scope = "read" for demo (reader)', at1.payload.scope === 'read', at1.payload.scope);

    const r2 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, resource: 'https://unknown.example.com' });
    check('unknown resource → invalid_target', r2.status === 400 && r2.body.error === 'invalid_target', r2.text);
    // Strict like oidc-provider: the refresh token is rotated (consumed) before
    // the resource is resolved, so the invalid_target request burned it.
    const burned = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt });
    check('invalid_target burned the refresh token (reuse → invalid_grant)', burned.body?.error === 'invalid_grant', burned.text);
    const again = await signIn(browser, 'smoke', { scope, resources: [SHOPPING, ORGS_RESOURCE], expectForm: false });
    rt = again.refresh_token;
    firstRt = rt;
    const viaPost = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, resource: SHOPPING }, { post: true });
    check('client_secret_post accepted', viaPost.status === 200, viaPost.text);
    rt = viaPost.body.refresh_token;
  });

  step('organization tokens for members only', async () => {
    const o1 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, organization_id: 'org_acme' });
    check('org token 200', o1.status === 200, o1.text);
    rt = o1.body.refresh_token;
    const ot = await verify(o1.body.access_token, 'urn:logto:organization:org_acme', 'at+jwt');
    check('org token aud/typ/alg', ot.header.alg === 'ES384' && ot.payload.aud === 'urn:logto:organization:org_acme', ot);
    check('org token scope (admin)', ot.payload.scope === 'read:members invite:members' && o1.body.scope === ot.payload.scope, ot.payload.scope);

    const o2 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, organization_id: 'org_globex', scope: 'read:members invite:members' });
    check('org token globex scope ∩ member role', o2.status === 200 && decodeJwt(o2.body.access_token).scope === 'read:members', o2.text);
    rt = o2.body.refresh_token;

    const o3 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, organization_id: 'org_initech' });
    check('non-member → 403 access_denied', o3.status === 403 && o3.body.error === 'access_denied', `${o3.status} ${o3.text}`);
    const o4 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, organization_id: 'org_acme', resource: SHOPPING });
    check('refused org request did not consume the refresh token', o4.status === 200, o4.text);
    rt = o4.body.refresh_token;
    const o4at = decodeJwt(o4.body.access_token);
    check('resource + organization_id: aud resource, organization_id claim', o4at.aud === SHOPPING && o4at.organization_id === 'org_acme', o4at);
  });

  step('a role change shows at the next refresh', async () => {
    const patched = await admin('/users/demo', { roles: ['editor'] }, 'PATCH');
    check('PATCH user roles', patched.status === 200 && patched.body.roles[0] === 'editor', patched);
    const p1 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt, resource: SHOPPING });
    check('after role change the refresh gives "read write"', decodeJwt(p1.body.access_token).scope === 'read write', p1.text);
    rt = p1.body.refresh_token;
    await admin('/users/demo', { roles: ['reader'] }, 'PATCH');
  });

  step('a revoked access token is refused', async () => {
    const rv = await fetch(`${ISSUER}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`smoke:${clients.smoke}`).toString('base64')}` },
      body: new URLSearchParams({ token: t1.access_token, token_type_hint: 'access_token' }),
    });
    check('revocation 200', rv.status === 200);
    const ui2 = await fetch(`${ISSUER}/me`, { headers: { authorization: `Bearer ${t1.access_token}` } });
    check('revoked access token rejected by userinfo', ui2.status === 401);
  });

  step('refresh survives key rotation', async () => {
    const oldKid = (await jwks()).keys[0].kid;
    const rot = await admin('/rotate-keys', {});
    const keys2 = await jwks();
    check('rotate-keys: new kid, old one gone', rot.body.kid && rot.body.kid !== oldKid
      && keys2.keys.length === 1 && keys2.keys[0].kid === rot.body.kid, { rot, keys2 });
    const k1 = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt });
    check('refresh survives key rotation, id token has new kid', k1.status === 200
      && decodeProtectedHeader(k1.body.id_token).kid === rot.body.kid, k1.text);
    rt = k1.body.refresh_token;
  });

  step('a reused refresh token revokes the grant', async () => {
    const reuse = await token('smoke', { grant_type: 'refresh_token', refresh_token: firstRt });
    check('reused refresh token → invalid_grant', reuse.status === 400 && reuse.body.error === 'invalid_grant', reuse.text);
    const after = await token('smoke', { grant_type: 'refresh_token', refresh_token: rt });
    check('…and the whole grant is revoked', after.status === 400 && after.body.error === 'invalid_grant', after.text);
  });

  step('requests are counted per client and globally', async () => {
    const counts = (await admin('/counts?client_id=smoke')).body;
    check('counts per client', counts.auth >= 1 && counts.token >= 8 && counts.userinfo === 1 && counts.revocation === 1
      && counts.grants.authorization_code >= 1 && counts.grants.refresh_token >= 6
      && counts.grants.refresh_token_error >= 3 && counts.grants.organization_token >= 2, counts);
    const global = (await admin('/counts')).body;
    check('global counts jwks/discovery', global.jwks >= 4 && global.discovery === 1, global);
  });

  step('SSO skips the form; logout ends the session', async () => {
    await signIn(browser, 'smoke', { scope, resources: [SHOPPING], expectForm: false });
    const logout = await browser.request(`/oidc/session/end?${new URLSearchParams({
      client_id: 'smoke', post_logout_redirect_uri: POST_LOGOUT, state: 'bye',
    })}`);
    const logoutHtml = await logout.text();
    const lf = formOf(logoutHtml, 'logout');
    check('logout page has the form', logout.status === 200 && lf && lf.inputs.logout === 'yes' && lf.inputs.xsrf
      && lf.method === 'post' && logoutHtml.includes('<script>') && !logoutHtml.includes('fonts.googleapis'), logoutHtml);
    const done = await browser.request(lf.action, { method: 'POST', form: lf.inputs });
    const loc = new URL(done.headers.get('location') || '', BASE);
    check('logout → 303 to post_logout_redirect_uri with state', done.status === 303
      && `${loc.origin}${loc.pathname}` === POST_LOGOUT && loc.searchParams.get('state') === 'bye', `${done.status} ${loc}`);
    await signIn(browser, 'smoke', { scope: 'openid offline_access', expectForm: true });

    // logout without a session shows the same form
    const anon = await new Browser().request(`/oidc/session/end?client_id=smoke&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`);
    check('logout page without a session has the same form', formOf(await anon.text(), 'logout')?.inputs.logout === 'yes');
  });

  step('a second client: no rotation, per-client lifetimes, scopes by role', async () => {
    await register('smoke2', { rotate_refresh_token: false, ttl: { access_token: 120, id_token: 300, refresh_token: 600 } });
    const b2 = new Browser();
    const noConsent = await signIn(b2, 'smoke2', {
      scope: 'openid profile offline_access', prompt: null, username: 'admin', password: 'admin-password', expectForm: true,
    });
    check('no refresh token without prompt=consent', noConsent.refresh_token === undefined, noConsent);
    check('per-client access token ttl', noConsent.expires_in === 120, noConsent.expires_in);
    t2 = await signIn(b2, 'smoke2', { scope: 'openid profile offline_access read write', resources: [SHOPPING], expectForm: false });
    const adminId = decodeJwt(t2.id_token);
    check('per-client id token ttl', adminId.exp - adminId.iat === 300, adminId);
    const intro = await fetch(`${ISSUER}/token/introspection`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`smoke2:${clients.smoke2}`).toString('base64')}` },
      body: new URLSearchParams({ token: t2.refresh_token }),
    }).then((r) => r.json());
    check('per-client refresh token ttl', intro.active === true && intro.exp - intro.iat === 600, intro);
    check('admin: picture null, no email without the scope', adminId.picture === null && !('email' in adminId), adminId);
    const n1 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token, resource: SHOPPING });
    check('rotation disabled: same refresh token back', n1.status === 200 && n1.body.refresh_token === t2.refresh_token, n1.text);
    check('editor gets read write', decodeJwt(n1.body.access_token).scope === 'read write');
    const n2 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token, organization_id: 'org_acme' });
    check('org token without the organizations scope → insufficient_scope', n2.body?.error === 'insufficient_scope', `${n2.status} ${n2.text}`);
  });

  step('a user with no role: resource tokens without a scope claim', async () => {
    const guest = await signIn(new Browser(), 'smoke', {
      scope: 'openid profile offline_access read write', resources: [SHOPPING], username: 'guest', password: 'guest-password',
    });
    check('guest signs in', decodeJwt(guest.id_token).sub === 'user_guest', guest);
    const g1 = await token('smoke', { grant_type: 'refresh_token', refresh_token: guest.refresh_token, resource: SHOPPING });
    check('guest resource token 200', g1.status === 200, g1.text);
    const gat = decodeJwt(g1.body.access_token);
    check('no scope claim at all (not an empty one)', gat.aud === SHOPPING && !('scope' in gat), gat);
    check('an empty scope in the token response', g1.body.scope === '', g1.body.scope);
  });

  step('tamper switches, revoke-grants, adding users', async () => {
    await admin('/clients/smoke2/tamper', { id_token_claims: { nonce: 'evil' } });
    const e1 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    const e1v = await verify(e1.body.id_token, 'smoke2');
    check('tamper id_token_claims: re-signed with the real key', e1v.payload.nonce === 'evil');
    await admin('/clients/smoke2/tamper', { id_token_sign_with_foreign_key: true });
    const e2 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    const e2ok = await verify(e2.body.id_token, 'smoke2').then(() => true, () => false);
    check('tamper foreign key: same kid, signature fails', !e2ok
      && decodeProtectedHeader(e2.body.id_token).kid === (await jwks()).keys[0].kid);
    await admin('/clients/smoke2/tamper', { token_response_body: 'not json at all' });
    const e3 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    check('tamper token_response_body', e3.status === 200 && e3.text === 'not json at all');
    await admin('/clients/smoke2/tamper', { stall_token_endpoint: true });
    const e4 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token }, { signal: AbortSignal.timeout(500) })
      .then(() => 'answered', (err) => err.name);
    check('tamper stall_token_endpoint', e4 === 'TimeoutError', e4);
    await admin('/clients/smoke2/tamper', {});
    const e5 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    check('tamper {} clears', e5.status === 200 && (await verify(e5.body.id_token, 'smoke2')).payload.nonce !== 'evil', e5.text);
    check('other clients are not tampered', (await admin('/clients/smoke/tamper', {})).status === 200);

    const rg = await admin('/clients/smoke2/revoke-grants', {});
    check('revoke-grants', rg.status === 200 && rg.body.revoked_grants >= 1, rg);
    const e6 = await token('smoke2', { grant_type: 'refresh_token', refresh_token: t2.refresh_token });
    check('refresh after revoke-grants → invalid_grant', e6.body?.error === 'invalid_grant', e6.text);

    const users = await admin('/users', {
      username: 'carol', password: 'pw', sub: 'user_carol', claims: { name: 'Carol' }, roles: [], organizations: [{ id: 'org_initech', roles: ['member'] }],
    });
    check('POST /users', users.status === 201 && users.body.sub === 'user_carol' && !('password' in users.body), users);
  });

  it('closing stdin stops the server cleanly', async () => {
    const exited = once(child, 'exit');
    child.stdin.end();
    const [code] = await Promise.race([exited, new Promise((r) => { setTimeout(() => r(['timeout']), 5000); })]);
    check('the server exits with 0 on stdin close', code === 0, String(code));
  });
});
