-- Loads pages as logged-in people do, for bench/common.py's wrk runner.
--
--   wrk -t<N> -c<N> -d<S>s --latency -s visits.lua http://127.0.0.1:<port> -- <visits file> <N>
--
-- The visits file has one visit a line: path, Cookie header value (may be empty) and a text
-- every good answer contains, separated by tabs. There is one connection per thread (N of
-- each): thread k (from 0) sends its requests round-robin through visits k+1, k+1+N, k+1+2N,
-- ... (with fewer visits than connections, visit k mod V + 1 alone, V being their number).
-- One connection per thread keeps each answer paired with its request, which wrk's API cannot
-- do for several connections sharing a thread. An answer counts as good only if it is a 200
-- holding the expected text, so a login page or an error page counts against the run.
--
-- done() prints one line, "PCBENCH_WRK " followed by a JSON object: requests completed,
-- duration and latencies in microseconds (p50, p99), socket errors, timeouts, answers that
-- were not 2xx, and answers that were 2xx without being the page asked for.

local threads = {}
local slots = 0

function setup(thread)
  thread:set("slot", slots)
  slots = slots + 1
  table.insert(threads, thread)
end

local mine = {}
local current = 1
non_2xx = 0
failed = 0
first_error = nil

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local visits = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(visits, split(line))
    end
  end
  local count = tonumber(args[2])
  for index = slot % #visits + 1, #visits, count do
    local path, cookie, expect = unpack(visits[index])
    local headers = {}
    if cookie ~= "" then
      headers["Cookie"] = cookie
    end
    table.insert(mine, {
      path = path,
      expect = expect,
      request = wrk.format("GET", path, headers),
    })
  end
  if #mine == 0 then
    error("no visit for connection " .. slot)
  end
end

function request()
  return mine[current].request
end

local function note(problem)
  if first_error == nil then
    first_error = problem
  end
end

function response(status, headers, body)
  local visit = mine[current]
  current = current % #mine + 1
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    note(visit.path .. ": status " .. status)
  elseif status ~= 200 or not string.find(body or "", visit.expect, 1, true) then
    failed = failed + 1
    note(visit.path .. ": status " .. status .. ", without the expected content")
  end
end

local function json_string(value)
  if value == nil then
    return "null"
  end
  local escaped = value:gsub('[%c"\\]', function(char)
    return string.format("\\u%04x", char:byte())
  end)
  return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
  local total_non_2xx, total_failed, first = 0, 0, nil
  for _, thread in ipairs(threads) do
    total_non_2xx = total_non_2xx + thread:get("non_2xx")
    total_failed = total_failed + thread:get("failed")
    first = first or thread:get("first_error")
  end
  local errors = summary.errors
  io.write(string.format(
    'PCBENCH_WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"socket_errors": %d, "timeouts": %d, "non_2xx": %d, "failed_expectations": %d, '
      .. '"first_error": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write, errors.timeout, total_non_2xx, total_failed,
    json_string(first)
  ))
end
