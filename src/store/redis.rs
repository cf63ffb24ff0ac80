//! The Redis store, for several replicas sharing one queue.
//!
//! Owns: the Redis key layout and the Lua scripts below. Must not: hold matched text (payloads
//! are opaque, PHI-free actions), put payloads or connection URLs in errors, or panic on a
//! Redis failure (every failure is [`StoreError::Unavailable`]).
//!
//! # Key layout
//! Every key starts with the hash tag `{<prefix>}` so all of them live in one slot and the
//! multi-key Lua scripts work on Redis Cluster too:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `{p}:dedupe:<key>` | string, `PX` ttl | hex SHA-256 of the body (`SET NX PX`) |
//! | `{p}:q` | stream, group `workers` | ready items (`id` field); pending list = delivered |
//! | `{p}:delayed` | sorted set | id → not-before / retry time (Unix ms) |
//! | `{p}:leases` | sorted set | id → lease deadline (Unix ms) |
//! | `{p}:item:<id>` | hash | tenant, kind, payload, attempts, enq, entry, dly, tok (+ reason, dead) |
//! | `{p}:dlq` | sorted set | id → dead-letter sequence (`{p}:dlqseq`), oldest first |
//! | `{p}:audit` | stream | audit records (`r` field), `MAXLEN ~` trimmed (configurable) |
//! | `{p}:cursor:<name>` | string | cursor value |
//!
//! # Scripts (atomic, `EVALSHA` via [`redis::Script`])
//! - **submit**: for each submission `SET dedupe NX PX ttl`; only if it was set, create the item
//!   hashes and `XADD` them (or `ZADD delayed` when `not_before` is in the future); otherwise
//!   `GET` and compare the hash (duplicate vs duplicate-different-body). One script, so a key is
//!   never recorded without its items.
//! - **lease**: moves due `delayed` items to the stream; reclaims items whose deadline in
//!   `{p}:leases` passed (`XCLAIM` to the new consumer, attempts kept — they live in the item
//!   hash); then `XREADGROUP ... >` for new entries. Each delivery bumps the item's `dly`
//!   counter and the lease token is `<entry id>/<dly>`, so a worker whose lease expired and was
//!   handed out again cannot ack, retry or dead-letter it ([`StoreError::NotFound`]). Lease
//!   deadlines live in a sorted set rather than being inferred from `XAUTOCLAIM` idle times,
//!   so a lease is honoured for the duration it was granted with, whatever another caller asks.
//! - **settle** (ack / retry / release / dead-letter): checks the token, `XACK` + `XDEL`, then
//!   deletes the item, re-schedules it (`ZADD delayed` or `XADD`), or moves it to `{p}:dlq`.
//!
//! Time comes from the Redis server (`TIME`), so replicas with skewed clocks agree.
//!
//! # Durability
//! Every write is acknowledged by Redis before a method returns. Whether it survives a Redis
//! crash depends on Redis persistence: run Redis with `appendonly yes` and
//! `appendfsync everysec` (at most ~1 s of acknowledged writes lost on a power cut) or
//! `appendfsync always` (none lost, slower). Without AOF, a restart loses the queue. A script
//! that fails half-way (e.g. Redis out of memory) is not rolled back by Redis: set
//! `maxmemory-policy noeviction` and alert on memory.

use std::time::Duration;

use async_trait::async_trait;
use redis::Value;
use redis::aio::ConnectionManager;

use super::{
    DeadItem, DelayedStats, Leased, NewWork, QueueStats, Store, StoreError, Submission,
    SubmitOutcome,
};

/// Connection and response timeout: a call against an unreachable Redis fails after this.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Default approximate cap on the audit stream length.
pub const DEFAULT_AUDIT_MAX_LEN: u64 = 1_000_000;

/// Longest dead-letter reason kept (reasons are short bounded codes).
const MAX_REASON_LEN: usize = 64;

