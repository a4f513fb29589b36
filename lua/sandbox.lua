-- lua/sandbox.lua: what trigger rules run in.  Built into the module and
-- run once per VM with full privileges, before any rule file; rules never
-- see this chunk, its locals or the real globals.
--
-- Called with the table of C primitives (ngx_http_cx_lua_string.c) and
-- constants C owns (C.plan: the plan's instructions and limits; C.name_max,
-- the longest survey id; see ngx_http_cx_lua_setup()), the source of the
-- helper library (lua/cx/init.lua) and that of the check of
-- rule files at nginx -t (lua/check.lua); returns to C:
--   strings(chunk)       the line of a string constant too long for a
--                        rule file, and why; nil when there is none
--   new_env()            an environment for one rule file
--   prepare(mod, chunk, surveys)
--                        checks what a rule file returned and freezes it:
--                        trigger, touchpoint|false, restore|false, own,
--                        touchpoint_read, plan|false, problems|nil
--                        problems: what lua/check.lua finds in the file,
--                        given the set of survey ids (nginx -t only)
--                        plan: trigger's bytecode for C to run without
--                        the VM (see "plans" below)
--                        restore is { [0] = n, f1, i1, v1, f2, ... }
--                        (C adds [-1], slots for the values of a call
--                        while one nested in it runs);
--                        own: the file stores only into tables it makes;
--                        touchpoint_read: and it reads r.touchpoint
--
-- Between requests nothing a rule can reach may change:
--   * globals: every rule file's environment is read-only;
--   * tables reachable from a rule file when it has loaded (its returned
--     table, the file-level locals its functions use, recursively) are
--     replaced by read-only proxies ("frozen");
--   * file-level locals that rule functions assign to are put back to
--     their loaded values as every call ends, and a nested call starts
--     from them too (the "restore" list C walks);
--   * a file may not keep a function a library function made as it
--     loaded (a string.gmatch iterator keeps its position).

local C, cx_source, check_source = ...

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
-- method calls on strings; the other functions that make or read strings
-- charge the bytes they touch (ngx_http_cx_lua_builtins.c); no bytecode
-- out of the VM
string.find, string.match, string.gmatch, string.gsub =
    C.find, C.match, C.gmatch, C.gsub
string.lower, string.upper, string.reverse, string.rep, string.sub,
string.byte, string.char, string.format =
    C.lower, C.upper, C.reverse, C.rep, C.sub, C.byte, C.char, C.format
string.dump = nil
dgetmetatable("").__metatable = "string"


-- frozen tables -------------------------------------------------------

-- C.freeze(t) makes the proxy: reads go to t, writes fail, # works, and
-- the sandbox's pairs, ipairs, next, type, unpack, rawget and
-- table.concat see through it without ever handing t out

local freeze_proxy = C.freeze
local proxy_of, is_proxy = {}, {}
local walk

-- strings a file keeps are held to what its constants may be (below)
local too_long

local function walk_fields(t)
    local tkeys

    for k, v in next, t do
        if too_long(k) or too_long(v) then
            error("a table of the file holds " .. (too_long(k)
                                                    or too_long(v)), 0)
        end

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
    is_proxy[p] = true

    walk_fields(t)

    -- its own metatable stays (it is unreachable now), its contents freeze
    local tmt = dgetmetatable(t)
    if tmt and not seen_mt[tmt] then
        seen_mt[tmt] = true
        walk_fields(tmt)
    end

    return p
end


-- the opcodes, found by compiling one of each ---------------------------

