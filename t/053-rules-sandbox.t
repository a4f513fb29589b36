# Lua trigger rules cannot hurt a worker.  Every escape from the sandbox
# fails, and every hostile or broken rule -- an endless loop, a deep
# recursion, a 1 GB allocation, a runtime error, garbage returned --
# means: the page is served (200, untouched), no survey, a log line with
# the rule file and line, and a metric.
#
# A block's "rule" is the rule file; "fails" names the metric's reason
# (error, result, budget, memory) and the error_log line is expected.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(rule_block);

our $PAGE = "<html><body>hi</body></html>\n";

add_block_preprocessor(\&rule_block);

run_tests();

__DATA__

=== TEST 1: no io
--- rule
return { trigger = function(r) local f = io.open("/etc/passwd") return "s1" end }
--- fails: error
--- error_log eval
qr{cx rules: trigger\(\) failed, no survey: \S+/r1\.lua:1: attempt to index global 'io' \(a nil value\)}



=== TEST 2: no os.execute, os.getenv, os.exit, os.remove
--- rule
return {
    trigger = function(r)
        local w = r.args.w
        if w == "execute" then os.execute("touch /tmp/cx-pwned") end
        if w == "getenv" then return os.getenv("HOME") end
        if w == "exit" then os.exit(1) end
        if w == "remove" then os.remove("/tmp/x") end
        return "s1"
    end
}
--- request eval
["GET /?w=execute", "GET /?w=getenv", "GET /?w=exit", "GET /?w=remove"]
--- response_body eval
[$::PAGE, $::PAGE, $::PAGE, $::PAGE]
--- fails: error=4
--- error_log eval
[qr{r2\.lua:4: attempt to call field 'execute' \(a nil value\)},
 qr{r2\.lua:5: attempt to call field 'getenv' \(a nil value\)},
 qr{r2\.lua:6: attempt to call field 'exit' \(a nil value\)},
 qr{r2\.lua:7: attempt to call field 'remove' \(a nil value\)}]



=== TEST 3: os.time and os.date are there
--- rule
return {
    trigger = function(r)
        if type(os.time()) == "number" and #os.date("!%Y-%m-%d") == 10 then
            return "s1"
        end
    end
}
--- response_body_like
data-cx-survey="s1"



=== TEST 4: require only knows cx
--- rule
return {
    trigger = function(r)
        assert(require("cx") == cx)
        local m = require(r.args.m)
        return "s1"
    end
}
--- request eval
["GET /?m=os", "GET /?m=io", "GET /?m=ffi", "GET /?m=jit", "GET /?m=debug",
 "GET /?m=cx.sandbox", "GET /?m=resty.core"]
--- response_body eval
[($::PAGE) x 7]
--- fails: error=7
--- error_log eval
[qr{r4\.lua:4: module 'os' not found: rules can only require "cx"},
 qr{module 'io' not found}, qr{module 'ffi' not found},
 qr{module 'jit' not found}, qr{module 'debug' not found},
 qr{module 'cx.sandbox' not found}, qr{module 'resty.core' not found}]



=== TEST 5: no loading of code: load, loadstring, dofile, loadfile
--- http_config
cx_rules_check off;
--- rule
return {
    trigger = function(r)
        local w = r.args.w
        if w == "load" then load("return 1")() end
        if w == "loadstring" then loadstring("return 1")() end
        if w == "dofile" then dofile("/etc/passwd") end
        if w == "loadfile" then loadfile("/etc/passwd") end
        return "s1"
    end
}
--- request eval
["GET /?w=load", "GET /?w=loadstring", "GET /?w=dofile", "GET /?w=loadfile"]
--- response_body eval
[($::PAGE) x 4]
--- fails: error=4
--- error_log eval
[qr{r5\.lua:4: attempt to call global 'load' \(a nil value\)},
 qr{r5\.lua:5: attempt to call global 'loadstring' \(a nil value\)},
 qr{r5\.lua:6: attempt to call global 'dofile' \(a nil value\)},
 qr{r5\.lua:7: attempt to call global 'loadfile' \(a nil value\)}]



