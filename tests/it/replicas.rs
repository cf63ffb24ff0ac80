//! Multi-replica: three `phi-guard serve` processes on one real `redis-server`, enforcing against
//! the fake Zendesk API. Every event is delivered several times to random replicas (as a load
//! balancer and a retrying sender would), one replica is killed with SIGKILL while redactions are
//! in flight, and the fake API's own counts show that every required redaction happened, exactly
//! once in effect: the comment is redacted, each span once, and no comment saw more redaction
//! calls than "one, plus one if it was in flight on the killed replica".

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use phi_guard::store::Store;
use phi_guard::store::redis::RedisStore;
use serde_json::json;

use crate::support::fake_api::{FakeApi, FakeComment, Fault};
use crate::support::redis_server::RedisServer;
use crate::support::*;

const TICKETS: u64 = 40;
const REPLICAS: usize = 3;
const CONCURRENCY: usize = 2;
const SSN: &str = "536-22-8107";

/// One `phi-guard serve` child process.
pub struct Replica {
    pub child: Child,
    pub base: String,
}

impl Replica {
    /// Writes `toml` (with `{port}` replaced by a free port) to `dir` and starts `serve` on it.
    pub fn spawn(dir: &std::path::Path, name: &str, toml: &str) -> Replica {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cfg = dir.join(format!("{name}.toml"));
        std::fs::write(&cfg, toml.replace("{port}", &port.to_string())).unwrap();
        let child = phi_guard_cmd()
            .args(["serve", "--config"])
            .arg(&cfg)
            .env("HOSTNAME", name)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join(format!("{name}.log"))).unwrap())
            .spawn()
            .unwrap();
        Replica {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn sigterm(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `/readyz` until 200 or `limit`.
pub async fn ready_within(client: &reqwest::Client, base: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn replica_toml(redis: &str, prefix: &str, fake: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:{{port}}"
http_workers = 1
shutdown_drain_seconds = 0
[store]
backend = "redis"
redis_url = "{redis}"
redis_prefix = "{prefix}"
[detect]
fingerprint_key = "replica-shared-key"
[policy]
mode = "enforce"
tags = []
[worker]
concurrency = {CONCURRENCY}
lease_seconds = 5
poll_interval_ms = 20
backoff_base_ms = 10
backoff_cap_ms = 100
[log]
level = "warn"
[tenants.default]
zendesk_signing_secrets = ["{ZD_SECRET}"]
[tenants.default.zendesk]
base_url = "{fake}"
email = "agent@clinic.example"
api_token = "token"
requests_per_minute = 60000
"#
    )
}

fn event(ticket: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "account_id": 1, "id": format!("ev-replica-{ticket}"),
        "type": "zen:event-type:ticket.comment_added", "subject": format!("zen:ticket:{ticket}"),
        "time": "2025-01-08T14:25:30Z", "zendesk_event_version": "2022-11-06",
        "detail": {"id": ticket.to_string(), "via": {"channel": "web"}},
        "event": {"comment": {"id": ticket * 10, "body": format!("My SSN is {SSN}, thanks."), "is_public": true,
                  "author": {"id": 7, "is_staff": false, "name": "End User"}}}
    }))
    .unwrap()
}

