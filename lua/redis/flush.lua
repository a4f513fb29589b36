-- lua/redis/flush.lua: the flush script (ngx_http_cx_flush.c).  A
-- worker's batch of counters and widget records is applied once: only if
-- its sequence number is new for this worker.
--
-- Every key the script touches is one of its KEYS, named by the module
-- (ngx_http_cx_flush.c, ngx_http_cx_keys.c), none derived here: Redis
-- Cluster runs a script where its declared keys are (docs/cluster.md).
--
-- KEYS[1] the worker's last applied sequence number; KEYS[2..] every
-- other key of the batch, each once.  ARGV: seq, ttl of the hashes (0:
-- none), the custom events a token may carry, the custom names a site
-- may count a day, then the number of counter hashes, each: the KEYS
-- index of the day hash, of its month's rollup, of its month's and its
-- day's touchpoints added up (0: none, for the journey's), of the first
-- of its month's 31 day hashes (01 .. 31, consecutive in KEYS), then the
-- number of its counters and field, increment pairs; then the number of
-- records (widget events with a token), each: the KEYS index of its
-- token, event, token ttl, the KEYS index of the set of the site's custom
-- names of the day (0 for shown, dismissed, answered), the number of
-- counters, counter hash number, field pairs, then 0, or 1, the KEYS
-- index of the stream, maxlen, min id, the number of fields and field,
-- value pairs of its follow-up entry.
--
-- A token's follow-up entries are one: the id of its entry is kept in
-- the token's "#entry" field, and a later record of the token (an
-- answer's comment, event commented) replaces that entry with the two
-- merged (a field the later one leaves empty keeps its value).
--
-- A record is applied only if its token has not been used for its event,
-- and a custom one only if its token has fewer custom events than allowed
-- (counted in the token's "#custom" field) and its name is in the day's
-- set or the set has room for it: the rules of the door
-- (ngx_http_cx_token_use()), exact across workers.  The sequence number
-- is written first: if an increment failed half-way (a key of the wrong
-- type), a retry must not apply the first half again.
--
-- A poisoned key -- one of the wrong type, a field that is not a number --
-- costs only the commands that touch it: every write goes through
-- redis.pcall, a failed one adds its increment (1 for a record's counter
-- or follow-up entry) to the counts lost, and the first failure's key and
-- error travel back for the log.  Returns 0 for a batch already applied,
-- else {1, replays, past the token's custom events, past the site's
-- custom names, counts lost, key, error}.

local lost, lost_key, lost_err = 0, '', ''

-- a write, or nil when Redis refused it: its n counts are lost
local function try(n, cmd, key, ...)
    local r = redis.pcall(cmd, key, ...)
    if type(r) == 'table' and r.err then
        lost = lost + n
        if n > 0 and lost_key == '' then lost_key, lost_err = key, r.err end
        return nil
    end
    return r
end

-- The rollups of a counter hash {base}:{YYYYMMDD} (docs/redis.md):
--   {base}:{YYYYMM}        the same fields, added up over the month
--   {base}:{YYYYMM}:all    the touchpoints added up: "DD:x" for a daily
--                          hash's "tp:x", "x:hh" for an hourly hash's
--                          "tp:x:hh" (a survey's hashes only)
--   {base}:{YYYYMMDD}:all  the touchpoints of the day added up: "x",
--                          "x:hh" (a survey's hashes only)
-- Field "#" of a rollup is "1" when it holds every count of its days: it
-- was made before any day hash it adds up existed (the module wrote them
-- all since).  Otherwise, and once one of its writes failed, "0": readers
-- take the day hashes.  Rollups live the ttl from their making and 32
-- days more (a month's) or 2 (a day's), so they outlive the day hashes
-- they add up; one that is gone is read as not complete.

local ttl = tonumber(ARGV[2])

-- the rollups of day hash KEYS[k], from their KEYS indices: m the
-- month's, ma and da the touchpoints added up, the month's and the day's
-- (0: none), d the first of the month's day hashes; and for each whether
-- no day hash it adds up exists yet (asked when it is made)
local function rollups_of(k, m, ma, da, d)
    local key = KEYS[k]
    local none
    local function fresh()
        if none == nil then
            none = (try(0, 'EXISTS', unpack(KEYS, d, d + 30)) == 0)
        end
        return none
    end

    local ro = {key = key, dd = string.sub(key, -2)}
    ro.month = {KEYS[m], fresh, 32 * 86400}

    -- the touchpoints added up: for the surveys' hashes only (the
    -- journey's, tp and tph, are read by touchpoint)
    if ma > 0 then
        ro.all = {KEYS[ma], fresh, 32 * 86400}
        ro.day = {KEYS[da],
                  function() return try(0, 'EXISTS', key) == 0 end,
                  2 * 86400}
    end
    return ro
end

-- n more of field f of a rollup.  A field seen for the first time may
-- be the rollup's first: then it is made -- "#", its ttl -- and asked
-- whether it is complete; before the day hash is written, so that its
-- own first write does not count as an older one.  The rollup is
-- dropped from the batch when it cannot be written.
local function roll(ro, which, f, n)
    local r = ro[which]
    if not r then return end
    local v = try(0, 'HINCRBY', r[1], f, n)
    if v == nil then
        try(0, 'HSET', r[1], '#', '0')
        ro[which] = nil
    elseif v == n and try(0, 'HSETNX', r[1], '#', '0') == 1 then
        if r[2]() then try(0, 'HSET', r[1], '#', '1') end
        if ttl > 0 then try(0, 'EXPIRE', r[1], ttl + r[3]) end
    end
end

-- n more of field f of day hash key, and of its rollups; a rollup whose
-- day hash refused the write is not complete any more
local function incr(key, ro, f, n)
    roll(ro, 'month', f, n)

    local c = (ro.all or ro.day) and string.find(f, ':', 1, true)
    if c then
        local x = string.sub(f, c + 1)
        local hourly = string.find(x, ':', 1, true)
        roll(ro, 'all', hourly and x or ro.dd .. ':' .. x, n)
        roll(ro, 'day', x, n)
    end

    if try(n, 'HINCRBY', key, f, n) == nil then
        for _, which in ipairs({'month', 'all', 'day'}) do
            if ro[which] then
                try(0, 'HSET', ro[which][1], '#', '0')
                ro[which] = nil
            end
        end
    end
end

local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= last then return 0 end

redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800)

local per_token = tonumber(ARGV[3])
local per_day = tonumber(ARGV[4])
local hashes = {}
local a = 6

for h = 1, tonumber(ARGV[5]) do
    local i = {}
    for j = 0, 4 do i[j + 1] = tonumber(ARGV[a + j]) end
    local ro = rollups_of(unpack(i))
    local n = tonumber(ARGV[a + 5])
    hashes[h] = ro
    a = a + 6
    for _ = 1, n do
        incr(ro.key, ro, ARGV[a], tonumber(ARGV[a + 1]))
        a = a + 2
    end
    if n > 0 and ttl > 0 then try(0, 'EXPIRE', ro.key, ttl) end
end

local replayed, token_over, names_over = 0, 0, 0
local m = tonumber(ARGV[a])
a = a + 1

for r = 1, m do
    local tok, ev = KEYS[tonumber(ARGV[a])], ARGV[a + 1]
    local names = tonumber(ARGV[a + 3])
    names = names > 0 and KEYS[names]
    local n = tonumber(ARGV[a + 4])
    local nf = 0
    if ARGV[a + 5 + 2 * n] == '1' then
        nf = tonumber(ARGV[a + 5 + 2 * n + 4])
    end
    -- what the record costs if its token or names cannot be read
    local all = n + (ARGV[a + 5 + 2 * n] == '1' and 1 or 0)
    local fresh = false

    local used = try(all, 'HEXISTS', tok, ev)
    if used == nil then
        -- lost
    elseif used == 1 then
        replayed = replayed + 1
    elseif not names then
        fresh = true
    else
        local c = try(all, 'HGET', tok, '#custom')
        local member = c ~= nil and try(all, 'SISMEMBER', names, ev)
        local size = member == 0 and try(all, 'SCARD', names)
        if c == nil or member == nil or size == nil then
            -- lost
        elseif tonumber(c or '0') >= per_token then
            token_over = token_over + 1
        elseif member == 0 and size >= per_day then
            names_over = names_over + 1
        else
            local added = try(all, 'SADD', names, ev)
            if added == 1 then try(0, 'EXPIRE', names, ARGV[a + 2]) end
            if added ~= nil then
                try(0, 'HINCRBY', tok, '#custom', 1)
                fresh = true
            end
        end
    end

    if fresh then
        try(0, 'HSET', tok, ev, 1)
        try(0, 'EXPIRE', tok, ARGV[a + 2])
    end

    a = a + 5
    for i = 1, n do
        if fresh then
            local ro = hashes[tonumber(ARGV[a])]
            incr(ro.key, ro, ARGV[a + 1], 1)
            if ttl > 0 then try(0, 'EXPIRE', ro.key, ttl) end
        end
        a = a + 2
    end

    local x = ARGV[a]
    a = a + 1
    if x == '1' then
        local stream = KEYS[tonumber(ARGV[a])]
        if fresh then
            -- the token's entry so far (an answer's, when this is its
            -- comment) is replaced by the two merged
            local was, old = {}, try(0, 'HGET', tok, '#entry')
            if old then
                local o = try(0, 'XRANGE', stream, old, old)
                o = o and o[1]
                if o then
                    for i = 1, #o[2], 2 do was[o[2][i]] = o[2][i + 1] end
                    try(0, 'XDEL', stream, old)
                end
            end
            local e = {'MAXLEN', '~', ARGV[a + 1], '*'}
            for i = 0, nf - 1 do
                local k, v = ARGV[a + 4 + 2 * i], ARGV[a + 5 + 2 * i]
                if v == '' and was[k] then v = was[k] end
                e[#e + 1] = k
                e[#e + 1] = v
            end
            local id = try(1, 'XADD', stream, unpack(e))
            if id then
                try(0, 'HSET', tok, '#entry', id)
                try(0, 'XTRIM', stream, 'MINID', '~', ARGV[a + 2])
            end
        end
        a = a + 4 + 2 * nf
    end
end

return {1, replayed, token_over, names_over, lost, lost_key, lost_err}
