//! The conformance suite every [`Store`] implementation must pass (embedded and Redis run the
//! same cases from `tests/store.rs`).
//!
//! Owns: the behavioural contract of the store, as executable cases. Must not: depend on a
//! backend. It is compiled into the library (hidden from the docs, not behind `cfg(test)`) so
//! integration tests can call it; nothing in the service calls it. Each `case_*` takes a fresh,
//! empty store and panics (it is a test) when the store breaks the contract. Cases that test
//! expiry sleep for up to about a second of real time, because both backends read a real
//! clock (Redis uses its server `TIME`).

#![doc(hidden)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Leased, NewWork, Store, StoreError, Submission, SubmitOutcome, now_ms};

const LONG: Duration = Duration::from_secs(60);
const DAY: Duration = Duration::from_secs(86_400);

/// A ready work item with a recognisable payload.
pub fn work(id: &str) -> NewWork {
    NewWork {
        id: id.to_string(),
        tenant: "acme".to_string(),
        kind: "redact_comment".to_string(),
        payload: format!("{{\"ticket\":1,\"item\":\"{id}\"}}").into_bytes(),
        not_before_ms: None,
    }
}

/// A submission whose body hash is `[hash; 32]`.
pub fn submission(key: &str, hash: u8, items: Vec<NewWork>) -> Submission {
    Submission {
        dedupe_key: key.to_string(),
        body_hash: [hash; 32],
        items,
    }
}

async fn lease_all<S: Store>(s: &S, max: usize, lease: Duration) -> Vec<Leased> {
    s.lease("c1", max, lease).await.expect("lease")
}

fn ids(items: &[Leased]) -> Vec<&str> {
    items.iter().map(|l| l.id.as_str()).collect()
}

fn assert_not_found(r: Result<(), StoreError>, what: &str) {
    assert!(
        matches!(r, Err(StoreError::NotFound(_))),
        "{what}: expected NotFound, got {r:?}"
    );
}

/// New key → accepted and enqueued; same key and body → duplicate; same key, other body →
/// duplicate-different-body; duplicates enqueue nothing.
pub async fn case_submit_dedupe<S: Store>(s: Arc<S>) {
    assert!(!s.seen("zd:acme:1").await.unwrap());
    let out = s
        .submit(&[submission("zd:acme:1", 1, vec![work("a")])], DAY)
        .await
        .unwrap();
    assert_eq!(out, vec![SubmitOutcome::Accepted]);
    assert!(s.seen("zd:acme:1").await.unwrap());
    assert!(!s.seen("zd:acme:2").await.unwrap());
    let out = s
        .submit(&[submission("zd:acme:1", 1, vec![work("b")])], DAY)
        .await
        .unwrap();
    assert_eq!(out, vec![SubmitOutcome::Duplicate]);
    let out = s
        .submit(&[submission("zd:acme:1", 2, vec![work("c")])], DAY)
        .await
        .unwrap();
    assert_eq!(out, vec![SubmitOutcome::DuplicateDifferentBody]);
    let got = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&got), vec!["a"], "duplicates must not enqueue");
    assert_eq!(s.stats().await.unwrap().ready, 0);
}

/// A dedupe key is new again once its TTL has passed.
pub async fn case_ttl_expiry<S: Store>(s: Arc<S>) {
    let ttl = Duration::from_millis(500);
    let first = s
        .submit(&[submission("k", 1, vec![work("t1")])], ttl)
        .await
        .unwrap();
    assert_eq!(first, vec![SubmitOutcome::Accepted]);
    let again = s
        .submit(&[submission("k", 1, vec![work("t2")])], ttl)
        .await
        .unwrap();
    assert_eq!(again, vec![SubmitOutcome::Duplicate]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!s.seen("k").await.unwrap(), "expired key still seen");
    let later = s
        .submit(&[submission("k", 2, vec![work("t3")])], ttl)
        .await
        .unwrap();
    assert_eq!(
        later,
        vec![SubmitOutcome::Accepted],
        "expired key must be new"
    );
    let got = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&got), vec!["t1", "t3"]);
}

