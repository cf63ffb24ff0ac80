//! The embedded store: one [redb](https://docs.rs/redb) file in a data directory, for a single
//! node (the default deployment).
//!
//! Owns: the on-disk layout below and the atomicity of every [`Store`] method. Must not: be
//! opened by two processes at once (redb locks the file; a second `open` fails with
//! [`StoreError::Unavailable`]) — run several replicas on the Redis store instead — and must not
//! hold matched text (payloads are opaque, PHI-free actions; see `store`).
//!
//! # Durability and group commit
//! Every method that writes returns only after the redb write transaction holding its change
//! is committed with [`redb::Durability::Immediate`] (fsync), so an acknowledged `submit`
//! survives a restart and a `kill -9` (tested by killing a writer process mid-stream).
//! Writes go to one dedicated writer thread that commits everything queued at that moment
//! (up to 256 operations) in one transaction with one fsync: each operation still sees the
//! ones before it and is all-or-nothing, but concurrent webhooks share the fsync cost
//! (measured, debug build, one disk: 1 submitter ≈ 700 submits/s, 16 concurrent ≈ 2 500/s
//! versus ≈ 300/s with one fsync per submit). Reads run on tokio's blocking pool
//! (`spawn_blocking`); no redb call runs on the async workers.
//!
//! # Layout (tables)
//! - `dedupe`: key → body hash (32 bytes) + expiry (Unix ms); `dedupe_exp`: (expiry, key) → ()
//!   so expired keys are purged in key order (a bounded batch on every `submit`). An expired key
//!   is "new" again even before it is purged.
//! - `items`: id → record (tenant, kind, payload, attempts, enqueued_at, state). The state says
//!   where the item is: ready at (available_at, seq), leased (token, deadline) or dead.
//! - `ready`: (available_at_ms, seq) → id, items leasable now, in FIFO order (by the time they
//!   became available, then enqueue order). `delayed`: same key, for items with a future
//!   `not_before` or retry time; `lease` moves the due ones to `ready` first (like the Redis
//!   store), so `stats` reads both counts in O(1) (`len`).
//! - `leases`: (deadline_ms, id) → (). `lease` first moves items whose deadline passed back to
//!   `ready` (attempt count kept), then pops due items from `ready`. O(log n) per item.
//! - `dlq`: seq → id (oldest first); `audit`: seq → bytes (append-only); `cursors`: name → value;
//!   `meta`: counters (`seq`, `dlq_seq`, `audit_seq`).
//!
//! Enqueueing an id that already exists (queued, leased or dead) does nothing: the id is the
//! item's idempotency key (both stores). A delayed item whose time has come counts as
//! `delayed` in `stats` until the next `lease` moves it. Dropping the last clone joins the
//! writer thread (it finishes its queued writes first), so the file can be reopened at once.
//!
//! A lease token is 128 random bits. Ack / retry / release / dead-letter compare it with the
//! item's current token, so a worker whose lease expired and was handed to another worker gets
//! [`StoreError::NotFound`] instead of processing the item twice.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use super::{
    DeadItem, DelayedStats, Leased, NewWork, QueueStats, Store, StoreError, Submission,
    SubmitOutcome, now_ms,
};

const DEDUPE: TableDefinition<&str, &[u8]> = TableDefinition::new("dedupe");
const DEDUPE_EXP: TableDefinition<(u64, &str), ()> = TableDefinition::new("dedupe_exp");
const ITEMS: TableDefinition<&str, &[u8]> = TableDefinition::new("items");
const READY: TableDefinition<(u64, u64), &str> = TableDefinition::new("ready");
const DELAYED: TableDefinition<(u64, u64), &str> = TableDefinition::new("delayed");
const LEASES: TableDefinition<(u64, &str), ()> = TableDefinition::new("leases");
const DLQ: TableDefinition<u64, &str> = TableDefinition::new("dlq");
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const CURSORS: TableDefinition<&str, &str> = TableDefinition::new("cursors");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "phi-guard.redb";

/// Expired dedupe keys purged per `submit` (bounded work per request).
const PURGE_BATCH: usize = 256;

/// Due delayed items moved to `ready` per `lease` call.
const MOVE_BATCH: usize = 1000;

/// Longest dead-letter reason kept (reasons are short bounded codes).
const MAX_REASON_LEN: usize = 64;

/// The embedded (redb) store. Cheap to clone; clones share the database and its writer.
#[derive(Clone)]
pub struct EmbeddedStore {
    inner: Arc<Inner>,
}

