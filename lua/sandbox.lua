-- lua/sandbox.lua: what trigger rules run in.  Built into the module and
-- run once per VM with full privileges, before any rule file; rules never
-- see this chunk, its locals or the real globals.
--
-- Called with the table of C primitives (ngx_http_cx_lua_string.c) and
-- the source of the helper library (lua/cx/init.lua); returns to C:
--   new_env()            an environment for one rule file
--   prepare(mod)         checks what a rule file returned and freezes it:
--                        trigger, touchpoint|false, restore|false
--                        restore is { [0] = n, f1, i1, v1, f2, ... }
--
-- Between requests nothing a rule can reach may change:
--   * globals: every rule file's environment is read-only;
--   * tables reachable from a rule file when it has loaded (its returned
--     table, the file-level locals its functions use, recursively) are
--     replaced by read-only proxies ("frozen");
--   * file-level locals that rule functions assign to are put back to
--     their loaded values before every call (the "restore" list C walks).

local C, cx_source = ...

local type, next, pairs, ipairs, unpack, tostring, error, select =
      type, next, pairs, ipairs, unpack, tostring, error, select
local rawget, rawset, rawequal, setmetatable, getmetatable =
      rawget, rawset, rawequal, setmetatable, getmetatable
local getfenv, setfenv, newproxy, loadstring = getfenv, setfenv, newproxy,
      loadstring
local getupvalue, setupvalue = debug.getupvalue, debug.setupvalue
local dgetmetatable = debug.getmetatable
local jutil = require("jit.util")
local funcbc, funck, funcinfo = jutil.funcbc, jutil.funck, jutil.funcinfo
local band = bit.band


-- pattern matching that counts against the instruction budget, also for
-- method calls on strings; no bytecode out of the VM
string.find, string.match, string.gmatch, string.gsub =
    C.find, C.match, C.gmatch, C.gsub
string.dump = nil
dgetmetatable("").__metatable = "string"


-- frozen tables -------------------------------------------------------

-- C.freeze(t) makes the proxy: reads go to t, writes fail, # works, and
-- the sandbox's pairs, ipairs, next, type, unpack, rawget and
-- table.concat see through it without ever handing t out

local freeze_proxy = C.freeze
local proxy_of = {}
local walk