/// Several submissions in one call: each gets its own outcome in order, a key repeated inside
/// the batch is a duplicate, empty item lists are recorded, every accepted item is enqueued.
pub async fn case_multi_submission<S: Store>(s: Arc<S>) {
    s.submit(&[submission("old", 9, vec![])], DAY)
        .await
        .unwrap();
    let batch = vec![
        submission("a", 1, vec![work("a1"), work("a2")]),
        submission("old", 8, vec![work("never1")]),
        submission("b", 1, vec![work("b1")]),
        submission("a", 1, vec![work("never2")]),
        submission("c", 1, vec![]),
    ];
    let out = s.submit(&batch, DAY).await.unwrap();
    assert_eq!(
        out,
        vec![
            SubmitOutcome::Accepted,
            SubmitOutcome::DuplicateDifferentBody,
            SubmitOutcome::Accepted,
            SubmitOutcome::Duplicate,
            SubmitOutcome::Accepted,
        ]
    );
    assert!(s.seen("c").await.unwrap());
    let got = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&got), vec!["a1", "a2", "b1"]);
    assert!(s.submit(&[], DAY).await.unwrap().is_empty());
}

/// Items come out in FIFO order with every field intact (binary payloads included); an id that
/// is already queued is not enqueued twice.
pub async fn case_fifo_and_fields<S: Store>(s: Arc<S>) {
    for i in 0..12 {
        s.enqueue(&[work(&format!("w{i:02}"))]).await.unwrap();
    }
    let mut binary = work("bin");
    binary.payload = (0..=255u8).collect();
    binary.tenant = "tenant-b".into();
    binary.kind = "delete_message".into();
    let before = now_ms();
    s.enqueue(&[binary.clone(), work("w00")]).await.unwrap();
    let first = lease_all(&*s, 5, LONG).await;
    assert_eq!(ids(&first), vec!["w00", "w01", "w02", "w03", "w04"]);
    let rest = lease_all(&*s, 100, LONG).await;
    let expect: Vec<String> = (5..12)
        .map(|i| format!("w{i:02}"))
        .chain(["bin".to_string()])
        .collect();
    assert_eq!(ids(&rest), expect, "FIFO order, no duplicate w00");
    let b = rest.last().unwrap();
    assert_eq!(b.payload, binary.payload);
    assert_eq!(b.tenant, "tenant-b");
    assert_eq!(b.kind, "delete_message");
    assert_eq!(b.attempts, 0);
    assert!(b.enqueued_at_ms + 1000 >= before && b.enqueued_at_ms <= now_ms() + 1000);
    assert!(!b.token.is_empty());
    assert!(lease_all(&*s, 10, LONG).await.is_empty());
}

/// `not_before_ms` in the future keeps an item out of `lease` (and counted as delayed) until
/// that time; in the past it is ready at once.
pub async fn case_not_before<S: Store>(s: Arc<S>) {
    let mut later = work("later");
    later.not_before_ms = Some(now_ms() + 1000);
    let mut past = work("past");
    past.not_before_ms = Some(now_ms().saturating_sub(10_000));
    s.enqueue(&[later, work("now"), past]).await.unwrap();
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.delayed), (2, 1), "{st:?}");
    let got = lease_all(&*s, 10, LONG).await;
    let mut got_ids = ids(&got);
    got_ids.sort();
    assert_eq!(got_ids, vec!["now", "past"]);
    assert!(lease_all(&*s, 10, LONG).await.is_empty());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let got = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&got), vec!["later"]);
}

/// Concurrent consumers never receive the same item while its lease holds.
pub async fn case_lease_exclusive<S: Store>(s: Arc<S>) {
    let all: Vec<NewWork> = (0..60).map(|i| work(&format!("x{i}"))).collect();
    s.enqueue(&all).await.unwrap();
    let mut tasks = Vec::new();
    for c in 0..6 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s.lease(&format!("c{c}"), 3, LONG).await.unwrap();
                if got.is_empty() {
                    break;
                }
                mine.extend(got.into_iter().map(|l| l.id));
            }
            mine
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(seen.insert(id.clone()), "{id} leased twice");
        }
    }
    assert_eq!(seen.len(), 60);
    assert_eq!(s.stats().await.unwrap().leased, 60);
}

