-- bench/cxdiy.lua -- the OpenResty do-it-yourself page-view counter that
-- bench/counters compares ngx_cx_module with.  Loaded by Debian's
-- libnginx-mod-http-lua; talks to Redis with lua-resty-redis (Debian's
-- lua-nginx-redis installs it as "nginx.redis", upstream calls it
-- "resty.redis").  It writes the module's daily key and field,
-- cx:{site}:tp:{YYYYMMDD} "{touchpoint}:view", one counter per view (the
-- module also writes the hourly one).
--
--   variant lua:  log_by_lua -> ngx.timer.at(0, ...) -> one HINCRBY per
--                 view on a pooled connection (set_keepalive).  The usual
--                 DIY: cosockets are not allowed in the log phase, so the
--                 work goes to a zero-delay timer.  When
--                 lua_max_pending_timers (1024) or lua_max_running_timers
--                 (256) run out, the view is lost.
--   variant luab: log_by_lua -> lua_shared_dict incr; worker 0 flushes the
--                 dict every 0.2 s as one pipeline of HINCRBY (one per
--                 distinct counter).
--
-- nginx.conf:
--   init_by_lua_block { require("cxdiy").setup{ port = 6379, dict = "cx_counts" } }
--   init_worker_by_lua_block { require("cxdiy").start_flusher() }   -- luab
--   log_by_lua_block { require("cxdiy").log_timer() }               -- lua
--   log_by_lua_block { require("cxdiy").log_shdict() }              -- luab

local ok, redis = pcall(require, "resty.redis")
if not ok then
    redis = require "nginx.redis"
end

local M = {
    host = "127.0.0.1",
    port = 6379,
    site = "bench",
    touchpoint = "bench",
    pool = 100,         -- set_keepalive pool size
    idle = 10000,       -- set_keepalive max idle time, ms
    timeout = 1000,     -- ms
    interval = 0.2,     -- luab flush interval, s
}

local SEP = "\t"        -- between key and field in a shared-dict key

local field = "bench:view"
local key_time, key_day, key_dict = -1, nil, nil

function M.setup(conf)
    for k, v in pairs(conf) do
        M[k] = v
    end
    field = M.touchpoint .. ":view"
    if M.dict then
        M.shm = ngx.shared[M.dict]
    end
end

-- the daily key (UTC, as the module), rebuilt once a second
local function keys()
    local now = ngx.time()
    if now ~= key_time then
        key_time = now
        key_day = "cx:" .. M.site .. ":tp:" .. os.date("!%Y%m%d", now)
        key_dict = key_day .. SEP .. field
    end
end

-- what the module counts as a page view: 2xx and 304
local function is_view()
    local status = ngx.status
    return (status >= 200 and status < 300) or status == 304
end


-- variant lua ---------------------------------------------------------

local function incr(premature, key)
    if premature then
        return
    end

    local red = redis:new()
    red:set_timeout(M.timeout)

    local ok, err = red:connect(M.host, M.port)
    if not ok then
        ngx.log(ngx.ERR, "failed to connect to redis: ", err)
        return
    end

    local res, err = red:hincrby(key, field, 1)
    if not res then
        ngx.log(ngx.ERR, "failed to HINCRBY: ", err)
        return
    end

    red:set_keepalive(M.idle, M.pool)
end

function M.log_timer()
    if not is_view() then
        return
    end

    keys()

    local ok, err = ngx.timer.at(0, incr, key_day)
    if not ok then
        ngx.log(ngx.ERR, "failed to create timer: ", err)
    end
end


-- variant luab ----------------------------------------------------------

function M.log_shdict()
    if not is_view() then
        return
    end

    keys()

    local newval, err = M.shm:incr(key_dict, 1, 0)
    if not newval then
        ngx.log(ngx.ERR, "failed to count: ", err)
    end
end

local function flush(premature)
    local shm = M.shm
    local todo = {}

    for _, k in ipairs(shm:get_keys(0)) do
        local v = shm:get(k)
        if v and v > 0 then
            todo[#todo + 1] = k
            todo[#todo + 1] = v
        end
    end

    if #todo == 0 then
        return
    end

    local red = redis:new()
    red:set_timeout(M.timeout)

    local ok, err = red:connect(M.host, M.port)
    if not ok then
        ngx.log(ngx.ERR, "flush: failed to connect to redis: ", err)
        return
    end

    -- take the counts (an atomic decrement: views counted meanwhile stay)
    red:init_pipeline(#todo / 2)
    for i = 1, #todo, 2 do
        shm:incr(todo[i], -todo[i + 1])
        local key, f = todo[i]:match("^([^\t]*)\t(.*)$")
        red:hincrby(key, f, todo[i + 1])
    end

    local res, err = red:commit_pipeline()
    if not res then
        -- give them back for the next flush (if Redis did apply them
        -- before the error, they are counted twice: the DIY has no
        -- exactly-once)
        for i = 1, #todo, 2 do
            shm:incr(todo[i], todo[i + 1], 0)
        end
        ngx.log(ngx.ERR, "flush: failed: ", err)
        return
    end

    red:set_keepalive(M.idle, M.pool)
end

function M.start_flusher()
    if ngx.worker.id() ~= 0 then
        return
    end

    local ok, err = ngx.timer.every(M.interval, flush)
    if not ok then
        ngx.log(ngx.ERR, "failed to start the flusher: ", err)
    end
end

return M
