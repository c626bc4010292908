-- One wrk script for every scenario; the scenario itself is a Lua table that bench/load.py
-- writes (BENCH_PLAN names the file), so what each server is sent is defined in Python.
--
-- A plan has weighted entries. An entry is either a fixed list of requests, sent in turn,
-- or a template whose {placeholders} are filled per request: the fields of a random
-- target, {seq} (unique in the whole benchmark), {ip} (a different client address per
-- request, sent as X-Forwarded-For so every vote and post comes from a new reader) and
-- {text} (a random comment text, JSON-escaped). When the plan has writes, response()
-- tallies each answer under the entry it belongs to (by status and a marker in the body,
-- since wrk does not say which request an answer is for) and keeps the ids of the posts
-- acknowledged. done() prints the results as one JSON line starting "BENCH-JSON ".

local plan = dofile(os.getenv("BENCH_PLAN"))
local entries, weights = plan.entries, 0
for _, entry in ipairs(entries) do
   weights = weights + entry.weight
end

local threads = {}
local counter = 0
-- Globals, which done() reads with thread:get() (flat tables only: wrk's copy of a nested
-- table crashes it).
acknowledged, refused, ids, fivexx, other = {}, {}, {}, 0, 0

function setup(thread)
   thread:set("index", #threads)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(plan.salt * 1000 + index + 1)
   for i, entry in ipairs(entries) do
      acknowledged[i], refused[i] = 0, 0
      if entry.requests then
         entry.formatted = {}
         for j, request in ipairs(entry.requests) do
            entry.formatted[j] = wrk.format(entry.method, request[1], entry.headers, request[2])
         end
         entry.next = math.random(#entry.formatted)
      end
   end
end

local function pick()
   local r = math.random() * weights
   for _, entry in ipairs(entries) do
      r = r - entry.weight
      if r < 0 then
         return entry
      end
   end
   return entries[#entries]
end

local function fill(template, values)
   return (string.gsub(template, "{(%w+)}", values))
end

function request()
   local entry = pick()
   if entry.formatted then
      local formatted = entry.formatted[entry.next]
      entry.next = entry.next % #entry.formatted + 1
      return formatted
   end
   counter = counter + 1
   local x = ((plan.salt % 40) * 4 + index % 4) * 65536 + counter % 65536
   local values = {
      seq = plan.salt .. "-" .. index .. "-" .. counter,
      ip = string.format("%d.%d.%d.7", 11 + math.floor(x / 65536), math.floor(x / 256) % 256,
                         x % 256),
      text = plan.texts[1] and plan.texts[math.random(#plan.texts)],
   }
   for name, value in pairs(entry.targets[math.random(#entry.targets)]) do
      values[name] = value
   end
   local headers = {}
   for name, value in pairs(entry.headers) do
      headers[name] = fill(value, values)
   end
   return wrk.format(entry.method, fill(entry.path, values), headers, fill(entry.body, values))
end

local function tally_response(status, headers, body)
   if status >= 500 then
      fivexx = fivexx + 1
      return
   end
   for i, entry in ipairs(entries) do
      if status == entry.status and (not entry.marker or string.find(body, entry.marker, 1, true)) then
         if entry.refused and string.find(body, entry.refused, 1, true) then
            refused[i] = refused[i] + 1
         else
            acknowledged[i] = acknowledged[i] + 1
            if entry.collect then
               ids[#ids + 1] = string.match(body, '"id":%s*(%d+)')
            end
         end
         return
      end
   end
   other = other + 1
end

if plan.respond then  -- only then: wrk reads whole answers only when response() exists
   response = tally_response
end

local function join(items)
   return "[" .. table.concat(items, ",") .. "]"
end

function done(summary, latency, requests)
   local kinds, collected, errors5, unmatched = {}, {}, 0, 0
   for i, entry in ipairs(entries) do
      local ok, no = 0, 0
      for _, thread in ipairs(threads) do
         ok, no = ok + thread:get("acknowledged")[i], no + thread:get("refused")[i]
      end
      kinds[i] = string.format('{"kind":"%s","ok":%d,"refused":%d}', entry.kind, ok, no)
   end
   for _, thread in ipairs(threads) do
      for _, id in ipairs(thread:get("ids")) do
         collected[#collected + 1] = id
      end
      errors5 = errors5 + thread:get("fivexx")
      unmatched = unmatched + thread:get("other")
   end
   local e = summary.errors
   io.write("BENCH-JSON ", string.format(
      '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,' ..
      '"max":%d},"kinds":%s,"fivexx":%d,"other":%d,"ids":%s}\n',
      summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, join(kinds), errors5, unmatched, join(collected)))
end