/// An expired lease is reclaimed by the next `lease` with its attempt count kept; the old
/// token can no longer ack; a live lease is never handed out.
pub async fn case_lease_expiry<S: Store>(s: Arc<S>) {
    s.enqueue(&[work("e")]).await.unwrap();
    let short = Duration::from_millis(600);
    let first = lease_all(&*s, 1, short).await;
    assert_eq!(ids(&first), vec!["e"]);
    // A bumped attempt count must survive reclaim: retry now, re-lease.
    s.retry(&first[0], now_ms()).await.unwrap();
    let second = lease_all(&*s, 1, short).await;
    assert_eq!(second[0].attempts, 1);
    assert!(
        s.lease("other", 1, LONG).await.unwrap().is_empty(),
        "a live lease was handed out"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let third = s.lease("other", 5, LONG).await.unwrap();
    assert_eq!(ids(&third), vec!["e"], "expired lease not reclaimed");
    assert_eq!(third[0].attempts, 1, "reclaim must keep attempts");
    assert_ne!(third[0].token, second[0].token);
    assert_not_found(s.ack(&second[0]).await, "stale ack");
    assert_not_found(s.retry(&second[0], 0).await, "stale retry");
    assert_not_found(s.release(&second[0]).await, "stale release");
    assert_not_found(s.dead_letter(&second[0], "x").await, "stale dead_letter");
    s.ack(&third[0]).await.unwrap();
    assert_not_found(s.ack(&third[0]).await, "double ack");
    assert_eq!(s.stats().await.unwrap(), super::QueueStats::default());
    assert!(lease_all(&*s, 5, short).await.is_empty());
}

/// `retry` counts an attempt and holds the item until `at_ms`.
pub async fn case_retry<S: Store>(s: Arc<S>) {
    s.enqueue(&[work("r")]).await.unwrap();
    let l = lease_all(&*s, 1, LONG).await;
    s.retry(&l[0], now_ms() + 1000).await.unwrap();
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.delayed, st.leased), (0, 1, 0), "{st:?}");
    assert!(
        lease_all(&*s, 1, LONG).await.is_empty(),
        "retry time ignored"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let l = lease_all(&*s, 1, LONG).await;
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].attempts, 1);
    s.retry(&l[0], 0).await.unwrap();
    let l = lease_all(&*s, 1, LONG).await;
    assert_eq!(l[0].attempts, 2, "retry in the past is ready at once");
    s.ack(&l[0]).await.unwrap();
}

/// `release` gives an item back at once without counting an attempt.
pub async fn case_release<S: Store>(s: Arc<S>) {
    s.enqueue(&[work("rel")]).await.unwrap();
    let l = lease_all(&*s, 1, LONG).await;
    s.release(&l[0]).await.unwrap();
    assert_not_found(s.release(&l[0]).await, "double release");
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.leased), (1, 0), "{st:?}");
    let again = lease_all(&*s, 1, LONG).await;
    assert_eq!(ids(&again), vec!["rel"]);
    assert_eq!(again[0].attempts, 0);
    assert_not_found(s.ack(&l[0]).await, "ack with released token");
    s.ack(&again[0]).await.unwrap();
}

/// Dead-letter, list (oldest first, bounded reason), replay (attempts reset), drop.
pub async fn case_dead_letter<S: Store>(s: Arc<S>) {
    s.enqueue(&[work("d1"), work("d2"), work("d3")])
        .await
        .unwrap();
    let l = lease_all(&*s, 3, LONG).await;
    s.retry(&l[0], 0).await.unwrap();
    let d1 = lease_all(&*s, 1, LONG).await.remove(0);
    assert_eq!(d1.id, "d1");
    s.dead_letter(&d1, "max_attempts").await.unwrap();
    assert_not_found(s.dead_letter(&d1, "again").await, "double dead_letter");
    s.dead_letter(&l[1], &"x".repeat(10_000)).await.unwrap();
    s.dead_letter(&l[2], "permanent_4xx").await.unwrap();
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.leased, st.dead), (0, 0, 3), "{st:?}");
    let dlq = s.dlq_list(10).await.unwrap();
    assert_eq!(
        dlq.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        vec!["d1", "d2", "d3"]
    );
    assert_eq!(
        dlq[0].attempts, 2,
        "attempts count the dead-lettered attempt"
    );
    assert_eq!(dlq[0].reason, "max_attempts");
    assert_eq!(dlq[0].payload, work("d1").payload);
    assert!(dlq[1].reason.len() <= 64, "reason must be bounded");
    assert!(dlq[0].dead_at_ms > 0 && dlq[0].dead_at_ms <= now_ms() + 1000);
    assert_eq!(s.dlq_list(1).await.unwrap().len(), 1);
    assert!(s.dlq_list(0).await.unwrap().is_empty());
    assert!(
        lease_all(&*s, 10, LONG).await.is_empty(),
        "dead items leased"
    );

    assert!(s.dlq_replay("d1").await.unwrap());
    assert!(!s.dlq_replay("d1").await.unwrap(), "replayed twice");
    assert!(!s.dlq_replay("nope").await.unwrap());
    let r = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&r), vec!["d1"]);
    assert_eq!(r[0].attempts, 0, "replay resets attempts");
    s.ack(&r[0]).await.unwrap();

    assert!(s.dlq_drop("d2").await.unwrap());
    assert!(!s.dlq_drop("d2").await.unwrap());
    assert!(!s.dlq_drop("nope").await.unwrap());
    assert!(
        !s.dlq_drop("d1").await.unwrap(),
        "acked item is not in the DLQ"
    );
    let dlq = s.dlq_list(10).await.unwrap();
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0].id, "d3");
    assert_eq!(s.stats().await.unwrap().dead, 1);
}