struct Inner {
    db: Arc<Database>,
    jobs: Option<tokio::sync::mpsc::Sender<Box<dyn Job>>>,
    writer: Option<std::thread::JoinHandle<()>>,
    /// Set by the writer when its last write transaction could not be begun or committed
    /// (disk full, I/O error); cleared by the next successful commit. `ping` reports it, so
    /// readiness fails while writes fail — after an I/O error redb refuses every write until the
    /// database is reopened, i.e. until the process restarts.
    write_failed: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Inner {
    /// Stops the writer thread (after it finished its queued jobs) so the file is closed when
    /// the last clone is dropped and can be opened again at once.
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// Most operations committed together in one write transaction.
const MAX_BATCH: usize = 256;

/// Queued write operations waiting for the writer thread.
const JOB_QUEUE: usize = 4096;

fn dup(e: &StoreError) -> StoreError {
    match e {
        StoreError::Unavailable(m) => StoreError::Unavailable(m.clone()),
        StoreError::Corrupt(m) => StoreError::Corrupt(m.clone()),
        StoreError::NotFound(m) => StoreError::NotFound(m.clone()),
    }
}

/// A write operation run by the writer thread inside a shared transaction. Re-runnable: if
/// the transaction it ran in is aborted because of another operation, it runs again in the next.
trait Job: Send {
    /// Runs the operation and keeps its result. Returns `true` if it failed in a way that may
    /// have left partial writes (anything but `NotFound`, which every operation checks before
    /// writing): the transaction must then be aborted.
    fn run(&mut self, txn: &redb::WriteTransaction) -> bool;
    /// Answers the caller: its result, unless the commit failed.
    fn finish(self: Box<Self>, commit_error: Option<StoreError>);
}

struct OpJob<T, F> {
    op: F,
    out: Option<Result<T, StoreError>>,
    reply: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for OpJob<T, F>
where
    T: Send + 'static,
    F: Fn(&redb::WriteTransaction) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, txn: &redb::WriteTransaction) -> bool {
        let op = &self.op;
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(txn)))
            .unwrap_or_else(|_| Err(StoreError::Unavailable("store operation panicked".into())));
        let poison = !matches!(out, Ok(_) | Err(StoreError::NotFound(_)));
        self.out = Some(out);
        poison
    }

    fn finish(self: Box<Self>, commit_error: Option<StoreError>) {
        let r = match (self.out, commit_error) {
            (_, Some(e)) => Err(e),
            (Some(out), None) => out,
            (None, None) => Err(StoreError::Unavailable("store operation not run".into())),
        };
        let _ = self.reply.send(r);
    }
}

/// The writer thread: group commit. Takes every queued operation (up to [`MAX_BATCH`]), runs
/// them in order in one write transaction, commits it with one fsync, then answers them.
/// Operations see the writes of those before them, so the result is the same as running them
/// one by one. If one fails after possibly writing, the transaction is aborted, that operation
/// gets its error and the others of the batch run again in a fresh transaction.
fn writer_loop(
    db: Arc<Database>,
    mut jobs: tokio::sync::mpsc::Receiver<Box<dyn Job>>,
    write_failed: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    let mut carry: std::collections::VecDeque<Box<dyn Job>> = std::collections::VecDeque::new();
    loop {
        if carry.is_empty() {
            match jobs.blocking_recv() {
                Some(j) => carry.push_back(j),
                None => return,
            }
        }
        while carry.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => carry.push_back(j),
                Err(_) => break,
            }
        }
        let txn = match db.begin_write() {
            Ok(t) => t,
            Err(e) => {
                write_failed.store(true, Ordering::Release);
                let e = db_err(e);
                for j in carry.drain(..) {
                    j.finish(Some(dup(&e)));
                }
                continue;
            }
        };
        let mut ran: Vec<Box<dyn Job>> = Vec::with_capacity(carry.len());
        let mut poisoned = None;
        while let Some(mut j) = carry.pop_front() {
            if j.run(&txn) {
                poisoned = Some(j);
                break;
            }
            ran.push(j);
        }
        match poisoned {
            Some(bad) => {
                let _ = txn.abort();
                bad.finish(None);
                for j in ran.into_iter().rev() {
                    carry.push_front(j);
                }
            }
            None => {
                let commit_error = txn.commit().err().map(db_err);
                write_failed.store(commit_error.is_some(), Ordering::Release);
                for j in ran {
                    j.finish(commit_error.as_ref().map(dup));
                }
            }
        }
    }
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

