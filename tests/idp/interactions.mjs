// Our sign-in "UI": a login form at the interaction URL, and automatic
// consent (Logto's first-party apps are not asked).
import { resourceScopes, users } from './data.mjs';
import { OIDC_SCOPES } from './provider.mjs';
import { count } from './stats.mjs';
import { loginPage } from './views.mjs';

const OIDC = new Set(OIDC_SCOPES);

function list(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

async function autoConsent(provider, details, accountId) {
  const { params } = details;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  if (!grant || grant.accountId !== accountId) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  const scopes = String(params.scope || '').split(' ').filter(Boolean);
  const oidcScopes = scopes.filter((s) => OIDC.has(s));
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));

  if (params.claims) {
    const claims = JSON.parse(params.claims);
    const names = [...Object.keys(claims.id_token || {}), ...Object.keys(claims.userinfo || {})];
    if (names.length) grant.addOIDCClaims(names);
  }

  // Resource scopes: grant what was asked for and the resource offers. The
  // tokens only ever carry what the user's roles allow *now*: the provider's
  // getResourceServerInfo narrows the resource's scopes to them, so a role
  // change shows on the next refresh, and a missing role means no scope (403).
  const requested = scopes.filter((s) => !OIDC.has(s));
  for (const indicator of list(params.resource)) {
    const offered = new Set(resourceScopes(indicator));
    const granted = requested.filter((s) => offered.has(s));
    if (granted.length) grant.addResourceScope(indicator, granted.join(' '));
  }
  return grant.save();
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

// Handles /interaction/<uid> (GET) and /interaction/<uid>/login (POST).
export async function handleInteraction(provider, req, res, path) {
  const [, uid, action] = path.match(/^\/interaction\/([^/]+)(?:\/([^/]+))?$/) || [];
  if (!uid) return html(res, 404, 'not found');

  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    return html(res, 400, `interaction not found or expired: ${err.message}`);
  }
  if (details.uid !== uid) return html(res, 400, 'interaction mismatch');
  const clientId = details.params.client_id;
  const loginAction = `/interaction/${uid}/login`;

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      count('login_page', clientId);
      return html(res, 200, loginPage({ action: loginAction, clientId, username: details.params.login_hint }));
    }
    // consent (or anything else): the user is signed in already
    const grantId = await autoConsent(provider, details, details.session.accountId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const username = form.get('username') || '';
    const user = users.get(username);
    if (!user || user.password !== form.get('password')) {
      count('login_page', clientId);
      return html(res, 200, loginPage({
        action: loginAction, clientId, username, error: 'Invalid username or password',
      }));
    }
    count('login', clientId);
    const grantId = await autoConsent(provider, details, user.sub);
    return provider.interactionFinished(req, res, {
      login: { accountId: user.sub },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }

  return html(res, 405, 'method not allowed');
}
