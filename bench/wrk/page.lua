-- Booking through the pages, as a browser does: GET /slots/<id>/book with the
-- resident's cookies, read the CSRF token, the nonce and the first patient from the
-- form, POST them. A 302 to /bookings/… is booked; a form offering only the waitlist or
-- an answer saying "该时段已约满" is full; another 200 answer (a rule or the form
-- refused it) is refused; anything else is counted by its status, or as "no form".
-- Data: residents = {{cookie = "session=…"}, …}, sessions, threads, run, window.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(here .. "lib.lua")

setup = lib.setup
done = lib.done

local FULL = "该时段已约满"
local targets, current

function init(args)
  local data = lib.load(args)
  targets = lib.targets(data, id, function(r) return { jar = lib.jar(r.cookie) } end)
end

function request()
  if current and current.body then  -- the form came back: post it (again, after an error)
    return wrk.format("POST", current.path, {
      ["Cookie"] = current.resident.jar:header(),
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, current.body)
  end
  local resident, slot = targets:next()
  if not resident then
    lib.count("no session left to book")
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  current = { resident = resident, slot = slot, path = "/slots/" .. slot .. "/book" }
  return wrk.format("GET", current.path, { ["Cookie"] = resident.jar:header() })
end

local function read_form(status, body)
  if status ~= 200 then
    lib.count("status " .. status)
  elseif not lib.field(body, "nonce") then
    if body:find(FULL, 1, true) then
      targets:settle("full", status, current)
    else
      lib.count("no form")
    end
  else
    local token, patient = lib.field(body, "csrf_token"), lib.field(body, "patient")
    if token and patient then
      current.body = lib.form({ { "csrf_token", token }, { "nonce", lib.field(body, "nonce") },
                                { "patient", patient } })
      return
    end
    lib.count("no form")
  end
  current = nil
end

local function read_answer(status, headers, body)
  local location = lib.header(headers, "Location") or ""
  local path = location:match("^%a+://[^/]+(/.*)$") or location
  local outcome
  if status == 302 and path:sub(1, 10) == "/bookings/" then
    outcome = "booked"
  elseif status == 200 then
    outcome = body:find(FULL, 1, true) and "full" or "refused"
  end
  targets:settle(outcome, status, current)
  current = nil
end

function response(status, headers, body)
  if not current then return end
  current.resident.jar:update(headers)
  if current.body then
    read_answer(status, headers, body)
  else
    read_form(status, body)
  end
end
