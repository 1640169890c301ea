//! Where each record lives. A single node keeps the names of the first release, so an
//! upgrade finds every session where it was; a cluster's names carry a hash tag
//! (`{...}`) naming what a record belongs to, so a session and its refresh lock share
//! one hash slot and any later script over both runs on one node.

use super::super::LogoutTarget;

/// The key names of one store.
#[derive(Debug, Clone)]
pub(super) struct Keys {
    prefix: String,
    tagged: bool,
}

impl Keys {
    /// The single-node layout: `<prefix>session:<id>`, `<prefix>lock:<key>`.
    pub(super) fn single(prefix: String) -> Self {
        Self {
            prefix,
            tagged: false,
        }
    }

    /// The cluster layout: `<prefix>session:{<id>}`, `<prefix>lock:<kind>:{<subject>}`.
    /// A brace in the prefix is refused: Redis hashes the first `{...}` of a key, so the
    /// prefix's would put every key of the store in one slot, on one node.
    #[cfg(any(test, feature = "redis-cluster"))]
    pub(super) fn tagged(prefix: String) -> Result<Self, String> {
        if prefix.contains(['{', '}']) {
            return Err(format!(
                "the key prefix {prefix:?} holds a brace: in a cluster it would be the hash tag of every key, putting all sessions on one node"
            ));
        }
        Ok(Self {
            prefix,
            tagged: true,
        })
    }

    pub(super) fn session(&self, id: &str) -> String {
        let prefix = &self.prefix;
        if self.tagged {
            format!("{prefix}session:{{{id}}}")
        } else {
            format!("{prefix}session:{id}")
        }
    }

    /// A lock named `<kind>:<subject>` by the runtime (`refresh:<session id>`,
    /// `logout-jti:<hash>`) is tagged by its subject: a session's refresh lock lives in
    /// the session's slot.
    pub(super) fn lock(&self, key: &str) -> String {
        let prefix = &self.prefix;
        if !self.tagged {
            return format!("{prefix}lock:{key}");
        }
        match key.split_once(':') {
            Some((kind, subject)) if !subject.is_empty() => {
                format!("{prefix}lock:{kind}:{{{subject}}}")
            }
            _ => format!("{prefix}lock:{{{key}}}"),
        }
    }

    /// The set of session ids of a provider session or a user. Tagged in both layouts
    /// (they were from the start): the index is one key, in a slot of its own, and
    /// ending its sessions deletes them one by one in theirs.
    pub(super) fn index(&self, target: &LogoutTarget) -> String {
        let prefix = &self.prefix;
        match target {
            LogoutTarget::Sid(sid) => format!("{prefix}logout:{{sid:{sid}}}"),
            LogoutTarget::Subject { sub, .. } => format!("{prefix}logout:{{sub:{sub}}}"),
        }
    }

    /// The cookie sessions' revocations: one sorted set, one slot.
    pub(super) fn revocations(&self) -> String {
        format!("{}revocations", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Redis Cluster hashes: the text between the first `{` and the first `}`
    /// after it when that is not empty, else the whole key.
    fn hashed(key: &str) -> &str {
        if let Some(open) = key.find('{')
            && let Some(len) = key[open + 1..].find('}')
            && len > 0
        {
            return &key[open + 1..open + 1 + len];
        }
        key
    }

    #[test]
    fn single_node_names_are_those_of_the_first_release() {
        let keys = Keys::single("app:".into());
        assert_eq!(keys.session("abc"), "app:session:abc");
        assert_eq!(keys.lock("refresh:abc"), "app:lock:refresh:abc");
        assert_eq!(keys.lock("l"), "app:lock:l");
        assert_eq!(
            keys.index(&LogoutTarget::Sid("s1".into())),
            "app:logout:{sid:s1}"
        );
        assert_eq!(keys.revocations(), "app:revocations");
    }

    #[test]
    fn in_a_cluster_a_session_and_its_refresh_lock_share_a_slot() {
        let keys = Keys::tagged("app:".into()).unwrap();
        let id = crate::session::random_id();
        assert_eq!(keys.session(&id), format!("app:session:{{{id}}}"));
        assert_eq!(hashed(&keys.session(&id)), id);
        assert_eq!(hashed(&keys.lock(&format!("refresh:{id}"))), id);
        // Other sessions, other slots (as far as their tags go).
        assert_ne!(hashed(&keys.session("other")), id);
        assert_eq!(hashed(&keys.lock("logout-jti:ab12")), "ab12");
        assert_eq!(hashed(&keys.lock("plain")), "plain");
        assert_eq!(hashed(&keys.lock("trailing:")), "trailing:");
        let sub = LogoutTarget::Subject {
            sub: "u1".into(),
            at: 0,
        };
        assert_eq!(hashed(&keys.index(&sub)), "sub:u1");
        assert_eq!(
            hashed(&keys.index(&LogoutTarget::Sid("u1".into()))),
            "sid:u1"
        );
    }

    #[test]
    fn a_brace_in_a_cluster_prefix_is_refused() {
        for prefix in ["{app}:", "app{", "}app"] {
            let error = Keys::tagged(prefix.into()).unwrap_err();
            assert!(error.contains("one node"), "{error}");
        }
        // A single node has no slots: any prefix goes, as before.
        assert_eq!(
            Keys::single("{app}:".into()).session("a"),
            "{app}:session:a"
        );
    }
}