fn db_err(e: impl Into<redb::Error>) -> StoreError {
    let e: redb::Error = e.into();
    match e {
        redb::Error::Corrupted(_) | redb::Error::TableTypeMismatch { .. } => {
            StoreError::Corrupt(format!("redb: {e}"))
        }
        other => StoreError::Unavailable(format!("redb: {other}")),
    }
}

/// Where an item is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Ready {
        at: u64,
        seq: u64,
    },
    Leased {
        token: String,
        deadline: u64,
    },
    Dead {
        reason: String,
        dead_at: u64,
        dlq_seq: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    tenant: String,
    kind: String,
    payload: Vec<u8>,
    attempts: u32,
    enqueued_at: u64,
    state: State,
}

const RECORD_VERSION: u8 = 1;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.buf.len() < n {
            return Err(StoreError::Corrupt("item record truncated".into()));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, StoreError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, StoreError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, StoreError> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec())
            .map_err(|_| StoreError::Corrupt("item record: bad utf-8".into()))
    }
}

impl Record {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.payload.len());
        out.push(RECORD_VERSION);
        put_bytes(&mut out, self.tenant.as_bytes());
        put_bytes(&mut out, self.kind.as_bytes());
        put_bytes(&mut out, &self.payload);
        out.extend_from_slice(&self.attempts.to_le_bytes());
        out.extend_from_slice(&self.enqueued_at.to_le_bytes());
        match &self.state {
            State::Ready { at, seq } => {
                out.push(0);
                out.extend_from_slice(&at.to_le_bytes());
                out.extend_from_slice(&seq.to_le_bytes());
            }
            State::Leased { token, deadline } => {
                out.push(1);
                put_bytes(&mut out, token.as_bytes());
                out.extend_from_slice(&deadline.to_le_bytes());
            }
            State::Dead {
                reason,
                dead_at,
                dlq_seq,
            } => {
                out.push(2);
                put_bytes(&mut out, reason.as_bytes());
                out.extend_from_slice(&dead_at.to_le_bytes());
                out.extend_from_slice(&dlq_seq.to_le_bytes());
            }
        }
        out
    }

    fn decode(buf: &[u8]) -> Result<Self, StoreError> {
        let mut r = Reader { buf };
        let v = r.u8()?;
        if v != RECORD_VERSION {
            return Err(StoreError::Corrupt(format!("item record version {v}")));
        }
        let tenant = r.string()?;
        let kind = r.string()?;
        let payload = r.bytes()?.to_vec();
        let attempts = r.u32()?;
        let enqueued_at = r.u64()?;
        let state = match r.u8()? {
            0 => State::Ready {
                at: r.u64()?,
                seq: r.u64()?,
            },
            1 => State::Leased {
                token: r.string()?,
                deadline: r.u64()?,
            },
            2 => State::Dead {
                reason: r.string()?,
                dead_at: r.u64()?,
                dlq_seq: r.u64()?,
            },
            t => return Err(StoreError::Corrupt(format!("item record state tag {t}"))),
        };
        if !r.buf.is_empty() {
            return Err(StoreError::Corrupt("item record has trailing bytes".into()));
        }
        Ok(Record {
            tenant,
            kind,
            payload,
            attempts,
            enqueued_at,
            state,
        })
    }
}

fn encode_dedupe(hash: &[u8; 32], expiry: u64) -> [u8; 40] {
    let mut v = [0u8; 40];
    v[..32].copy_from_slice(hash);
    v[32..].copy_from_slice(&expiry.to_le_bytes());
    v
}

fn decode_dedupe(v: &[u8]) -> Result<([u8; 32], u64), StoreError> {
    if v.len() != 40 {
        return Err(StoreError::Corrupt("dedupe record length".into()));
    }
    let mut h = [0u8; 32];
    h.copy_from_slice(&v[..32]);
    let mut e = [0u8; 8];
    e.copy_from_slice(&v[32..]);
    Ok((h, u64::from_le_bytes(e)))
}

fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn bounded_reason(reason: &str) -> String {
    let mut end = reason.len().min(MAX_REASON_LEN);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

/// The tables of one write transaction.
struct Tx<'t> {
    items: redb::Table<'t, &'static str, &'static [u8]>,
    ready: redb::Table<'t, (u64, u64), &'static str>,
    delayed: redb::Table<'t, (u64, u64), &'static str>,
    leases: redb::Table<'t, (u64, &'static str), ()>,
    dlq: redb::Table<'t, u64, &'static str>,
    meta: redb::Table<'t, &'static str, u64>,
}

