-- wrk script for bench/compare.py. BENCH_MODE picks what each request is:
--   get   GET BENCH_PATH
--   form  POST BENCH_PATH as a form: a unique name and client UUID, BENCH_CSRF and BENCH_COOKIE
--   json  POST BENCH_PATH as the outbox does: JSON, X-Kiosk-Client: outbox, a fresh
--         Idempotency-Key, Origin and Sec-Fetch-Site same-origin
-- Every request carries a unique name and UUID made of BENCH_RUN (8 hex digits, new each run),
-- the thread's number and a counter, so nothing two requests send is the same.
-- done() prints one JSON line (prefixed BENCH ) that compare.py reads.

local mode = os.getenv("BENCH_MODE") or "get"
local path = os.getenv("BENCH_PATH") or "/"
local run = os.getenv("BENCH_RUN") or "00000000"
local csrf = os.getenv("BENCH_CSRF") or ""
local cookie = os.getenv("BENCH_COOKIE") or ""
local origin = os.getenv("BENCH_ORIGIN") or ""
local version = os.getenv("BENCH_POLICY_VERSION") or "1"

local threads = {}
local made = 0

-- Runs in wrk's main Lua state: gives each thread its number (a global in the thread's state).
function setup(thread)
   made = made + 1
   thread:set("number", made)
   table.insert(threads, thread)
end

function init(args)
   counter = 0
   sent = 0
end

local function next_uuid()
   counter = counter + 1
   return string.format("%s-%04x-4%03x-8000-%012x", run, number % 65536, 0, counter), counter
end

local function post(headers, body)
   sent = sent + 1
   return wrk.format("POST", path, headers, body)
end

function request()
   if mode == "get" then
      sent = sent + 1
      return wrk.format("GET", path)
   end
   local id, n = next_uuid()
   local name = string.format("Bench Visitor %s %d %d", run, number, n)
   if mode == "form" then
      local body = "full_name=" .. name:gsub(" ", "+") .. "&role=visitor&organisation=&reason="
         .. "&accept=y&client_uuid=" .. id .. "&policy_version=" .. version
         .. "&channel=kiosk&roster_token=&csrf_token=" .. csrf
      return post({["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie,
                   ["Origin"] = origin, ["Sec-Fetch-Site"] = "same-origin"}, body)
   end
   local body = string.format('{"full_name":"%s","role":"visitor","accept":true,'
      .. '"policy_version":"%s","channel":"kiosk","accepted_at":"%s"}',
      name, version, os.date("!%Y-%m-%dT%H:%M:%SZ"))
   return post({["Content-Type"] = "application/json", ["X-Kiosk-Client"] = "outbox",
                ["Idempotency-Key"] = id, ["Origin"] = origin,
                ["Sec-Fetch-Site"] = "same-origin"}, body)
end

function done(summary, latency, requests)
   local total_sent = 0
   for _, thread in ipairs(threads) do
      total_sent = total_sent + (thread:get("sent") or 0)
   end
   local e = summary.errors
   io.write(string.format('BENCH {"requests":%d,"duration_us":%d,"sent":%d,"status_errors":%d,'
      .. '"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
      summary.requests, summary.duration, total_sent, e.status, e.connect, e.read, e.write,
      e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