/// Stats figures: ready, delayed, leased, dead, age of the oldest ready item.
pub async fn case_stats<S: Store>(s: Arc<S>) {
    assert_eq!(s.stats().await.unwrap(), super::QueueStats::default());
    s.enqueue(&[work("s1"), work("s2"), work("s3"), work("s4")])
        .await
        .unwrap();
    let mut delayed = work("s5");
    delayed.not_before_ms = Some(now_ms() + 60_000);
    s.enqueue(&[delayed]).await.unwrap();
    let l = lease_all(&*s, 2, LONG).await;
    s.dead_letter(&l[1], "max_attempts").await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let st = s.stats().await.unwrap();
    assert_eq!(
        (st.ready, st.delayed, st.leased, st.dead),
        (2, 1, 1, 1),
        "{st:?}"
    );
    assert!(
        (100..30_000).contains(&st.oldest_ready_age_ms),
        "oldest age {}",
        st.oldest_ready_age_ms
    );
    let rest = lease_all(&*s, 10, LONG).await;
    assert_eq!(rest.len(), 2);
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.leased, st.oldest_ready_age_ms), (0, 3, 0));
}

/// `delayed_stats` splits the delayed items by ready time against the given "now": future →
/// scheduled, passed by at most the grace → due, passed by more → overdue (bounds inclusive as
/// documented). Retries waiting for their time count too; ready and leased items never do.
pub async fn case_delayed_stats<S: Store>(s: Arc<S>) {
    let zero = super::DelayedStats::default();
    let base = now_ms();
    assert_eq!(s.delayed_stats(base, 300_000).await.unwrap(), zero);
    let at = |id: &str, offset: u64| {
        let mut w = work(id);
        w.not_before_ms = Some(base + offset);
        w
    };
    s.enqueue(&[
        at("d10", 10_000),
        at("d20", 20_000),
        at("d30", 30_000),
        at("d3600", 3_600_000),
        work("ready-now"),
    ])
    .await
    .unwrap();
    // "Now" is 30 s ahead; grace 10 s: d30 is exactly due, d20 exactly at the grace limit (due),
    // d10 is 20 s late (overdue), d3600 is still scheduled.
    let now = base + 30_000;
    let st = s.delayed_stats(now, 10_000).await.unwrap();
    assert_eq!((st.scheduled, st.due, st.overdue), (1, 2, 1), "{st:?}");
    // One millisecond later d20 crosses the grace.
    let st = s.delayed_stats(now + 1, 10_000).await.unwrap();
    assert_eq!((st.scheduled, st.due, st.overdue), (1, 1, 2), "{st:?}");
    // At the real time everything delayed is still scheduled.
    let st = s.delayed_stats(base, 10_000).await.unwrap();
    assert_eq!((st.scheduled, st.due, st.overdue), (4, 0, 0), "{st:?}");
    // A retried item waits in the delayed set as well; the ready one was leased and is not counted.
    let got = lease_all(&*s, 10, LONG).await;
    assert_eq!(ids(&got), vec!["ready-now"]);
    s.retry(&got[0], base + 7_200_000).await.unwrap();
    let st = s.delayed_stats(base, 10_000).await.unwrap();
    assert_eq!((st.scheduled, st.due, st.overdue), (5, 0, 0), "{st:?}");
    // A grace larger than "now" (clock near zero) must not underflow.
    let st = s.delayed_stats(5, u64::MAX).await.unwrap();
    assert_eq!((st.scheduled, st.due, st.overdue), (5, 0, 0), "{st:?}");
}

