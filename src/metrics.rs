//! Every Prometheus metric phi-guard exports: names, help, units and label sets, in one place.
//!
//! Owns: the [`Metrics`] struct (one explicit [`Registry`], never the global one) and the text
//! encoding for `/metrics`. Label values are `&'static str` from bounded sets (sources, outcomes,
//! reasons, labels, action kinds) or rule ids from the loaded rule files — never ticket ids, user
//! ids or text. Must not: make business decisions.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Metric name prefix.
pub const NAMESPACE: &str = "phi_guard";

/// Buckets for in-process latencies measured in microseconds-to-milliseconds (scan, enqueue).
const FAST_BUCKETS: &[f64] = &[
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.025, 0.05, 0.1, 0.25,
];

/// Buckets for API calls and queue lag.
const SLOW_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// All metrics of the process.
pub struct Metrics {
    registry: Registry,
    /// Webhook requests by source, outcome (`accepted`, `duplicate`, `ignored`, `rejected`,
    /// `error`) and bounded reason.
    pub webhook_requests: IntCounterVec,
    /// Verification failures by source and reason (`bad_signature`, `stale_timestamp`, ...).
    pub verification_failures: IntCounterVec,
    /// Dedupe hits by source and kind (`same_body`, `different_body`).
    pub dedupe_hits: IntCounterVec,
    /// Events by source, event type (bounded: known types or `other`) and disposition.
    pub events: IntCounterVec,
    /// Findings by label and rule id (rule ids come from the loaded rule files).
    pub findings: IntCounterVec,
    /// Time to scan one event's fields.
    pub scan_duration: Histogram,
    /// Time for the durable submit (dedupe + enqueue) of one request.
    pub enqueue_duration: Histogram,
    /// Actions decided by policy, by action kind and mode (`audit`, `enforce`).
    pub actions_decided: IntCounterVec,
    /// Actions finished by workers, by action kind and outcome.
    pub actions: IntCounterVec,
    /// Queue items by state (`ready`, `delayed`, `leased`, `dead`), sampled.
    pub queue_depth: IntGaugeVec,
    /// Age of the oldest ready item, sampled.
    pub queue_oldest_age_seconds: prometheus::Gauge,
    /// Time from enqueue to a worker finishing the item.
    pub queue_lag: Histogram,
    /// Store errors by operation.
    pub store_errors: IntCounterVec,
    /// Rules loaded per label.
    pub rules_loaded: IntGaugeVec,
    /// Rule reloads by outcome (`success`, `failure`).
    pub reloads: IntCounterVec,
    /// Unix time of the last successful rule load.
    pub reload_last_success: IntGauge,
    /// Work item retries by action kind.
    pub retries: IntCounterVec,
    /// Upstream API calls by api, endpoint and status class.
    pub api_requests: IntCounterVec,
    /// Upstream API latency by api and endpoint.
    pub api_duration: HistogramVec,
    /// Requests in flight (for graceful shutdown visibility).
    pub in_flight: IntGauge,
    /// Always 1, labelled with the version.
    pub build_info: IntGaugeVec,
    /// Process start time (Unix seconds).
    pub start_time: IntGauge,
    /// Audit records written.
    pub audit_records: IntCounter,
    /// Deletions scheduled by `[[policy.retention]]` (delayed work items), by action and mode.
    /// Waiting ones are in `queue_depth{state="delayed"}`; due ones become `ready`.
    pub retention_scheduled: IntCounterVec,
    /// Delayed work items (scheduled deletions, retries waiting) by `state`: `scheduled` (ready
    /// time in the future), `due` (passed, within `worker.delayed_overdue_after_seconds`),
    /// `overdue` (passed by more: nobody is leasing). Sampled from the store on scrape.
    pub delayed_items: IntGaugeVec,
    /// Reconciliation sweep: objects read, by source and kind (`ticket`, `comment`,
    /// `attachment`, `message`).
    pub sweep_items: IntCounterVec,
    /// Reconciliation sweep: actions by source and outcome (`enqueued`, `duplicate`: a webhook
    /// or an earlier sweep had already submitted it).
    pub sweep_actions: IntCounterVec,
    /// Reconciliation sweep: errors by source and reason (`rate_limited`, `upstream` — both
    /// retried —, `fatal`, `store`, `parse`).
    pub sweep_errors: IntCounterVec,
    /// Reconciliation sweep runs by source and outcome (`complete`, `interrupted`, `failed`).
    pub sweep_runs: IntCounterVec,
}

fn counter_vec(reg: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help).namespace(NAMESPACE), labels)
        .expect("metric definition is valid");
    reg.register(Box::new(c.clone()))
        .expect("metric registered once");
    c
}