impl<'t> Tx<'t> {
    fn open(txn: &'t redb::WriteTransaction) -> Result<Self, StoreError> {
        Ok(Tx {
            items: txn.open_table(ITEMS).map_err(db_err)?,
            ready: txn.open_table(READY).map_err(db_err)?,
            delayed: txn.open_table(DELAYED).map_err(db_err)?,
            leases: txn.open_table(LEASES).map_err(db_err)?,
            dlq: txn.open_table(DLQ).map_err(db_err)?,
            meta: txn.open_table(META).map_err(db_err)?,
        })
    }

    fn next(&mut self, counter: &str) -> Result<u64, StoreError> {
        let cur = self
            .meta
            .get(counter)
            .map_err(db_err)?
            .map(|g| g.value())
            .unwrap_or(0);
        let next = cur + 1;
        self.meta.insert(counter, next).map_err(db_err)?;
        Ok(next)
    }

    fn get(&self, id: &str) -> Result<Option<Record>, StoreError> {
        match self.items.get(id).map_err(db_err)? {
            Some(g) => Ok(Some(Record::decode(g.value())?)),
            None => Ok(None),
        }
    }

    fn put(&mut self, id: &str, rec: &Record) -> Result<(), StoreError> {
        self.items
            .insert(id, rec.encode().as_slice())
            .map_err(db_err)?;
        Ok(())
    }

    /// Makes a record leasable from `at`: in `ready`, or in `delayed` if `at` is in the future.
    fn make_ready(&mut self, id: &str, rec: &mut Record, at: u64) -> Result<(), StoreError> {
        let seq = self.next("seq")?;
        if at > now_ms() {
            self.delayed.insert((at, seq), id).map_err(db_err)?;
        } else {
            self.ready.insert((at, seq), id).map_err(db_err)?;
        }
        rec.state = State::Ready { at, seq };
        self.put(id, rec)
    }

    /// Enqueues a new item; an id that already exists (in any state) is left alone.
    fn enqueue(&mut self, w: &NewWork, now: u64) -> Result<(), StoreError> {
        if self.items.get(w.id.as_str()).map_err(db_err)?.is_some() {
            return Ok(());
        }
        let mut rec = Record {
            tenant: w.tenant.clone(),
            kind: w.kind.clone(),
            payload: w.payload.clone(),
            attempts: 0,
            enqueued_at: now,
            state: State::Ready { at: 0, seq: 0 },
        };
        let at = w.not_before_ms.unwrap_or(now).max(now);
        self.make_ready(&w.id, &mut rec, at)
    }

    /// Checks that `item` holds the current lease and takes it away (removes the deadline).
    fn take_lease(&mut self, item: &Leased) -> Result<Record, StoreError> {
        let rec = self
            .get(&item.id)?
            .ok_or_else(|| StoreError::NotFound(format!("work item {}", item.id)))?;
        match &rec.state {
            State::Leased { token, deadline } if *token == item.token => {
                self.leases
                    .remove((*deadline, item.id.as_str()))
                    .map_err(db_err)?;
                Ok(rec)
            }
            _ => Err(StoreError::NotFound(format!(
                "lease on work item {} (expired or not held)",
                item.id
            ))),
        }
    }
}

