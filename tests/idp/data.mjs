// In-memory test data: API resources, roles, organizations, users and
// registered clients' test settings. Everything here is mutable through the
// admin API (admin.mjs); nothing is persisted.

export const ORGANIZATIONS_SCOPE = 'urn:logto:scope:organizations';
export const ORGANIZATION_ROLES_SCOPE = 'urn:logto:scope:organization_roles';
export const ORGANIZATIONS_RESOURCE = 'urn:logto:resource:organizations';
export const ORGANIZATION_URN_PREFIX = 'urn:logto:organization:';

// API resources: indicator -> list of scope (permission) names.
export const resources = new Map([
  ['https://shopping.example.com/api', ['read', 'write']],
  ['https://store.example.com/api', ['read', 'write']],
]);

// User roles: name -> { resource indicator -> scopes }.
export const roles = new Map([
  ['reader', { 'https://shopping.example.com/api': ['read'] }],
  ['editor', {
    'https://shopping.example.com/api': ['read', 'write'],
    'https://store.example.com/api': ['read', 'write'],
  }],
]);

// Organizations: id -> { name, description }.
export const organizations = new Map([
  ['org_acme', { name: 'Acme', description: 'Acme Corporation' }],
  ['org_globex', { name: 'Globex', description: null }],
  ['org_initech', { name: 'Initech', description: null }],
]);

// Organization roles: name -> organization scopes (permissions).
export const organizationRoles = new Map([
  ['admin', ['read:members', 'invite:members']],
  ['member', ['read:members']],
]);

// Users, keyed by username. `claims` holds the stored profile; scope -> claim
// mapping happens in claimsFor() below.
export const users = new Map();

export function putUser(input) {
  if (!input || typeof input.username !== 'string' || !input.username) {
    throw new TypeError('username is required');
  }
  const user = {
    username: input.username,
    password: String(input.password ?? ''),
    sub: input.sub || `user_${input.username}`,
    claims: { ...(input.claims || {}) },
    roles: [...(input.roles || [])],
    organizations: normalizeOrganizations(input.organizations || []),
  };
  // a replaced user may have had another sub: drop any entry with the same sub
  for (const [name, existing] of users) {
    if (existing.sub === user.sub && name !== user.username) users.delete(name);
  }
  users.set(user.username, user);
  return user;
}

export function patchUser(username, patch) {
  const user = users.get(username);
  if (!user) return undefined;
  if (patch.password !== undefined) user.password = String(patch.password);
  if (patch.roles !== undefined) user.roles = [...patch.roles];
  if (patch.organizations !== undefined) user.organizations = normalizeOrganizations(patch.organizations);
  if (patch.claims !== undefined) Object.assign(user.claims, patch.claims);
  return user;
}

// Accepts [{id, roles:[...]}] or {"<org id>": [roles]}.
function normalizeOrganizations(input) {
  if (Array.isArray(input)) {
    return input.map((o) => (typeof o === 'string' ? { id: o, roles: [] } : { id: o.id, roles: [...(o.roles || [])] }));
  }
  return Object.entries(input).map(([id, r]) => ({ id, roles: [...r] }));
}

export function findUserBySub(sub) {
  for (const user of users.values()) if (user.sub === sub) return user;
  return undefined;
}

// Scopes a user's roles allow on a resource.
export function roleScopesFor(user, indicator) {
  if (indicator === ORGANIZATIONS_RESOURCE) {
    // the reserved resource carries organization permissions: any the user has
    // in any of their organizations
    return new Set(user.organizations.flatMap((o) => o.roles.flatMap((r) => organizationRoles.get(r) || [])));
  }
  return new Set(user.roles.flatMap((r) => roles.get(r)?.[indicator] || []));
}

// Scopes an API resource offers (the reserved organizations resource offers
// every organization permission).
export function resourceScopes(indicator) {
  if (indicator === ORGANIZATIONS_RESOURCE) return allOrganizationScopes();
  return resources.get(indicator) || [];
}

export function membership(user, orgId) {
  return user.organizations.find((o) => o.id === orgId);
}

export function organizationScopesFor(user, orgId) {
  const m = membership(user, orgId);
  if (!m) return [];
  return [...new Set(m.roles.flatMap((r) => organizationRoles.get(r) || []))];
}

export function allOrganizationScopes() {
  return [...new Set([...organizationRoles.values()].flat())];
}

