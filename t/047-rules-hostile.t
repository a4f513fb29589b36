# Hostile trigger rules: what a rule file can make a worker do, and the
# bound on it.  Each block is one attack (the reproductions of issue 14,
# and variants): the page is served untouched, the rule fails with a line
# that says why, the worker is the same process afterwards, and then
# "cost" more page views of the block's request are measured -- the
# worker's CPU time per page view (/proc/PID/schedstat, as the scheduler
# counts it) and the growth of its resident memory (VmRSS) must stay
# within the bound: 50 ms and cx_rules_memory at the default budget.
#
# A block's "rule" is the rule file, "fails" the metric's reason (and how
# many failures, "cost" page views included), "cost" the number of page
# views to measure and, optionally, another bound in ms.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(rule_block);

our $PAGE = "<html><body>hi</body></html>\n";

# a worker's CPU time (ns) and resident memory (kB)

sub usage {
    my ($pid) = @_;

    open my $s, '<', "/proc/$pid/schedstat" or return (0, 0);
    my ($ns) = split ' ', scalar <$s>;
    open my $st, '<', "/proc/$pid/status" or return (0, 0);
    my ($rss) = join('', <$st>) =~ /^VmRSS:\s+(\d+) kB/m;

    return ($ns, $rss);
}

# n page views of the request: each served untouched by the one worker,
# which stays the same process, within ms of CPU each, growing by less
# than the rules' memory cap