impl EmbeddedStore {
    /// Opens (or creates) the database in `dir` (created if missing). Fails with
    /// [`StoreError::Unavailable`] if another process holds it.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create data directory: {}", e.kind()))
        })?;
        let db = Database::create(dir.join(DB_FILE)).map_err(db_err)?;
        // Create every table up front so read transactions never see a missing table.
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(DEDUPE).map_err(db_err)?;
            txn.open_table(DEDUPE_EXP).map_err(db_err)?;
            txn.open_table(AUDIT).map_err(db_err)?;
            txn.open_table(CURSORS).map_err(db_err)?;
            Tx::open(&txn)?;
        }
        txn.commit().map_err(db_err)?;
        let db = Arc::new(db);
        let (tx, rx) = tokio::sync::mpsc::channel(JOB_QUEUE);
        let writer_db = Arc::clone(&db);
        let write_failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer_failed = Arc::clone(&write_failed);
        let writer = std::thread::Builder::new()
            .name("phi-guard-store-writer".into())
            .spawn(move || writer_loop(writer_db, rx, writer_failed))
            .map_err(|e| {
                StoreError::Unavailable(format!("cannot start store writer: {}", e.kind()))
            })?;
        Ok(EmbeddedStore {
            inner: Arc::new(Inner {
                db,
                jobs: Some(tx),
                writer: Some(writer),
                write_failed,
            }),
        })
    }

    /// Runs read-only work on tokio's blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.inner.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|_| StoreError::Unavailable("store task failed".into()))?
    }

    /// Runs `op` on the writer thread inside a write transaction; returns once that
    /// transaction is committed (fsynced).
    async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&redb::WriteTransaction) -> Result<T, StoreError> + Send + 'static,
    {
        let gone = || StoreError::Unavailable("store writer stopped".into());
        let jobs = self.inner.jobs.as_ref().ok_or_else(gone)?;
        let (reply, answer) = tokio::sync::oneshot::channel();
        jobs.send(Box::new(OpJob {
            op,
            out: None,
            reply,
        }))
        .await
        .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Is anything leasable now (a due item or an expired lease)? A read, so that idle pollers
    /// cost no write transaction.
    fn anything_due(db: &Database) -> Result<bool, StoreError> {
        let now = now_ms();
        let rtxn = db.begin_read().map_err(db_err)?;
        let ready = rtxn.open_table(READY).map_err(db_err)?;
        let delayed = rtxn.open_table(DELAYED).map_err(db_err)?;
        let leases = rtxn.open_table(LEASES).map_err(db_err)?;
        let due = !ready.is_empty().map_err(db_err)?
            || matches!(delayed.first().map_err(db_err)?, Some((k, _)) if k.value().0 <= now);
        let expired = matches!(leases.first().map_err(db_err)?, Some((k, _)) if k.value().0 <= now);
        Ok(due || expired)
    }

    fn lease_txn(
        txn: &redb::WriteTransaction,
        max: usize,
        lease_ms: u64,
    ) -> Result<Vec<Leased>, StoreError> {
        let now = now_ms();
        let out = {
            let mut tx = Tx::open(txn)?;
            // Due delayed items (not_before / retry time reached) become ready.
            let mut due_delayed = Vec::new();
            for entry in tx.delayed.iter().map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                if k.value().0 > now || due_delayed.len() >= MOVE_BATCH {
                    break;
                }
                due_delayed.push((k.value(), v.value().to_string()));
            }
            for (key, id) in due_delayed {
                tx.delayed.remove(key).map_err(db_err)?;
                tx.ready.insert(key, id.as_str()).map_err(db_err)?;
            }
            // Reclaim expired leases: back to ready, attempts kept.
            let mut expired = Vec::new();
            for entry in tx.leases.iter().map_err(db_err)? {
                let (k, _) = entry.map_err(db_err)?;
                let (deadline, id) = k.value();
                if deadline > now {
                    break;
                }
                expired.push((deadline, id.to_string()));
            }
            for (deadline, id) in expired {
                tx.leases.remove((deadline, id.as_str())).map_err(db_err)?;
                if let Some(mut rec) = tx.get(&id)? {
                    tx.make_ready(&id, &mut rec, deadline)?;
                }
            }
            // Pop due items in (available_at, seq) order.
            let mut due = Vec::new();
            for entry in tx.ready.iter().map_err(db_err)? {
                if due.len() >= max {
                    break;
                }
                let (k, v) = entry.map_err(db_err)?;
                due.push((k.value(), v.value().to_string()));
            }
            let deadline = now.saturating_add(lease_ms);
            let mut out = Vec::with_capacity(due.len());
            for (key, id) in due {
                tx.ready.remove(key).map_err(db_err)?;
                let Some(mut rec) = tx.get(&id)? else {
                    continue;
                };
                let token = new_token();
                rec.state = State::Leased {
                    token: token.clone(),
                    deadline,
                };
                tx.put(&id, &rec)?;
                tx.leases
                    .insert((deadline, id.as_str()), ())
                    .map_err(db_err)?;
                out.push(Leased {
                    id,
                    tenant: rec.tenant,
                    kind: rec.kind,
                    payload: rec.payload,
                    attempts: rec.attempts,
                    enqueued_at_ms: rec.enqueued_at,
                    token,
                });
            }
            out
        };
        Ok(out)
    }
}

