-- Shared by the bench's wrk scripts (bench/wrk/*.lua); loaded with dofile from the
-- script's own folder. wrk runs one Lua state per thread and another for setup() and
-- done(); the bench gives every thread one connection (-t N -c N), so a thread's
-- request() and response() alternate and a script may keep per-connection state in
-- plain globals.

local M = {}

-- The run's data: a Lua file the bench writes (`return {...}`), named after `--`.
function M.load(args)
  local path = args[1]
  if not path then error("usage: wrk ... -s script.lua URL -- DATA.lua") end
  return dofile(path)
end

-- The value of the form input called `name` (attributes in any order), or nil.
function M.field(html, name)
  local wanted = 'name="' .. name .. '"'
  for tag in html:gmatch("<input%f[%s][^>]*>") do
    if tag:find(wanted, 1, true) then
      return tag:match('%svalue="([^"]*)"')
    end
  end
  return nil
end

function M.urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", c:byte())
  end))
end

function M.form(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    parts[#parts + 1] = M.urlencode(pair[1]) .. "=" .. M.urlencode(pair[2])
  end
  return table.concat(parts, "&")
end

-- wrk hands headers as a table keyed by the name the server sent; a repeated header
-- (two Set-Cookie) keeps its last value only. The site sets one cookie a response
-- (`session`) once signed in, so a jar fed that way stays right.
function M.header(headers, name)
  return headers[name] or headers[name:lower()]
end

local Jar = {}
Jar.__index = Jar

function M.jar(cookie_header)
  local jar = setmetatable({ values = {}, order = {} }, Jar)
  for pair in (cookie_header or ""):gmatch("[^;]+") do
    local key, value = pair:match("^%s*([^=]+)=(.*)$")
    if key then jar:set(key, value) end
  end
  return jar
end

function Jar:set(key, value)
  if self.values[key] == nil then self.order[#self.order + 1] = key end
  self.values[key] = value
end

function Jar:update(headers)
  local set_cookie = M.header(headers, "Set-Cookie")
  if not set_cookie then return end
  local key, value = set_cookie:match("^%s*([^=;]+)=([^;]*)")
  if not key then return end
  local lower = set_cookie:lower()
  if value == "" or lower:find("max-age=0", 1, true) then
    self.values[key] = false  -- expired: keep its place, send it no more
  else
    self:set(key, value)
  end
end

function Jar:header()
  local parts = {}
  for _, key in ipairs(self.order) do
    local value = self.values[key]
    if value then parts[#parts + 1] = key .. "=" .. value end
  end
  return table.concat(parts, "; ")
end

-- Per-thread counters: `counts` is a global table of the thread's Lua state, read by
-- done() through thread:get.
counts = {}

function M.count(what)
  counts[what] = (counts[what] or 0) + 1
end

-- JSON for the result line: tables with string keys or arrays, numbers, strings.
local function encode(value)
  local kind = type(value)
  if kind == "table" then
    if #value > 0 then
      local items = {}
      for i, item in ipairs(value) do items[i] = encode(item) end
      return "[" .. table.concat(items, ",") .. "]"
    end
    local keys = {}
    for key in pairs(value) do keys[#keys + 1] = tostring(key) end
    table.sort(keys)
    local items = {}
    for _, key in ipairs(keys) do
      items[#items + 1] = encode(key) .. ":" .. encode(value[key])
    end
    return "{" .. table.concat(items, ",") .. "}"
  elseif kind == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
    end) .. '"'
  elseif kind == "number" then
    return string.format("%.17g", value)
  elseif kind == "boolean" then
    return tostring(value)
  end
  return "null"
end
M.encode = encode

-- setup() numbers the threads (1, 2, …) and keeps them so that done() can add up
-- their counters; done() prints one line, "XQ_WRK {json}", that bench/load.py reads.
local threads = {}

function M.setup(thread)
  threads[#threads + 1] = thread
  thread:set("id", #threads)
end

function M.done(summary, latency, _requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts") or {}) do
      total[key] = (total[key] or 0) + n
    end
  end
  local percentiles = {}
  for _, p in ipairs({ 50, 90, 99 }) do
    percentiles["p" .. p] = latency:percentile(p)
  end
  io.write("XQ_WRK ", encode({
    duration_us = summary.duration,
    requests = summary.requests,
    errors = summary.errors,
    latency_us = { p50 = percentiles.p50, p90 = percentiles.p90, p99 = percentiles.p99,
                   mean = latency.mean, max = latency.max },
    counts = total,
    threads = #threads,
  }), "\n")
end

-- Booking targets. The residents a thread books for are every `threads`-th of the
-- data's, each walking the sessions in an order of its own (fixed per resident) from
-- the run's window on, so that runs against one database do not retry each other's
-- sessions (one booking a session per patient) and bookings spread over all slots.
local Targets = {}
Targets.__index = Targets

local function permutation(n, seed)
  math.randomseed(seed)
  local order = {}
  for i = 1, n do order[i] = i end
  for i = n, 2, -1 do
    local j = math.random(i)
    order[i], order[j] = order[j], order[i]
  end
  return order
end

function M.targets(data, id, make)
  local t = setmetatable({ residents = {}, full = {}, turn = 0, sessions = data.sessions },
                         Targets)
  local n = #data.sessions
  for r = id, #data.residents, data.threads do
    local resident = make(data.residents[r])
    resident.order = permutation(n, 7919 * r + 1)
    resident.at = (data.run * data.window) % n + 1
    resident.left = n
    t.residents[#t.residents + 1] = resident
  end
  math.randomseed(1000 * data.run + id)
  return t
end

-- The next resident in turn and an open slot of their current session; nil when no
-- resident has a session left.
function Targets:next()
  for _ = 1, #self.residents do
    self.turn = self.turn % #self.residents + 1
    local resident = self.residents[self.turn]
    while resident.left > 0 do
      local open = {}
      for _, slot in ipairs(self.sessions[resident.order[resident.at]]) do
        if not self.full[slot] then open[#open + 1] = slot end
      end
      if #open > 0 then return resident, open[math.random(#open)] end
      self:done_with(resident)
    end
  end
  return nil
end

-- The resident's current session is booked (or refused them): on to the next one.
function Targets:done_with(resident)
  resident.at = resident.at % #resident.order + 1
  resident.left = resident.left - 1
end

function Targets:mark_full(slot)
  self.full[slot] = true
end

-- Count one booking attempt's outcome ("booked", "full", "refused" or nil for anything
-- else, counted by its status) and move the targets on: a full slot is skipped from now
-- on, a booked or refused session is done with.
function Targets:settle(outcome, status, attempt)
  if outcome == "booked" or outcome == "refused" then
    self:done_with(attempt.resident)
  elseif outcome == "full" then
    self:mark_full(attempt.slot)
  else
    outcome = "status " .. status
  end
  M.count(outcome)
end

return M