fn histogram(reg: &Registry, name: &str, help: &str, buckets: &[f64]) -> Histogram {
    let h = Histogram::with_opts(
        HistogramOpts::new(name, help)
            .namespace(NAMESPACE)
            .buckets(buckets.to_vec()),
    )
    .expect("metric definition is valid");
    reg.register(Box::new(h.clone()))
        .expect("metric registered once");
    h
}

fn gauge(reg: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
        .expect("metric definition is valid");
    reg.register(Box::new(g.clone()))
        .expect("metric registered once");
    g
}

fn gauge_vec(reg: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help).namespace(NAMESPACE), labels)
        .expect("metric definition is valid");
    reg.register(Box::new(g.clone()))
        .expect("metric registered once");
    g
}

impl Metrics {
    /// Builds every metric in a fresh registry. The definitions are static, so failures here are
    /// programming errors caught by the unit test below (the only panics of this module).
    pub fn new() -> Metrics {
        let r = Registry::new();
        let queue_oldest_age_seconds = prometheus::Gauge::with_opts(
            Opts::new(
                "queue_oldest_age_seconds",
                "Age of the oldest ready work item (sampled).",
            )
            .namespace(NAMESPACE),
        )
        .expect("metric definition is valid");
        r.register(Box::new(queue_oldest_age_seconds.clone()))
            .expect("metric registered once");
        let api_duration = HistogramVec::new(
            HistogramOpts::new(
                "api_request_duration_seconds",
                "Latency of Zendesk / Sunshine API calls.",
            )
            .namespace(NAMESPACE)
            .buckets(SLOW_BUCKETS.to_vec()),
            &["api", "endpoint", "status"],
        )
        .expect("metric definition is valid");
        r.register(Box::new(api_duration.clone()))
            .expect("metric registered once");
        let audit_records = IntCounter::with_opts(
            Opts::new("audit_records_total", "Audit records appended.").namespace(NAMESPACE),
        )
        .expect("metric definition is valid");
        r.register(Box::new(audit_records.clone()))
            .expect("metric registered once");

        let m = Metrics {
            webhook_requests: counter_vec(
                &r,
                "webhook_requests_total",
                "Webhook requests by source, outcome and reason.",
                &["source", "outcome", "reason"],
            ),
            verification_failures: counter_vec(
                &r,
                "verification_failures_total",
                "Webhook requests that failed authentication or were malformed before parsing.",
                &["source", "reason"],
            ),
            dedupe_hits: counter_vec(
                &r,
                "dedupe_hits_total",
                "Events already seen (same body, or same id with a different body).",
                &["source", "kind"],
            ),
            events: counter_vec(
                &r,
                "events_total",
                "Verified events by source, type and disposition.",
                &["source", "type", "disposition"],
            ),
            findings: counter_vec(
                &r,
                "findings_total",
                "Findings at or above the minimum score, by label and rule.",
                &["label", "rule"],
            ),
            scan_duration: histogram(
                &r,
                "scan_duration_seconds",
                "Time to scan the text fields of one event.",
                FAST_BUCKETS,
            ),
            enqueue_duration: histogram(
                &r,
                "enqueue_duration_seconds",
                "Time for the durable dedupe + enqueue of one request.",
                FAST_BUCKETS,
            ),
            actions_decided: counter_vec(
                &r,
                "actions_decided_total",
                "Actions decided by policy, by kind and mode.",
                &["action", "mode"],
            ),
            actions: counter_vec(
                &r,
                "actions_total",
                "Actions finished by workers, by kind and outcome.",
                &["action", "outcome"],
            ),
            queue_depth: gauge_vec(
                &r,
                "queue_depth",
                "Work items by state (sampled).",
                &["state"],
            ),
            queue_oldest_age_seconds,
            queue_lag: histogram(
                &r,
                "queue_lag_seconds",
                "Time from enqueue to completion of a work item.",
                SLOW_BUCKETS,
            ),
            store_errors: counter_vec(
                &r,
                "store_errors_total",
                "Store operations that failed, by operation.",
                &["op"],
            ),
            rules_loaded: gauge_vec(
                &r,
                "rules_loaded",
                "Detection rules loaded, by label.",
                &["label"],
            ),
            reloads: counter_vec(
                &r,
                "rules_reloads_total",
                "Rule reload attempts by outcome.",
                &["outcome"],
            ),
            reload_last_success: gauge(
                &r,
                "rules_last_reload_success_timestamp_seconds",
                "Unix time of the last successful rule load.",
            ),
            retries: counter_vec(
                &r,
                "work_retries_total",
                "Work item retries, by action kind.",
                &["action"],
            ),
            api_requests: counter_vec(
                &r,
                "api_requests_total",
                "Zendesk / Sunshine API calls by api, endpoint and status.",
                &["api", "endpoint", "status"],
            ),
            api_duration,
            in_flight: gauge(
                &r,
                "webhook_requests_in_flight",
                "Webhook requests being processed.",
            ),
            build_info: gauge_vec(&r, "build_info", "Build information.", &["version"]),
            start_time: gauge(
                &r,
                "start_time_seconds",
                "Process start time, Unix seconds.",
            ),
            audit_records,
            delayed_items: gauge_vec(
                &r,
                "delayed_items",
                "Delayed work items by state: scheduled, due, overdue (sampled).",
                &["state"],
            ),
            retention_scheduled: counter_vec(
                &r,
                "retention_scheduled_total",
                "Deletions scheduled by retention rules, by action kind and mode.",
                &["action", "mode"],
            ),
            sweep_items: counter_vec(
                &r,
                "sweep_items_scanned_total",
                "Objects read by the reconciliation sweep, by source and kind.",
                &["source", "kind"],
            ),
            sweep_actions: counter_vec(
                &r,
                "sweep_actions_total",
                "Actions found by the reconciliation sweep, by source and outcome (enqueued, duplicate).",
                &["source", "outcome"],
            ),
            sweep_errors: counter_vec(
                &r,
                "sweep_errors_total",
                "Reconciliation sweep errors by source and reason.",
                &["source", "reason"],
            ),
            sweep_runs: counter_vec(
                &r,
                "sweep_runs_total",
                "Reconciliation sweep runs by source and outcome.",
                &["source", "outcome"],
            ),
            registry: r,
        };
        m.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        m.start_time.set((crate::store::now_ms() / 1000) as i64);
        m
    }