fn submit_blocking(
    txn: &redb::WriteTransaction,
    submissions: &[Submission],
    ttl_ms: u64,
) -> Result<Vec<SubmitOutcome>, StoreError> {
    let now = now_ms();
    let mut dedupe = txn.open_table(DEDUPE).map_err(db_err)?;
    let mut exp = txn.open_table(DEDUPE_EXP).map_err(db_err)?;
    // Purge a bounded batch of expired keys.
    let mut stale = Vec::new();
    for entry in exp.iter().map_err(db_err)? {
        if stale.len() >= PURGE_BATCH {
            break;
        }
        let (k, _) = entry.map_err(db_err)?;
        let (e, key) = k.value();
        if e > now {
            break;
        }
        stale.push((e, key.to_string()));
    }
    for (e, key) in stale {
        exp.remove((e, key.as_str())).map_err(db_err)?;
        let still_expired = match dedupe.get(key.as_str()).map_err(db_err)? {
            Some(g) => decode_dedupe(g.value())?.1 <= now,
            None => false,
        };
        if still_expired {
            dedupe.remove(key.as_str()).map_err(db_err)?;
        }
    }

    let mut tx = Tx::open(txn)?;
    let expiry = now.saturating_add(ttl_ms);
    let mut outcomes = Vec::with_capacity(submissions.len());
    for s in submissions {
        let existing = match dedupe.get(s.dedupe_key.as_str()).map_err(db_err)? {
            Some(g) => Some(decode_dedupe(g.value())?),
            None => None,
        };
        if let Some((hash, e)) = existing {
            if e > now {
                outcomes.push(if hash == s.body_hash {
                    SubmitOutcome::Duplicate
                } else {
                    SubmitOutcome::DuplicateDifferentBody
                });
                continue;
            }
            exp.remove((e, s.dedupe_key.as_str())).map_err(db_err)?;
        }
        dedupe
            .insert(
                s.dedupe_key.as_str(),
                encode_dedupe(&s.body_hash, expiry).as_slice(),
            )
            .map_err(db_err)?;
        exp.insert((expiry, s.dedupe_key.as_str()), ())
            .map_err(db_err)?;
        for w in &s.items {
            tx.enqueue(w, now)?;
        }
        outcomes.push(SubmitOutcome::Accepted);
    }
    Ok(outcomes)
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        if self
            .inner
            .write_failed
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return Err(StoreError::Unavailable(
                "the last write failed (disk full or I/O error)".into(),
            ));
        }
        self.blocking(|db| {
            db.begin_read().map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn seen(&self, dedupe_key: &str) -> Result<bool, StoreError> {
        let key = dedupe_key.to_string();
        self.blocking(move |db| {
            let rtxn = db.begin_read().map_err(db_err)?;
            let t = rtxn.open_table(DEDUPE).map_err(db_err)?;
            match t.get(key.as_str()).map_err(db_err)? {
                Some(g) => Ok(decode_dedupe(g.value())?.1 > now_ms()),
                None => Ok(false),
            }
        })
        .await
    }

    async fn submit(
        &self,
        submissions: &[Submission],
        ttl: Duration,
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        let subs = submissions.to_vec();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.write(move |txn| submit_blocking(txn, &subs, ttl_ms))
            .await
    }

    async fn enqueue(&self, items: &[NewWork]) -> Result<(), StoreError> {
        let items = items.to_vec();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let now = now_ms();
            for w in &items {
                tx.enqueue(w, now)?;
            }
            Ok(())
        })
        .await
    }

    async fn lease(
        &self,
        _consumer: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        if !self.blocking(Self::anything_due).await? {
            return Ok(Vec::new());
        }
        self.write(move |txn| Self::lease_txn(txn, max, lease_ms))
            .await
    }

    async fn ack(&self, item: &Leased) -> Result<(), StoreError> {
        let item = item.clone();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            tx.take_lease(&item)?;
            tx.items.remove(item.id.as_str()).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn retry(&self, item: &Leased, at_ms: u64) -> Result<(), StoreError> {
        let item = item.clone();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let mut rec = tx.take_lease(&item)?;
            rec.attempts = rec.attempts.saturating_add(1);
            // A time in the past means "now": keep FIFO order behind older ready items.
            tx.make_ready(&item.id, &mut rec, at_ms.max(now_ms()))
        })
        .await
    }

    async fn release(&self, item: &Leased) -> Result<(), StoreError> {
        let item = item.clone();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let mut rec = tx.take_lease(&item)?;
            tx.make_ready(&item.id, &mut rec, now_ms())
        })
        .await
    }

    async fn dead_letter(&self, item: &Leased, reason: &str) -> Result<(), StoreError> {
        let item = item.clone();
        let reason = bounded_reason(reason);
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let mut rec = tx.take_lease(&item)?;
            let dlq_seq = tx.next("dlq_seq")?;
            tx.dlq.insert(dlq_seq, item.id.as_str()).map_err(db_err)?;
            rec.attempts = rec.attempts.saturating_add(1);
            rec.state = State::Dead {
                reason: reason.clone(),
                dead_at: now_ms(),
                dlq_seq,
            };
            tx.put(&item.id, &rec)
        })
        .await
    }

    async fn dlq_list(&self, limit: usize) -> Result<Vec<DeadItem>, StoreError> {
        self.blocking(move |db| {
            let rtxn = db.begin_read().map_err(db_err)?;
            let dlq = rtxn.open_table(DLQ).map_err(db_err)?;
            let items = rtxn.open_table(ITEMS).map_err(db_err)?;
            let mut out = Vec::new();
            for entry in dlq.iter().map_err(db_err)?.take(limit) {
                let (_, id) = entry.map_err(db_err)?;
                let id = id.value().to_string();
                let Some(g) = items.get(id.as_str()).map_err(db_err)? else {
                    return Err(StoreError::Corrupt("dlq entry without item".into()));
                };
                let rec = Record::decode(g.value())?;
                let State::Dead {
                    reason, dead_at, ..
                } = rec.state
                else {
                    return Err(StoreError::Corrupt("dlq entry for a live item".into()));
                };
                out.push(DeadItem {
                    id,
                    tenant: rec.tenant,
                    kind: rec.kind,
                    payload: rec.payload,
                    attempts: rec.attempts,
                    reason,
                    dead_at_ms: dead_at,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn dlq_replay(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let Some(mut rec) = tx.get(&id)? else {
                return Ok(false);
            };
            let State::Dead { dlq_seq, .. } = rec.state else {
                return Ok(false);
            };
            tx.dlq.remove(dlq_seq).map_err(db_err)?;
            rec.attempts = 0;
            tx.make_ready(&id, &mut rec, now_ms())?;
            Ok(true)
        })
        .await
    }

    async fn dlq_drop(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.write(move |txn| {
            let mut tx = Tx::open(txn)?;
            let Some(rec) = tx.get(&id)? else {
                return Ok(false);
            };
            let State::Dead { dlq_seq, .. } = rec.state else {
                return Ok(false);
            };
            tx.dlq.remove(dlq_seq).map_err(db_err)?;
            tx.items.remove(id.as_str()).map_err(db_err)?;
            Ok(true)
        })
        .await
    }

    async fn stats(&self) -> Result<QueueStats, StoreError> {
        self.blocking(|db| {
            let now = now_ms();
            let rtxn = db.begin_read().map_err(db_err)?;
            let ready = rtxn.open_table(READY).map_err(db_err)?;
            let delayed = rtxn.open_table(DELAYED).map_err(db_err)?;
            let leases = rtxn.open_table(LEASES).map_err(db_err)?;
            let dlq = rtxn.open_table(DLQ).map_err(db_err)?;
            let oldest_ready_age_ms = match ready.first().map_err(db_err)? {
                Some((k, _)) => now.saturating_sub(k.value().0),
                None => 0,
            };
            Ok(QueueStats {
                ready: ready.len().map_err(db_err)?,
                delayed: delayed.len().map_err(db_err)?,
                leased: leases.len().map_err(db_err)?,
                dead: dlq.len().map_err(db_err)?,
                oldest_ready_age_ms,
            })
        })
        .await
    }

    async fn delayed_stats(
        &self,
        now_ms: u64,
        overdue_after_ms: u64,
    ) -> Result<DelayedStats, StoreError> {
        self.blocking(move |db| {
            let rtxn = db.begin_read().map_err(db_err)?;
            let delayed = rtxn.open_table(DELAYED).map_err(db_err)?;
            let cut = now_ms.saturating_sub(overdue_after_ms);
            // Only the items whose time has come are walked (few, unless workers are down);
            // the scheduled ones are the rest of `len`.
            let (mut due, mut overdue) = (0u64, 0u64);
            for entry in delayed.range(..=(now_ms, u64::MAX)).map_err(db_err)? {
                let (k, _) = entry.map_err(db_err)?;
                if k.value().0 < cut {
                    overdue += 1;
                } else {
                    due += 1;
                }
            }
            let total = delayed.len().map_err(db_err)?;
            Ok(DelayedStats {
                scheduled: total.saturating_sub(due + overdue),
                due,
                overdue,
            })
        })
        .await
    }

    async fn append_audit(&self, record: &[u8]) -> Result<(), StoreError> {
        let record = record.to_vec();
        self.write(move |txn| {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let seq = meta
                .get("audit_seq")
                .map_err(db_err)?
                .map(|g| g.value())
                .unwrap_or(0)
                + 1;
            meta.insert("audit_seq", seq).map_err(db_err)?;
            let mut audit = txn.open_table(AUDIT).map_err(db_err)?;
            audit.insert(seq, record.as_slice()).map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn audit_tail(&self, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        self.blocking(move |db| {
            let rtxn = db.begin_read().map_err(db_err)?;
            let audit = rtxn.open_table(AUDIT).map_err(db_err)?;
            let mut out = Vec::new();
            for entry in audit.iter().map_err(db_err)?.rev().take(limit) {
                let (_, v) = entry.map_err(db_err)?;
                out.push(v.value().to_vec());
            }
            out.reverse();
            Ok(out)
        })
        .await
    }

    async fn get_cursor(&self, name: &str) -> Result<Option<String>, StoreError> {
        let name = name.to_string();
        self.blocking(move |db| {
            let rtxn = db.begin_read().map_err(db_err)?;
            let t = rtxn.open_table(CURSORS).map_err(db_err)?;
            Ok(t.get(name.as_str())
                .map_err(db_err)?
                .map(|g| g.value().to_string()))
        })
        .await
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.write(move |txn| {
            let mut t = txn.open_table(CURSORS).map_err(db_err)?;
            t.insert(name.as_str(), value.as_str()).map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips_every_state() {
        for state in [
            State::Ready { at: 5, seq: 9 },
            State::Leased {
                token: "abc".into(),
                deadline: 77,
            },
            State::Dead {
                reason: "max_attempts".into(),
                dead_at: 1,
                dlq_seq: 2,
            },
        ] {
            let rec = Record {
                tenant: "t".into(),
                kind: "redact_comment".into(),
                payload: vec![0, 1, 255],
                attempts: 3,
                enqueued_at: 42,
                state,
            };
            assert_eq!(Record::decode(&rec.encode()).unwrap(), rec);
        }
    }

    #[test]
    fn truncated_or_unknown_records_are_corrupt_not_panics() {
        let rec = Record {
            tenant: "t".into(),
            kind: "k".into(),
            payload: vec![1; 10],
            attempts: 0,
            enqueued_at: 0,
            state: State::Ready { at: 0, seq: 0 },
        };
        let bytes = rec.encode();
        for n in 0..bytes.len() {
            assert!(matches!(
                Record::decode(&bytes[..n]),
                Err(StoreError::Corrupt(_))
            ));
        }
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert!(matches!(Record::decode(&bad), Err(StoreError::Corrupt(_))));
    }

    /// A write op that sets cursor `name` and then fails with `err`.
    async fn failing_write(
        s: &EmbeddedStore,
        name: String,
        err: fn() -> StoreError,
    ) -> Result<(), StoreError> {
        s.write(move |txn| {
            let mut t = txn.open_table(CURSORS).map_err(db_err)?;
            t.insert(name.as_str(), "written").map_err(db_err)?;
            Err(err())
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_failed_write_leaves_nothing_and_does_not_fail_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let s = EmbeddedStore::open(dir.path()).unwrap();
        let r = failing_write(&s, "x".into(), || StoreError::Corrupt("boom".into())).await;
        assert!(matches!(r, Err(StoreError::Corrupt(_))));
        assert_eq!(s.get_cursor("x").await.unwrap(), None);

        // Many concurrent writers so batches mix good and failing operations.
        let mut tasks = Vec::new();
        for i in 0..96u32 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("c{i}");
                match i % 3 {
                    0 => s.set_cursor(&name, "ok").await,
                    1 => failing_write(&s, name, || StoreError::Corrupt("boom".into())).await,
                    _ => failing_write(&s, name, || StoreError::NotFound("gone".into())).await,
                }
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap();
            let got = s.get_cursor(&format!("c{i}")).await.unwrap();
            match i % 3 {
                0 => {
                    assert!(r.is_ok(), "good write {i} failed: {r:?}");
                    assert_eq!(got.as_deref(), Some("ok"));
                }
                1 => {
                    assert!(matches!(r, Err(StoreError::Corrupt(_))));
                    assert_eq!(got, None, "aborted write {i} is visible");
                }
                _ => {
                    // NotFound is checked before writing by every real operation; this op
                    // breaks that rule on purpose: its error is returned, the batch commits.
                    assert!(matches!(r, Err(StoreError::NotFound(_))));
                }
            }
        }
    }

    #[test]
    fn reasons_are_bounded_on_char_boundaries() {
        let long = "é".repeat(100);
        let r = bounded_reason(&long);
        assert!(r.len() <= MAX_REASON_LEN);
        assert!(long.starts_with(&r));
    }
}
