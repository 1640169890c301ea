// The refresh_token grant, extended with Logto's organization tokens.
//
// oidc-provider has no hook for this; `provider.registerGrantType` replaces the
// built-in handler. Requests without `organization_id` go to the built-in
// handler unchanged (rotation, reuse detection, resource indicators). With
// `organization_id`, the Logto checks run first, BEFORE anything can consume
// the refresh token, then the built-in handler does the rotation and reuse
// detection, and without a `resource` its opaque access token is swapped for an
// organization token (JWT, aud urn:logto:organization:<id>).
import { errors } from 'oidc-provider';
import { handler as builtinRefreshToken } from 'oidc-provider/lib/actions/grants/refresh_token.js';
import * as grantHelpers from 'oidc-provider/lib/helpers/grants.js';

import {
  ORGANIZATION_URN_PREFIX, ORGANIZATIONS_SCOPE, findUserBySub, membership, organizationScopesFor,
  settingsFor,
} from './data.mjs';
import { ALG } from './keys.mjs';

const PARAMETERS = ['refresh_token', 'scope', 'resource', 'organization_id'];

export function installRefreshTokenGrant(provider) {
  const helpers = Object.fromEntries(
    Object.entries(grantHelpers).map(([name, fn]) => [name, fn.bind(undefined, provider)]),
  );
  const builtin = (ctx) => builtinRefreshToken(provider, helpers, ctx);

  async function refreshTokenGrant(ctx) {
    const { params, client } = ctx.oidc;
    const orgId = params.organization_id;
    if (!orgId) return builtin(ctx);

    const rt = params.refresh_token
      && await provider.RefreshToken.find(params.refresh_token, { ignoreExpiration: true });
    // unknown, foreign, expired or reused tokens: the built-in handler answers
    // (invalid_grant; a reused one also revokes the whole grant)
    if (!rt || rt.clientId !== client.clientId || rt.isExpired || rt.consumed) return builtin(ctx);

    if (!rt.scopes.has(ORGANIZATIONS_SCOPE)) {
      // as Logto: oidc-provider's InsufficientScope, HTTP 403
      throw new errors.InsufficientScope('refresh token missing required scope', ORGANIZATIONS_SCOPE);
    }
    const requested = params.scope ? new Set(params.scope.split(' ').filter(Boolean)) : undefined;
    if (requested) {
      const missing = [...requested].filter((s) => !rt.scopes.has(s));
      if (missing.length) {
        throw new errors.InvalidScope('refresh token missing requested scope', missing.join(' '));
      }
    }
    const user = findUserBySub(rt.accountId);
    if (user && !membership(user, orgId)) {
      const err = new errors.AccessDenied('user is not a member of the organization');
      err.status = 403;
      err.statusCode = 403;
      throw err;
    }

    if (params.resource) {
      // a resource token that carries the organization_id claim (extraTokenClaims)
      return builtin(ctx);
    }

    // The built-in handler picks a resource from the scope when `openid` is
    // absent; the organization token's scope is ours to compute, so hide it.
    delete params.scope;
    await builtin(ctx);

    const opaque = ctx.oidc.entities.AccessToken;
    await opaque.destroy();

    const audience = `${ORGANIZATION_URN_PREFIX}${orgId}`;
    const available = organizationScopesFor(user, orgId);
    const wanted = requested || rt.scopes;
    const at = new provider.AccessToken({
      accountId: opaque.accountId,
      client,
      expiresWithSession: opaque.expiresWithSession,
      grantId: opaque.grantId,
      gty: opaque.gty,
      sessionUid: opaque.sessionUid,
      sid: opaque.sid,
    });
    at.resourceServer = new provider.ResourceServer(audience, {
      audience,
      scope: available.join(' '),
      accessTokenFormat: 'jwt',
      accessTokenTTL: settingsFor(client.clientId).ttl.access_token,
      jwt: { sign: { alg: ALG } },
    });
    at.scope = available.filter((s) => wanted.has(s)).join(' ');
    ctx.oidc.entity('AccessToken', at);
    const value = await at.save();

    ctx.body = {
      ...ctx.body,
      access_token: value,
      expires_in: at.expiration,
      scope: at.scope,
      token_type: at.tokenType,
    };
    return undefined;
  }

  provider.registerGrantType('refresh_token', refreshTokenGrant, PARAMETERS, ['resource']);
}