// scope -> claims, as in Logto's tables. Claims in USERINFO_ONLY never go
// into an ID token.
export const CLAIMS_BY_SCOPE = {
  openid: ['sub'],
  profile: [
    'name', 'username', 'picture', 'created_at', 'updated_at',
    'family_name', 'given_name', 'middle_name', 'nickname', 'preferred_username',
    'profile', 'website', 'gender', 'birthdate', 'zoneinfo', 'locale',
  ],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
  address: ['address'],
  roles: ['roles'],
  custom_data: ['custom_data'],
  identities: ['identities', 'sso_identities'],
  [ORGANIZATIONS_SCOPE]: ['organizations', 'organization_data'],
  [ORGANIZATION_ROLES_SCOPE]: ['organization_roles'],
};

export const USERINFO_ONLY = new Set(['custom_data', 'identities', 'sso_identities', 'organization_data']);

// Claims that Logto always sends (null when empty); the other profile claims
// are sent only when set.
const NULLABLE = {
  name: null, username: null, picture: null, created_at: null, updated_at: null,
  email: null, email_verified: false, phone_number: null, phone_number_verified: false,
};

// Every claim the user could have; the provider filters them by scope.
export function claimsFor(user, use) {
  const c = user.claims;
  const all = { ...NULLABLE };
  for (const [key, value] of Object.entries(c)) {
    if (value !== undefined && (value !== null || key in NULLABLE)) all[key] = value;
  }
  if (all.username === null) all.username = user.username;
  all.sub = user.sub;
  all.roles = [...user.roles];
  all.organizations = user.organizations.map((o) => o.id);
  all.organization_roles = user.organizations.flatMap((o) => o.roles.map((r) => `${o.id}:${r}`));
  all.organization_data = user.organizations.map((o) => {
    const org = organizations.get(o.id) || {};
    return { id: o.id, name: org.name ?? null, description: org.description ?? null };
  });
  all.custom_data = c.custom_data ?? {};
  all.identities = c.identities ?? {};
  all.sso_identities = c.sso_identities ?? [];
  if (use === 'id_token') for (const k of USERINFO_ONLY) delete all[k];
  return all;
}

export function resetData() {
  users.clear();
  putUser({
    username: 'demo',
    password: 'demo-password',
    sub: 'user_demo',
    claims: {
      name: 'Demo User',
      username: 'demo',
      preferred_username: 'demo',
      given_name: 'Demo',
      family_name: 'User',
      picture: 'https://example.com/avatar.png',
      created_at: 1700000000123,
      updated_at: 1710000000456,
      email: 'demo@example.com',
      email_verified: true,
      phone_number: '+15555550100',
      phone_number_verified: false,
      address: {
        formatted: '1 Demo Street\nSpringfield 12345\nUS',
        street_address: '1 Demo Street',
        locality: 'Springfield',
        region: 'CA',
        postal_code: '12345',
        country: 'US',
      },
      custom_data: { plan: 'pro', seats: 3 },
      identities: { github: { userId: '42', details: {} } },
      sso_identities: [],
    },
    roles: ['reader'],
    organizations: [{ id: 'org_acme', roles: ['admin'] }, { id: 'org_globex', roles: ['member'] }],
  });
  putUser({
    username: 'admin',
    password: 'admin-password',
    sub: 'user_admin',
    claims: {
      name: 'Admin User',
      username: 'admin',
      picture: null,
      created_at: 1690000000789,
      updated_at: 1690000000789,
      email: 'admin@example.com',
      email_verified: true,
    },
    roles: ['editor'],
    organizations: [
      { id: 'org_acme', roles: ['admin'] },
      { id: 'org_globex', roles: ['admin'] },
      { id: 'org_initech', roles: ['admin'] },
    ],
  });
  // A user as a fresh Logto tenant has them: no role, no organization. Their access
  // tokens carry no `scope` claim at all (not an empty one), as on Logto.
  putUser({
    username: 'guest',
    password: 'guest-password',
    sub: 'user_guest',
    claims: {
      name: 'Guest User',
      username: 'guest',
      created_at: 1720000000000,
      updated_at: 1720000000000,
      email: 'guest@example.com',
      email_verified: false,
    },
    roles: [],
    organizations: [],
  });
}

resetData();

// Per-client test settings (set by POST /__test/clients), keyed by client id.
export const clientSettings = new Map();

export const DEFAULT_TTL = { access_token: 3600, id_token: 3600, refresh_token: 14 * 24 * 3600 };

export function settingsFor(clientId) {
  return clientSettings.get(clientId) || { rotate_refresh_token: true, ttl: { ...DEFAULT_TTL }, tamper: {} };
}
