// Request counters (per client and global) and the last authorization request
// of each client, for GET /__test/counts and GET /__test/last-auth.

const ENDPOINTS = ['auth', 'token', 'userinfo', 'revocation', 'introspection', 'end_session', 'login_page', 'login'];

function emptyCounts() {
  return { ...Object.fromEntries(ENDPOINTS.map((e) => [e, 0])), grants: {} };
}

const perClient = new Map();
let global = { ...emptyCounts(), jwks: 0, discovery: 0 };
const lastAuth = new Map();

function forClient(clientId) {
  let c = perClient.get(clientId);
  if (!c) {
    c = emptyCounts();
    perClient.set(clientId, c);
  }
  return c;
}

// Counts a request to `endpoint`; clientId may be undefined (unknown client).
export function count(endpoint, clientId) {
  global[endpoint] = (global[endpoint] || 0) + 1;
  if (clientId) {
    const c = forClient(clientId);
    c[endpoint] = (c[endpoint] || 0) + 1;
  }
}

export function countGrant(kind, clientId) {
  global.grants[kind] = (global.grants[kind] || 0) + 1;
  if (clientId) {
    const g = forClient(clientId).grants;
    g[kind] = (g[kind] || 0) + 1;
  }
}

export function countsFor(clientId) {
  if (clientId === undefined) return global;
  return perClient.get(clientId) || emptyCounts();
}

export function resetCounts(clientId) {
  if (clientId === undefined) {
    perClient.clear();
    global = { ...emptyCounts(), jwks: 0, discovery: 0 };
  } else {
    perClient.delete(clientId);
  }
}

export function recordAuth(clientId, searchParams) {
  if (!clientId) return;
  const params = {};
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key);
    params[key] = values.length > 1 ? values : values[0];
  }
  const scope = searchParams.get('scope') || '';
  lastAuth.set(clientId, {
    ...params,
    scopes: scope.split(' ').filter(Boolean),
    resource: searchParams.getAll('resource'),
    prompt: searchParams.get('prompt') ?? null,
  });
}

export function lastAuthFor(clientId) {
  return lastAuth.get(clientId);
}