-- OP.NAME = its opcode, MODE.NAME = the mode of its A operand, for every
-- instruction that the looks at bytecode below know -- assigns_upvalues(),
-- own_only(), plan() -- and lua/check.lua (handed OP and ops_known).
-- ops_known is false when one is not where it should be, is named twice,
-- or two share an opcode.
local OP, MODE, ops_known = {}, {}, true
do
    local function take(src, ...)
        local f = loadstring(src)()

        for i = 1, select("#", ...), 2 do
            local name, pc = select(i, ...)
            local ins, m = funcbc(f, pc)

            if ins == nil or OP[name] ~= nil then
                ops_known = false
            else
                OP[name], MODE[name] = band(ins, 0xff), band(m, 7)
            end
        end
    end

    take("return function(a, b) local x = b; x = not a; return x end",
         "MOV", 1, "NOT", 2, "RET1", 3)
    take("return function() local a, b, c, d = 's', 1, 0.5, true "
         .. "return a end", "KSTR", 1, "KSHORT", 2, "KNUM", 3, "KPRI", 4)
    take("return function() local a, b, c = nil, nil, nil return 1 end",
         "KNIL", 1)
    take("local u return function(t) return u, cx, t.f, t[u] end",
         "UGET", 1, "GGET", 2, "TGETS", 3, "TGETV", 5, "RET", 6)
    take("return function(a) local t, u = {}, {1}; t.x = a end",
         "TNEW", 1, "TDUP", 2, "TSETS", 3, "RET0", 4)
    take("return function(f) local t = {f()} end", "TSETM", 4)
    take("return function(f, g) f(1) f(g()) return f(g()) end",
         "CALL", 3, "CALLM", 7, "CALLMT", 11)
    take("return function(f) return f(1) end", "CALLT", 3)
    take("return function(g) return 1, g() end", "RETM", 4)
    take("return function(...) local a = ... end", "VARG", 1)
    take("return function() for i = 1, 2 do end end", "FORI", 4, "FORL", 5)
    take("return function(f) for k in f do end end", "ITERC", 4, "ITERL", 5)
    take("return function(t) for k in pairs(t) do end end",
         "ISNEXT", 4, "ITERN", 5)
    take("return function(t) for i = 1, 2 do local f = function() return i end "
         .. "if t then break end end end", "UCLO", 8)
    take("local a return function(x) a = x end", "USETV", 1)
    take("local a return function() a = 's' end", "USETS", 1)
    take("local a return function() a = 1 end", "USETN", 1)
    take("local a return function() a = nil end", "USETP", 1)
    take("return function(a, b) if a < b then return end end",
         "ISGE", 1, "JMP", 2)
    take("return function(a, b) if a >= b then return end end", "ISGT", 1)
    take("return function(a, b) if not (a < b) then return end end",
         "ISLT", 1)
    take("return function(a, b) if not (a <= b) then return end end",
         "ISLE", 1)
    take("return function(a, b) if a == b then return end end", "ISNEV", 1)
    take("return function(a, b) if a ~= b then return end end", "ISEQV", 1)
    take("return function(a) if a == 'x' then return end end", "ISNES", 1)
    take("return function(a) if a ~= 'x' then return end end", "ISEQS", 1)
    take("return function(a) if a == 1 then return end end", "ISNEN", 1)
    take("return function(a) if a ~= 1 then return end end", "ISEQN", 1)
    take("return function(a) if a == nil then return end end", "ISNEP", 1)
    take("return function(a) if a ~= nil then return end end", "ISEQP", 1)
    take("return function(a) if a then return end end", "ISF", 1)
    take("return function(a) if not a then return end end", "IST", 1)
    take("return function(a, b) local x = a or b return x end", "ISTC", 1)
    take("return function(a, b) local x = a and b return x end", "ISFC", 1)

    local seen = {}
    for _, op in pairs(OP) do
        ops_known = ops_known and not seen[op]
        seen[op] = true
    end
end


-- functions of rule files ---------------------------------------------

-- the opcodes that assign upvalues
local USET = {}
for _, name in ipairs{ "USETV", "USETS", "USETN", "USETP" } do
    if OP[name] then
        USET[OP[name]] = true
    end
end

