-- lua/cx/init.lua: the helper library trigger rules see as the global
-- `cx` (and get from require "cx").  Built into the module; it runs in
-- the same sandbox as the rules and is frozen like their tables.  The
-- per-visitor hashing, glob matching and prefixes are C primitives
-- (ngx_http_cx_lua_string.c); README.md "Writing trigger rules"
-- documents every function.

local C = ...

local cx = {}

local floor, type, tonumber = math.floor, type, tonumber
local draw, bucket, glob, prefix = C.draw, C.bucket, C.glob, C.prefix


local function check(cond, n, fname, what)
    if not cond then
        error("bad argument #" .. n .. " to 'cx." .. fname .. "' ("
              .. what .. ")", 3)
    end
end


-- Sampling -------------------------------------------------------------

-- true for a `rate` share of visitors (0..1); the same visitor always
-- gets the same answer for the same key; visitors without an id (no
-- valid cookie yet) draw at random on every page view
function cx.sample(rate, key)
    check(type(rate) == "number", 1, "sample", "number expected")
    check(key == nil or type(key) == "string", 2, "sample",
          "string expected")

    if rate >= 1 then
        return true
    end

    if rate <= 0 then
        return false
    end

    return draw(key or "") < rate
end

-- one element of `list`, the same one for the same visitor and key
-- (A/B variants)
function cx.pick(list, key)
    local tl = type(list)
    check(tl == "table", 1, "pick", "table expected")
    check(key == nil or type(key) == "string", 2, "pick",
          "string expected")

    local n = #list
    if n == 0 then
        return nil
    end

    return list[bucket(key or "", n)]
end


-- Paths --------------------------------------------------------------

-- "*" matches within one path segment, "**" across segments, "?" one
-- character; the whole string must match
function cx.glob(s, pattern)
    check(type(pattern) == "string", 2, "glob", "string expected")

    if type(s) ~= "string" then
        return false
    end

    return glob(s, pattern)
end

-- the first pattern of the list that matches, or nil
function cx.glob_any(s, patterns)
    check(type(patterns) == "table", 2, "glob_any", "table expected")

    if type(s) ~= "string" then
        return nil
    end

    for i = 1, #patterns do
        local p = patterns[i]
        if glob(s, p) then
            return p
        end
    end

    return nil
end

function cx.prefix(s, p)
    check(type(p) == "string", 2, "prefix", "string expected")

    return type(s) == "string" and prefix(s, p)
end


-- Time (r.time is in cx_rules_time_zone) ------------------------------

function cx.weekday(r)
    return r.time.wday <= 5
end

function cx.weekend(r)
    return r.time.wday >= 6
end

-- Monday to Friday, from <= hour < to (default 9 to 17); hours may have
-- minutes as fractions: 9.5 is 9:30
function cx.business_hours(r, from, to)
    from = from or 9
    to = to or 17
    check(type(from) == "number", 2, "business_hours", "number expected")
    check(type(to) == "number", 3, "business_hours", "number expected")

    local t = r.time
    local h = t.hour + t.minute / 60

    return t.wday <= 5 and h >= from and h < to
end


-- The visitor's history (r.visitor, from the cx_v cookie) --------------

function cx.shown_within(r, days)
    check(type(days) == "number", 2, "shown_within", "number expected")

    local d = r.visitor.days_since_shown
    return d ~= nil and d < days
end

function cx.answered_within(r, days)
    check(type(days) == "number", 2, "answered_within", "number expected")

    local d = r.visitor.days_since_answered
    return d ~= nil and d < days
end

-- true when the visitor may be asked again: no survey shown in the last
-- `days` days and none answered in the last `answered_days` (default:
-- `days`)
function cx.cooled_down(r, days, answered_days)
    check(type(days) == "number", 2, "cooled_down", "number expected")

    return not cx.shown_within(r, days)
           and not cx.answered_within(r, answered_days or days)
end


-- Values -------------------------------------------------------------

-- a number out of a header value such as "1,234.50", "$1234.5" or
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


return cx