local function walk_fields(t)
    local tkeys

    for k, v in next, t do
        local nv = walk(v)
        if not rawequal(nv, v) then
            rawset(t, k, nv)
        end

        local tk = type(k)
        if tk == "table" then
            tkeys = tkeys or {}
            tkeys[#tkeys + 1] = k
        elseif tk == "function" then
            walk(k)
        end
    end

    if tkeys then
        for i = 1, #tkeys do
            local k = tkeys[i]
            local v = rawget(t, k)
            rawset(t, k, nil)
            rawset(t, walk(k), v)
        end
    end
end

local seen_mt = {}

local function freeze(t)
    local p = proxy_of[t]
    if p then
        return p
    end

    p = freeze_proxy(t)
    proxy_of[t] = p

    walk_fields(t)

    -- its own metatable stays (it is unreachable now), its contents freeze
    local tmt = dgetmetatable(t)
    if tmt and not seen_mt[tmt] then
        seen_mt[tmt] = true
        walk_fields(tmt)
    end

    return p
end


-- functions of rule files ---------------------------------------------

-- the opcodes that assign upvalues, found by compiling one of each
local USET = {}
for _, src in ipairs{ "local a return function(x) a = x end",
                      "local a return function() a = 's' end",
                      "local a return function() a = 1 end",
                      "local a return function() a = nil end" } do
    USET[band(funcbc(loadstring(src)(), 1), 0xff)] = true
end

local function assigns_upvalues(f)
    local pc = 1

    while true do
        local ins = funcbc(f, pc)
        if ins == nil then
            break
        end

        if USET[band(ins, 0xff)] then
            return true
        end

        pc = pc + 1
    end

    if funcinfo(f).children then
        for k = -1, -1e9, -1 do
            local c = funck(f, k)
            if c == nil then
                break
            end

            if type(c) == "proto" and assigns_upvalues(c) then
                return true
            end
        end
    end

    return false
end

local rule_env = {}
local seen_fn = {}
local restore

local function walk_function(f)
    if seen_fn[f] or not rule_env[getfenv(f)] then
        return          -- done, or ours (the library, C functions)
    end

    seen_fn[f] = true

    local assigns = assigns_upvalues(f)

    for i = 1, 255 do
        local name, v = getupvalue(f, i)
        if name == nil then
            break
        end

        local nv = walk(v)
        if not rawequal(nv, v) then
            setupvalue(f, i, nv)
        end

        if assigns then
            -- [0] is the length: values may be nil
            local n = restore[0]
            restore[n + 1] = f
            restore[n + 2] = i
            restore[n + 3] = nv
            restore[0] = n + 3
        end
    end
end

function walk(v)
    local tv = type(v)

    if tv == "table" then
        return freeze(v)
    end

    if tv == "function" then
        walk_function(v)
    end

    return v
end


-- what rules see ------------------------------------------------------

-- r and its views are empty tables whose reads go to C: the table
-- functions that write around __newindex must not leave anything in them
-- for the next request
local views = C.views

local function guard(f, name)
    return function(t, ...)
        if views[t] then
            error("bad argument #1 to '" .. name .. "' (r is read-only)", 2)
        end
        return f(t, ...)
    end
end

-- clocks and chance: a call that uses them gives other answers at other
-- times, so C does not remember what touchpoint() returned
local function impure_random(m)
    m.random = C.impure(m.random)
    return m
end

local function copy(t, except)
    local c = {}
    for k, v in pairs(t) do
        if k ~= except then
            c[k] = v
        end
    end
    return c
end

local base = {
    assert = assert,
    error = error,
    getmetatable = getmetatable,
    ipairs = C.ipairs,
    next = C.next,
    pairs = C.pairs,
    print = C.print,
    rawequal = rawequal,
    rawget = C.rawget,
    select = select,
    setmetatable = setmetatable,
    tonumber = tonumber,
    tostring = tostring,
    type = C.type,
    unpack = C.unpack,
    _VERSION = _VERSION,

    string = freeze(string),
    table = freeze({ concat = C.concat, insert = guard(table.insert, "insert"),
                     maxn = table.maxn, remove = guard(table.remove, "remove"),
                     sort = guard(table.sort, "sort") }),
    math = freeze(impure_random(copy(math, "randomseed"))),
    bit = freeze(copy(bit)),
    os = freeze({ time = C.impure(os.time), date = C.impure(os.date) }),
}

local lib_env = setmetatable({}, { __index = base, __metatable = false })
local lib = loadstring(cx_source, "=cx", "t")
setfenv(lib, lib_env)

local cx = freeze(lib(C))

base.cx = cx
base.require = function(name)
    if name == "cx" then
        return cx
    end
    error("module '" .. tostring(name) .. "' not found: rules can only "
          .. "require \"cx\"", 2)
end
base._G = freeze(base)


local env_mt = {
    __index = base,
    __newindex = function(_, k)
        error("assignment to global '" .. tostring(k) .. "': rules cannot "
              .. "set globals (declare it local)", 2)
    end,
    __metatable = false,
}

local function new_env()
    local env = setmetatable({}, env_mt)
    rule_env[env] = true
    return env
end

local function prepare(mod)
    if type(mod) ~= "table" then
        return nil, "the file must return a table with a trigger function, "
                    .. "it returned " .. (mod == nil and "nothing"
                                          or "a " .. type(mod))
    end

    local trigger, touchpoint = rawget(mod, "trigger"),
                                rawget(mod, "touchpoint")

    if type(trigger) ~= "function" then
        return nil, "the returned table has no trigger function "
                    .. "(trigger = function(r) ... end)"
    end

    if touchpoint ~= nil and type(touchpoint) ~= "function" then
        return nil, "touchpoint in the returned table is a "
                    .. type(touchpoint) .. ", not a function"
    end

    restore = { [0] = 0 }
    freeze(mod)

    local r = restore
    restore = nil

    return trigger, touchpoint or false, r[0] > 0 and r or false
end

return { new_env = new_env, prepare = prepare }
