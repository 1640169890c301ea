// Builds an oidc-provider instance configured to behave like Logto.
import { randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

import {
  CLAIMS_BY_SCOPE, ORGANIZATIONS_RESOURCE, claimsFor, findUserBySub, resourceScopes, resources,
  roleScopesFor, settingsFor,
} from './data.mjs';
import { ALG } from './keys.mjs';
import { installRefreshTokenGrant } from './refresh.mjs';
import { countGrant } from './stats.mjs';
import { MemoryAdapter } from './store.mjs';
import { tamperTokenResponse } from './tamper.mjs';
import { logoutPage, logoutSuccessPage } from './views.mjs';

// Same cookie keys for every Provider instance of this process, so a key
// rotation (a new instance) keeps sessions and interactions.
const COOKIE_KEYS = [randomBytes(32).toString('hex')];

export const OIDC_SCOPES = ['openid', 'offline_access', ...Object.keys(CLAIMS_BY_SCOPE).filter((s) => s !== 'openid')];

async function findAccount(ctx, sub) {
  const user = findUserBySub(sub);
  if (!user) return undefined;
  return {
    accountId: sub,
    // the provider filters these by the granted scopes and claims
    async claims(use) {
      return claimsFor(user, use);
    },
  };
}

function resourceServer(indicator, scopes, client) {
  return {
    scope: scopes.join(' '),
    audience: indicator,
    accessTokenFormat: 'jwt',
    accessTokenTTL: settingsFor(client?.clientId).ttl.access_token,
    jwt: { sign: { alg: ALG } },
  };
}

// Known resources (and Logto's reserved organizations resource) give JWT
// access tokens. Once the user is known (token endpoint), the resource's scopes
// are narrowed to those the user's roles allow at that moment.
async function getResourceServerInfo(ctx, indicator, client) {
  if (!resources.has(indicator) && indicator !== ORGANIZATIONS_RESOURCE) throw new errors.InvalidTarget();
  let scopes = resourceScopes(indicator);
  const accountId = ctx?.oidc?.entities?.Account?.accountId;
  if (accountId) {
    const user = findUserBySub(accountId);
    const allowed = user ? roleScopesFor(user, indicator) : new Set();
    scopes = scopes.filter((s) => allowed.has(s));
  }
  return resourceServer(indicator, scopes, client);
}

function ttl(kind) {
  return (ctx, token, client) => settingsFor(client?.clientId ?? token?.clientId).ttl[kind];
}

function pick(form, name) {
  const m = form.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1] : '';
}

export function buildProvider(issuer, jwk) {
  const provider = new Provider(issuer, {
    adapter: MemoryAdapter,
    jwks: { keys: [jwk] },
    cookies: { keys: COOKIE_KEYS },
    claims: {
      acr: null, auth_time: null, iss: null, sid: null, ...CLAIMS_BY_SCOPE,
    },
    scopes: OIDC_SCOPES,
    conformIdTokenClaims: false,
    findAccount,
    responseTypes: ['code'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: ALG,
    },
    enabledJWA: { idTokenSigningAlgValues: [ALG] },
    pkce: { required: () => true },
    rotateRefreshToken: (ctx) => settingsFor(ctx.oidc.client.clientId).rotate_refresh_token !== false,
    ttl: {
      AccessToken: ttl('access_token'),
      IdToken: ttl('id_token'),
      RefreshToken: ttl('refresh_token'),
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async extraTokenClaims(ctx, token) {
      // a resource token asked for with organization_id carries it as a claim
      const orgId = ctx?.oidc?.params?.organization_id;
      if (token.kind === 'AccessToken' && orgId && ctx.oidc.params.resource) {
        return { organization_id: orgId };
      }
      return undefined;
    },
    // errors the provider cannot redirect (bad client or redirect_uri...):
    // JSON, as Logto answers them, even to browsers
    async renderError(ctx, out) {
      ctx.type = 'json';
      ctx.body = out;
    },
    // oidc-provider refuses its own outgoing requests to special-use addresses
    // (loopback included) through the dispatcher it passes here; the test apps run on
    // 127.0.0.1, so back-channel logout goes through the plain global fetch instead.
    fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          const action = form.match(/action="([^"]*)"/)[1];
          ctx.body = logoutPage({ action, xsrf: pick(form, 'xsrf') });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = logoutSuccessPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo,
      },
    },
  });

  installRefreshTokenGrant(provider);

  provider.use(async (ctx, next) => {
    await next();
    // Without a signed-in session the provider answers end-session with its
    // own auto-submitting form: serve our page there too, so tests see one form.
    if (ctx.path === '/session/end' && ctx.status === 200 && typeof ctx.body === 'string'
      && !ctx.body.includes('id="logout"')) {
      const action = ctx.body.match(/action="([^"]*)"/)?.[1];
      if (action) ctx.body = logoutPage({ action, xsrf: pick(ctx.body, 'xsrf') });
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
      await tamperTokenResponse(ctx.oidc?.client?.clientId ?? ctx.req.idpClientId, ctx.body);
    }
  });

  provider.on('grant.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId ?? ctx.req.idpClientId;
    countGrant(ctx.oidc.params.grant_type, clientId);
    if (ctx.oidc.params.organization_id) countGrant('organization_token', clientId);
  });
  provider.on('grant.error', (ctx, err) => {
    const clientId = ctx.oidc?.client?.clientId ?? ctx.req.idpClientId;
    const gty = ctx.oidc?.params?.grant_type ?? 'unknown';
    countGrant(`${gty}_error`, clientId);
    if (ctx.oidc?.params?.organization_id) countGrant('organization_token_error', clientId);
    console.error(`grant.error ${gty} client=${clientId}: ${err.error || err.message} ${err.error_description || ''} ${err.error_detail || ''}`);
  });
  provider.on('backchannel.error', (ctx, err, client) => {
    console.error(`backchannel.error client=${client?.clientId}: ${err?.message || ''} ${err?.cause?.message || ''}`);
  });
  for (const event of ['server_error', 'authorization.error', 'end_session.error', 'userinfo.error', 'revocation.error']) {
    provider.on(event, (ctx, err) => console.error(`${event}: ${err?.error || ''} ${err?.error_description || ''} ${err?.error_detail || ''}`, event === 'server_error' ? err : ''));
  }

  return provider;
}
