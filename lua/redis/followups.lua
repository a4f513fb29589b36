-- lua/redis/followups.lua: the latest follow-ups of a site, newest first
-- (GET /cx/score?report=followups, ngx_http_cx_score_followups.c).  It
-- walks the stream backwards a page at a time inside Redis and keeps what
-- matches, so only the answer crosses the network.
--
-- KEYS[1]: the stream {prefix}:{site}:followup.  ARGV: the highest and
-- lowest ids to read ("(id": after a cursor), the first day and the day
-- after the last (times compare as strings), how many to keep, how many
-- to look at, the page size, the survey and the touchpoint ("": any).
-- "(" (an exclusive id) needs Redis 6.2.
--
-- Returns {entries, next}: next is the id to go on after (the last entry
-- kept when one more matches, the last one looked at when the scan ran
-- out first), false (nil) when the range holds no more.

local hi, lo, from, to = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local count, scan = tonumber(ARGV[5]), tonumber(ARGV[6])
local size, survey, tp = tonumber(ARGV[7]), ARGV[8], ARGV[9]
local out, seen, more, done, last = {}, 0, false, false, false

while seen < scan do
    local want = math.min(size, scan - seen)
    local page = redis.call('XREVRANGE', KEYS[1], hi, lo, 'COUNT', want)

    for i = 1, #page do
        local f, e = page[i][2], {}
        for j = 1, #f - 1, 2 do e[f[j]] = f[j + 1] end

        local t = e.time or ''
        if t >= from and t < to
           and (survey == '' or e.survey == survey)
           and (tp == '' or e.touchpoint == tp)
        then
            if #out == count then more = true break end
            out[#out + 1] = page[i]
        end
    end

    seen = seen + #page
    done = #page < want
    if more or done then break end
    last = page[#page][1]
    hi = '(' .. last
end

if more then return {out, out[#out][1]} end
if done then return {out, false} end
return {out, last}
