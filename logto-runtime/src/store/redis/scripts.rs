//! The store's Lua scripts. Each one touches a single key, so it runs on the node that
//! owns that key's slot.

use redis::{ErrorKind, FromRedisValue, RedisResult, ServerErrorKind, ToRedisArgs};

use super::Connection;

/// Compare-and-set of a session hash (`v` version, `d` data) in one round trip.
pub(super) const SAVE: &str = r"
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if current then return -1 end
elseif current ~= ARGV[1] then
  return -1
end
local version = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'v', version, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return version
";

/// Deletes a lock only if the caller still holds it.
pub(super) const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Adds a session id to an index set, whose expiry only grows (the set outlives its
/// longest-lived session, and no longer).
pub(super) const INDEX: &str = r"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
";

/// A script, called by its hash.
#[derive(Debug, Clone)]
pub(super) struct Lua {
    body: &'static str,
    sha: String,
}

impl Lua {
    pub(super) fn new(body: &'static str) -> Self {
        let sha = redis::Script::new(body).get_hash().to_owned();
        Self { body, sha }
    }

    /// Runs the script on `key` with `args`: `EVALSHA`, and `EVAL` with the body when
    /// the node does not know the hash (a restarted node, a replica just promoted).
    /// Not `redis::Script`'s fallback: its `SCRIPT LOAD` goes to every node of a
    /// cluster and fails while one of them is down, which is exactly when a promoted
    /// replica needs the script; `EVAL` goes to the key's node only.
    pub(super) async fn run<T: FromRedisValue>(
        &self,
        connection: &Connection,
        key: &str,
        args: impl ToRedisArgs,
    ) -> RedisResult<T> {
        let mut by_hash = redis::cmd("EVALSHA");
        by_hash.arg(&self.sha).arg(1).arg(key).arg(&args);
        match connection.query(&by_hash).await {
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                let mut by_body = redis::cmd("EVAL");
                by_body.arg(self.body).arg(1).arg(key).arg(&args);
                connection.query(&by_body).await
            }
            answer => answer,
        }
    }
}