sub main::view_cost {
    my ($raw, $n, $ms, $cap) = @_;

    my @before = worker_pids();
    is(scalar @before, 1, "one worker");

    my ($ns0, $rss0) = usage($before[0]);
    my $served = 0;

    for (1 .. $n) {
        my $r = http_request($raw, 60);
        $served++ if ($r->{status} // 0) == 200 && $r->{body} eq $::PAGE;
    }

    my ($ns1, $rss1) = usage($before[0]);
    my @after = worker_pids();

    is($served, $n, "$n more page views served untouched");
    is("@after", "@before", "by the same worker");

    my $per = ($ns1 - $ns0) / $n / 1e6;
    ok($per <= $ms, sprintf("%.1f ms of worker CPU per page view, at "
                            . "most %d", $per, $ms));
    ok(($rss1 - $rss0) * 1024 < $cap,
       sprintf("the worker grew by %d kB, less than %d kB",
               $rss1 - $rss0, $cap / 1024));
}

# the cost is measured before the failures are counted ("fails" counts
# the cost's page views too)
add_block_preprocessor(sub {
    my $block = shift;

    return unless defined $block->rule;

    if (defined $block->cost) {
        my ($views, $ms) = split ' ', $block->cost;
        $ms //= 50;
        my ($cap) = ($block->http_config // '') =~ /cx_rules_memory (\d+)m/;
        $cap = ($cap // 32) * 1024 * 1024;
        my $req = $block->request // 'GET /';
        $req = $req->[0] if ref $req;
        my $more = $block->more_headers // '';
        $block->set_value('check', ($block->check // '')
                          . "main::view_cost(build_request(q{$req}, "
                          . "q{$more}), $views, $ms, $cap);\n");
    }

    rule_block($block);
});

run_tests();

__DATA__

=== TEST 1: gsub calling itself from its replacement function (issue 14): a failure, not a crash
--- rule
local M = {}
function M.trigger(r)
  local function f() string.gsub("a", "a", f) return "b" end
  string.gsub("a", "a", f)
end
return M
--- cost: 5
--- fails: error=6
--- error_log eval
qr{cx rules: trigger\(\) failed, no survey: \S+/r1\.lua:3: C functions nested too deep}



=== TEST 2: the same at a file's top level fails nginx -t, with the file named
--- rule
local function f() string.gsub("a", "a", f) return "b" end
string.gsub("a", "a", f)
return { trigger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua "\S+/r2\.lua": \S+/r2\.lua:1: C functions nested too deep .* in \S+nginx\.conf:\d+}



=== TEST 3: and a reload with it is refused: the old workers serve on
--- rule
return { trigger = function(r) return "s1" end }
--- response_body_like
data-cx-survey="s1"
--- check
my @workers = worker_pids();
my $file = html_dir() . "/r3.lua";
open my $fh, '>', $file or die;
print $fh <<'LUA';
local function f() string.gsub("a", "a", f) return "b" end
string.gsub("a", "a", f)
return { trigger = function(r) return "s1" end }
LUA
close $fh;
my ($rc, $out) = Test::CX::run_nginx('-t');
is($rc, 1, "nginx -t exits 1");
like($out, qr{r3\.lua:1: C functions nested too deep}, "and says why");
nginx_reload();
sleep 1;
ok(kill(0, nginx_pid()), "the master lives");
is("@{[worker_pids()]}", "@workers", "the same workers");
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/data-cx-survey="s1"/, "serving with the old rules");
--- allow_alerts
--- error_log eval
qr{\[emerg\].*cx_rules_lua "\S+/r3\.lua": \S+/r3\.lua:1: C functions nested too deep}
--- no_error_log
exited on signal



=== TEST 4: a table.sort comparator that sorts
--- rule
return {
    trigger = function(r)
        local t = { 3, 1, 2 }
        local function less(a, b)
            table.sort({ 2, 1 }, less)
            return a < b
        end
        table.sort(t, less)
        return "s1"
    end
}
--- cost: 5
--- fails: error=6
--- error_log eval
qr{r4\.lua:5: C functions nested too deep}



=== TEST 5: __lt metamethods called by table.sort, sorting again
--- rule
return {
    trigger = function(r)
        local mt = {}
        local function obj() return setmetatable({}, mt) end
        mt.__lt = function(a, b)
            table.sort({ obj(), obj() })
            return false
        end
        table.sort({ obj(), obj() })
        return "s1"
    end
}
--- cost: 5
--- fails: error=6
--- error_log eval
qr{r5\.lua:6: C functions nested too deep}



=== TEST 6: __tostring calling string.format("%s") on itself
--- rule
return {
    trigger = function(r)
        local mt = {}
        mt.__tostring = function(self)
            local s = string.format("%s", self)
            return s
        end
        local o = setmetatable({}, mt)
        return string.format("%s", o) and "s1"
    end
}
--- cost: 5
--- fails: error=6
--- error_log eval
qr{r6\.lua:5: C functions nested too deep \(more than 16 levels\)}



=== TEST 7: __tostring recursion through tostring, with and without a tail call: counted as C calls
--- rule
return {
    trigger = function(r)
        local mt = {}
        if r.args.tail then
            mt.__tostring = function(self) return tostring(self) end
        else
            mt.__tostring = function(self) return "x" .. tostring(self) end
        end
        return tostring(setmetatable({}, mt)) and "s1"
    end
}
--- request eval
["GET /", "GET /?tail=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- fails: error=7
--- error_log eval
[qr{r7\.lua:7: C functions nested too deep \(more than 16 levels\)},
 qr{r7\.lua:9: C functions nested too deep \(more than 16 levels\)}]



=== TEST 8: __index chains through frozen tables: a loop, a recursion
--- rule
local A, B, C, D = {}, {}, {}, {}
setmetatable(A, { __index = B })
setmetatable(B, { __index = A })
setmetatable(C, { __index = function(t, k) return D[k] end })
setmetatable(D, { __index = function(t, k) return C[k] end })
return {
    trigger = function(r)
        if r.args.loop then return A.missing and "s1" end
        return C.missing and "s1"
    end
}
--- request eval
["GET /?loop=1", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- error_log eval
[qr{r8\.lua:8: loop in gettable},
 qr{r8\.lua:[45]: (stack overflow|instruction budget of 100000 exceeded)}]



=== TEST 9: os.time reading its table through an __index that calls os.time
--- rule
return {
    trigger = function(r)
        local t = {}
        setmetatable(t, { __index = function(_, k)
            local s = os.time(t)
            return s
        end })
        return os.time(t) and "s1"
    end
}
--- cost: 5
--- fails: error=6
--- error_log eval
qr{r9\.lua:5: C functions nested too deep}



=== TEST 10: no pcall, xpcall or coroutine to nest with
--- http_config
cx_rules_check off;
--- rule
return {
    trigger = function(r)
        local w = r.args.w
        if w == "pcall" then return pcall(pcall, pcall) end
        if w == "xpcall" then return xpcall(print, print) end
        if w == "coroutine" then return coroutine.wrap(print) end
        return "s1"
    end
}
--- request eval
["GET /?w=pcall", "GET /?w=xpcall", "GET /?w=coroutine"]
--- response_body eval
[($::PAGE) x 3]
--- fails: error=3
--- error_log eval
[qr{r10\.lua:4: attempt to call global 'pcall' \(a nil value\)},
 qr{r10\.lua:5: attempt to call global 'xpcall' \(a nil value\)},
 qr{r10\.lua:6: attempt to index global 'coroutine' \(a nil value\)}]



=== TEST 11: table.concat of 1,000 interned 1 KB parts in a loop, at the maximum budget (issue 14)
--- http_config
cx_rules_budget 100000000;
--- rule
local parts = {}
for i = 1, 1000 do parts[i] = string.rep(string.char(65 + i % 26), 1024) end
return {
    trigger = function(r)
        local t = {}
        for i = 1, #parts do t[i] = parts[i] end
        while true do local u = table.concat(t) end
    end
}
--- cost: 3 2000
--- fails: budget=4
--- error_log eval
qr{r11\.lua:7: instruction budget of 100000000 exceeded}



=== TEST 12: the same at the default budget
--- rule
local parts = {}
for i = 1, 1000 do parts[i] = string.rep(string.char(65 + i % 26), 1024) end
return {
    trigger = function(r)
        while true do local u = table.concat(parts) end
    end
}
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r12\.lua:5: instruction budget of 100000 exceeded}



=== TEST 13: two 450 KB string constants (issue 14: compared in a loop) fail nginx -t, with file and line
--- rule eval
"local A = \"" . ("x" x 450000) . "a\"\n"
. "local B = \"" . ("x" x 450000) . "b\"\n"
. "return { trigger = function(r) while true do local c = A < B end end }\n"
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua "\S+/r13\.lua": \S+/r13\.lua:1: a string constant of 450001 bytes: rule files may hold strings of at most 16384 bytes}



=== TEST 14: so do long strings the top level makes and keeps
--- rule
local A = string.rep("x", 200000) .. "a"
local B = string.rep("x", 200000) .. "b"
return { trigger = function(r) while true do local c = A < B end end }
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua "\S+/r14\.lua": \S+/r14\.lua: local 'A' holds a string of 200001 bytes once the file has loaded: rule files may hold strings of at most 16384 bytes}



=== TEST 15: long strings made per call and compared in a loop
--- rule
return {
    trigger = function(r)
        local a = string.rep("x", 20000) .. "a"
        local b = string.rep("x", 20000) .. "b"
        while true do local c = a < b end
    end
}
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r15\.lua:5: instruction budget of 100000 exceeded}



=== TEST 16: strings of the largest a file may keep, compared in a loop
--- rule eval
"local A = \"" . ("x" x 16383) . "a\"\n"
. "local B = \"" . ("x" x 16383) . "b\"\n"
. "return { trigger = function(r) while true do local c = A < B end end }\n"
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r16\.lua:3: instruction budget of 100000 exceeded}



