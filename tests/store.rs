//! Store tests: the shared conformance suite (`phi_guard::store::conformance`) against the
//! embedded store (a fresh temp dir per test) and against a real `redis-server` (one server
//! per test binary, a unique key prefix per test), plus backend-specific durability tests:
//! embedded reopen and `kill -9` of a writer process; Redis restart (graceful and `kill -9`)
//! and `Unavailable` (without hanging) when Redis is down.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use phi_guard::store::conformance::{self, submission, work};
use phi_guard::store::embedded::EmbeddedStore;
use phi_guard::store::redis::RedisStore;
use phi_guard::store::{Store, StoreError, SubmitOutcome, now_ms};
use support::redis_server::RedisServer;

const DAY: Duration = Duration::from_secs(86_400);
const LONG: Duration = Duration::from_secs(60);

static REDIS: OnceLock<Option<RedisServer>> = OnceLock::new();

/// A Redis store on the shared server with a prefix unique to this test, or `None` when Redis
/// tests are skipped (`PHI_GUARD_SKIP_REDIS=1` and no binary).
async fn shared_redis(test: &str) -> Option<RedisStore> {
    let server = REDIS.get_or_init(RedisServer::start).as_ref()?;
    let prefix = format!(
        "t-{test}-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    );
    Some(
        RedisStore::connect(&server.url(), &prefix)
            .await
            .expect("connect to test redis"),
    )
}

macro_rules! conformance_tests {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = EmbeddedStore::open(dir.path()).unwrap();
                    conformance::$case(Arc::new(store)).await;
                }
            )*
        }
        mod redis {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(store) = shared_redis(stringify!($case)).await else { return };
                    conformance::$case(Arc::new(store)).await;
                }
            )*
        }
    };
}

conformance_tests!(
    case_submit_dedupe,
    case_ttl_expiry,
    case_multi_submission,
    case_fifo_and_fields,
    case_not_before,
    case_lease_exclusive,
    case_lease_expiry,
    case_retry,
    case_release,
    case_dead_letter,
    case_stats,
    case_delayed_stats,
    case_audit,
    case_cursors,
    case_concurrency,
);

// ---------------------------------------------------------------------------------------------
// Embedded only

#[tokio::test(flavor = "multi_thread")]
async fn embedded_state_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let leased_token;
    {
        let s = EmbeddedStore::open(dir.path()).unwrap();
        let out = s
            .submit(
                &[submission("k1", 1, vec![work("a"), work("b"), work("c")])],
                DAY,
            )
            .await
            .unwrap();
        assert_eq!(out, vec![SubmitOutcome::Accepted]);
        let mut later = work("later");
        later.not_before_ms = Some(now_ms() + 60_000);
        s.enqueue(&[later]).await.unwrap();
        let l = s.lease("c", 2, LONG).await.unwrap();
        s.dead_letter(&l[1], "permanent_4xx").await.unwrap();
        leased_token = l[0].clone();
        s.append_audit(b"{\"n\":1}").await.unwrap();
        s.set_cursor("sweep", "42").await.unwrap();
        // A second open of the same directory while it is held fails cleanly.
        assert!(matches!(
            EmbeddedStore::open(dir.path()),
            Err(StoreError::Unavailable(_))
        ));
    }
    let s = EmbeddedStore::open(dir.path()).unwrap();
    assert!(s.seen("k1").await.unwrap());
    assert_eq!(
        s.submit(&[submission("k1", 1, vec![work("x")])], DAY)
            .await
            .unwrap(),
        vec![SubmitOutcome::Duplicate]
    );
    let st = s.stats().await.unwrap();
    assert_eq!(
        (st.ready, st.delayed, st.leased, st.dead),
        (1, 1, 1, 1),
        "{st:?}"
    );
    assert_eq!(s.dlq_list(10).await.unwrap()[0].id, "b");
    assert_eq!(s.audit_tail(10).await.unwrap(), vec![b"{\"n\":1}".to_vec()]);
    assert_eq!(s.get_cursor("sweep").await.unwrap().as_deref(), Some("42"));
    // The lease taken before the reopen is still valid.
    s.ack(&leased_token).await.unwrap();
    let rest = s.lease("c", 10, LONG).await.unwrap();
    assert_eq!(
        rest.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
        vec!["c"]
    );
}

