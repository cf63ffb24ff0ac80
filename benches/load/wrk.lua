-- wrk script for benches/load.sh: replays pre-signed unique requests from $LOAD_FILE.
-- Each wrk thread takes every Nth line so no two requests share an event id.
-- $LOAD_DELAY_MS (optional) paces each connection (for the "half of peak" run).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  local nthreads = tonumber(os.getenv("LOAD_THREADS") or "1")
  local i = 0
  for line in io.lines(os.getenv("LOAD_FILE")) do
    if i % nthreads == (tid - 1) then
      local ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(reqs, wrk.format("POST", nil, {
        ["Content-Type"] = "application/json",
        ["X-Zendesk-Webhook-Signature-Timestamp"] = ts,
        ["X-Zendesk-Webhook-Signature"] = sig,
      }, body))
    end
    i = i + 1
  end
  idx = tonumber(os.getenv("LOAD_SKIP") or "0") % math.max(#reqs, 1)
  pace = tonumber(os.getenv("LOAD_DELAY_MS") or "0")
end

function request()
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return reqs[idx]
end

function delay()
  return pace
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
