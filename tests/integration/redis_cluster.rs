//! `RedisStore` on a Redis Cluster: three primaries and three replicas of Debian's
//! `redis-server` on free loopback ports, made with `redis-cli --cluster create`. One
//! cluster is shared by the tests that leave it as they found it; the test that kills
//! a primary has one of its own.
//!
//! Every node runs under a small shell that holds a pipe from this process: when the
//! test binary ends (passed, failed or killed), the pipe closes and the shell kills its
//! node and removes its folder. A private cluster is also killed when dropped.

use std::{
    io::{BufRead, BufReader},
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use logto::{
    RedisStore, SessionStore,
    store::{Expect, LogoutTarget},
};
use logto_test_support::{Browser, free_port, unique_id};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::{
    stores::{across_instances, contract, profile_status},
    support::TestApp,
};

/// Runs one node: prints its pid, waits for its standard input to close, then kills
/// it and removes its folder (and the cluster's, once empty).
const NODE_SHELL: &str = r#"
redis-server "$1/redis.conf" >/dev/null 2>&1 &
pid=$!
echo "$pid"
read -r _ || true
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -rf "$1"
rmdir "$(dirname "$1")" 2>/dev/null
exit 0
"#;

struct Node {
    port: u16,
    /// The `redis-server` process, for `kill -9`.
    pid: u32,
    shell: Child,
    /// Closing it ends the node.
    stdin: Option<ChildStdin>,
}

pub struct Cluster {
    nodes: Vec<Node>,
}

/// The cluster the tests share, started on first use.
pub fn shared() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| Cluster::start().unwrap_or_else(|e| panic!("{e}")))
}

/// `redis-cli -p <port> <args>`, its output.
pub fn cli(port: u16, args: &[&str]) -> String {
    let output = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("redis-cli: {e} (apt-get install redis-tools)"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of `field:` in an `INFO` answer.
fn info_field(info: &str, field: &str) -> Option<u64> {
    info.lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|value| value.trim().parse().ok())
}

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub id: String,
    pub port: u16,
    pub primary: bool,
    pub failed: bool,
    /// A replica's primary.
    pub primary_id: Option<String>,
}

impl Cluster {
    pub fn start() -> Result<Self, String> {
        let root = std::env::temp_dir().join(unique_id("logto_redis_cluster"));
        let mut nodes = Vec::new();
        let mut cluster = Self { nodes: Vec::new() };
        for _ in 0..6 {
            // The bus port is set: the default (port + 10000) may be out of range or taken.
            let (port, bus) = (
                free_port().map_err(|e| e.to_string())?,
                free_port().map_err(|e| e.to_string())?,
            );
            let dir = root.join(port.to_string());
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let config = format!(
                "port {port}\ncluster-port {bus}\nbind 127.0.0.1\ncluster-enabled yes\n\
                 cluster-config-file {dir}/nodes.conf\ncluster-node-timeout 1000\n\
                 dir {dir}\nsave \"\"\nappendonly no\nrepl-diskless-sync yes\n\
                 repl-diskless-sync-delay 0\n",
                dir = dir.display()
            );
            std::fs::write(dir.join("redis.conf"), config).map_err(|e| e.to_string())?;
            nodes.push(Self::spawn(port, &dir)?);
        }
        cluster.nodes = nodes;
        for node in &cluster.nodes {
            wait_until(Duration::from_secs(10), || {
                cli(node.port, &["ping"]).trim() == "PONG"
            })
            .map_err(|_| format!("redis-server on port {} did not start", node.port))?;
        }
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .arg("--cluster")
            .arg("create")
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .map_err(|e| format!("redis-cli --cluster create: {e}"))?;
        if !created.status.success() {
            return Err(format!(
                "redis-cli --cluster create failed: {}{}",
                String::from_utf8_lossy(&created.stdout),
                String::from_utf8_lossy(&created.stderr)
            ));
        }
        // Every node sees the cluster as whole, and every replica is in sync.
        wait_until(Duration::from_secs(30), || cluster.healthy())
            .map_err(|_| "the cluster did not come up within 30 s".to_owned())?;
        Ok(cluster)
    }