/// Due delayed items moved to the stream per `lease` call.
const MOVE_BATCH: usize = 1000;

const PRELUDE: &str = r#"
local B = ARGV[1]
local Q = B .. ':q'
local G = 'workers'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function ik(id) return B .. ':item:' .. id end
local function ensure_group()
  redis.pcall('XGROUP', 'CREATE', Q, G, '0', 'MKSTREAM')
end
local function to_stream(id)
  local e = redis.call('XADD', Q, '*', 'id', id)
  redis.call('HSET', ik(id), 'entry', e, 'tok', '')
end
local function put_item(id, tenant, kind, payload, nb, now)
  local k = ik(id)
  if redis.call('EXISTS', k) == 1 then return end
  redis.call('HSET', k, 'tenant', tenant, 'kind', kind, 'payload', payload,
    'attempts', 0, 'enq', now, 'dly', 0, 'tok', '', 'entry', '')
  if nb > now then redis.call('ZADD', B .. ':delayed', nb, id) else to_stream(id) end
end
"#;

const SUBMIT: &str = r#"
local now = now_ms()
local ttl = ARGV[2]
local n = tonumber(ARGV[3])
local i = 4
local out = {}
for s = 1, n do
  local dk = B .. ':dedupe:' .. ARGV[i]
  local h = ARGV[i + 1]
  local ni = tonumber(ARGV[i + 2])
  i = i + 3
  if redis.call('SET', dk, h, 'NX', 'PX', ttl) then
    for j = 1, ni do
      put_item(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4]), now)
      i = i + 5
    end
    out[s] = 0
  else
    i = i + 5 * ni
    if redis.call('GET', dk) == h then out[s] = 1 else out[s] = 2 end
  end
end
return out
"#;

const ENQUEUE: &str = r#"
local now = now_ms()
local n = tonumber(ARGV[2])
local i = 3
for j = 1, n do
  put_item(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4]), now)
  i = i + 5
end
return n
"#;