const KILL9_DIR: &str = "PHI_GUARD_STORE_KILL9_DIR";
const KILL9_START: &str = "PHI_GUARD_STORE_KILL9_START";

/// Helper process for `embedded_survives_kill_9`: submits events forever, printing `ACK <n>`
/// after each `submit` returns. Does nothing unless started by that test.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "helper process, started by embedded_survives_kill_9"]
async fn kill9_child() {
    use std::io::Write;
    let Some(dir) = std::env::var_os(KILL9_DIR) else {
        return;
    };
    let start: u64 = std::env::var(KILL9_START).unwrap().parse().unwrap();
    let s = EmbeddedStore::open(Path::new(&dir)).unwrap();
    for n in start.. {
        s.submit(
            &[submission(
                &format!("k{n}"),
                1,
                vec![work(&format!("i{n}-a")), work(&format!("i{n}-b"))],
            )],
            DAY,
        )
        .await
        .unwrap();
        let mut out = std::io::stdout().lock();
        writeln!(out, "ACK {n}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn embedded_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    // Two rounds: the second proves a store killed mid-write reopens and keeps working.
    for round in 0..2u64 {
        let start = round * 1_000_000;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "kill9_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(KILL9_DIR, dir.path())
            .env(KILL9_START, start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let began = Instant::now();
        let mut round_acks = 0;
        while round_acks < 40 {
            let line = lines
                .next()
                .expect("child stopped before acknowledging 40 submits")
                .unwrap();
            if let Some(n) = line.strip_prefix("ACK ") {
                acked.push(n.parse::<u64>().unwrap());
                round_acks += 1;
            }
            assert!(began.elapsed() < Duration::from_secs(60), "child too slow");
        }
        child.kill().unwrap(); // SIGKILL, while the child is in the middle of submitting
        for line in lines {
            if let Some(n) = line.unwrap().strip_prefix("ACK ") {
                acked.push(n.parse().unwrap());
            }
        }
        child.wait().unwrap();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = EmbeddedStore::open(dir.path()).unwrap();
        for n in &acked {
            assert!(s.seen(&format!("k{n}")).await.unwrap(), "acked k{n} lost");
        }
        let items = s.lease("check", 1_000_000, LONG).await.unwrap();
        let ids: std::collections::HashSet<String> = items.into_iter().map(|l| l.id).collect();
        for n in &acked {
            for suffix in ["a", "b"] {
                assert!(
                    ids.contains(&format!("i{n}-{suffix}")),
                    "acked item i{n} lost"
                );
            }
        }
        // Nothing but acknowledged events plus at most the one in flight per round, and never
        // half an event (a key without both of its items).
        assert!(ids.len() <= 2 * (acked.len() + 2), "{} items", ids.len());
        assert_eq!(ids.len() % 2, 0, "an event was half-enqueued");
    });
}

// ---------------------------------------------------------------------------------------------
// Redis only

/// Retries `f` until it succeeds (the connection manager reconnects after a restart).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let start = Instant::now();
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if start.elapsed() < Duration::from_secs(15) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_restart_loses_nothing() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let s = RedisStore::connect(&server.url(), "restart").await.unwrap();
    let subs: Vec<_> = (0..20)
        .map(|i| submission(&format!("k{i}"), 1, vec![work(&format!("w{i}"))]))
        .collect();
    s.submit(&subs, DAY).await.unwrap();
    let leased = s.lease("c", 3, LONG).await.unwrap();
    s.retry(&leased[0], now_ms() + 60_000).await.unwrap();
    s.dead_letter(&leased[1], "max_attempts").await.unwrap();
    s.append_audit(b"{\"n\":1}").await.unwrap();
    s.set_cursor("sweep", "7").await.unwrap();
    let before = s.stats().await.unwrap();
    assert_eq!(
        (before.ready, before.delayed, before.leased, before.dead),
        (17, 1, 1, 1)
    );

    server.restart();
    let after = eventually("stats after restart", || s.stats()).await;
    assert_eq!(
        (after.ready, after.delayed, after.leased, after.dead),
        (17, 1, 1, 1)
    );
    server.crash_restart();
    let after = eventually("stats after kill -9", || s.stats()).await;
    assert_eq!(
        (after.ready, after.delayed, after.leased, after.dead),
        (17, 1, 1, 1)
    );
    for i in 0..20 {
        assert!(s.seen(&format!("k{i}")).await.unwrap());
    }
    assert_eq!(s.audit_tail(5).await.unwrap(), vec![b"{\"n\":1}".to_vec()]);
    assert_eq!(s.get_cursor("sweep").await.unwrap().as_deref(), Some("7"));
    // The lease held across both restarts still acks; the rest drains exactly once.
    s.ack(&leased[2]).await.unwrap();
    let rest = s.lease("c", 100, LONG).await.unwrap();
    assert_eq!(rest.len(), 17);
    for l in &rest {
        s.ack(l).await.unwrap();
    }
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.leased, st.delayed, st.dead), (0, 0, 1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_down_is_unavailable_without_hanging() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let s = RedisStore::connect(&server.url(), "down").await.unwrap();
    s.enqueue(&[work("w")]).await.unwrap();
    server.stop();
    let t = Instant::now();
    let r = s
        .submit(&[submission("lost", 1, vec![work("x")])], DAY)
        .await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(matches!(s.ping().await, Err(StoreError::Unavailable(_))));
    assert!(matches!(
        s.lease("c", 1, LONG).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(s.stats().await, Err(StoreError::Unavailable(_))));
    assert!(
        t.elapsed() < Duration::from_secs(12),
        "calls took {:?}",
        t.elapsed()
    );
    server.restart();
    eventually("ping after restart", || s.ping()).await;
    assert!(
        !s.seen("lost").await.unwrap(),
        "a failed submit was recorded"
    );
    let l = s.lease("c", 10, LONG).await.unwrap();
    assert_eq!(l.len(), 1);

    // Connecting to a port nobody listens on fails fast too.
    let port = server.port();
    drop(server);
    let t = Instant::now();
    let r = RedisStore::connect(&format!("redis://127.0.0.1:{port}/"), "x").await;
    assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_keys_share_one_hash_tag_and_prefix_is_validated() {
    let Some(store) = shared_redis("hashtag").await else {
        return;
    };
    let server = REDIS.get().unwrap().as_ref().unwrap();
    let prefix = format!("ht-{}", rand::random::<u32>());
    let s = RedisStore::connect(&server.url(), &prefix).await.unwrap();
    drop(store);
    s.submit(&[submission("k", 1, vec![work("a"), work("b")])], DAY)
        .await
        .unwrap();
    let mut d = work("d");
    d.not_before_ms = Some(now_ms() + 60_000);
    s.enqueue(&[d]).await.unwrap();
    let l = s.lease("c", 2, LONG).await.unwrap();
    s.dead_letter(&l[0], "max_attempts").await.unwrap();
    s.append_audit(b"{}").await.unwrap();
    s.set_cursor("c", "1").await.unwrap();
    let client = ::redis::Client::open(server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("*{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.len() >= 8, "{keys:?}");
    let tag = format!("{{{prefix}}}:");
    assert!(keys.iter().all(|k| k.starts_with(&tag)), "{keys:?}");

    for bad in ["", "a{b", "a}b"] {
        assert!(matches!(
            RedisStore::connect(&server.url(), bad).await,
            Err(StoreError::Unavailable(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_audit_stream_is_trimmed_when_capped() {
    let Some(s) = shared_redis("audit_cap").await else {
        return;
    };
    let s = s.with_audit_max_len(50);
    for i in 0..600 {
        s.append_audit(format!("{{\"n\":{i}}}").as_bytes())
            .await
            .unwrap();
    }
    let all = s.audit_tail(10_000).await.unwrap();
    // `MAXLEN ~` trims whole stream nodes (100 entries by default), so "about" 50.
    assert!(all.len() >= 50 && all.len() < 300, "{} records", all.len());
    assert_eq!(all.last().unwrap(), b"{\"n\":599}");
}
