// A plain in-memory adapter for oidc-provider. Unlike the bundled one (an LRU
// capped at 1000 entries shared by everything) it never evicts live entries,
// which matters when many tests run in parallel. It lives outside the Provider
// instance, so sessions, grants and tokens survive a key rotation (which builds
// a new Provider instance).

const models = new Map(); // model name -> Map(id -> { payload, expiresAt })

function table(name) {
  let t = models.get(name);
  if (!t) {
    t = new Map();
    models.set(name, t);
  }
  return t;
}

function live(entry) {
  return entry && (entry.expiresAt === undefined || entry.expiresAt > Date.now());
}

export class MemoryAdapter {
  constructor(name) {
    this.name = name;
    this.table = table(name);
  }

  async upsert(id, payload, expiresIn) {
    this.table.set(id, {
      payload: structuredClone(payload),
      expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
    });
  }

  async find(id) {
    const entry = this.table.get(id);
    if (!live(entry)) {
      this.table.delete(id);
      return undefined;
    }
    return structuredClone(entry.payload);
  }

  async findByUid(uid) {
    for (const [id, entry] of this.table) {
      if (entry.payload.uid === uid) return this.find(id);
    }
    return undefined;
  }

  async findByUserCode(userCode) {
    for (const [id, entry] of this.table) {
      if (entry.payload.userCode === userCode) return this.find(id);
    }
    return undefined;
  }

  async consume(id) {
    const entry = this.table.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    this.table.delete(id);
  }

  async revokeByGrantId(grantId) {
    for (const [id, entry] of this.table) {
      if (entry.payload.grantId === grantId) this.table.delete(id);
    }
  }
}

// Test helpers -------------------------------------------------------------

export function clientIdOfStored(name, id) {
  const entry = models.get(name)?.get(id);
  return live(entry) ? entry.payload.clientId : undefined;
}

// Removes every grant of a client and every token that belongs to one of them.
export function revokeClientGrants(clientId) {
  const grantIds = new Set();
  for (const [id, entry] of table('Grant')) {
    if (entry.payload.clientId === clientId) {
      grantIds.add(id);
      table('Grant').delete(id);
    }
  }
  for (const t of models.values()) {
    for (const [id, entry] of t) {
      if (entry.payload.grantId && grantIds.has(entry.payload.grantId)) t.delete(id);
    }
  }
  return grantIds.size;
}

export function putClient(metadata) {
  table('Client').set(metadata.client_id, { payload: structuredClone(metadata), expiresAt: undefined });
}

export function hasClient(clientId) {
  return table('Client').has(clientId);
}

// Drops expired entries now and then so a long test run doesn't grow forever.
setInterval(() => {
  for (const t of models.values()) {
    for (const [id, entry] of t) if (!live(entry)) t.delete(id);
  }
}, 60_000).unref();