    /// Fully qualified names of every metric family this process exports (histograms without
    /// their `_bucket`/`_sum`/`_count` suffixes), including vectors that have no samples yet.
    pub fn names(&self) -> Vec<String> {
        use prometheus::core::Collector;
        let collectors: Vec<&dyn Collector> = vec![
            &self.webhook_requests,
            &self.verification_failures,
            &self.dedupe_hits,
            &self.events,
            &self.findings,
            &self.scan_duration,
            &self.enqueue_duration,
            &self.actions_decided,
            &self.actions,
            &self.queue_depth,
            &self.queue_oldest_age_seconds,
            &self.queue_lag,
            &self.store_errors,
            &self.rules_loaded,
            &self.reloads,
            &self.reload_last_success,
            &self.retries,
            &self.api_requests,
            &self.api_duration,
            &self.in_flight,
            &self.build_info,
            &self.start_time,
            &self.audit_records,
            &self.retention_scheduled,
            &self.delayed_items,
            &self.sweep_items,
            &self.sweep_actions,
            &self.sweep_errors,
            &self.sweep_runs,
        ];
        let mut names: Vec<String> = collectors
            .iter()
            .flat_map(|c| c.desc().into_iter().map(|d| d.fq_name.clone()))
            .collect();
        names.sort();
        names
    }

    /// The registry (tests gather from it directly).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        let encoder = TextEncoder::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = encoder.encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// Records a sampled queue snapshot.
    pub fn observe_queue(&self, s: &crate::store::QueueStats) {
        self.queue_depth
            .with_label_values(&["ready"])
            .set(s.ready as i64);
        self.queue_depth
            .with_label_values(&["delayed"])
            .set(s.delayed as i64);
        self.queue_depth
            .with_label_values(&["leased"])
            .set(s.leased as i64);
        self.queue_depth
            .with_label_values(&["dead"])
            .set(s.dead as i64);
        self.queue_oldest_age_seconds
            .set(s.oldest_ready_age_ms as f64 / 1000.0);
    }

    /// Records a sampled split of the delayed items.
    pub fn observe_delayed(&self, s: &crate::store::DelayedStats) {
        for (state, n) in [
            ("scheduled", s.scheduled),
            ("due", s.due),
            ("overdue", s.overdue),
        ] {
            self.delayed_items
                .with_label_values(&[state])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_metrics_build_and_encode() {
        let m = Metrics::new();
        m.webhook_requests
            .with_label_values(&["zendesk", "accepted", "ok"])
            .inc();
        let text = m.encode();
        assert!(text.contains("phi_guard_webhook_requests_total"));
        assert!(text.contains("phi_guard_build_info"));
        let names = m.names();
        assert!(names.contains(&"phi_guard_scan_duration_seconds".to_string()));
        assert!(names.contains(&"phi_guard_api_requests_total".to_string()));
        // Every registered family is listed (a new metric must be added to `names`).
        let registered = m.registry.gather().len();
        assert!(names.len() >= registered, "{} < {registered}", names.len());
    }
}
