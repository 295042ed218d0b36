-- Booking through the JSON API, as the residents' app does: one POST /api/v1/bookings
-- with the resident's Bearer token and an Idempotency-Key of its own. 201 is booked,
-- 409 slot_full is full, another 409 (a rule refused it) is refused; anything else is
-- counted by its status. Data: residents = {{token = "…"}, …}, sessions = {{slot ids},
-- …}, threads, run, window (see bench/load.py).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(here .. "lib.lua")

setup = lib.setup
done = lib.done

local targets, run, sent, current

function init(args)
  local data = lib.load(args)
  run, sent = data.run, 0
  targets = lib.targets(data, id, function(r) return { token = r.token } end)
end

function request()
  local resident, slot = targets:next()
  if not resident then
    lib.count("no session left to book")
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  current = { resident = resident, slot = slot }
  sent = sent + 1
  return wrk.format("POST", "/api/v1/bookings", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. resident.token,
    ["Idempotency-Key"] = string.format("wrk-%d-%d-%d", run, id, sent),
  }, '{"slot_id": ' .. slot .. '}')
end

function response(status, _headers, body)
  local outcome
  if status == 201 then
    outcome = "booked"
  elseif status == 409 then
    outcome = body:find('"slot_full"', 1, true) and "full" or "refused"
  end
  targets:settle(outcome, status, current)
end