-- the functions defined in f (its child prototypes)
local function children(f)
    local c = {}

    if funcinfo(f).children then
        for k = -1, -1e9, -1 do
            local v = funck(f, k)
            if v == nil then
                break
            end
            if type(v) == "proto" then
                c[#c + 1] = v
            end
        end
    end

    return c
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

    for _, c in ipairs(children(f)) do
        if assigns_upvalues(c) then
            return true
        end
    end

    return false
end

local rule_env = {}
local seen_fn = {}
local restore

-- the library's functions (filled below): any other function that is
-- not a rule file's own was made by one at load -- a string.gmatch
-- iterator, which keeps its position in an upvalue
local lib_fn = {}

local function walk_function(f)
    if seen_fn[f] then
        return
    end

    if not rule_env[getfenv(f)] then
        -- ours (the library, C functions), or made by it
        if restore and not lib_fn[f] and getupvalue(f, 1) ~= nil then
            error("the file keeps a function that a library function made "
                  .. "as it loaded (a string.gmatch iterator?): it would "
                  .. "carry its state from one request to the next; make it "
                  .. "in the function that uses it", 0)
        end

        return
    end

    seen_fn[f] = true

    local assigns = assigns_upvalues(f)

    for i = 1, 255 do
        local name, v = getupvalue(f, i)
        if name == nil then
            break
        end

        if too_long(v) then
            error("local '" .. name .. "' holds " .. too_long(v), 0)
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


-- rule files that write only tables they make --------------------------

-- Such a file's trigger(r) gets an r with its views as plain fields (one
-- table read less per view; ngx_http_cx_lua_request.c), which a rule
-- could overwrite if it could store into r: so nothing the file can run
-- may store into a table it did not make.  A conservative look at the
-- bytecode of each of its functions (not the top level, which runs once,
-- before there is an r): every table store must go to a slot that only
-- TNEW and TDUP write (a table this call made), and no closure the
-- function makes may assign upvalues (it could write the function's
-- slots).  Anything else, or an opcode this look does not know, and the
-- file gets the r of empty tables.  Stores through __newindex cannot
-- reach r either: setmetatable() below copies the metatable and refuses
-- r and its views as __newindex.

local rshift = bit.rshift
local BCM_DST, BCM_BASE, BCM_VAR, BCM_RBASE, BCM_JUMP = 1, 2, 3, 4, 13
local MM_NEWINDEX = 1

-- the instructions this look knows, by the mode of their A operand
local known = ops_known
for name, mode in pairs{ TNEW = BCM_DST, TDUP = BCM_DST, KNIL = BCM_BASE,
                         CALL = BCM_BASE, CALLM = BCM_BASE, VARG = BCM_BASE,
                         ITERC = BCM_BASE, ITERN = BCM_BASE,
                         ITERL = BCM_BASE, ISNEXT = BCM_BASE,
                         FORI = BCM_BASE, FORL = BCM_BASE, TSETM = BCM_BASE,
                         CALLT = BCM_BASE, CALLMT = BCM_BASE,
                         RETM = BCM_BASE, JMP = BCM_RBASE } do
    known = known and MODE[name] == mode
end

-- the slots an instruction of mode "base" writes: lo, hi; nil: unknown
local function base_writes(op, a, b, d)
    if op == OP.KNIL then
        return a, d
    end

    if op == OP.CALL or op == OP.CALLM or op == OP.VARG then
        return a, b == 0 and 255 or a + b - 2
    end

    if op == OP.ITERC or op == OP.ITERN then
        return a, a + (b > 4 and b - 2 or 2)
    end

    if op == OP.ITERL or op == OP.ISNEXT then
        return a - 1, a
    end

    if op == OP.FORI or op == OP.FORL then
        return a, a + 3
    end

    if op == OP.TSETM or op == OP.CALLT or op == OP.CALLMT
       or op == OP.RETM
    then
        return 0, -1
    end

    return nil
end

-- what an instruction writes: TNEW and TDUP make a table, anything else
-- in its slot(s) is not one; false: an instruction this look does not know
local function writes(ins, m, fresh)
    local op, ma, a = band(ins, 0xff), band(m, 7), band(rshift(ins, 8), 0xff)

    if ma == BCM_DST then
        fresh[a] = (op == OP.TNEW or op == OP.TDUP) or nil

    elseif ma == BCM_BASE then
        local lo, hi = base_writes(op, a, rshift(ins, 24), rshift(ins, 16))
        if lo == nil then
            return false
        end

        for s = lo, hi do
            fresh[s] = nil
        end
    end

    return true
end

-- the table slot a store goes to, or nil: not a store into a table
local function stored(ins, m)
    if rshift(m, 11) ~= MM_NEWINDEX then
        return nil
    end

    if band(ins, 0xff) == OP.TSETM then
        return band(rshift(ins, 8), 0xff) - 1
    end

    if band(rshift(m, 3), 15) == BCM_VAR then
        return rshift(ins, 24)
    end

    return nil      -- GSET: the environment, read-only
end

