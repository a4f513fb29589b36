-- lua/cx/init.lua: the helper library trigger rules see as the global
-- `cx` (and get from require "cx").  Built into the module; it runs in
-- the same sandbox as the rules and is frozen like their tables.
--
-- The helpers rules call on every page view are C functions
-- (ngx_http_cx_lua_cx.c, ngx_http_cx_lua_string.c): the rules VM runs
-- without the JIT, and a helper in Lua would cost several calls where
-- the C one costs one.  README.md "Writing trigger rules" documents
-- every function.

local C = ...

local floor, tonumber, type = math.floor, tonumber, type

local cx = {}


-- Sampling: deterministic per visitor (the cx_v cookie's id) and key;
-- visitors without an id draw at random on every page view

cx.sample = C.sample        -- (rate [, key]) -> boolean, rate in 0..1
cx.pick = C.pick            -- (list [, key]) -> one element of list


-- Paths: "*" within one path segment, "**" across segments, "?" one
-- character; the whole string must match

cx.glob = C.glob            -- (s, glob) -> boolean
cx.glob_any = C.glob_any    -- (s, globs) -> the first glob that matches
cx.route = C.route          -- (s, {{glob, value}, ...}) -> value, glob of
                            -- the first glob that matches
cx.prefix = C.prefix        -- (s, prefix) -> boolean


-- Time, in cx_rules_time_zone

cx.weekday = C.weekday                  -- (r) Monday to Friday
cx.weekend = C.weekend                  -- (r) Saturday, Sunday
cx.business_hours = C.business_hours    -- (r [, from [, to]]) weekday,
                                        -- from <= hour < to (9, 17)


-- The visitor's history

cx.shown_within = C.shown_within        -- (r, days)
cx.answered_within = C.answered_within  -- (r, days)
cx.cooled_down = C.cooled_down          -- (r, days [, answered_days])


-- The request ---------------------------------------------------------

-- "+" and %XX of a query's name or value
local function unescape(s)
    local string = string

    s = string.gsub(s, "+", " ")

    return (string.gsub(s, "%%(%x%x)", function (h)
        return string.char(tonumber(h, 16))
    end))
end

-- the first query argument whose name is name in any case ("UTM_Source"
-- is utm_source), decoded ("" for a name without "="); nil if none
function cx.arg(r, name)
    local string = string

    if type(name) ~= "string" then
        error("cx.arg: the name must be a string", 2)
    end

    local q = r.query

    if q == nil or q == "" then
        return nil
    end

    name = string.lower(name)

    for pair in string.gmatch(q, "[^&]+") do
        local eq = string.find(pair, "=", 1, true)
        local k = eq and string.sub(pair, 1, eq - 1) or pair

        if string.lower(unescape(k)) == name then
            return eq and unescape(string.sub(pair, eq + 1)) or ""
        end
    end

    return nil
end


-- Values ---------------------------------------------------------------

-- a number out of a header value such as "1,250.00", "$1234.5" or
-- "1234.50 EUR" (dot decimals, commas and spaces ignored); nil if none
function cx.number(s)
    if type(s) == "number" then
        return s
    end

    if type(s) ~= "string" or #s > 64 then
        return nil
    end

    local digits = s:gsub("[%s,]", ""):match("^[^%d%-%.]*(%-?[%d%.]+)")

    return digits and tonumber(digits) or nil
end

-- an integer between lo and hi (inclusive), or nil
function cx.integer(s, lo, hi)
    local n = tonumber(s)

    if n == nil or n ~= floor(n) or (lo and n < lo) or (hi and n > hi) then
        return nil
    end

    return n
end


-- What each helper takes, for the check of a rule file's calls when
-- nginx reads it (lua/check.lua): a call with a literal argument that
-- can never do, or without one it needs, fails nginx -t.  "r"; "number"
-- (a number); "tonumber" (a number, or a string that reads as one:
-- luaL_checknumber); "bound" (a number or false); "string"; "table";
-- "any"; with "?" it may be left out (or nil).  Keep it in step with the
-- checks each function makes.

local takes = {
    sample = { "number", "string?" },
    pick = { "table", "string?" },
    glob = { "any", "string" },
    glob_any = { "any", "table" },
    route = { "any", "table" },
    prefix = { "any", "string" },
    weekday = { "r" },
    weekend = { "r" },
    business_hours = { "r", "tonumber?", "tonumber?" },
    shown_within = { "r", "tonumber" },
    answered_within = { "r", "tonumber" },
    cooled_down = { "r", "tonumber", "tonumber?" },
    arg = { "r", "string" },
    number = { "any" },
    integer = { "any", "bound?", "bound?" },
}


return cx, takes
