-- Plain GETs, as a browser reads pages: the data's paths in turn (each thread starting
-- at its own), keeping the cookies the site sets; a signed-in run starts each thread
-- with a resident's session cookie. 200 counts as ok, anything else by its status.
-- Data: paths = {"/", …}, cookies = {"session=…", …} (empty for a visitor).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local lib = dofile(here .. "lib.lua")

setup = lib.setup
done = lib.done

local paths, at, jar

function init(args)
  local data = lib.load(args)
  paths = data.paths
  at = (id - 1) % #paths
  local cookies = data.cookies or {}
  jar = lib.jar(#cookies > 0 and cookies[(id - 1) % #cookies + 1] or "")
end

function request()
  at = at % #paths + 1
  local cookie = jar:header()
  return wrk.format("GET", paths[at], cookie ~= "" and { ["Cookie"] = cookie } or {})
end

function response(status, headers, _body)
  jar:update(headers)
  if status == 200 then
    lib.count("ok")
  else
    lib.count("status " .. status)
  end
end