const LEASE: &str = r#"
ensure_group()
local consumer = ARGV[2]
local max = tonumber(ARGV[3])
local now = now_ms()
local deadline = now + tonumber(ARGV[4])
local D = B .. ':delayed'
local L = B .. ':leases'
local due = redis.call('ZRANGEBYSCORE', D, '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(due) do
  redis.call('ZREM', D, id)
  if redis.call('EXISTS', ik(id)) == 1 then to_stream(id) end
end
local out = {}
local function issue(id, entry)
  local k = ik(id)
  local dly = redis.call('HINCRBY', k, 'dly', 1)
  local tok = entry .. '/' .. dly
  redis.call('HSET', k, 'tok', tok)
  redis.call('ZADD', L, deadline, id)
  local f = redis.call('HMGET', k, 'tenant', 'kind', 'payload', 'attempts', 'enq')
  out[#out + 1] = {id, f[1], f[2], f[3], tonumber(f[4]), tonumber(f[5]), tok}
end
local expired = redis.call('ZRANGEBYSCORE', L, '-inf', now, 'LIMIT', 0, max)
for _, id in ipairs(expired) do
  local entry = redis.call('HGET', ik(id), 'entry')
  if entry and entry ~= '' then
    redis.call('XCLAIM', Q, G, consumer, 0, entry, 'JUSTID')
    issue(id, entry)
  else
    redis.call('ZREM', L, id)
  end
end
if #out < max then
  local r = redis.call('XREADGROUP', 'GROUP', G, consumer, 'COUNT', max - #out, 'STREAMS', Q, '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      local eid = e[1]
      local id = e[2] and e[2][2]
      local cur = id and redis.call('HGET', ik(id), 'entry')
      if cur == eid then
        issue(id, eid)
      else
        redis.call('XACK', Q, G, eid)
        redis.call('XDEL', Q, eid)
      end
    end
  end
end
return out
"#;

const SETTLE: &str = r#"
local id = ARGV[2]
local k = ik(id)
local f = redis.call('HMGET', k, 'tok', 'entry')
if (not f[1]) or f[1] == '' or f[1] ~= ARGV[3] then return 0 end
redis.call('XACK', Q, G, f[2])
redis.call('XDEL', Q, f[2])
redis.call('ZREM', B .. ':leases', id)
redis.call('HSET', k, 'tok', '', 'entry', '')
local mode = ARGV[4]
local now = now_ms()
if mode == 'ack' then
  redis.call('DEL', k)
elseif mode == 'retry' then
  redis.call('HINCRBY', k, 'attempts', 1)
  local at = tonumber(ARGV[5])
  if at > now then redis.call('ZADD', B .. ':delayed', at, id) else to_stream(id) end
elseif mode == 'release' then
  to_stream(id)
elseif mode == 'dead' then
  redis.call('HINCRBY', k, 'attempts', 1)
  local seq = redis.call('INCR', B .. ':dlqseq')
  redis.call('HSET', k, 'reason', ARGV[6], 'dead', now)
  redis.call('ZADD', B .. ':dlq', seq, id)
end
return 1
"#;

const DLQ_LIST: &str = r#"
local ids = redis.call('ZRANGE', B .. ':dlq', 0, tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', ik(id), 'tenant', 'kind', 'payload', 'attempts', 'reason', 'dead')
  if f[1] then
    out[#out + 1] = {id, f[1], f[2], f[3], tonumber(f[4]), f[5], tonumber(f[6])}
  end
end
return out
"#;

const DLQ_REPLAY: &str = r#"
local id = ARGV[2]
if redis.call('ZREM', B .. ':dlq', id) == 0 then return 0 end
redis.call('HSET', ik(id), 'attempts', 0)
redis.call('HDEL', ik(id), 'reason', 'dead')
to_stream(id)
return 1
"#;

const DLQ_DROP: &str = r#"
local id = ARGV[2]
if redis.call('ZREM', B .. ':dlq', id) == 0 then return 0 end
redis.call('DEL', ik(id))
return 1
"#;

const STATS: &str = r#"
ensure_group()
local now = now_ms()
local len = redis.call('XLEN', Q)
local pending = redis.call('XPENDING', Q, G)[1]
local last = '0-0'
for _, g in ipairs(redis.call('XINFO', 'GROUPS', Q)) do
  local name, ld
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then ld = g[i + 1] end
  end
  if name == G and ld then last = ld end
end
local oldest = 0
local first = redis.call('XRANGE', Q, '(' .. last, '+', 'COUNT', 1)
if first[1] then
  local ms = tonumber(string.match(first[1][1], '^(%d+)-'))
  if ms and now > ms then oldest = now - ms end
end
return {len - pending, redis.call('ZCARD', B .. ':delayed'), redis.call('ZCARD', B .. ':leases'),
  redis.call('ZCARD', B .. ':dlq'), oldest}
"#;

struct Scripts {
    submit: redis::Script,
    enqueue: redis::Script,
    lease: redis::Script,
    settle: redis::Script,
    dlq_list: redis::Script,
    dlq_replay: redis::Script,
    dlq_drop: redis::Script,
    stats: redis::Script,
}

impl Scripts {
    fn new() -> Self {
        let s = |body: &str| redis::Script::new(&format!("{PRELUDE}{body}"));
        Scripts {
            submit: s(SUBMIT),
            enqueue: s(ENQUEUE),
            lease: s(LEASE),
            settle: s(SETTLE),
            dlq_list: s(DLQ_LIST),
            dlq_replay: s(DLQ_REPLAY),
            dlq_drop: s(DLQ_DROP),
            stats: s(STATS),
        }
    }
}

/// The Redis store. Cheap to clone; clones share the connection manager.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    /// `{prefix}`: the hash tag every key starts with.
    base: String,
    audit_max_len: u64,
    scripts: std::sync::Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Maps a Redis error to [`StoreError::Unavailable`] with its kind and server code only (never
/// arguments, payloads or the URL).
fn redis_err(e: redis::RedisError) -> StoreError {
    match e.code() {
        Some(code) => StoreError::Unavailable(format!("redis {:?} ({code})", e.kind())),
        None if e.is_timeout() => StoreError::Unavailable("redis timeout".into()),
        None => StoreError::Unavailable(format!("redis {:?}", e.kind())),
    }
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected redis reply: {what}"))
}

fn bytes(v: Value) -> Result<Vec<u8>, StoreError> {
    match v {
        Value::BulkString(b) => Ok(b),
        Value::SimpleString(s) => Ok(s.into_bytes()),
        Value::Okay => Ok(b"OK".to_vec()),
        _ => Err(corrupt("expected a string")),
    }
}

fn string(v: Value) -> Result<String, StoreError> {
    String::from_utf8(bytes(v)?).map_err(|_| corrupt("non utf-8 string"))
}

fn int(v: Value) -> Result<i64, StoreError> {
    match v {
        Value::Int(i) => Ok(i),
        Value::BulkString(b) => std::str::from_utf8(&b)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt("expected an integer")),
        _ => Err(corrupt("expected an integer")),
    }
}

fn uint(v: Value) -> Result<u64, StoreError> {
    u64::try_from(int(v)?).map_err(|_| corrupt("negative integer"))
}

fn array(v: Value) -> Result<Vec<Value>, StoreError> {
    match v {
        Value::Array(a) | Value::Set(a) => Ok(a),
        Value::Nil => Ok(Vec::new()),
        _ => Err(corrupt("expected an array")),
    }
}

fn bounded_reason(reason: &str) -> String {
    let mut end = reason.len().min(MAX_REASON_LEN);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

fn push_item(inv: &mut redis::ScriptInvocation<'_>, w: &NewWork) {
    inv.arg(&w.id)
        .arg(&w.tenant)
        .arg(&w.kind)
        .arg(w.payload.as_slice())
        .arg(w.not_before_ms.unwrap_or(0));
}

impl RedisStore {
    /// Connects to `url` (`redis://host:port/db`, `rediss://` needs TLS support compiled in) and
    /// uses keys under the hash tag `{prefix}`. `prefix` must be non-empty and contain no `{`
    /// or `}`. Calls fail with [`StoreError::Unavailable`] after [`DEFAULT_TIMEOUT`] when Redis
    /// does not answer; the connection is re-established in the background.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            return Err(StoreError::Unavailable(
                "invalid redis key prefix: must be non-empty without '{' or '}'".into(),
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid redis url ({:?})", e.kind())))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let conn = tokio::time::timeout(
            DEFAULT_TIMEOUT * 2,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError::Unavailable("redis connect timeout".into()))?
        .map_err(redis_err)?;
        let store = RedisStore {
            conn,
            base: format!("{{{prefix}}}"),
            audit_max_len: DEFAULT_AUDIT_MAX_LEN,
            scripts: std::sync::Arc::new(Scripts::new()),
        };
        store.ping().await?;
        Ok(store)
    }

    /// Caps the audit stream at about `n` records (`XADD MAXLEN ~ n`); `0` disables trimming.
    pub fn with_audit_max_len(mut self, n: u64) -> Self {
        self.audit_max_len = n;
        self
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.base)
    }

    async fn run(&self, inv: &redis::ScriptInvocation<'_>) -> Result<Value, StoreError> {
        let mut conn = self.conn.clone();
        inv.invoke_async::<Value>(&mut conn)
            .await
            .map_err(redis_err)
    }

    async fn cmd(&self, cmd: &redis::Cmd) -> Result<Value, StoreError> {
        let mut conn = self.conn.clone();
        cmd.query_async::<Value>(&mut conn).await.map_err(redis_err)
    }

    async fn settle(
        &self,
        item: &Leased,
        mode: &str,
        at_ms: u64,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut inv = self.scripts.settle.key(self.key("q"));
        inv.arg(&self.base)
            .arg(&item.id)
            .arg(&item.token)
            .arg(mode)
            .arg(at_ms)
            .arg(reason);
        if int(self.run(&inv).await?)? == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!(
                "lease on work item {} (expired or not held)",
                item.id
            )))
        }
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.cmd(&redis::cmd("PING")).await.map(|_| ())
    }

    async fn seen(&self, dedupe_key: &str) -> Result<bool, StoreError> {
        let v = self
            .cmd(redis::cmd("EXISTS").arg(self.key(&format!("dedupe:{dedupe_key}"))))
            .await?;
        Ok(int(v)? == 1)
    }

    async fn submit(
        &self,
        submissions: &[Submission],
        ttl: Duration,
    ) -> Result<Vec<SubmitOutcome>, StoreError> {
        if submissions.is_empty() {
            return Ok(Vec::new());
        }
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut inv = self.scripts.submit.key(self.key("q"));
        inv.arg(&self.base).arg(ttl_ms).arg(submissions.len());
        for s in submissions {
            inv.arg(&s.dedupe_key)
                .arg(hex::encode(s.body_hash))
                .arg(s.items.len());
            for w in &s.items {
                push_item(&mut inv, w);
            }
        }
        let out = array(self.run(&inv).await?)?;
        if out.len() != submissions.len() {
            return Err(corrupt("submit outcome count"));
        }
        out.into_iter()
            .map(|v| match int(v)? {
                0 => Ok(SubmitOutcome::Accepted),
                1 => Ok(SubmitOutcome::Duplicate),
                2 => Ok(SubmitOutcome::DuplicateDifferentBody),
                _ => Err(corrupt("submit outcome")),
            })
            .collect()
    }

    async fn enqueue(&self, items: &[NewWork]) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        let mut inv = self.scripts.enqueue.key(self.key("q"));
        inv.arg(&self.base).arg(items.len());
        for w in items {
            push_item(&mut inv, w);
        }
        self.run(&inv).await.map(|_| ())
    }

    async fn lease(
        &self,
        consumer: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Leased>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let mut inv = self.scripts.lease.key(self.key("q"));
        inv.arg(&self.base)
            .arg(consumer)
            .arg(max)
            .arg(lease_ms)
            .arg(MOVE_BATCH);
        let rows = array(self.run(&inv).await?)?;
        rows.into_iter()
            .map(|row| {
                let mut f = array(row)?.into_iter();
                let mut next = || f.next().ok_or_else(|| corrupt("short lease row"));
                Ok(Leased {
                    id: string(next()?)?,
                    tenant: string(next()?)?,
                    kind: string(next()?)?,
                    payload: bytes(next()?)?,
                    attempts: u32::try_from(uint(next()?)?).unwrap_or(u32::MAX),
                    enqueued_at_ms: uint(next()?)?,
                    token: string(next()?)?,
                })
            })
            .collect()
    }

    async fn ack(&self, item: &Leased) -> Result<(), StoreError> {
        self.settle(item, "ack", 0, "").await
    }

    async fn retry(&self, item: &Leased, at_ms: u64) -> Result<(), StoreError> {
        self.settle(item, "retry", at_ms, "").await
    }

    async fn release(&self, item: &Leased) -> Result<(), StoreError> {
        self.settle(item, "release", 0, "").await
    }

    async fn dead_letter(&self, item: &Leased, reason: &str) -> Result<(), StoreError> {
        self.settle(item, "dead", 0, &bounded_reason(reason)).await
    }

    async fn dlq_list(&self, limit: usize) -> Result<Vec<DeadItem>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut inv = self.scripts.dlq_list.key(self.key("q"));
        inv.arg(&self.base).arg(limit);
        let rows = array(self.run(&inv).await?)?;
        rows.into_iter()
            .map(|row| {
                let mut f = array(row)?.into_iter();
                let mut next = || f.next().ok_or_else(|| corrupt("short dlq row"));
                Ok(DeadItem {
                    id: string(next()?)?,
                    tenant: string(next()?)?,
                    kind: string(next()?)?,
                    payload: bytes(next()?)?,
                    attempts: u32::try_from(uint(next()?)?).unwrap_or(u32::MAX),
                    reason: string(next()?)?,
                    dead_at_ms: uint(next()?)?,
                })
            })
            .collect()
    }

    async fn dlq_replay(&self, id: &str) -> Result<bool, StoreError> {
        let mut inv = self.scripts.dlq_replay.key(self.key("q"));
        inv.arg(&self.base).arg(id);
        Ok(int(self.run(&inv).await?)? == 1)
    }

    async fn dlq_drop(&self, id: &str) -> Result<bool, StoreError> {
        let mut inv = self.scripts.dlq_drop.key(self.key("q"));
        inv.arg(&self.base).arg(id);
        Ok(int(self.run(&inv).await?)? == 1)
    }

    async fn stats(&self) -> Result<QueueStats, StoreError> {
        let mut inv = self.scripts.stats.key(self.key("q"));
        inv.arg(&self.base);
        let mut f = array(self.run(&inv).await?)?.into_iter();
        let mut next = || f.next().ok_or_else(|| corrupt("short stats reply"));
        Ok(QueueStats {
            ready: uint(next()?)?,
            delayed: uint(next()?)?,
            leased: uint(next()?)?,
            dead: uint(next()?)?,
            oldest_ready_age_ms: uint(next()?)?,
        })
    }

    async fn delayed_stats(
        &self,
        now_ms: u64,
        overdue_after_ms: u64,
    ) -> Result<DelayedStats, StoreError> {
        let key = self.key("delayed");
        let cut = now_ms.saturating_sub(overdue_after_ms);
        let mut conn = self.conn.clone();
        // Three ZCOUNTs in one MULTI: a consistent snapshot of the sorted set.
        let (overdue, due, scheduled): (u64, u64, u64) = redis::pipe()
            .atomic()
            .zcount(&key, "-inf", format!("({cut}"))
            .zcount(&key, cut, now_ms)
            .zcount(&key, format!("({now_ms}"), "+inf")
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        Ok(DelayedStats {
            scheduled,
            due,
            overdue,
        })
    }

    async fn append_audit(&self, record: &[u8]) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(self.key("audit"));
        if self.audit_max_len > 0 {
            cmd.arg("MAXLEN").arg("~").arg(self.audit_max_len);
        }
        cmd.arg("*").arg("r").arg(record);
        self.cmd(&cmd).await.map(|_| ())
    }

    async fn audit_tail(&self, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let v = self
            .cmd(
                redis::cmd("XREVRANGE")
                    .arg(self.key("audit"))
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(limit),
            )
            .await?;
        let mut out = Vec::new();
        for entry in array(v)? {
            // [entry id, [field, value, ...]]
            let mut parts = array(entry)?.into_iter();
            let fields = array(parts.nth(1).ok_or_else(|| corrupt("audit entry"))?)?;
            let value = fields
                .into_iter()
                .nth(1)
                .ok_or_else(|| corrupt("audit entry field"))?;
            out.push(bytes(value)?);
        }
        out.reverse();
        Ok(out)
    }

    async fn get_cursor(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self
            .cmd(redis::cmd("GET").arg(self.key(&format!("cursor:{name}"))))
            .await?
        {
            Value::Nil => Ok(None),
            v => string(v).map(Some),
        }
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.cmd(
            redis::cmd("SET")
                .arg(self.key(&format!("cursor:{name}")))
                .arg(value),
        )
        .await
        .map(|_| ())
    }
}