    fn spawn(port: u16, dir: &std::path::Path) -> Result<Node, String> {
        let mut shell = Command::new("sh")
            .arg("-c")
            .arg(NODE_SHELL)
            .arg("node")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sh: {e}"))?;
        let mut line = String::new();
        let stdout = shell.stdout.take().ok_or("no stdout")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let pid = line
            .trim()
            .parse()
            .map_err(|_| format!("redis-server did not start (is it installed?): {line:?}"))?;
        let stdin = shell.stdin.take();
        Ok(Node {
            port,
            pid,
            shell,
            stdin,
        })
    }

    /// Whether every live node says `cluster_state:ok` and each primary has a replica
    /// online.
    fn healthy(&self) -> bool {
        let live: Vec<&Node> = self.nodes.iter().filter(|n| n.stdin.is_some()).collect();
        let ok = live
            .iter()
            .all(|n| cli(n.port, &["cluster", "info"]).contains("cluster_state:ok"));
        let primaries: Vec<NodeInfo> = self
            .topology()
            .into_iter()
            .filter(|n| n.primary && !n.failed)
            .collect();
        ok && primaries.len() == 3
            && primaries.iter().all(|p| {
                self.replica_of(p).is_some_and(|r| {
                    cli(r.port, &["info", "replication"]).contains("master_link_status:up")
                })
            })
    }

    /// `CLUSTER NODES` as a live node sees it.
    pub fn topology(&self) -> Vec<NodeInfo> {
        let Some(seen_by) = self.nodes.iter().find(|n| n.stdin.is_some()) else {
            return Vec::new();
        };
        cli(seen_by.port, &["cluster", "nodes"])
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let port = fields.get(1)?.split(['@', ':']).nth(1)?.parse().ok()?;
                let flags = fields.get(2)?;
                Some(NodeInfo {
                    id: fields.first()?.to_string(),
                    port,
                    primary: flags.contains("master"),
                    failed: flags.contains("fail"),
                    primary_id: fields
                        .get(3)
                        .filter(|id| **id != "-")
                        .map(|id| id.to_string()),
                })
            })
            .collect()
    }

    pub fn replica_of(&self, primary: &NodeInfo) -> Option<NodeInfo> {
        self.topology()
            .into_iter()
            .find(|n| !n.primary && n.primary_id.as_deref() == Some(primary.id.as_str()))
    }

    /// The live primaries.
    pub fn primaries(&self) -> Vec<NodeInfo> {
        self.topology()
            .into_iter()
            .filter(|n| n.primary && !n.failed)
            .collect()
    }

    /// Seed URLs: every node.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| format!("redis://127.0.0.1:{}", n.port))
            .collect()
    }

    /// `kill -9` of the node on `port`.
    pub fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.port == port)
            .expect("a node of this cluster");
        let status = Command::new("kill")
            .arg("-9")
            .arg(node.pid.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -9 {}", node.pid);
        // Marks the node dead; its shell removes its folder.
        drop(node.stdin.take());
    }

    /// The primary that holds `key`.
    pub fn holder(&self, key: &str) -> Option<NodeInfo> {
        self.primaries()
            .into_iter()
            .find(|p| cli(p.port, &["exists", key]).trim() == "1")
    }

    /// Waits until the replica of `primary` has everything the primary wrote so far.
    pub fn wait_replicated(&self, primary: &NodeInfo) {
        let replica = self.replica_of(primary).expect("a replica");
        let written = info_field(
            &cli(primary.port, &["info", "replication"]),
            "master_repl_offset",
        )
        .expect("master_repl_offset");
        wait_until(Duration::from_secs(10), || {
            info_field(
                &cli(replica.port, &["info", "replication"]),
                "slave_repl_offset",
            )
            .is_some_and(|offset| offset >= written)
        })
        .unwrap_or_else(|_| panic!("the replica on {} did not catch up", replica.port));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            drop(node.stdin.take());
        }
        for node in &mut self.nodes {
            let _ = node.shell.wait();
        }
    }
}

fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(())
}

