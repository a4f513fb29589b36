-- lua/check.lua: what nginx -t finds wrong in a rule file without
-- running it.  Built into the module; the sandbox (lua/sandbox.lua) runs
-- it with full privileges when a rule file loads at configuration time,
-- on the file's bytecode:
--
--   * trigger(r) returning a literal survey id that no cx_survey of this
--     nginx defines (or no id at all, or a table with a field that is
--     not survey, delay, question or variant, or a literal variant that
--     is not a name);
--   * a literal field of r, r.visitor or r.time that they do not have
--     (r.visitor.view), in trigger(r), touchpoint(r) and the functions of
--     the file they pass r to;
--   * a cx helper called with a literal argument of the wrong type, or
--     without one it needs (cx.business_hours(r, "9:00", "17:00")), or a
--     cx function that does not exist;
--   * calling a value that is not a function: r.args("utm_source").
--
-- Each is a failure the file would meet at run time, on every page view
-- that takes that path, logged and counted but never shown to the
-- marketer who wrote it.  The look is an abstract interpretation of
-- each function: for every instruction, what each slot may hold -- a
-- set of constants, r or one of its tables, cx or a helper -- on every
-- path to it, a comparison with a constant narrowing it on each branch
-- (so "if v ~= 'none' then return v end" does not return "none").
-- Anything it cannot follow is "unknown" and never an error: a problem
-- is reported only for what the file does with a value it certainly
-- has.
--
-- Called with jit.util and what the sandbox knows (see the bottom);
-- returns check(chunk, trigger, touchpoint, restore, surveys) -> a list
-- of { line = n, msg = "..." }, sorted by line.

local jutil, env = ...

local funcbc, funck, funcinfo, funcuvname =
      jutil.funcbc, jutil.funck, jutil.funcinfo, jutil.funcuvname
local band, rshift = bit.band, bit.rshift
local type, next, pairs, ipairs, tostring, rawequal, select =
      type, next, pairs, ipairs, tostring, rawequal, select
local getupvalue, getlocal = debug.getupvalue, debug.getlocal
local format, concat, sort = string.format, table.concat, table.sort

local BCM_DST, BCM_BASE, BCM_VAR, BCM_RBASE, BCM_JUMP = 1, 2, 3, 4, 13
local SET_MAX = 16


