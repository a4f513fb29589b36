-- lua/redis/flush.lua: the flush script (ngx_http_cx_flush.c).  A
-- worker's batch of counters and widget records is applied once: only if
-- its sequence number is new for this worker.
--
-- KEYS[1] the worker's last applied sequence number, KEYS[2..] hashes.
-- ARGV: seq, ttl of the hashes (0: none), then for every hash: the number
-- of fields, then field, increment pairs; then the custom events a token
-- may carry, the custom names a site may count a day, the number of
-- records (widget events with a token), each: token key, event, token
-- ttl, the set of the site's custom names of the day ("" for shown,
-- dismissed, answered), the number of counters, counter key, field pairs,
-- then 0, or 1, stream key, maxlen, min id, the number of fields and
-- field, value pairs of its follow-up entry.
--
-- A record is applied only if its token has not been used for its event,
-- and a custom one only if its token has fewer custom events than allowed
-- (counted in the token's "#custom" field) and its name is in the day's
-- set or the set has room for it: the rules of the door
-- (ngx_http_cx_token_use()), exact across workers.  The sequence number
-- is written first: if an increment failed half-way (a key of the wrong
-- type), a retry must not apply the first half again.  Returns 0 for a
-- batch already applied, else {1, replays, past the token's custom
-- events, past the site's custom names}.

local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= last then return 0 end

redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800)

local ttl = tonumber(ARGV[2])
local a = 3

for k = 2, #KEYS do
    local n = tonumber(ARGV[a])
    a = a + 1
    for i = 1, n do
        redis.call('HINCRBY', KEYS[k], ARGV[a], ARGV[a + 1])
        a = a + 2
    end
    if ttl > 0 then redis.call('EXPIRE', KEYS[k], ttl) end
end

local replayed, token_over, names_over = 0, 0, 0
local per_token = tonumber(ARGV[a] or '0')
local per_day = tonumber(ARGV[a + 1] or '0')
local m = tonumber(ARGV[a + 2] or '0')
a = a + 3

for r = 1, m do
    local tok, ev, names = ARGV[a], ARGV[a + 1], ARGV[a + 3]
    local fresh = false

    if redis.call('HEXISTS', tok, ev) == 1 then
        replayed = replayed + 1
    elseif names == '' then
        fresh = true
    elseif tonumber(redis.call('HGET', tok, '#custom') or '0') >= per_token
    then
        token_over = token_over + 1
    elseif redis.call('SISMEMBER', names, ev) == 0
           and redis.call('SCARD', names) >= per_day
    then
        names_over = names_over + 1
    else
        if redis.call('SADD', names, ev) == 1 then
            redis.call('EXPIRE', names, ARGV[a + 2])
        end
        redis.call('HINCRBY', tok, '#custom', 1)
        fresh = true
    end

    if fresh then
        redis.call('HSET', tok, ev, 1)
        redis.call('EXPIRE', tok, ARGV[a + 2])
    end

    local n = tonumber(ARGV[a + 4])
    a = a + 5
    for i = 1, n do
        if fresh then
            redis.call('HINCRBY', ARGV[a], ARGV[a + 1], 1)
            if ttl > 0 then redis.call('EXPIRE', ARGV[a], ttl) end
        end
        a = a + 2
    end

    local x = ARGV[a]
    a = a + 1
    if x == '1' then
        local nf = tonumber(ARGV[a + 3])
        if fresh then
            local e = {'XADD', ARGV[a], 'MAXLEN', '~', ARGV[a + 1], '*'}
            for i = 0, 2 * nf - 1 do e[#e + 1] = ARGV[a + 4 + i] end
            redis.call(unpack(e))
            redis.call('XTRIM', ARGV[a], 'MINID', '~', ARGV[a + 2])
        end
        a = a + 4 + 2 * nf
    end
end

return {1, replayed, token_over, names_over}