=== TEST 17: ua:lower() in a loop on a 7 KB User-Agent (issue 14)
--- rule
return {
    trigger = function(r)
        local ua = r.header.user_agent
        while true do local l = ua:lower() end
    end
}
--- more_headers eval
"User-Agent: " . ("Mozilla/5.0 " x 600)
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r17\.lua:4: instruction budget of 100000 exceeded}



=== TEST 18: r.args.q in a loop with a 7.8 KB query (issue 14): decoded once, the worker does not grow
--- rule
return {
    trigger = function(r)
        for i = 1, 1e9 do local a = r.args.q end
    end
}
--- request eval
"GET /?q=" . ("%41b+" x 1560)
--- cost: 10
--- fails: budget=11
--- error_log eval
qr{r18\.lua:3: instruction budget of 100000 exceeded}



=== TEST 19: the same at the maximum budget
--- http_config
cx_rules_budget 100000000;
--- rule
return {
    trigger = function(r)
        for i = 1, 1e9 do local a = r.args.q end
    end
}
--- request eval
"GET /?q=" . ("%41b+" x 1560)
--- cost: 3 2000
--- fails: budget=4
--- error_log eval
qr{r19\.lua:3: instruction budget of 100000000 exceeded}



=== TEST 20: r.header.x and r.cookie.x in a loop
--- rule
return {
    trigger = function(r)
        if r.args.w == "cookie" then
            while true do local c = r.cookie.x end
        end
        while true do local h = r.header.x end
    end
}
--- request eval
["GET /?w=header", "GET /?w=cookie"]
--- response_body eval
[$::PAGE, $::PAGE]
--- more_headers eval
"X: " . ("h" x 7000) . "\nCookie: a=1; x=" . ("c" x 7000)
--- cost: 5
--- fails: budget=7
--- error_log eval
[qr{r20\.lua:6: instruction budget of 100000 exceeded},
 qr{r20\.lua:4: instruction budget of 100000 exceeded}]



