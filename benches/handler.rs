//! Per-request CPU cost of the webhook pipeline, without HTTP and without disk, next to baselines
//! measured in the same run:
//!
//! - `verify_only`: the Zendesk HMAC check of the raw body (the floor every request pays);
//! - `verify_parse`: verification + JSON normalisation into scan targets;
//! - `pipeline`: `Pipeline::handle` end to end (verify → parse → scan → policy → submit) on an
//!   in-memory store that accepts every submission, so only CPU work is measured.
//!
//! Throughput is in bytes of request body (~2.3 KB each); compare the rows as ratios. The durable
//! store's cost (fsync / Redis round trip) is measured by `benches/load.sh` against a bare route.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use phi_guard::detect::fingerprint::Fingerprinter;
use phi_guard::ingest::verify::{SunshineVerifier, TimestampWindow, ZendeskVerifier, sign_zendesk};
use phi_guard::ingest::{AuthorRules, ParseContext, Source};
use phi_guard::metrics::Metrics;
use phi_guard::pipeline::Pipeline;
use phi_guard::policy::PolicyConfig;
use phi_guard::store::*;
use secrecy::SecretString;

/// Accepts everything, stores nothing: isolates the pipeline's CPU cost.
struct NullStore(AtomicU64);

#[async_trait]
impl Store for NullStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn seen(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn submit(
        &self,
        s: &[Submission],
        _: Duration,
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        self.0.fetch_add(s.len() as u64, Ordering::Relaxed);
        Ok(vec![SubmitOutcome::Accepted; s.len()])
    }
    async fn enqueue(&self, _: &[NewWork]) -> Result<(), StoreError> {
        Ok(())
    }
    async fn lease(&self, _: &str, _: usize, _: Duration) -> Result<Vec<Leased>, StoreError> {
        Ok(Vec::new())
    }
    async fn ack(&self, _: &Leased) -> Result<(), StoreError> {
        Ok(())
    }
    async fn retry(&self, _: &Leased, _: u64) -> Result<(), StoreError> {
        Ok(())
    }
    async fn release(&self, _: &Leased) -> Result<(), StoreError> {
        Ok(())
    }
    async fn dead_letter(&self, _: &Leased, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
    async fn dlq_list(&self, _: usize) -> Result<Vec<DeadItem>, StoreError> {
        Ok(Vec::new())
    }
    async fn dlq_replay(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn dlq_drop(&self, _: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
    async fn stats(&self) -> Result<QueueStats, StoreError> {
        Ok(QueueStats::default())
    }
    async fn delayed_stats(&self, _: u64, _: u64) -> Result<DelayedStats, StoreError> {
        Ok(DelayedStats::default())
    }
    async fn append_audit(&self, _: &[u8]) -> Result<(), StoreError> {
        Ok(())
    }
    async fn audit_tail(&self, _: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(Vec::new())
    }
    async fn get_cursor(&self, _: &str) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    async fn set_cursor(&self, _: &str, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

const SECRET: &str = "bench-secret";

fn body(text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "account_id": 1, "id": "00000000-0000-4000-8000-000000000001",
        "type": "zen:event-type:ticket.comment_added", "subject": "zen:ticket:5158",
        "time": "2025-01-08T14:25:30Z", "zendesk_event_version": "2022-11-06",
        "detail": {"id": "5158", "status": "OPEN", "via": {"channel": "web"}},
        "event": {"comment": {"id": 9876543210u64, "body": text, "is_public": true,
                  "author": {"id": 42, "is_staff": false, "name": "Customer"}}}
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let prose = "Thanks for getting back to me. I tried the steps from the help center article again \
        this morning and the app still shows the same error after the update to version 4.2.1. My \
        order number is 1188-2231 and the tracking page says it shipped on Tuesday. Could you check \
        whether the refill was approved? The invoice total was $84.20 instead of $42.10. ";
    let mut text = prose.repeat(6);
    text.truncate(1900);
    text.push_str(" Call me at (415) 555-0172, DOB 03/14/1962.");
    let body = body(&text);
    let ts = "2025-01-01T00:00:00Z";
    let headers = vec![
        (
            "x-zendesk-webhook-signature-timestamp".to_string(),
            ts.to_string(),
        ),
        (
            "x-zendesk-webhook-signature".to_string(),
            sign_zendesk(SECRET, ts, &body),
        ),
    ];
    // A window that always covers the fixed timestamp.
    let window = TimestampWindow {
        max_age: Duration::from_secs(24 * 3600),
        max_future_skew: Duration::from_secs(24 * 3600),
    };
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600);
    let zendesk = ZendeskVerifier::new(
        [("default", vec![SecretString::from(SECRET.to_string())])],
        window,
        false,
    )
    .unwrap();
    let rules = AuthorRules::default();

    let mut g = c.benchmark_group("handler_2kb");
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("verify_only", |b| {
        b.iter(|| {
            zendesk
                .verify("default", &headers, black_box(&body), now)
                .unwrap()
        })
    });
    g.bench_function("verify_parse", |b| {
        b.iter(|| {
            let v = zendesk
                .verify("default", &headers, black_box(&body), now)
                .unwrap();
            let ctx = ParseContext::zendesk("default", &v, &rules);
            phi_guard::ingest::zendesk::parse(&body, &ctx).unwrap()
        })
    });

    // The full pipeline needs "now" inside the window: sign with the current time.
    let live_ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let live_headers = vec![
        (
            "x-zendesk-webhook-signature-timestamp".to_string(),
            live_ts.clone(),
        ),
        (
            "x-zendesk-webhook-signature".to_string(),
            sign_zendesk(SECRET, &live_ts, &body),
        ),
    ];
    let detector = phi_guard::patterns::load_detector(None, &[]).expect("shipped rules load");
    let pipeline = Pipeline {
        detector: Arc::new(ArcSwap::from_pointee(detector)),
        policy: Arc::new(ArcSwap::from_pointee(PolicyConfig::default())),
        fingerprinter: Fingerprinter::new(b"bench"),
        zendesk,
        sunshine: SunshineVerifier::new(Vec::<(String, Vec<SecretString>)>::new()).unwrap(),
        author_rules: rules.clone(),
        store: Arc::new(NullStore(AtomicU64::new(0))),
        metrics: Arc::new(Metrics::new()),
        min_score: 0.5,
        dedupe_ttl: Duration::from_secs(3600),
        work_ready: Arc::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    g.bench_function("pipeline", |b| {
        b.iter(|| {
            rt.block_on(pipeline.handle(
                Source::Zendesk,
                "default",
                &live_headers,
                black_box(&body),
            ))
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