async fn store(cluster: &Cluster, prefix: &str) -> RedisStore {
    RedisStore::connect_cluster(cluster.urls(), prefix)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn cluster_store_contract() {
    let cluster = shared();
    contract(&store(cluster, &format!("{}:", unique_id("logto_test_cl"))).await).await;
}

#[tokio::test]
async fn a_session_and_its_refresh_lock_live_in_one_slot_on_one_node() {
    let cluster = shared();
    let prefix = format!("{}:", unique_id("logto_test_slot"));
    let store = store(cluster, &prefix).await;
    let ids: Vec<String> = (0..12).map(|i| format!("session-{i}")).collect();
    for id in &ids {
        store
            .save(id, b"x", Duration::from_secs(60), Expect::Absent)
            .await
            .unwrap();
        assert!(
            store
                .try_lock(&format!("refresh:{id}"), Duration::from_secs(60))
                .await
                .unwrap()
                .is_some()
        );
    }
    let mut nodes = std::collections::HashSet::new();
    for id in &ids {
        let session = format!("{prefix}session:{{{id}}}");
        let lock = format!("{prefix}lock:refresh:{{{id}}}");
        let holder = cluster
            .holder(&session)
            .expect("the session is on a primary");
        let port = holder.port;
        assert_eq!(
            cli(port, &["cluster", "keyslot", &session]),
            cli(port, &["cluster", "keyslot", &lock]),
            "{session} and {lock}"
        );
        assert_eq!(
            cli(port, &["exists", &lock]).trim(),
            "1",
            "{lock} on {port}"
        );
        nodes.insert(port);
    }
    assert!(
        nodes.len() > 1,
        "sessions spread over the primaries: {nodes:?}"
    );
}

#[tokio::test]
async fn a_logout_ends_sessions_across_slots() {
    let cluster = shared();
    let store = store(cluster, &format!("{}:", unique_id("logto_test_bcl"))).await;
    let ttl = Duration::from_secs(60);
    let ids: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
    for id in &ids {
        store.save(id, b"x", ttl, Expect::Absent).await.unwrap();
        store
            .index_session(id, Some("sid-1"), "user-1", ttl)
            .await
            .unwrap();
    }
    store
        .save("other", b"x", ttl, Expect::Absent)
        .await
        .unwrap();
    store
        .index_session("other", Some("sid-2"), "user-1", ttl)
        .await
        .unwrap();
    let ended = store
        .end_sessions(&LogoutTarget::Sid("sid-1".into()))
        .await
        .unwrap();
    assert_eq!(ended, 8);
    for id in &ids {
        assert_eq!(store.load(id).await.unwrap(), None, "{id}");
    }
    assert!(
        store.load("other").await.unwrap().is_some(),
        "another sid's session stays"
    );
    // Again: nothing left in that index.
    assert_eq!(
        store
            .end_sessions(&LogoutTarget::Sid("sid-1".into()))
            .await
            .unwrap(),
        0
    );
    let by_user = LogoutTarget::Subject {
        sub: "user-1".into(),
        at: 0,
    };
    assert_eq!(
        store.end_sessions(&by_user).await.unwrap(),
        1,
        "only `other` was left"
    );
    assert_eq!(store.load("other").await.unwrap(), None);
}

#[tokio::test]
async fn a_brace_in_the_prefix_and_an_empty_node_list_are_refused() {
    let cluster = shared();
    let error = RedisStore::connect_cluster(cluster.urls(), "{app}:")
        .await
        .expect_err("a brace in the prefix");
    assert!(error.to_string().contains("hash tag"), "{error}");
    let error = RedisStore::connect_cluster(Vec::<String>::new(), "app:")
        .await
        .expect_err("no nodes");
    assert!(error.to_string().contains("no cluster node"), "{error}");
    let port = free_port().unwrap();
    let error = RedisStore::connect_cluster([format!("redis://:s3cret@127.0.0.1:{port}")], "app:")
        .await
        .expect_err("nothing listens there");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!(
            "cannot connect to the session store at redis://127.0.0.1:{port}"
        )),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[tokio::test]
async fn two_instances_share_a_cluster_session() {
    let cluster = shared();
    let prefix = format!("{}:", unique_id("logto_test_clx"));
    across_instances(
        "redis_session",
        vec![
            ("REDIS_CLUSTER_URLS", cluster.urls().join(",")),
            ("REDIS_PREFIX", prefix.clone()),
        ],
    )
    .await;
    // The instances kept the session in the cluster, under its tagged name.
    let stored: Vec<String> = cluster
        .primaries()
        .iter()
        .flat_map(|p| {
            cli(
                p.port,
                &["--scan", "--pattern", &format!("{prefix}session:{{*}}")],
            )
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
}

/// A session's slot moves to another primary while the store is connected: half way
/// (the key moved, the slot not yet) the old node answers `ASK`, after it `MOVED`.
#[tokio::test]
async fn a_session_is_found_through_ask_and_moved_while_its_slot_moves() {
    let cluster = shared();
    let prefix = format!("{}:", unique_id("logto_test_mv"));
    let store = store(cluster, &prefix).await;
    let ttl = Duration::from_secs(60);
    assert_eq!(
        store
            .save("moving", b"one", ttl, Expect::Absent)
            .await
            .unwrap(),
        Some(1)
    );
    let key = format!("{prefix}session:{{moving}}");
    let slot = cli(cluster.primaries()[0].port, &["cluster", "keyslot", &key])
        .trim()
        .to_owned();
    let from = cluster.holder(&key).expect("the session is on a primary");
    let to = cluster
        .primaries()
        .into_iter()
        .find(|p| p.id != from.id)
        .expect("another primary");
    // The steps of `redis-cli --cluster reshard`, for this one slot. Every key of the
    // slot moves (other tests may have keys there).
    assert_eq!(
        cli(
            to.port,
            &["cluster", "setslot", &slot, "importing", &from.id]
        )
        .trim(),
        "OK"
    );
    assert_eq!(
        cli(
            from.port,
            &["cluster", "setslot", &slot, "migrating", &to.id]
        )
        .trim(),
        "OK"
    );
    let to_port = to.port.to_string();
    loop {
        let keys = cli(from.port, &["cluster", "getkeysinslot", &slot, "100"]);
        let keys: Vec<&str> = keys.lines().filter(|k| !k.is_empty()).collect();
        if keys.is_empty() {
            break;
        }
        let mut args = vec!["migrate", "127.0.0.1", &to_port, "", "0", "5000", "KEYS"];
        args.extend(keys);
        assert_eq!(cli(from.port, &args).trim(), "OK");
    }
    // Half way: the old node owns the slot but has not the key, and answers ASK.
    let asked = cli(from.port, &["exists", &key]);
    assert!(asked.starts_with("ASK "), "{asked}");
    let record = store
        .load("moving")
        .await
        .unwrap()
        .expect("found through ASK");
    assert_eq!((record.data.as_slice(), record.version), (&b"one"[..], 1));
    assert_eq!(
        store
            .save("moving", b"two", ttl, Expect::Version(1))
            .await
            .unwrap(),
        Some(2),
        "a compare-and-set through ASK"
    );

    // Done: the slot is the new node's, and the old one answers MOVED.
    for node in [&to, &from] {
        assert_eq!(
            cli(node.port, &["cluster", "setslot", &slot, "node", &to.id]).trim(),
            "OK"
        );
    }
    for node in cluster.primaries() {
        cli(node.port, &["cluster", "setslot", &slot, "node", &to.id]);
    }
    let record = store
        .load("moving")
        .await
        .unwrap()
        .expect("found through MOVED");
    assert_eq!((record.data.as_slice(), record.version), (&b"two"[..], 2));
    assert_eq!(
        store
            .save("moving", b"three", ttl, Expect::Version(2))
            .await
            .unwrap(),
        Some(3)
    );
    assert_eq!(cli(to.port, &["exists", &key]).trim(), "1");
}

/// The primary of a session is killed: its requests are a clean 503 within the store
/// timeout, then, once its replica is promoted, every session written and replicated
/// before the kill is served again. A cluster of its own: the others' tests would see
/// the failover.
#[tokio::test]
async fn a_killed_primary_is_503_until_its_replica_takes_over_with_the_sessions() {
    let mut cluster = tokio::task::spawn_blocking(Cluster::start)
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}"));
    let prefix = format!("{}:", unique_id("logto_test_fo"));
    let store: Arc<dyn SessionStore> = Arc::new(store(&cluster, &prefix).await);
    let timeout = Duration::from_secs(1);
    let app = TestApp::start_with("cluster-failover", json!({}), {
        let store = store.clone();
        move |b| b.session_store(store).store_timeout(timeout)
    })
    .await;

    // Sessions, each found on its primary as it is made.
    let scan = |cluster: &Cluster| -> Vec<(String, u16)> {
        cluster
            .primaries()
            .into_iter()
            .flat_map(|p| {
                cli(
                    p.port,
                    &["--scan", "--pattern", &format!("{prefix}session:*")],
                )
                .lines()
                .map(|key| (key.to_owned(), p.port))
                .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut sessions: Vec<(String, u16)> = Vec::new();
    let mut browsers = Vec::new();
    let mut known = Vec::new();
    for _ in 0..6 {
        let browser = Browser::new();
        browser.sign_in_demo(&app.base).await;
        let cookie = browser.cookie_header(&app.base);
        let now = scan(&cluster);
        let new: Vec<_> = now
            .iter()
            .filter(|k| !known.contains(*k))
            .cloned()
            .collect();
        assert_eq!(new.len(), 1, "one stored session per sign-in: {new:?}");
        sessions.push((cookie, new[0].1));
        browsers.push(browser);
        known = now;
    }
    let victim = cluster
        .primaries()
        .into_iter()
        .find(|p| p.port == sessions[0].1)
        .expect("the first session's primary");
    let replica = cluster.replica_of(&victim).expect("a replica");
    // Replicated before the kill: the replicas have read everything the primaries wrote.
    for primary in cluster.primaries() {
        cluster.wait_replicated(&primary);
    }
    for (cookie, _) in &sessions {
        assert_eq!(profile_status(&app.base, cookie).await, StatusCode::OK);
    }

    cluster.kill(victim.port);
    let killed = Instant::now();
    let answers = futures_util::future::join_all(sessions.iter().map(|(cookie, port)| {
        let url = app.url("/api/profile");
        async move {
            let started = Instant::now();
            let response = reqwest::Client::new()
                .get(url)
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (
                *port,
                status,
                response.text().await.unwrap(),
                started.elapsed(),
            )
        }
    }))
    .await;
    for (port, status, body, elapsed) in &answers {
        if *port == victim.port {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        }
        if *status != StatusCode::OK {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            let value: Value = serde_json::from_str(body).unwrap();
            assert_eq!(value["error"], "session_store_unavailable", "{body}");
            for internal in ["127.0.0.1", "redis", "CLUSTERDOWN", "MOVED", "os error"] {
                assert!(
                    !body.contains(internal),
                    "the body shows `{internal}`: {body}"
                );
            }
        }
        assert!(
            *elapsed < timeout + Duration::from_millis(1500),
            "answered in {elapsed:?}, the store timeout is {timeout:?}"
        );
    }

    // The replica takes over; every session comes back, the victim's included.
    let mut all_ok = false;
    while killed.elapsed() < Duration::from_secs(20) {
        let mut ok = true;
        for (cookie, _) in &sessions {
            ok &= profile_status(&app.base, cookie).await == StatusCode::OK;
        }
        if ok {
            all_ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = killed.elapsed();
    println!("redis cluster failover: every session served again {recovered:?} after kill -9");
    assert!(
        all_ok,
        "sessions still unavailable {recovered:?} after the kill"
    );
    assert!(
        cluster.primaries().iter().any(|p| p.port == replica.port),
        "the replica on {} was promoted",
        replica.port
    );
    // The promoted node takes writes: a new sign-in, and a sign-out of a session it holds.
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    assert_eq!(
        profile_status(&app.base, &browser.cookie_header(&app.base)).await,
        StatusCode::OK
    );
    let response = browsers[0].sign_out(&app.base).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        profile_status(&app.base, &sessions[0].0).await,
        StatusCode::UNAUTHORIZED
    );
}