-- the opcodes (the sandbox's, found by compiling one of each) ---------

local OP, known = env.op, env.op_known

-- where a call's arguments start: after the function, and a frame slot
-- in LuaJIT's two-slot frames (GC64)
local ARGS = 1
do
    local f = loadstring("return function(f) f(7) end")()
    local k, call = funcbc(f, 2), funcbc(f, 3)
    if k and call and band(k, 0xff) == OP.KSHORT and band(call, 0xff) == OP.CALL
    then
        ARGS = band(rshift(k, 8), 0xff) - band(rshift(call, 8), 0xff)
    else
        known = false
    end
end

local COMPARE = {}
for _, name in ipairs{ "ISLT", "ISGE", "ISLE", "ISGT", "ISEQV", "ISNEV",
                       "ISEQS", "ISNES", "ISEQN", "ISNEN", "ISEQP", "ISNEP",
                       "IST", "ISF", "ISTC", "ISFC" } do
    if OP[name] then
        COMPARE[OP[name]] = name
    end
end


-- abstract values ------------------------------------------------------

-- nil: unknown.  A set of constants: { const = { [v] = true }, n = n }
-- (NIL stands for nil).  The others are one object each, so equal
-- values are the same object.

local NIL = {}

local function const(...)
    local c, n = {}, 0
    for i = 1, select("#", ...) do
        local v = select(i, ...)
        if v == nil then
            v = NIL
        end
        if not c[v] then
            c[v], n = true, n + 1
        end
    end
    return { const = c, n = n }
end

local R = { what = "r", name = "r", table = true }
local CX = { what = "cx", name = "cx", table = true }
local VIEW, FIELD, HELPER, MISSING, OBJ = {}, {}, {}, {}, {}

for name in pairs(env.fields.r) do
    FIELD[name] = { what = "field", name = "r." .. name }
end
for _, name in ipairs{ "header", "cookie", "resp_header", "args", "visitor",
                       "time" } do
    VIEW[name] = { what = "view", name = "r." .. name, view = name,
                   table = true }
end

local GLOBAL = {}

local function global(name)
    local g = GLOBAL[name]
    if g == nil then
        g = { what = "global", name = name, global = name }
        GLOBAL[name] = g
    end
    return g
end

local function helper(name)
    local h = HELPER[name]
    if h == nil then
        h = { what = "helper", name = "cx." .. name, helper = name }
        HELPER[name] = h
    end
    return h
end

-- a value of the file as it loaded: a constant, cx, a helper, a table
-- or function of the file; nil when it is none of those
local function loaded(v)
    local t = type(v)

    if v == nil or t == "string" or t == "number" or t == "boolean" then
        return const(v)
    end
    if rawequal(v, env.cx) then
        return CX
    end
    if t == "function" and env.helpers[v] then
        return helper(env.helpers[v])
    end
    if (t == "function" and env.rule_fn(v)) or env.is_proxy(v) then
        local o = OBJ[v]
        if o == nil then
            o = { what = t == "function" and "fn" or "table", v = v,
                  table = t ~= "function" }
            OBJ[v] = o
        end
        return o
    end
    return nil
end

-- the set of the one constant k (NIL for nil)
local function only(k)
    return { const = { [k] = true }, n = 1 }
end

local function join(a, b)
    if a == nil or b == nil then
        return nil
    end
    if rawequal(a, b) then
        return a
    end
    if not (a.const and b.const) then
        return nil
    end

    local extra = false
    for v in next, b.const do
        if not a.const[v] then
            extra = true
            break
        end
    end
    if not extra then
        return a
    end

    local c, n = {}, 0
    for v in next, a.const do
        c[v], n = true, n + 1
    end
    for v in next, b.const do
        if not c[v] then
            c[v], n = true, n + 1
        end
    end
    if n > SET_MAX then
        return nil
    end
    return { const = c, n = n }
end

-- v narrowed to what keep(constant) says; false: no value is left (the
-- branch is never taken); nil: unknown
local function narrow(v, keep, truthy)
    if v == nil then
        return nil
    end
    if not v.const then
        if truthy == false and (v.table or v.what == "helper"
                                or v.what == "fn")
        then
            return false
        end
        return v
    end

    local c, n = {}, 0
    for k in next, v.const do
        if keep(k) then
            c[k], n = true, n + 1
        end
    end
    if n == 0 then
        return false
    end
    if n == v.n then
        return v
    end
    return { const = c, n = n }
end

local function truthy(k)
    return k ~= NIL and k ~= false
end

local function falsy(k)
    return k == NIL or k == false
end

local function show(k)
    if k == NIL then
        return "nil"
    end
    if type(k) == "string" then
        if #k > 64 then
            k = k:sub(1, 61) .. "..."
        end
        -- as it is: C escapes what goes to the log
        return '"' .. k .. '"'
    end
    return tostring(k)
end

-- what a value is, for a message
local function describe(v)
    if v == nil then
        return "a value"
    end
    if v.const then
        local k = next(v.const)
        if v.n == 1 then
            return (k == NIL and "nil" or type(k) .. " " .. show(k))
        end
        return "one of several constants"
    end
    return v.name or v.what
end


-- one function ----------------------------------------------------------

local function code_of(f)
    local code, n = {}, 0
    for pc = 1, 1e9 do
        local ins, m = funcbc(f, pc)
        if ins == nil then
            break
        end
        n = pc
        code[pc] = { op = band(ins, 0xff), a = band(rshift(ins, 8), 0xff),
                     b = rshift(ins, 24), c = band(rshift(ins, 16), 0xff),
                     d = rshift(ins, 16), ma = band(m, 7),
                     mb = band(rshift(m, 3), 15),
                     mc = band(rshift(m, 7), 15) }
    end
    return code, n
end

local function copy(s, n)
    local c = {}
    for i = 0, n - 1 do
        c[i] = s[i]
    end
    return c
end

local function clobber(s, lo, hi, n)
    for i = lo, math.min(hi, n - 1) do
        s[i] = nil
    end
end

-- the slots an instruction writes, lo and hi, for one not followed below
local function writes(ins)
    if ins.ma == BCM_DST then
        return ins.a, ins.a
    end
    if ins.ma == BCM_BASE then
        if ins.op == OP.KNIL then
            return ins.a, ins.d
        end
        if ins.op == OP.CALL or ins.op == OP.CALLM then
            return ins.a, ins.b == 0 and 255 or ins.a + ins.b - 2
        end
        return ins.a, 255
    end
    return 0, -1
end

-- the value an upvalue of f holds, when the file never assigns it
local function upvalue(f, i, restore)
    if type(f) ~= "function" or restore.assigned[f] and
       restore.assigned[f][i]
    then
        return nil
    end
    local name, v = getupvalue(f, i)
    if name == nil then
        return nil
    end
    return loaded(v)
end

-- a field of what a slot holds
local function field(t, key, problem)
    if t == nil or type(key) ~= "string" then
        return nil
    end

    if t == R then
        if not env.fields.r[key] then
            problem("r has no field \"" .. key .. "\" (" .. env.list.r
                    .. ")")
            return nil
        end
        return VIEW[key] or FIELD[key]
    end

    if t.view == "visitor" or t.view == "time" then
        if not env.fields[t.view][key] then
            problem(t.name .. " has no field \"" .. key .. "\" ("
                    .. env.list[t.view] .. ")")
        end
        return nil
    end

    if t == CX then
        if env.cx_names[key] then
            return helper(env.cx_names[key])
        end
        local m = MISSING[key]
        if m == nil then
            m = { what = "missing", name = "cx." .. key, missing = key }
            MISSING[key] = m
        end
        return m
    end

    if t.what == "table" then
        return loaded(env.rawget(t.v, key))
    end

    return nil
end


-- what the helpers take (lua/cx/init.lua) ------------------------------

local KIND = {
    r = "r",
    number = "a number",
    tonumber = "a number",
    bound = "a number",
    string = "a string",
    table = "a table",
}

-- whether constant k (NIL for nil) fits kind
local function fits(kind, optional, k)
    local t = (k == NIL) and "nil" or type(k)

    if kind == "any" or (optional and k == NIL) then
        return true
    end
    if kind == "number" then
        return t == "number"
    end
    if kind == "tonumber" then
        return t == "number" or (t == "string" and tonumber(k) ~= nil)
    end
    if kind == "bound" then
        return t == "number" or k == false
    end
    if kind == "string" then
        return t == "string"
    end

    -- r, a table: never a constant
    return false
end

-- what is wrong with argument i of a call of helper name, or nil: v is
-- what it is, present whether it is there at all (nil: unknown)
local function bad_argument(name, i, kind, v, present)
    local optional = kind:sub(-1) == "?"
    if optional then
        kind = kind:sub(1, -2)
    end

    if present == nil or kind == "any" then
        return nil
    end

    local expected = KIND[kind] or kind

    if present == false then
        if optional then
            return nil
        end
        return format("bad argument #%d to 'cx.%s' (%s expected, got no "
                      .. "value)", i, name, expected)
    end

    if v == nil or v.what == "field" or v.what == "fn"
       or v.what == "missing" or v.what == "global"
    then
        return nil
    end

    if v.const then
        for k in next, v.const do
            if fits(kind, optional, k) then
                return nil
            end
        end

    elseif (kind == "r" and (v == R or v.view))
           or (kind == "table" and v.table)
    then
        -- r is a table; cx and the file's tables are frozen proxies,
        -- which only take the place of a table
        return nil
    end

    return format("bad argument #%d to 'cx.%s' (%s expected, got %s)", i,
                  name, expected, describe(v))
end


-- the analysis ----------------------------------------------------------

-- A literal survey trigger(r) returns: what is wrong with it, or nil
local function bad_return(k, surveys)
    if type(k) == "string" then
        if not env.name_valid(k) then
            return "trigger() returns " .. show(k) .. ", which is not a "
                   .. "survey id ([a-z0-9_.-]{1,64})"
        end
        if not surveys[k] then
            return "trigger() returns " .. show(k) .. ", which no "
                   .. "cx_survey defines"
        end
    elseif type(k) == "number" then
        return "trigger() returns the number " .. show(k) .. ": expected "
               .. "nil, true, a survey id or a table"
    end
    return nil
end

local RETURNED = { survey = true, delay = true, question = true,
                   variant = true }

-- whether an instruction names slot a (as any operand, or in a range of
-- slots from one up)
local function touches(ins, a)
    local function names(mode, v)
        if mode == BCM_DST or mode == BCM_VAR then
            return v == a
        end
        if mode == BCM_BASE or mode == BCM_RBASE then
            return a >= v
        end
        return false
    end

    return names(ins.ma, ins.a) or names(ins.mb, ins.b)
           or names(ins.mc, ins.mb == 0 and ins.d or ins.c)
end

-- trigger(r) returns the table that slot a holds at pc: made in the same
-- straight stretch of code (TNEW or TDUP, then TSETS into it, nothing
-- else touching the slot)?  Its fields: { key = value }, or nil
local function returned_table(code, pc, a, states, targets)
    local set = {}

    if targets[pc] then
        return nil
    end

    for q = pc - 1, 1, -1 do
        local ins = code[q]

        if ins.op == OP.TSETS and ins.b == a and ins.a ~= a then
            local key = funck(code.f, -ins.c - 1)
            if set[key] == nil then
                set[key] = states[q] and states[q][ins.a] or false
            end

        elseif (ins.op == OP.TNEW or ins.op == OP.TDUP) and ins.a == a then
            if ins.op == OP.TDUP then
                for k, v in next, funck(code.f, -ins.d - 1) do
                    if set[k] == nil then
                        set[k] = const(v)
                    end
                end
            end
            return set

        elseif touches(ins, a) then
            return nil
        end

        if targets[q] then
            -- code may come here from elsewhere
            return nil
        end
    end

    return nil
end

local function analyze(f, opts, problems)
    local code, n = code_of(f)
    code.f = f

    if n == 0 then
        return
    end

    local info = funcinfo(f)
    local slots = info.stackslots or 0
    local line = function(pc)
        return funcinfo(f, pc).currentline
    end

    -- where jumps go, for returned_table()
    local targets = {}
    for pc = 1, n do
        if code[pc].mc == BCM_JUMP then
            targets[pc + 1 + code[pc].d - 0x8000] = true
        end
    end

    local states = {}
    local first = {}
    if opts.r and (info.params or 0) >= 1 then
        first[0] = R
    end
    states[1] = first

    -- the state after pc, to each place it goes: { pc, state } ...
    local function step(pc, s, check)
        local ins = code[pc]
        local op, a = ins.op, ins.a
        local o = copy(s, slots)
        local out = {}

        local function problem(msg)
            if check then
                problems[#problems + 1] = { line = line(pc), msg = msg }
            end
        end

        -- a call of what base holds with nfixed arguments, and more
        -- after them when it takes a call's results (CALLM)
        local function call(base, nfixed, more)
            local fv = s[base]

            if check and fv ~= nil then
                if fv.what == "helper" then
                    local takes = env.takes[fv.helper] or {}

                    for i = 1, #takes do
                        local v, present

                        if i <= nfixed then
                            v, present = s[base + ARGS + i - 1], true
                        elseif not more then
                            present = false
                        end

                        local msg = bad_argument(fv.helper, i, takes[i], v,
                                                 present)
                        if msg then
                            problem(msg)
                            break
                        end
                    end

                elseif fv.what == "missing" then
                    problem("attempt to call cx." .. fv.missing
                            .. ": cx has no function \"" .. fv.missing
                            .. "\"")

                elseif fv.what == "global" then
                    problem("attempt to call global '" .. fv.global
                            .. "' (a nil value: rules have no such "
                            .. "function)")

                elseif fv == R or fv.what == "view" or fv.what == "field"
                       or (fv.const and fv.n == 1)
                then
                    local hint = ""

                    if fv.view and fv.view ~= "visitor" and fv.view ~= "time"
                    then
                        local k = s[base + ARGS]
                        k = nfixed > 0 and k and k.const and k.n == 1
                            and next(k.const)
                        hint = format(": read it as %s[%s]", fv.name,
                                      type(k) == "string" and show(k)
                                      or "name")
                    end

                    problem("attempt to call " .. describe(fv) .. " (not a "
                            .. "function)" .. hint)
                end
            end

            if opts.follow and fv and fv.what == "fn"
               and nfixed > 0 and s[base + ARGS] == R
            then
                opts.follow(fv.v)
            end
        end

        if op == OP.MOV then
            o[a] = s[ins.d]
        elseif op == OP.KSTR then
            o[a] = const(funck(f, -ins.d - 1))
        elseif op == OP.KSHORT then
            local d = ins.d
            o[a] = const(d >= 0x8000 and d - 0x10000 or d)
        elseif op == OP.KNUM then
            o[a] = const(funck(f, ins.d))
        elseif op == OP.KPRI then
            o[a] = const(ins.d == 2 and true or ins.d == 1 and false or nil)
        elseif op == OP.KNIL then
            for i = a, ins.d do
                o[i] = const(nil)
            end
        elseif op == OP.UGET then
            o[a] = upvalue(opts.closure, ins.d + 1, opts.restore)
        elseif op == OP.GGET then
            local name = funck(f, -ins.d - 1)
            if name == "cx" then
                o[a] = CX
            elseif not env.globals[name] then
                -- reads as nil: rules cannot set globals
                o[a] = global(name)
            else
                o[a] = nil
            end
        elseif op == OP.TGETS then
            o[a] = field(s[ins.b], funck(f, -ins.c - 1), problem)
        elseif op == OP.TGETV then
            local k = s[ins.c]
            if k and k.const and k.n == 1 then
                o[a] = field(s[ins.b], next(k.const), problem)
            else
                o[a] = nil
            end
        elseif op == OP.CALL then
            call(a, ins.c - 1, false)
            local lo, hi = writes(ins)
            clobber(o, lo, hi, slots)
        elseif op == OP.CALLM then
            call(a, ins.c, true)
            local lo, hi = writes(ins)
            clobber(o, lo, hi, slots)
        elseif op == OP.CALLT then
            call(a, ins.d - 1, false)
            return out
        elseif op == OP.CALLMT then
            call(a, ins.d, true)
            return out
        elseif op == OP.RET1 or op == OP.RET or op == OP.RETM then
            if opts.returns and check
               and (op == OP.RET1 or ins.d >= (op == OP.RET and 2 or 1))
            then
                opts.returns(pc, a, s[a], problem)
            end
            return out
        elseif op == OP.RET0 then
            return out
        else
            local lo, hi = writes(ins)
            clobber(o, lo, hi, slots)
        end

        -- where it goes on
        local name = COMPARE[op]

        if op == OP.JMP or op == OP.UCLO then
            out[1] = { pc + 1 + ins.d - 0x8000, o }
            return out
        end

        if name then
            -- the next instruction is the JMP taken when the test holds
            local yes, no = copy(o, slots), copy(o, slots)
            local d = ins.d
            local k, keep, slot

            if name == "ISEQS" or name == "ISNES" then
                k, slot = funck(f, -d - 1), a
            elseif name == "ISEQN" or name == "ISNEN" then
                k, slot = funck(f, d), a
            elseif name == "ISEQP" or name == "ISNEP" then
                k, slot = (d == 2 and true or d == 1 and false or NIL), a
            end

            if slot then
                local eq = function(v) return v == k end
                local ne = function(v) return v ~= k end
                if name:sub(3, 4) == "EQ" then
                    yes[slot] = narrow(s[slot], eq)
                    no[slot] = narrow(s[slot], ne)
                    if s[slot] == nil then
                        yes[slot] = only(k)
                    end
                else
                    yes[slot] = narrow(s[slot], ne)
                    no[slot] = narrow(s[slot], eq)
                    if s[slot] == nil then
                        no[slot] = only(k)
                    end
                end

            elseif name == "IST" or name == "ISF" or name == "ISTC"
                   or name == "ISFC"
            then
                local t = narrow(s[d], truthy, true)
                local f = narrow(s[d], falsy, false)
                if name == "ISF" or name == "ISFC" then
                    t, f = f, t
                end
                yes[d], no[d] = t, f
                if name == "ISTC" or name == "ISFC" then
                    yes[a] = t
                    no[a] = s[a]
                    if a == d then
                        no[a] = f
                    end
                end
            end

            local function alive(st)
                for i = 0, slots - 1 do
                    if st[i] == false then
                        return false
                    end
                end
                return true
            end

            if alive(yes) then
                out[#out + 1] = { pc + 1, yes }
            end
            if alive(no) and pc + 2 <= n then
                out[#out + 1] = { pc + 2, no }
            end
            return out
        end

        if ins.mc == BCM_JUMP then
            out[#out + 1] = { pc + 1 + ins.d - 0x8000, o }
        end
        if pc + 1 <= n then
            out[#out + 1] = { pc + 1, o }
        end
        return out
    end

    -- to a fixpoint
    local work, queued = { 1 }, { [1] = true }
    local steps = 0

    while #work > 0 do
        local pc = table.remove(work)
        queued[pc] = nil

        steps = steps + 1
        if steps > 100000 then
            return          -- too much to follow: no problems from it
        end

        for _, to in ipairs(step(pc, states[pc], false)) do
            local t, st = to[1], to[2]

            if t >= 1 and t <= n then
                local before = states[t]
                local changed = false

                if before == nil then
                    states[t] = st
                    changed = true
                else
                    for i = 0, slots - 1 do
                        local j = join(before[i], st[i])
                        if not rawequal(j, before[i]) then
                            before[i] = j
                            changed = true
                        end
                    end
                end

                if changed and not queued[t] then
                    queued[t] = true
                    work[#work + 1] = t
                end
            end
        end
    end

    -- what is certain on every path: the problems
    if opts.returns then
        local returns = opts.returns
        opts.returns = function(pc, a, v, problem)
            return returns(pc, a, v, problem, code, states, targets)
        end
    end

    for pc = 1, n do
        if states[pc] then
            step(pc, states[pc], true)
        end
    end
end


-- trigger(r)'s returns
local function returns_of(surveys)
    return function(pc, a, v, problem, code, states, targets)
        if v and v.const then
            for k in next, v.const do
                local msg = bad_return(k, surveys)
                if msg then
                    problem(msg)
                end
            end
            return
        end

        local t = returned_table(code, pc, a, states, targets)
        if t == nil then
            return
        end

        for key, fv in pairs(t) do
            if not RETURNED[key] then
                problem("trigger() returns a table with the field "
                        .. show(key) .. ", which is not survey, delay, "
                        .. "question or variant")
            end
        end

        local s = t.survey
        if s == nil or (s and s.const and s.n == 1 and s.const[NIL]) then
            problem("trigger() returns a table without survey")
        elseif s and s.const then
            for k in next, s.const do
                local msg = bad_return(k, surveys)
                if msg and k ~= NIL then
                    problem(msg:gsub("^trigger%(%) returns", "trigger() "
                                     .. "returns a survey"))
                end
            end
        end

        local d = t.delay
        if d and d.const then
            for k in next, d.const do
                if k ~= NIL and (type(k) ~= "number"
                                 or not (k >= 0 and k <= 3600))
                then
                    problem("trigger() returns a delay of " .. show(k)
                            .. ": a number of seconds from 0 to 3600")
                end
            end
        end

        local v = t.variant
        if v and v.const then
            for k in next, v.const do
                if k ~= NIL and (type(k) ~= "string" or #k > 32
                                 or not k:find("^[a-z0-9_.-]+$"))
                then
                    problem("trigger() returns the variant " .. show(k)
                            .. ", which is not a name ([a-z0-9_.-]{1,32})")
                end
            end
        end

        local q = t.question
        if q and q.const then
            for k in next, q.const do
                if k ~= NIL and type(k) ~= "string" then
                    problem("trigger() returns a question that is a "
                            .. type(k) .. ", not a string")
                end
            end
        end
    end
end


-- the functions of a chunk (prototypes)
local function protos(chunk)
    local all, todo = {}, { chunk }

    while #todo > 0 do
        local f = table.remove(todo)

        if funcinfo(f).children then
            for k = -1, -1e9, -1 do
                local v = funck(f, k)
                if v == nil then
                    break
                end
                if type(v) == "proto" then
                    all[#all + 1] = v
                    todo[#todo + 1] = v
                end
            end
        end
    end

    return all
end

local function key_of(f)
    local i = funcinfo(f)
    return tostring(i.source) .. ":" .. tostring(i.linedefined) .. ":"
           .. tostring(i.lastlinedefined) .. ":" .. tostring(i.bytecodes)
end


local function check(chunk, trigger, touchpoint, restore, surveys)
    local problems = {}

    if not known then
        return problems
    end

    -- the upvalues rule functions assign: not their loaded values
    local assigned = {}
    if restore then
        for i = 1, restore[0], 3 do
            local f, u = restore[i], restore[i + 1]
            assigned[f] = assigned[f] or {}
            assigned[f][u] = true
        end
    end
    restore = { assigned = assigned }

    local done, queue = {}, {}

    local function follow(fn)
        local k = key_of(fn)
        if not done[k] then
            done[k] = true
            queue[#queue + 1] = fn
        end
    end

    local function run(fn, returns)
        analyze(fn, { r = true, closure = fn, restore = restore,
                      follow = follow, returns = returns }, problems)
    end

    done[key_of(trigger)] = true
    run(trigger, returns_of(surveys))

    if touchpoint then
        if not done[key_of(touchpoint)] then
            done[key_of(touchpoint)] = true
            run(touchpoint)
        end
    end

    -- the functions r is passed to, as their first argument
    while #queue > 0 do
        run(table.remove(queue, 1))
    end

    -- every other function: its calls
    for _, p in ipairs(protos(chunk)) do
        local k = key_of(p)
        if not done[k] then
            done[k] = true
            analyze(p, { restore = restore }, problems)
        end
    end

    -- one line per problem, in the order of the file
    local seen, out = {}, {}
    for _, p in ipairs(problems) do
        local k = p.line .. "\0" .. p.msg
        if not seen[k] then
            seen[k] = true
            out[#out + 1] = p
        end
    end
    sort(out, function(x, y)
        if x.line ~= y.line then
            return x.line < y.line
        end
        return x.msg < y.msg
    end)

    return out
end

return check