/// Delivers `body` like a sender behind a load balancer: a random live replica first, another on
/// a connection error or 503. Returns the index of the replica that answered 200.
async fn deliver(
    client: &reqwest::Client,
    bases: &[String],
    dead: &std::sync::Mutex<Vec<bool>>,
    body: &[u8],
) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let live: Vec<usize> = {
            let d = dead.lock().unwrap();
            (0..bases.len()).filter(|i| !d[*i]).collect()
        };
        let i = live[rand::random_range(0..live.len())];
        let url = format!("{}/webhooks/zendesk", bases[i]);
        let ts = now_ts();
        let sent = client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-zendesk-webhook-signature-timestamp", &ts)
            .header("x-zendesk-webhook-signature", zd_sign(ZD_SECRET, &ts, body))
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == 200 => return i,
            Ok(r) => assert_eq!(r.status(), 503, "only 503 may be retried"),
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "delivery never acknowledged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_one_killed_every_redaction_once_in_effect() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let fake = FakeApi::start().await;
    for t in 1..=TICKETS {
        fake.add_comment(
            t,
            FakeComment {
                id: t * 10,
                html_body: format!("<p>My SSN is {SSN}, thanks.</p>"),
                public: true,
                attachments: vec![],
            },
        );
    }
    // Slow redactions keep work in flight on every replica when one is killed.
    fake.script(
        "PUT",
        "/api/v2/comment_redactions/",
        None,
        Fault::Delay(Duration::from_millis(150)),
    );
    let dir = tempfile::tempdir().unwrap();
    let toml = replica_toml(&redis.url(), "it-replicas", &fake.base);
    let mut replicas: Vec<Replica> = (0..REPLICAS)
        .map(|i| Replica::spawn(dir.path(), &format!("replica-{i}"), &toml))
        .collect();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for (i, r) in replicas.iter().enumerate() {
        if !ready_within(&client, &r.base, Duration::from_secs(15)).await {
            let log = std::fs::read_to_string(dir.path().join(format!("replica-{i}.log")));
            panic!("replica {i} not ready: {log:?}");
        }
    }
    let bases: Arc<Vec<String>> = Arc::new(replicas.iter().map(|r| r.base.clone()).collect());
    let dead = Arc::new(std::sync::Mutex::new(vec![false; REPLICAS]));

    // Every event 2 or 3 times, shuffled, 8 senders at a time.
    let mut deliveries: Vec<u64> = (1..=TICKETS)
        .flat_map(|t| std::iter::repeat_n(t, 2 + (t % 2) as usize))
        .collect();
    for i in (1..deliveries.len()).rev() {
        deliveries.swap(i, rand::random_range(0..=i));
    }
    let total = deliveries.len();
    let queue = Arc::new(std::sync::Mutex::new(deliveries));
    let answered = Arc::new(AtomicUsize::new(0));
    let per_replica = Arc::new(std::sync::Mutex::new(vec![0usize; REPLICAS]));
    let mut senders = Vec::new();
    for _ in 0..8 {
        let (client, bases, dead, queue, answered, per_replica) = (
            client.clone(),
            bases.clone(),
            dead.clone(),
            queue.clone(),
            answered.clone(),
            per_replica.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let Some(t) = queue.lock().unwrap().pop() else {
                    return;
                };
                let i = deliver(&client, &bases, &dead, &event(t)).await;
                per_replica.lock().unwrap()[i] += 1;
                answered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }));
    }
    // Kill replica 0 mid-run: half the deliveries acknowledged and redactions under way.
    let started = Instant::now();
    while (answered.load(Ordering::SeqCst) < total / 2
        || !fake.requests().iter().any(|r| r.method == "PUT"))
        && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    dead.lock().unwrap()[0] = true;
    replicas[0].sigkill();
    let killed_at = answered.load(Ordering::SeqCst);
    for s in senders {
        s.await.unwrap();
    }
    assert_eq!(answered.load(Ordering::SeqCst), total);

    // Every comment redacted, and the queue settled: the killed replica's leases expire after
    // 5 s and its items are finished by the others.
    let store = RedisStore::connect(&redis.url(), "it-replicas")
        .await
        .unwrap();
    let mut done = false;
    let mut redacted_at = None;
    for _ in 0..300 {
        done = (1..=TICKETS).all(|t| !fake.comment(t, t * 10).unwrap().html_body.contains(SSN));
        if done && redacted_at.is_none() {
            redacted_at = Some(started.elapsed());
        }
        let s = store.stats().await.unwrap();
        if done && s.ready + s.delayed + s.leased == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = redacted_at.unwrap_or_default();
    let settled = started.elapsed();
    let reqs = fake.requests();
    let mut puts: HashMap<u64, usize> = HashMap::new();
    for r in reqs.iter().filter(|r| r.method == "PUT") {
        let id: u64 = r.path.rsplit('/').next().unwrap().parse().unwrap();
        *puts.entry(id / 10).or_default() += 1;
    }
    let store = RedisStore::connect(&redis.url(), "it-replicas")
        .await
        .unwrap();
    let audit: Vec<serde_json::Value> = store
        .audit_tail(100_000)
        .await
        .unwrap()
        .iter()
        .map(|r| serde_json::from_slice(r).unwrap())
        .collect();
    let stats = store.stats().await.unwrap();
    for r in replicas.iter_mut().skip(1) {
        r.sigterm();
    }
    fake.stop().await;

    assert!(done, "every comment redacted: {:?}", fake.comment(1, 10));
    let extra: usize = puts.values().map(|n| n.saturating_sub(1)).sum();
    for t in 1..=TICKETS {
        let body = fake.comment(t, t * 10).unwrap().html_body;
        assert_eq!(
            body.matches('▇').count(),
            SSN.len(),
            "ticket {t}: the SSN redacted exactly once: {body}"
        );
        let n = puts.get(&t).copied().unwrap_or(0);
        assert!((1..=2).contains(&n), "ticket {t}: {n} redaction calls");
        // One work item per event despite 2-3 deliveries to different replicas.
        let work_ids: std::collections::BTreeSet<&str> = audit
            .iter()
            .filter(|r| r["event_id"] == format!("ev-replica-{t}"))
            .filter_map(|r| r["work_id"].as_str())
            .collect();
        assert_eq!(work_ids.len(), 1, "ticket {t}: work items {work_ids:?}");
    }
    // A second call only for items that were in flight on the killed replica.
    assert!(
        extra <= CONCURRENCY,
        "{extra} repeated redaction calls, more than the killed replica held"
    );
    assert_eq!(
        (stats.ready, stats.delayed, stats.leased, stats.dead),
        (0, 0, 0, 0),
        "queue settled"
    );
    let per_replica = per_replica.lock().unwrap().clone();
    assert!(
        per_replica.iter().all(|n| *n > 0),
        "every replica took deliveries: {per_replica:?}"
    );
    println!(
        "[reliability] replicas replicas={REPLICAS} events={TICKETS} deliveries={total} killed_after={killed_at} per_replica={per_replica:?} redaction_calls={} repeated_calls={extra} all_redacted_ms={} settled_ms={}",
        puts.values().sum::<usize>(),
        elapsed.as_millis(),
        settled.as_millis()
    );
    drop(redis);
}