=== TEST 21: a huge string.rep fails at once, with or without a separator
--- rule
return {
    trigger = function(r)
        if r.args.sep then local s = ("ab"):rep(2^20, ("y"):rep(1000)) end
        return ("x"):rep(2^31) and "s1"
    end
}
--- request eval
["GET /", "GET /?sep=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- fails: memory=7
--- error_log eval
[qr{r21\.lua:4: memory limit of 33554432 bytes exceeded},
 qr{r21\.lua:3: memory limit of 33554432 bytes exceeded}]



=== TEST 22: ("x"):rep(1e6):lower() in a loop, at the default and at the maximum budget
--- http_config
cx_rules_budget 100000000;
--- rule
return {
    trigger = function(r)
        while true do local l = ("x"):rep(1e6):lower() end
    end
}
--- cost: 3 2000
--- fails: budget=4
--- error_log eval
qr{r22\.lua:3: instruction budget of 100000000 exceeded}



=== TEST 23: the same at the default budget
--- rule
return {
    trigger = function(r)
        while true do local l = ("x"):rep(1e6):lower() end
    end
}
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r23\.lua:3: instruction budget of 100000 exceeded}



=== TEST 24: string.format with the widest widths, in a loop
--- rule
return {
    trigger = function(r)
        if r.args.wide then local s = string.format("%0999d", 1) end
        local ones = {}
        for i = 1, 200 do ones[i] = 1 end
        local f = ("%99.99f"):rep(200)
        while true do local s = f:format(unpack(ones)) end
    end
}
--- request eval
["GET /?wide=1", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- error_log eval
[qr{r24\.lua:3: invalid option '%0999' to 'format'},
 qr{r24\.lua:7: instruction budget of 100000 exceeded}]



=== TEST 25: table.insert at a far position fails at once
--- rule
return {
    trigger = function(r)
        local t = { 1, 2, 3 }
        if r.args.far then table.insert(t, 2^31 - 1, 0) end
        table.insert(t, -2^31 + 1, 0)
        return "s1"
    end
}
--- request eval
["GET /", "GET /?far=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- fails: error=7
--- error_log eval
[qr{r25\.lua:5: bad argument #2 to 'insert' \(position out of bounds\)},
 qr{r25\.lua:4: bad argument #2 to 'insert' \(position out of bounds\)}]



=== TEST 26: sorting many copies of a long string
--- rule
return {
    trigger = function(r)
        local s, t = ("x"):rep(15000), {}
        for i = 1, 2000 do t[i] = s end
        table.sort(t)
        return "s1"
    end
}
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r26\.lua:5: instruction budget of 100000 exceeded}



=== TEST 27: tonumber of a long string in a loop, concatenations that exist already
--- rule
return {
    trigger = function(r)
        local s = ("1"):rep(16000)
        if r.args.cat then
            while true do local u = s .. s end
        end
        while true do local n = tonumber(s) end
    end
}
--- request eval
["GET /", "GET /?cat=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- fails: budget=7
--- error_log eval
[qr{r27\.lua:7: instruction budget of 100000 exceeded},
 qr{r27\.lua:5: instruction budget of 100000 exceeded}]



=== TEST 28: unpack and select over the most values, in a loop
--- rule
return {
    trigger = function(r)
        local t = {}
        for i = 1, 7000 do t[i] = i end
        while true do local n = select("#", unpack(t)) end
    end
}
--- cost: 5
--- fails: budget=6
--- error_log eval
qr{r28\.lua:5: instruction budget of 100000 exceeded}



=== TEST 29: print in a loop costs its line: at most a hundred a page view
--- rule
return {
    trigger = function(r)
        while true do print("again") end
    end
}
--- log_level: notice
--- cost: 5
--- fails: budget=6
--- check
my @lines = error_log_since(0) =~ /(cx rules: print: \S+r29\.lua:3: again)/g;
ok(@lines > 0 && @lines <= 6 * 100, scalar(@lines) . " lines for 6 page views");
--- error_log eval
qr{r29\.lua:3: instruction budget of 100000 exceeded}



=== TEST 30: an ordinary rule still works, and costs little
--- rule
local TOUCHPOINTS = { { "/", "home" }, { "/products/**", "product" } }
return {
    touchpoint = function(r) return (cx.route(r.path, TOUCHPOINTS)) end,
    trigger = function(r)
        local ua = (r.header.user_agent or ""):lower()
        if ua:find("bot", 1, true) then return nil end
        local q = r.args.q
        local t = {}
        for i = 1, 10 do table.insert(t, 1, i) end
        table.sort(t, function(a, b) return a > b end)
        return { survey = "s1",
                 question = table.concat(t, ",") .. " " .. tostring(q)
                            .. " " .. ("%s-%d"):format(r.touchpoint, #ua)
                            .. " " .. ("AbC"):upper():lower():rep(2, "+")
                            .. " " .. ("hello"):sub(2, -2):reverse()
                            .. " " .. string.char(("A"):byte() + 1)
                            .. " " .. tonumber("0x10") }
    end
}
--- request
GET /?q=a+b%21
--- more_headers
User-Agent: Mozilla/5.0 (X11; Linux x86_64)
--- response_body_like
data-cx-question="10,9,8,7,6,5,4,3,2,1 a b! home-31 abc\+abc lle B 16"



=== TEST 31: tostring as its own __tostring (LuaJIT's would loop without a bytecode, past the count hook)
--- rule
return {
    trigger = function(r)
        local t = setmetatable({}, { __tostring = tostring, __concat = tostring })
        if r.args.concat then local s = t .. "x" end
        return tostring(t) and "s1"
    end
}
--- request eval
["GET /", "GET /?concat=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- cost: 5
--- fails: error=7
--- error_log eval
[qr{r31\.lua:5: C functions nested too deep \(more than 16 levels\)},
 qr{r31\.lua:4: C functions nested too deep \(more than 16 levels\)}]



=== TEST 32: an ordinary rule file still runs within the smallest budget, its reads of r charged (bench/rules-shop.lua, in the VM)
--- http_config
cx_rules_budget 1000;
--- rule eval
open my $fh, '<', 'bench/rules-shop.lua' or die "bench/rules-shop.lua: $!";
local $/;
my $src = <$fh>;
# the same, with its survey, and a trigger(r) the VM runs (no plan: a loop)
$src =~ s/"bench"\) then return "bench"/"bench") then for i = 1, 2 do end return "s1"/ or die;
$src =~ s/return "big_order_csat"/return "s1"/ or die;
$src;
--- request
GET /index.html
--- more_headers eval
"Cookie: cx_v=1.k3J9aQ2xLm0pZr7TbW4s.5.2."
. POSIX::strftime('%Y%m%d', gmtime(time - 40 * 86400)) . ".0\nDNT: 0"
--- response_body_like
data-cx-survey="s1"
--- error_log
the plan of trigger() gave up, the VM runs it
--- no_error_log
cx rules: trigger() failed
cx rules: touchpoint() failed



=== TEST 33: C re-entry: exactly 16 levels run, the 17th is refused (make mutants: vm-nest-max)
--- rule
local function nest(n)
    if n == 0 then return "x" end
    return (string.gsub("a", "a", function() return nest(n - 1) end))
end
return {
    trigger = function(r)
        nest(tonumber(r.args.n))
        return "s1"
    end
}
--- request eval
["GET /?n=16", "GET /?n=17"]
--- response_body_like eval
[qr{^<html><body>hi<script [^>]*data-cx-survey="s1"}, qr{^<html><body>hi</body></html>\n\z}]
--- error_log eval
qr{r33\.lua:3: C functions nested too deep \(more than 16 levels\)}



=== TEST 34: lower, upper and rep charge the bytes they make, even when the result is interned (a unit per 8 bytes): 200 x 7 KB is over the default budget, 5 x 7 KB is not (make mutants: builtins-case-work, builtins-rep-work)
--- rule
return {
    trigger = function(r)
        local s = string.rep("A", 7000)
        local f = r.args.f
        for i = 1, tonumber(r.args.n) do
            if f == "lower" then
                local l = s:lower()
            elseif f == "upper" then
                local u = s:upper()
            else
                local x = string.rep("a", 7000)
            end
        end
        return "s1"
    end
}
--- request eval
["GET /?f=lower&n=5", "GET /?f=lower&n=200", "GET /?f=upper&n=200",
 "GET /?f=rep&n=5", "GET /?f=rep&n=200"]
--- response_body_like eval
[qr{^<html><body>hi<script [^>]*data-cx-survey="s1"},
 qr{^<html><body>hi</body></html>\n\z}, qr{^<html><body>hi</body></html>\n\z},
 qr{^<html><body>hi<script [^>]*data-cx-survey="s1"},
 qr{^<html><body>hi</body></html>\n\z}]
--- fails: budget=3
--- error_log eval
qr{r34\.lua:\d+: instruction budget of 100000 exceeded}
