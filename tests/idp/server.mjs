// Logto-like test identity provider for logto-rs. See README.md.
//
//   IDP_HOST (default 127.0.0.2), IDP_PORT (default 0 = any free port)
//   IDP_IGNORE_STDIN=1 keeps running when stdin closes.
//
// Prints exactly one line on stdout, `IDP_READY http://<host>:<port>`; the
// issuer is that plus `/oidc`. All logs go to stderr.

// stdout is reserved for the ready line: send every console log to stderr
// (oidc-provider prints notices with console.info).
console.log = console.error;
console.info = console.error;

const { createServer } = await import('node:http');
const { decodeJwt } = await import('jose');
const { handleAdmin } = await import('./admin.mjs');
const { handleInteraction } = await import('./interactions.mjs');
const keys = await import('./keys.mjs');
const { buildProvider } = await import('./provider.mjs');
const { count, recordAuth } = await import('./stats.mjs');
const { clientIdOfStored } = await import('./store.mjs');
const { endpointFault, tamperBeforeToken, tamperBeforeUserinfo } = await import('./tamper.mjs');

const host = process.env.IDP_HOST || '127.0.0.2';
const port = Number(process.env.IDP_PORT || 0);

let provider;
let callback;
const stalled = new Set();

function useProvider(issuer) {
  provider = buildProvider(issuer, keys.currentJwk());
  callback = provider.callback();
}

async function rotateKeys() {
  const jwk = await keys.rotate();
  useProvider(provider.issuer);
  console.error(`signing key rotated, kid ${jwk.kid}`);
  return jwk.kid;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function basicClientId(req) {
  const [scheme, value] = (req.headers.authorization || '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  try {
    return i > 0 ? decodeURIComponent(decoded.slice(0, i).replaceAll('+', '%20')) : undefined;
  } catch {
    return decoded.slice(0, i);
  }
}

function jwtClaim(token, claim) {
  try {
    return decodeJwt(token)[claim];
  } catch {
    return undefined;
  }
}

function accessTokenClient(token) {
  if (!token) return undefined;
  if (token.split('.').length === 3) return jwtClaim(token, 'client_id');
  return clientIdOfStored('AccessToken', token);
}

// Counts the request, finds its client, and applies tamper switches. Returns
// true when the request has been answered here.
async function beforeProvider(req, res, url, route) {
  let params = url.searchParams;
  if (req.method === 'POST' && /^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] || '')) {
    // read the form here; oidc-provider takes an already read body from req.body
    req.body = await readBody(req);
    params = new URLSearchParams(req.body);
  }
  let clientId;
  let userinfoToken;
  switch (route) {
    case '/auth':
      clientId = params.get('client_id') ?? undefined;
      count('auth', clientId);
      recordAuth(clientId, params);
      break;
    case '/token':
    case '/token/revocation':
    case '/token/introspection':
      clientId = basicClientId(req) ?? params.get('client_id') ?? undefined;
      count({ '/token': 'token', '/token/revocation': 'revocation', '/token/introspection': 'introspection' }[route], clientId);
      break;
    case '/me': {
      const [scheme, value] = (req.headers.authorization || '').split(' ');
      const token = scheme?.toLowerCase() === 'bearer' ? value : params.get('access_token');
      clientId = accessTokenClient(token);
      userinfoToken = token;
      count('userinfo', clientId);
      break;
    }
    case '/session/end': {
      const hint = params.get('id_token_hint');
      clientId = params.get('client_id') ?? (hint ? [jwtClaim(hint, 'aud')].flat()[0] : undefined);
      count('end_session', clientId);
      break;
    }
    case '/jwks':
      count('jwks');
      break;
    case '/.well-known/openid-configuration':
      count('discovery');
      break;
    default:
  }
  req.idpClientId = clientId;
  if (route === '/token' && req.method === 'POST') return tamperBeforeToken(clientId, res, stalled);
  if (route === '/me') return tamperBeforeUserinfo(clientId, userinfoToken, res);
  if (route === '/jwks') return endpointFault('jwks', res, stalled);
  if (route === '/.well-known/openid-configuration') return endpointFault('discovery', res, stalled);
  return false;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://idp.invalid');
  const path = url.pathname;
  if (path.startsWith('/__test/')) {
    return handleAdmin(req, res, url, { provider: () => provider, rotateKeys });
  }
  if (path.startsWith('/interaction/')) {
    return handleInteraction(provider, req, res, path);
  }
  if (path === '/oidc' || path.startsWith('/oidc/')) {
    const route = path.slice('/oidc'.length) || '/';
    if (await beforeProvider(req, res, url, route)) return undefined;
    // mount under /oidc: the provider derives its mount path from originalUrl
    req.originalUrl = req.url;
    req.url = req.url.slice('/oidc'.length) || '/';
    return callback(req, res);
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  return res.end(JSON.stringify({ error: 'not_found', error_description: `nothing at ${path}; the issuer is /oidc` }));
}

const server = createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error('request failed', err);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'server_error', error_description: String(err.message) }));
  });
});

let stopping = false;
function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  console.error(`idp: stopping (${reason})`);
  for (const res of stalled) res.destroy();
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (process.env.IDP_IGNORE_STDIN !== '1') {
  // dies with the process that spawned it (which keeps our stdin piped)
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

server.listen(port, host, () => {
  const { port: actual } = server.address();
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const endpoint = `http://${hostPart}:${actual}`;
  useProvider(`${endpoint}/oidc`);
  process.stdout.write(`IDP_READY ${endpoint}\n`);
  console.error(`idp: issuer ${endpoint}/oidc, signing kid ${keys.currentJwk().kid}`);
});