=== TEST 6: none of ffi, jit, debug, collectgarbage, package and friends
--- rule
local names = { "ffi", "jit", "debug", "collectgarbage", "package", "module",
                "getfenv", "setfenv", "rawset", "newproxy", "gcinfo",
                "coroutine", "pcall", "xpcall", "io", "load", "dofile" }
return {
    trigger = function(r)
        local seen = {}
        for i = 1, #names do
            if _G[names[i]] ~= nil then
                seen[#seen + 1] = names[i]
            end
        end
        if math.randomseed ~= nil then seen[#seen + 1] = "math.randomseed" end
        if string.dump ~= nil then seen[#seen + 1] = "string.dump" end
        if ("x").dump ~= nil then seen[#seen + 1] = "(\"x\").dump" end
        if os.execute ~= nil then seen[#seen + 1] = "os.execute" end
        return { survey = "s1", question = "seen: " .. table.concat(seen, ",") }
    end
}
--- response_body_like
data-cx-question="seen: "



=== TEST 7: the string metatable cannot be reached
--- rule
return {
    trigger = function(r)
        local mt = getmetatable("")
        if r.args.w == "index" then
            mt.__index.upper = function() return "pwned" end
        end
        return { survey = "s1", question = tostring(mt) .. " " .. ("a"):upper() }
    end
}
--- request eval
["GET /?w=index", "GET /"]
--- response_body_like eval
["^<html><body>hi</body></html>\n\$", 'data-cx-question="string A"']
--- fails: error
--- error_log eval
qr{r7\.lua:5: attempt to index field '__index' \(a nil value\)}



=== TEST 8: library tables are read-only
--- rule
return {
    trigger = function(r)
        local w = r.args.w
        if w == "string" then string.upper = function() return "pwned" end end
        if w == "cx" then cx.sample = function() return true end end
        if w == "math" then math.floor = nil end
        if w == "G" then _G.cx = nil end
        return { survey = "s1", question = ("a"):upper() .. tostring(cx.sample(0)) }
    end
}
--- request eval
["GET /?w=string", "GET /?w=cx", "GET /?w=math", "GET /?w=G", "GET /"]
--- response_body_like eval
[("^<html><body>hi</body></html>\n\$") x 4, 'data-cx-question="Afalse"']
--- fails: error=4
--- error_log eval
[qr{r8\.lua:4: attempt to modify a read-only table},
 qr{r8\.lua:5: attempt to modify a read-only table},
 qr{r8\.lua:6: attempt to modify a read-only table},
 qr{r8\.lua:7: attempt to modify a read-only table}]



=== TEST 9: no globals, at load or per request
--- rule
local M = {}
function M.trigger(r)
    counter = (counter or 0) + 1
    return "s1"
end
return M
--- fails: error
--- error_log eval
qr{r9\.lua:3: assignment to global 'counter': rules cannot set globals \(declare it local\)}



=== TEST 10: file-level tables are frozen: no state from one request to the next
--- rule
local seen = {}
local PAGES = { "/a", "/b" }
return {
    trigger = function(r)
        if r.args.w == "insert" then table.insert(PAGES, "/c") end
        if r.args.w == "sort" then table.sort(PAGES) end
        seen[r.visitor.id or "anon"] = true
        return "s1"
    end
}
--- request eval
["GET /?w=insert", "GET /?w=sort", "GET /"]
--- response_body eval
[($::PAGE) x 3]
--- fails: error=3
--- error_log eval
[qr{r10\.lua:5: bad argument #1 to 'insert' \(table expected, got userdata\)},
 qr{r10\.lua:6: bad argument #1 to 'sort' \(table expected, got userdata\)},
 qr{r10\.lua:7: attempt to modify a read-only table}]



=== TEST 11: frozen tables still read like tables
--- rule
local LIST = { "a", "b", "c", nested = { x = 1 } }
local SET = { home = true }
return {
    trigger = function(r)
        local keys, n = {}, 0
        for k in pairs(SET) do keys[#keys + 1] = k end
        for i, v in ipairs(LIST) do n = n + i end
        return { survey = "s1", question = table.concat({
            #LIST, LIST[2], type(LIST), table.concat(LIST, "+"),
            select("#", unpack(LIST)), n, table.concat(keys),
            LIST.nested.x, tostring(next(SET)), tostring(rawget(LIST, 1)) },
            " ") }
    end
}
--- response_body_like
data-cx-question="3 b table a\+b\+c 3 6 home 1 home a"



=== TEST 12: file-level locals go back to their value before each call
--- rule
local n = 0
local saved
local M = {}
local function bump() n = n + 1 return n end
function M.trigger(r)
    local before = saved and "saved" or "fresh"
    saved = r
    return { survey = "s1", question = before .. bump() }
end
return M
--- request eval
["GET /", "GET /", "GET /"]
--- response_body_like eval
[('data-cx-question="fresh1"') x 3]



=== TEST 13: an endless loop ends at the instruction budget
--- rule
return {
    trigger = function(r)
        local i = 0
        while true do i = i + 1 end
    end
}
--- fails: budget
--- error_log eval
qr{cx rules: trigger\(\) failed, no survey: \S+/r13\.lua:4: instruction budget of 100000 exceeded}



=== TEST 14: the budget is per location
--- http_config
cx_rules_budget 2000;
--- rule
return {
    trigger = function(r)
        for i = 1, 1e6 do end
        return "s1"
    end
}
--- fails: budget
--- error_log eval
qr{r14\.lua:3: instruction budget of 2000 exceeded}



=== TEST 15: a deep recursion fails, the worker lives
--- rule
local function f(n) return 1 + f(n + 1) end
return { trigger = function(r) return f(1) end }
--- request eval
["GET /", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- error_log eval
qr{r15\.lua:1: (stack overflow|instruction budget of 100000 exceeded)}



=== TEST 16: bytes count as instructions: a 16 MB string is over the budget
--- rule
return { trigger = function(r) local s = string.rep("x", 2^24) return "s1" end }
--- fails: budget
--- error_log eval
qr{r16\.lua:1: instruction budget of 100000 exceeded}



=== TEST 17: a 1 GB string is over the memory cap (at most 32 MB by default)
--- rule
return { trigger = function(r) local s = string.rep("x", 2^30) return "s1" end }
--- fails: memory
--- error_log eval
qr{r17\.lua:1: memory limit of 33554432 bytes exceeded}



=== TEST 18: a 1 GB string is over a smaller memory cap
--- http_config
cx_rules_memory 4m;
cx_rules_budget 100000000;
--- rule
return { trigger = function(r) local s = ("x"):rep(2^30) return "s1" end }
--- request eval
["GET /", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- fails: memory=2
--- error_log eval
qr{r18\.lua:1: memory limit of 4194304 bytes exceeded}



=== TEST 19: a table growing to the memory cap
--- http_config
cx_rules_memory 4m;
cx_rules_budget 100000000;
--- rule
return {
    trigger = function(r)
        local t = {}
        for i = 1, 1e9 do
            t[i] = i
        end
    end
}
--- fails: memory
--- error_log eval
qr{r19\.lua:5: memory limit of 4194304 bytes exceeded}



=== TEST 20: the VM is healthy after hitting the cap
--- http_config
cx_rules_memory 4m;
cx_rules_budget 100000000;
--- rule
return {
    trigger = function(r)
        if r.args.big then local s = ("x"):rep(2^30) end
        local t = {}
        for i = 1, 10000 do t[i] = i end
        return { survey = "s1", question = tostring(#t) }
    end
}
--- request eval
["GET /?big=1", "GET /", "GET /?big=1", "GET /"]
--- response_body_like eval
["^<html><body>hi</body></html>\n\$", 'data-cx-question="10000"',
 "^<html><body>hi</body></html>\n\$", 'data-cx-question="10000"']
--- fails: memory=2



=== TEST 21: concatenation is charged by its bytes
--- rule
return {
    trigger = function(r)
        local s = "x"
        for i = 1, 40 do s = s .. s end
        return "s1"
    end
}
--- fails: budget
--- error_log eval
qr{r21\.lua:4: instruction budget of 100000 exceeded}



=== TEST 22: a pathological pattern ends at the budget
--- rule
return {
    trigger = function(r)
        local s = ("a"):rep(30000)
        return s:find(".-.-.-.-b") and "s1"
    end
}
--- fails: budget
--- error_log eval
qr{r22\.lua:4: instruction budget of 100000 exceeded}



=== TEST 23: gsub and gmatch are bounded too, callbacks included
--- rule
return {
    trigger = function(r)
        local s = ("ab"):rep(1000)
        local w = r.args.w
        if w == "gsub" then s:gsub("(a)(b)", function(a, b) while true do end end) end
        if w == "gmatch" then for x in s:rep(20):gmatch(".-.-.-c") do end end
        if w == "tostring" then
            tostring(setmetatable({}, { __tostring = function() while true do end end }))
        end
        if w == "sort" then
            local t = { 3, 2, 1 }
            table.sort(t, function(a, b) while true do end end)
        end
        return "s1"
    end
}
--- request eval
["GET /?w=gsub", "GET /?w=gmatch", "GET /?w=tostring", "GET /?w=sort"]
--- response_body eval
[($::PAGE) x 4]
--- fails: budget=4
--- error_log eval
[qr{r23\.lua:5: instruction budget}, qr{r23\.lua:6: instruction budget},
 qr{r23\.lua:8: instruction budget}, qr{r23\.lua:12: instruction budget}]



=== TEST 24: patterns work as in Lua
--- rule
return {
    trigger = function(r)
        local s = "key=value; other=2"
        local a, b = s:find("other")
        local k, v = s:match("(%w+)=(%w+)")
        local words = {}
        for w in s:gmatch("%a+") do words[#words + 1] = w end
        local g, n = s:gsub("(%w+)=", "%1:")
        local p = ("x.y"):find(".", 1, true)
        local f = ("THE (quick) fox"):find("%f[%a]%a+%f[%A]", 5)
        local bal = ("f(a(b)c)d"):match("%b()")
        local pos = ("hello"):match("()ll()")
        return { survey = "s1", question = table.concat({ a, b, k, v,
            table.concat(words, ","), g, n, p, f, bal, pos }, " ") }
    end
}
--- response_body_like
data-cx-question="12 16 key value key,value,other key:value; other:2 2 2 6 \(a\(b\)c\) 3"



=== TEST 25: a runtime error
--- rule
return {
    trigger = function(r)
        local order = nil
        return order.value > 100 and "s1"
    end
}
--- fails: error
--- error_log eval
qr{r25\.lua:4: attempt to index local 'order' \(a nil value\)}



=== TEST 26: error() with a message, and with a table
--- rule
return {
    trigger = function(r)
        if r.args.t then error({ code = 1 }) end
        error("no such page type")
    end
}
--- request eval
["GET /", "GET /?t=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- fails: error=2
--- error_log eval
[qr{r26\.lua:4: no such page type},
 qr{no survey: \S+/r26\.lua: error object is a table value}]



=== TEST 27: a rule returning garbage (1)
--- http_config
cx_rules_check off;
--- rule
local CONFIG = { survey = "s1", delay = 5 }
return {
    trigger = function(r)
        local w = r.args.w
        if w == "number" then return 42 end
        if w == "function" then return print end
        if w == "unknown" then return "nope" end
        if w == "badid" then return "Not An Id" end
        if w == "longid" then return ("x"):rep(100) end
        if w == "field" then return { survey = "s1", sruvey = "s1" } end
        if w == "nosurvey" then return { delay = 3 } end
        if w == "idtype" then return { survey = 1 } end
        if w == "delay" then return { survey = "s1", delay = -1 } end
        if w == "bigdelay" then return { survey = "s1", delay = 1e9 } end
        if w == "nan" then return { survey = "s1", delay = 0/0 } end
        if w == "question" then return { survey = "s1", question = ("x"):rep(600) } end
        if w == "utf8" then return { survey = "s1", question = "\255\254" } end
        if w == "key" then return { survey = "s1", [1] = "x" } end
        if w == "r" then return r end
        if w == "cx" then return cx end
        if w == "frozen" then return CONFIG end
        return nil
    end
}
--- request eval
[map { "GET /?w=$_" } qw(number function unknown badid longid field nosurvey
                         idtype)]
--- response_body eval
[($::PAGE) x 8]
--- fails: result=8
--- error_log eval
[qr{r27\.lua:3: trigger\(\) returned a number: expected nil, a survey id or a table},
 qr{trigger\(\) returned a function},
 qr{trigger\(\) returned survey "nope", which no cx_survey defines},
 qr{trigger\(\) returned "Not An Id", which is not a survey id},
 qr{trigger\(\) returned "\(too long\)", which is not a survey id},
 qr{trigger\(\) returned a table with the unknown field "sruvey"},
 qr{trigger\(\) returned a table without survey},
 qr{trigger\(\) returned a survey that is a number, not an id}]



=== TEST 28: a rule returning garbage (2), and a frozen table that is fine
--- http_config
cx_rules_check off;
--- rule
local CONFIG = { survey = "s1", delay = 5 }
return {
    trigger = function(r)
        local w = r.args.w
        if w == "number" then return 42 end
        if w == "function" then return print end
        if w == "unknown" then return "nope" end
        if w == "badid" then return "Not An Id" end
        if w == "longid" then return ("x"):rep(100) end
        if w == "field" then return { survey = "s1", sruvey = "s1" } end
        if w == "nosurvey" then return { delay = 3 } end
        if w == "idtype" then return { survey = 1 } end
        if w == "delay" then return { survey = "s1", delay = -1 } end
        if w == "bigdelay" then return { survey = "s1", delay = 1e9 } end
        if w == "nan" then return { survey = "s1", delay = 0/0 } end
        if w == "question" then return { survey = "s1", question = ("x"):rep(600) } end
        if w == "utf8" then return { survey = "s1", question = "\255\254" } end
        if w == "key" then return { survey = "s1", [1] = "x" } end
        if w == "r" then return r end
        if w == "cx" then return cx end
        if w == "frozen" then return CONFIG end
        return nil
    end
}
--- request eval
[map { "GET /?w=$_" } qw(delay bigdelay nan question utf8 key r cx frozen)]
--- response_body_like eval
[("^<html><body>hi</body></html>\n\$") x 8,
 'data-cx-survey="s1" data-cx-type="nps" data-cx-delay="5"']
--- fails: result=8
--- error_log eval
[qr{r28\.lua:3: trigger\(\) returned a delay out of 0\.\.3600 seconds},
 qr{trigger\(\) returned a question that is not UTF-8 text of at most 512 bytes},
 qr{trigger\(\) returned a table with a number key},
 qr{trigger\(\) returned r or one of its tables: expected nil},
 qr{trigger\(\) returned a table with the unknown field}]



=== TEST 29: unpack and string.rep limits are errors, not crashes
--- rule
return {
    trigger = function(r)
        if r.args.w == "unpack" then return select("#", unpack({}, 1, 1e8)) end
        if r.args.w == "byte" then return select("#", ("x"):rep(9000):byte(1, -1)) end
        return "s1"
    end
}
--- request eval
["GET /?w=unpack", "GET /?w=byte"]
--- response_body eval
[$::PAGE, $::PAGE]
--- error_log eval
[qr{r29\.lua:3: too many results to unpack},
 qr{r29\.lua:4: (string slice too long|instruction budget)}]



=== TEST 30: the worker is the same after all of this
--- rule
return {
    trigger = function(r)
        if r.args.loop then while true do end end
        if r.args.mem then local s = ("x"):rep(2^24) end
        if r.args.err then error("x") end
        return "s1"
    end
}
--- request eval
[map { $_ % 4 == 0 ? "GET /?loop=1" : $_ % 4 == 1 ? "GET /?mem=1"
       : $_ % 4 == 2 ? "GET /?err=1" : "GET /" } 0 .. 59]
--- response_body_like eval
[map { $_ % 4 == 3 ? 'data-cx-survey="s1"' : "^<html><body>hi</body></html>\n\$" } 0 .. 59]
--- check
my %pids = map { $_ => 1 }
           error_log_since(0) =~ /\[error\] (\d+)#\d+: \*\d+ cx rules: \S+ failed, no survey: \S+\/r30\.lua/g;
is(scalar keys %pids, 1, "one worker logged all the failures");
is(scalar(worker_pids()), 1, "and it is still there");
like(metrics(), qr/^cx_rules_evaluations_total 60$/m, "60 evaluations");
like(metrics(), qr/^cx_rules_failures_total\{reason="budget"\} 30$/m,
     "30 over budget");
like(metrics(), qr/^cx_rules_failures_total\{reason="error"\} 15$/m,
     "15 errors");



=== TEST 31: failure lines are rate-limited, what is left out is counted
--- rule
return { trigger = function(r) error("always") end }
--- request eval
[("GET /") x 40]
--- response_body eval
[($::PAGE) x 40]
--- fails: error=41
--- check
my @lines = error_log_since(0) =~ /(r31\.lua:1: always)/g;
ok(@lines >= 10 && @lines < 40, "at most 10 lines a second")
    or diag(scalar @lines);
select undef, undef, undef, 1.1;
http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
select undef, undef, undef, 0.1;
like(error_log_since(0), qr/r31\.lua:1: always \(and \d+ more failures since the last line\)/,
     "the next line says how many were left out");



=== TEST 32: touchpoint(r) run from trigger(r) shares its budget; each failure is its own
--- rule
local M = {}
function M.touchpoint(r)
    if r.args.loop then while true do end end
    error("no touchpoint today")
end
function M.trigger(r)
    local tp = r.touchpoint
    return { survey = "s1", question = tostring(tp) }
end
return M
--- request eval
["GET /", "GET /?loop=1"]
--- response_body_like eval
['data-cx-question="nil"', "^<html><body>hi</body></html>\n\$"]
--- error_log eval
[qr{cx rules: touchpoint\(\) failed, no touchpoint: \S+/r32\.lua:4: no touchpoint today},
 qr{cx rules: touchpoint\(\) failed, no touchpoint: \S+/r32\.lua:3: instruction budget of 100000 exceeded},
 qr{cx rules: trigger\(\) failed, no survey: \S+/r32\.lua:\d+: instruction budget of 100000 exceeded}]



=== TEST 33: r and its views keep nothing for the next request (table.insert writes around __newindex)
--- rule
return {
    trigger = function(r)
        local left = table.concat({ tostring(rawget(r, 1)),
            tostring(rawget(r.header, 1)), tostring(rawget(r.visitor, 1)) }, "/")
        local w = r.args.w
        if w == "r" then table.insert(r, "x") end
        if w == "header" then table.insert(r.header, 1, "y") end
        if w == "visitor" then table.remove(r.visitor) end
        if w == "time" then table.sort(r.time) end
        return { survey = "s1", question = left }
    end
}
--- request eval
["GET /?w=r", "GET /?w=header", "GET /?w=visitor", "GET /?w=time", "GET /"]
--- response_body_like eval
[("^<html><body>hi</body></html>\n\$") x 4, 'data-cx-question="nil/nil/nil"']
--- fails: error=4
--- error_log eval
[qr{r33\.lua:6: bad argument #1 to 'insert' \(r is read-only\)},
 qr{r33\.lua:7: bad argument #1 to 'insert' \(r is read-only\)},
 qr{r33\.lua:8: bad argument #1 to 'remove' \(r is read-only\)},
 qr{r33\.lua:9: bad argument #1 to 'sort' \(r is read-only\)}]



=== TEST 34: the memory cap is the cap: a 512 KB table fits in 4 MB, a 4 MB one does not (make mutants: vm-memory-cap)
--- http_config
cx_rules_memory 4m;
cx_rules_budget 100000000;
--- rule
return {
    trigger = function(r)
        local t = {}
        for i = 1, tonumber(r.args.n) do
            t[i] = i
        end
        return "s1"
    end
}
--- request eval
["GET /?n=65536", "GET /?n=524288"]
--- response_body_like eval
[qr{^<html><body>hi<script [^>]*data-cx-survey="s1"}, qr{^<html><body>hi</body></html>\n\z}]
--- fails: memory
--- error_log eval
qr{r34\.lua:5: memory limit of 4194304 bytes exceeded}