-- Which slots hold a table the call made, on every path to each
-- instruction (slots shrink to a fixpoint); every store must go to one.
-- Jumps may be taken or not, and an instruction before a JMP may skip
-- it: more paths than there are, never fewer.
local function stores_own_only(f)
    local code, n = {}, 0

    for pc = 1, 1e9 do
        local ins, m = funcbc(f, pc)
        if ins == nil then
            break
        end
        code[pc] = { ins, m }
        n = pc
    end

    local into = { [1] = {} }     -- pc: fresh slots at it; nil: not reached
    local work = { 1 }

    while #work > 0 do
        local pc = table.remove(work)
        local ins, m = code[pc][1], code[pc][2]
        local fresh = {}

        for slot in next, into[pc] do
            fresh[slot] = true
        end

        local s = stored(ins, m)
        if s ~= nil and not fresh[s] then
            return false
        end

        if not writes(ins, m, fresh) then
            return false
        end

        local to = {}

        if band(rshift(m, 7), 15) == BCM_JUMP then
            to[1] = pc + rshift(ins, 16) - 0x7fff
        end

        if pc + 1 <= n then
            to[#to + 1] = pc + 1

            if pc + 2 <= n and band(code[pc + 1][1], 0xff) == OP.JMP then
                to[#to + 1] = pc + 2
            end
        end

        for i = 1, #to do
            local t = to[i]
            local before = into[t]

            if t >= 1 and t <= n then
                if before == nil then
                    local c = {}
                    for slot in next, fresh do
                        c[slot] = true
                    end
                    into[t] = c
                    work[#work + 1] = t

                else
                    local changed = false
                    for slot in next, before do
                        if not fresh[slot] then
                            before[slot] = nil
                            changed = true
                        end
                    end
                    if changed then
                        work[#work + 1] = t
                    end
                end
            end
        end
    end

    return true
end

-- the functions of a chunk but the chunk itself
local function own_only(chunk)
    local todo = children(chunk)

    while #todo > 0 do
        local f = table.remove(todo)

        if not stores_own_only(f) then
            return false
        end

        local c = children(f)
        for i = 1, #c do
            if assigns_upvalues(c[i]) then
                return false
            end
            todo[#todo + 1] = c[i]
        end
    end

    return true
end

-- whether a function of the chunk has the string s among its constants
-- (r.touchpoint is such a constant; a key made at run time is not: the
-- fast r then reads it like any field it lacks)
local function mentions(chunk, s)
    local todo = children(chunk)

    while #todo > 0 do
        local f = table.remove(todo)

        for k = -1, -1e9, -1 do
            local v = funck(f, k)
            if v == nil then
                break
            end
            if v == s then
                return true
            end
            if type(v) == "proto" then
                todo[#todo + 1] = v
            end
        end
    end

    return false
end

-- unless the look above found what it expects, no file is "own only"
known = known
    and own_only(loadstring("return function(r) local t = {} "
                            .. "for i = 1, 2 do t[i] = r.a end return t end"))
    and not own_only(loadstring("return function(r) r.x = 1 end"))
    and not own_only(loadstring("return function(r) local t = {} t = r "
                                .. "t.x = 1 end"))
    and not own_only(loadstring("return function(r) local t = {} "
                                .. "local function f() t = r end f() "
                                .. "t.x = 1 end"))


-- strings a rule file holds ------------------------------------------

-- An instruction the VM runs alone -- comparing two strings, joining
-- them, hashing a new one -- touches as many bytes as they have, and the
-- count hook sees one instruction.  So a file may hold strings of at
-- most C.string_max bytes (its constants, and what its top level keeps
-- once it has loaded): a thousand instructions between two hooks stay
-- cheap.  A call may make longer ones; the VM then counts it more often
-- (ngx_http_cx_lua_vm.c).

local STRING_MAX = C.string_max
local BCM_STR, BCM_TAB = 10, 11

-- what is wrong with s, or nil
function too_long(s)
    if type(s) == "string" and #s > STRING_MAX then
        return "a string of " .. #s .. " bytes once the file has loaded: "
               .. "rule files may hold strings of at most " .. STRING_MAX
               .. " bytes"
    end
end

-- the first string constant of a chunk's functions that is too long
-- (also a key or value of a table constructor's template): its line and
-- what is wrong, or nil
local function long_strings(chunk)
    local todo = { chunk }

    while #todo > 0 do
        local f = table.remove(todo)

        for pc = 1, 1e9 do
            local ins, m = funcbc(f, pc)
            if ins == nil then
                break
            end

            local cd = band(rshift(m, 7), 15)

            if cd == BCM_STR or cd == BCM_TAB then
                local d = band(rshift(m, 3), 15) == 0 and rshift(ins, 16)
                          or band(rshift(ins, 16), 0xff)
                local s = funck(f, -d - 1)

                if type(s) == "table" then
                    local t = s
                    s = nil
                    for k, v in next, t do
                        if too_long(k) then s = k break end
                        if too_long(v) then s = v break end
                    end
                end

                if too_long(s) then
                    return funcinfo(f, pc).currentline,
                           "a string constant of " .. #s .. " bytes: rule "
                           .. "files may hold strings of at most "
                           .. STRING_MAX .. " bytes"
                end
            end
        end

        local c = children(f)
        for i = 1, #c do
            todo[#todo + 1] = c[i]
        end
    end
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
    m.random = C.impure(m.random, "random")
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

-- setmetatable(t, mt) with a copy of mt, so that changing mt later does
-- not change t's, and never r or a view as __newindex: a store into t
-- must not become one into r
local function rule_setmetatable(t, mt)
    if type(mt) == "table" then
        local c = {}
        for k, v in next, mt do
            c[k] = v
        end

        local ni = rawget(c, "__newindex")
        if ni ~= nil and views[ni] then
            error("bad argument #2 to 'setmetatable' (__newindex is r or "
                  .. "one of its tables, which are read-only)", 2)
        end

        mt = c
    end

    return setmetatable(t, mt)
end

-- the clock: in util/cx-rules-try's nginx (cx_rules_try on), the one the
-- request says it is (ngx_http_cx_lua_try.c)
local os_time, os_date = os.time, os.date

if C.now then
    local time, date, now = os.time, os.date, C.now

    os_time = function(t)
        if t == nil then
            return now()
        end
        return time(t)
    end

    os_date = function(format, t)
        if t == nil then
            t = now()
        end
        return date(format or "%c", t)
    end
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
    setmetatable = rule_setmetatable,
    tonumber = C.tonumber,
    tostring = C.tostring,
    type = C.type,
    unpack = C.unpack,
    _VERSION = _VERSION,

    string = freeze(string),
    table = freeze({ concat = C.concat, insert = guard(C.insert, "insert"),
                     maxn = C.maxn, remove = guard(table.remove, "remove"),
                     sort = guard(C.sort, "sort") }),
    math = freeze(impure_random(copy(math, "randomseed"))),
    bit = freeze(copy(bit)),
    os = freeze({ time = C.impure(os_time, "time"),
                  date = C.impure(os_date, "date") }),
}

local lib_env = setmetatable({}, { __index = base, __metatable = false })
local lib = loadstring(cx_source, "=cx", "t")
setfenv(lib, lib_env)

local cx_raw, takes = lib(C)

if C.trace then
    -- try mode: every helper call says what it was given and returned
    for name, f in pairs(cx_raw) do
        if type(f) == "function" then
            cx_raw[name] = C.trace(name, f)
        end
    end
end

local cx = freeze(cx_raw)

base.cx = cx

base.require = function(name)
    if name == "cx" then
        return cx
    end
    error("module '" .. tostring(name) .. "' not found: rules can only "
          .. "require \"cx\"", 2)
end
base._G = freeze(base)

-- every table frozen so far is the library's
for t in next, proxy_of do
    for k, v in next, t do
        if type(v) == "function" then
            lib_fn[v] = true
        end
    end
end


-- plans ----------------------------------------------------------------

-- Most trigger(r) functions only read r, compare, call a cx helper and
-- return an id.  For those, C can run the function's bytecode itself
-- (ngx_http_cx_lua_plan.c): no crossing into the VM and back for every
-- field and helper.  plan(f) translates f instruction by instruction into
-- { slots = n, ops = { op, a, b, c, ... }, kt = { kind, ... },
--   kv = { value, ... } }; an instruction it does not know becomes
-- BAIL, and C gives up at a BAIL, or at anything it does not expect at
-- run time (a type, a field, a helper's argument), and calls trigger(r)
-- in the VM as always.  Rules cannot change anything a later call sees
-- (above), so running the call again from the start is the same call.
-- Upvalues and globals are read here, once: between calls the VM keeps
-- a rule file's upvalues at their loaded values, and globals are
-- read-only.

-- The plan's instructions (P.NAME) and the cx helpers C runs itself are
-- C's (C.plan, ngx_http_cx_lua_plan_init()): defined once, there.
local P = C.plan.ops

local HELPER = {}
for _, name in ipairs(C.plan.helpers) do
    HELPER[cx_raw[name]] = name
end

local bc_known, bcname = ops_known, {}
for name, op in pairs(OP) do
    bcname[op] = name
end

local function band16(d)
    return d >= 0x8000 and d - 0x10000 or d
end

-- KPRI's and ISEQP's operand: nil, false, true
local function pri(d)
    if d == 2 then
        return true
    end
    if d == 1 then
        return false
    end
    return nil
end

local PLAN_SLOTS, PLAN_OPS = C.plan.slots, C.plan.ops_max

local function plan(f)
    local info = funcinfo(f)

    if not bc_known or info.isvararg or info.stackslots > PLAN_SLOTS
       or info.upvalues == nil
    then
        return false
    end

    local ops, kt, kv, keys = {}, {}, {}, {}
    local env = getfenv(f)

    -- a constant: its index; nil when C could not hold it
    local function k(v)
        local t, kind = type(v)
        if t == "nil" or t == "boolean" or t == "number" or t == "string" then
            kind = t
        elseif rawequal(v, cx) then
            kind = "cx"
        elseif t == "function" and HELPER[v] then
            kind, v = "helper", HELPER[v]
        else
            return nil
        end

        local key = kind .. ":" .. tostring(v)
        if t == "number" then
            -- 0 and -0, 1 and 1.0 are one key; NaN keys nothing
            key = v == v and ("number:" .. string.format("%.17g", v)) or nil
        end

        if key and keys[key] then
            return keys[key]
        end

        local n = #kt + 1
        kt[n], kv[n] = kind, v      -- kv[n] may be nil
        if key then
            keys[key] = n - 1
        end
        return n - 1
    end

    local function emit(op, a, b, c)
        ops[#ops + 1], ops[#ops + 2], ops[#ops + 3], ops[#ops + 4] =
            op, a or 0, b or 0, c or 0
    end

    local pc = 1
    while true do
        local ins = funcbc(f, pc)
        if ins == nil then
            break
        end
        if pc > PLAN_OPS then
            return false
        end

        local name = bcname[band(ins, 0xff)]
        local a, c = band(rshift(ins, 8), 0xff), band(rshift(ins, 16), 0xff)
        local b, d = rshift(ins, 24), rshift(ins, 16)
        local ki

        if name == "MOV" then emit(P.MOV, a, d)
        elseif name == "NOT" then emit(P.NOT, a, d)
        elseif name == "KNIL" then emit(P.KNIL, a, d)
        elseif name == "KPRI" then emit(P.K, a, k(pri(d)))
        elseif name == "KSHORT" then emit(P.K, a, k(band16(d)))
        elseif name == "KNUM" then
            ki = k(funck(f, d))
            if ki then emit(P.K, a, ki) else emit(P.BAIL) end
        elseif name == "KSTR" then emit(P.K, a, k(funck(f, -d - 1)))
        elseif name == "UGET" then
            local _, v = getupvalue(f, d + 1)
            ki = k(v)
            if ki then emit(P.K, a, ki) else emit(P.BAIL) end
        elseif name == "GGET" then
            ki = k(env[funck(f, -d - 1)])
            if ki then emit(P.K, a, ki) else emit(P.BAIL) end
        elseif name == "TGETS" then emit(P.TGETS, a, b, k(funck(f, -c - 1)))
        elseif name == "TGETV" then emit(P.TGETV, a, b, c)
        elseif name == "ISLT" then emit(P.LT, a, d)
        elseif name == "ISGE" then emit(P.GE, a, d)
        elseif name == "ISLE" then emit(P.LE, a, d)
        elseif name == "ISGT" then emit(P.GT, a, d)
        elseif name == "ISEQV" then emit(P.EQV, a, d)
        elseif name == "ISNEV" then emit(P.NEV, a, d)
        elseif name == "ISEQS" then emit(P.EQK, a, k(funck(f, -d - 1)))
        elseif name == "ISNES" then emit(P.NEK, a, k(funck(f, -d - 1)))
        elseif name == "ISEQN" or name == "ISNEN" then
            ki = k(funck(f, d))
            if ki then
                emit(name == "ISEQN" and P.EQK or P.NEK, a, ki)
            else
                emit(P.BAIL)
            end
        elseif name == "ISEQP" or name == "ISNEP" then
            emit(name == "ISEQP" and P.EQK or P.NEK, a, k(pri(d)))
        elseif name == "IST" then emit(P.IST, 0, d)
        elseif name == "ISF" then emit(P.ISF, 0, d)
        elseif name == "ISTC" then emit(P.ISTC, a, d)
        elseif name == "ISFC" then emit(P.ISFC, a, d)
        elseif name == "JMP" then
            local to = pc + 1 + d - 0x8000
            if to > pc then emit(P.JMP, 0, to) else emit(P.BAIL) end
        elseif name == "CALL" and b > 0 and c > 0 then
            emit(P.CALL, a, b - 1, c - 1)
        elseif name == "CALLT" and d > 0 then emit(P.CALLT, a, d - 1)
        elseif name == "RET0" then emit(P.RET0)
        elseif name == "RET1" or (name == "RET" and d >= 2) then
            emit(P.RET1, a)
        elseif name == "RET" and d == 1 then emit(P.RET0)
        else
            emit(P.BAIL)
        end

        pc = pc + 1
    end

    return { slots = info.stackslots, params = info.params, ops = ops,
             kt = kt, kv = kv }
end

-- unless the translation above reads as it should, no file gets a plan
do
    local p = plan(loadstring("return function(r) "
                              .. "if r.header['DNT'] == '1' then return end "
                              .. "return 'x' end")())
    bc_known = bc_known and p and p.ops[1] == P.TGETS and p.ops[5] == P.TGETS
               and p.ops[9] == P.NEK and p.ops[13] == P.JMP
               and p.ops[15] == 6 and p.ops[17] == P.RET0
               and p.ops[21] == P.K and p.ops[25] == P.RET1
               and p.kv[p.ops[4] + 1] == "header"
               and p.kv[p.ops[8] + 1] == "DNT"
end


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

-- the check of a rule file at nginx -t: lua/check.lua, told what it
-- cannot see from the bytecode alone

local check
do
    local helpers, names, lists = {}, {}, {}

    for name, f in pairs(cx_raw) do
        if type(f) == "function" then
            helpers[f] = name
            names[name] = name
        end
    end

    for what, set in pairs(C.fields) do
        local l = {}
        for name in pairs(set) do
            l[#l + 1] = name
        end
        table.sort(l)
        lists[what] = table.concat(l, ", ")
    end

    local function name_valid(s)
        if #s < 1 or #s > C.name_max then
            return false
        end
        for i = 1, #s do
            local c = s:byte(i)
            if not ((c >= 97 and c <= 122) or (c >= 48 and c <= 57)
                    or c == 95 or c == 46 or c == 45)
            then
                return false
            end
        end
        return true
    end

    check = loadstring(check_source, "=cx check", "t")(jutil, {
        cx = cx,
        helpers = helpers,
        cx_names = names,
        takes = takes,
        op = OP,
        op_known = ops_known,
        fields = C.fields,
        globals = base,
        list = lists,
        rawget = C.rawget,
        rule_fn = function(f) return rule_env[getfenv(f)] == true end,
        is_proxy = function(v) return is_proxy[v] == true end,
        name_valid = name_valid,
    })
end

local function prepare(mod, chunk, surveys)
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
    local ok, err = pcall(freeze, mod)

    local r = restore
    restore = nil

    if not ok then
        return nil, err
    end

    local own = known and own_only(chunk)

    return trigger, touchpoint or false, r[0] > 0 and r or false,
           own, own and mentions(chunk, "touchpoint"), plan(trigger),
           surveys and check(chunk, trigger, touchpoint, r, surveys) or nil
end

return { new_env = new_env, prepare = prepare, strings = long_strings }
