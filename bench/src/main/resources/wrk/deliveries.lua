-- wrk script of `bench/run ingress`: cycles through pre-signed PagerDuty deliveries and prints
-- its result in a form the benchmark parses. The file of deliveries is the first argument after
-- `--`; one line each: <X-PagerDuty-Signature> TAB <X-Webhook-Id> TAB <key> TAB <body>.

local threads = 0

function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

local prepared = {}
local count = 0
local next_index = 0

function init(args)
  local path = args[1]
  local file = assert(io.open(path, "rb"), "cannot open the deliveries file " .. tostring(path))
  for line in file:lines() do
    local signature, webhook_id, _, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if body then
      count = count + 1
      prepared[count] = wrk.format("POST", wrk.path, {
        ["Content-Type"] = "application/json",
        ["X-PagerDuty-Signature"] = signature,
        ["X-Webhook-Id"] = webhook_id,
        ["X-Webhook-Subscription"] = "PSUBSCRIPTION1",
      }, body)
    end
  end
  file:close()
  if count == 0 then
    error("no deliveries in " .. path)
  end
  -- threads start at different places in the cycle
  next_index = ((thread_index or 0) * 7919) % count
end

function request()
  next_index = next_index % count + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format(
    "WRK_LATENCY_US p50=%d p90=%d p99=%d p999=%d max=%d mean=%.1f\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