/// The audit log keeps records in append order; `audit_tail` returns the newest, oldest first.
pub async fn case_audit<S: Store>(s: Arc<S>) {
    assert!(s.audit_tail(10).await.unwrap().is_empty());
    for i in 0..5 {
        s.append_audit(format!("{{\"n\":{i}}}").as_bytes())
            .await
            .unwrap();
    }
    let tail = s.audit_tail(3).await.unwrap();
    assert_eq!(
        tail,
        vec![
            b"{\"n\":2}".to_vec(),
            b"{\"n\":3}".to_vec(),
            b"{\"n\":4}".to_vec()
        ]
    );
    assert_eq!(s.audit_tail(100).await.unwrap().len(), 5);
    assert!(s.audit_tail(0).await.unwrap().is_empty());
}

/// Named cursors: absent, set, overwritten, independent.
pub async fn case_cursors<S: Store>(s: Arc<S>) {
    assert_eq!(s.get_cursor("sweep").await.unwrap(), None);
    s.set_cursor("sweep", "1700000000").await.unwrap();
    s.set_cursor("other", "x").await.unwrap();
    assert_eq!(
        s.get_cursor("sweep").await.unwrap().as_deref(),
        Some("1700000000")
    );
    s.set_cursor("sweep", "1700000999").await.unwrap();
    assert_eq!(
        s.get_cursor("sweep").await.unwrap().as_deref(),
        Some("1700000999")
    );
    assert_eq!(s.get_cursor("other").await.unwrap().as_deref(), Some("x"));
    s.ping().await.unwrap();
}

/// N tasks submit (with duplicate deliveries) while M tasks lease and ack: every accepted item
/// is processed exactly once and nothing is left.
pub async fn case_concurrency<S: Store>(s: Arc<S>) {
    const SUBMITTERS: usize = 4;
    const PER: usize = 40;
    const WORKERS: usize = 3;
    let expected = SUBMITTERS * PER * 2;
    let processed: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (s, processed) = (Arc::clone(&s), Arc::clone(&processed));
        workers.push(tokio::spawn(async move {
            let start = Instant::now();
            loop {
                let done = processed.lock().unwrap().len() >= expected;
                if done || start.elapsed() > Duration::from_secs(60) {
                    break;
                }
                let got = s.lease(&format!("w{w}"), 4, LONG).await.unwrap();
                if got.is_empty() {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                for item in got {
                    s.ack(&item).await.unwrap();
                    *processed.lock().unwrap().entry(item.id).or_default() += 1;
                }
            }
        }));
    }
    let mut submitters = Vec::new();
    for t in 0..SUBMITTERS {
        let s = Arc::clone(&s);
        submitters.push(tokio::spawn(async move {
            let mut accepted = 0;
            for i in 0..PER {
                let key = format!("ev:{t}:{i}");
                let items = vec![work(&format!("{t}-{i}-a")), work(&format!("{t}-{i}-b"))];
                // Each event is delivered twice, the second time together with a new one.
                let out = s
                    .submit(&[submission(&key, 1, items.clone())], DAY)
                    .await
                    .unwrap();
                accepted += usize::from(out == [SubmitOutcome::Accepted]);
                let out = s.submit(&[submission(&key, 1, items)], DAY).await.unwrap();
                assert_eq!(out, vec![SubmitOutcome::Duplicate]);
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for t in submitters {
        accepted += t.await.unwrap();
    }
    assert_eq!(accepted, SUBMITTERS * PER);
    for w in workers {
        w.await.unwrap();
    }
    {
        let processed = processed.lock().unwrap();
        assert_eq!(processed.len(), expected, "not every item was processed");
        assert!(
            processed.values().all(|&n| n == 1),
            "an item was processed twice"
        );
    }
    let st = s.stats().await.unwrap();
    assert_eq!((st.ready, st.delayed, st.leased, st.dead), (0, 0, 0, 0));
}
