# Lua patterns in rules: string.find, match, gmatch and gsub give what
# LuaJIT's string library gives (expected values below come from stock
# LuaJIT 2.1), end within a bound on their steps that the budget
# enforces, and cannot take the worker down by calling back into Lua.
#
# A block's "rule" is the rule file; "fails" names the metric's reason
# (error, result, budget, memory) and the error_log line is expected.
# A rule that returns { survey = "s1", question = q } shows q in the tag.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(rule_block);
use Time::HiRes ();

our $PAGE = "<html><body>hi</body></html>\n";

# the CPU time (user + system) the workers have used, in milliseconds
sub worker_cpu_ms {
    no warnings;
    my $ticks = 0;
    for my $pid (Test::CX::worker_pids()) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh>;
        close $fh;
        $stat =~ s/^.*\) //;
        my @f = split / /, $stat;
        $ticks += $f[11] + $f[12];
    }
    return $ticks * 1000 / 100;
}

add_block_preprocessor(\&rule_block);

run_tests();

__DATA__

=== TEST 1: gsub calling itself from its replacement function: an error, no crash
--- rule
local M = {}
function M.trigger(r)
  local function f() string.gsub("a", "a", f) return "b" end
  string.gsub("a", "a", f)
end
return M
--- request eval
["GET /", "GET /"]
--- response_body eval
[$::PAGE, $::PAGE]
--- fails: error=2
--- error_log eval
qr{no survey: \S+/r1\.lua:3: C functions nested too deep \(more than 16 levels\)}



=== TEST 2: the same at a file's top level: nginx -t fails with a message
--- rule
local function f() string.gsub("a", "a", f) return "b" end
string.gsub("a", "a", f)
return { trigger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{\[emerg\].*cx_rules_lua ".*/r2\.lua": .*r2\.lua:1: C functions nested too deep \(more than 16 levels\)}



=== TEST 3: a replacement table whose __index calls gsub with it again
--- rule
local M = {}
function M.trigger(r)
  local t = {}
  setmetatable(t, { __index = function(_, k) return (("x"):gsub("x", t)) end })
  return { survey = "s1", question = (("ab"):gsub("a", t)) }
end
return M
--- fails: error
--- error_log eval
qr{no survey: \S+/r3\.lua:4: C functions nested too deep \(more than 16 levels\)}



=== TEST 4: a replacement table's __index and a replacement function work
--- rule
local up = setmetatable({}, { __index = function(_, k) return k:upper() end })
return {
  trigger = function(r)
    local a = ("one two"):gsub("%a+", up)
    local b = ("one two"):gsub("(%a)(%a*)", function(x, y) return y .. x end)
    local c = ("k=v"):gsub("(%w+)=(%w+)", function(k, v)
                             return (v:gsub(".", function(ch) return ch .. ch end)) end)
    return { survey = "s1", question = table.concat({ a, b, c }, "|") }
  end
}
--- response_body_like
data-cx-question="ONE TWO\|neo wot\|vv"



=== TEST 5: gmatch in a loop, and nested in gsub's function
--- rule
return {
  trigger = function(r)
    local n, words = 0, {}
    for i = 1, 50 do
      for w in ("a bb ccc"):gmatch("%a+") do n = n + #w end
    end
    local s = ("x=1,2;y=3"):gsub("(%w)=([%d,]+)", function(k, v)
      local sum = 0
      for d in v:gmatch("%d") do sum = sum + d end
      return k .. sum
    end)
    for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do words[#words + 1] = k .. v end
    return { survey = "s1", question = n .. " " .. s .. " " .. table.concat(words, ",") }
  end
}
--- response_body_like
data-cx-question="300 x3;y3 a1,b2"



=== TEST 6: find, match and gsub give what LuaJIT gives
--- rule
local function ser(...)
  local t = {}
  for i = 1, select("#", ...) do
    local v = select(i, ...)
    t[i] = type(v) == "string" and ("%q"):format(v):gsub("\\\n", "\\n")
           or tostring(v)
  end
  return table.concat(t, ",")
end

return {
  trigger = function(r)
    local bad, n = {}, 0
    local function t(want, f)
      n = n + 1
      local got = ser(f())
      if got ~= want then bad[#bad + 1] = n .. ": " .. got end
    end
    t("5,7", function() return ("hello world"):find("o w") end)
    t("3,4", function() return ("hello"):find("l+") end)
    t("3,3", function() return ("hello"):find("l", 1, true) end)
    t("2,2", function() return ("a.b"):find(".", 1, true) end)
    t("2,2", function() return ("a.b"):find(".", 2) end)
    t("4,4", function() return ("hello"):find("l", -2) end)
    t("3,3", function() return ("hello"):find("l", -100) end)
    t("6,5", function() return ("hello"):find("", 10) end)
    t("nil", function() return ("hello"):find("xyz", 2) end)
    t("1,9,\"key\",\"val\"", function() return ("key = val"):find("(%w+)%s*=%s*(%w+)") end)
    t("\"key\",\"val\"", function() return ("key = val"):match("(%w+)%s*=%s*(%w+)") end)
    t("3,5", function() return ("hello"):match("()ll()") end)
    t("\"ll\",\"o\"", function() return ("hello"):match(".-(l+)(.*)") end)
    t("6,10", function() return ("THE (quick) fox"):find("%f[%a]%a+%f[%A]", 5) end)
    t("\"quick\"", function() return ("THE (quick) fox"):match("%f[%l]%a+") end)
    t("\"(a(b)c)\"", function() return ("f(a(b)c)d"):match("%b()") end)
    t("\"[[a]b]\"", function() return ("x = [[a]b]]"):match("%b[]") end)
    t("nil", function() return ("((("):match("%b()") end)
    t("\"\\\"hi\\\"\"", function() return ("say \"hi\" now"):match("%b\"\"") end)
    t("\"a\",\"b\",\"c\"", function() return ("abc"):match("^(a)(b)(c)$") end)
    t("nil", function() return ("abc"):match("^b") end)
    t("\"c\"", function() return ("abc"):match("c$") end)
    t("\"a$b\"", function() return ("a$b"):match("a$b") end)
    t("\"a^b\"", function() return ("a^b"):match("a^b") end)
    t("\"ab\"", function() return ("abab"):match("(ab)%1") end)
    t("\"abc\",\"b\"", function() return ("abcabcb"):match("(a(b)c)%1%2") end)
    t("\"\",\"aaa\"", function() return ("aaab"):match("(a-)(a*)b") end)
    t("\"-12.5\"", function() return ("  -12.5 EUR"):match("^[^%d%-%.]*(%-?[%d%.]+)") end)
    t("\"]\"", function() return ("a]b"):match("[]]") end)
    t("\"a-z\"", function() return ("a-z"):match("[%a-]+") end)
    t("\"Ab1 _\"", function() return ("Ab1 _"):match("%u%l%d%s[_]") end)
    t("2,2", function() return ("x\0y"):find("%z") end)
    t("1,3", function() return ("x\0y"):find("x\0y") end)
    t("\"hell0 w0rld\",2", function() return ("hello world"):gsub("o", "0") end)
    t("\"hell0 world\",1", function() return ("hello world"):gsub("o", "0", 1) end)
    t("\"hello world\",0", function() return ("hello world"):gsub("o", "0", 0) end)
    t("\"hell owrold\",2", function() return ("hello world"):gsub("(o)(.)", "%2%1") end)
    t("\"aabbcc\",3", function() return ("abc"):gsub("%w", "%0%0") end)
    t("\"-a-b-c-\",4", function() return ("abc"):gsub("", "-") end)
    t("\"-a--c-\",4", function() return ("abc"):gsub("b*", "-") end)
    t("\"Xaa\",1", function() return ("aaa"):gsub("^a", "X") end)
    t("\"a%b\",1", function() return ("a.b"):gsub("%.", "%%") end)
    t("\"axc\",1", function() return ("abc"):gsub("b", "%x") end)
    t("\"a2c\",1", function() return ("abc"):gsub("()b", "%1") end)
    t("\"12c\",3", function() return ("abc"):gsub(".", { a = "1", b = true and "2" }) end)
    t("\"abc\",3", function() return ("abc"):gsub(".", { a = false }) end)
    t("\"aBc\",3", function() return ("abc"):gsub(".", function(c) if c == "b" then return "B" end end) end)
    t("\"777\",3", function() return ("abc"):gsub(".", function(c) return c == "a" and false or 7 end) end)
    t("\"1a22b\",2", function() return ("a1b22"):gsub("(%a)(%d+)", function(a, d) return d .. a end) end)
    t("\"1=x, 2=y\",2", function() return ("x=1, y=2"):gsub("(%w+)=(%w+)", "%2=%1") end)
    t("2,3,\"-\"", function() return ("x---"):find("(.--)%1") end)
    -- a malformed part that matching never reaches raises nothing
    t("nil", function() return ("b"):find("a%") end)
    t("nil", function() return ("b"):match("(a") end)
    t("nil", function() return ("b"):match("a[") end)
    return { survey = "s1", question = #bad == 0 and "all " .. n .. " as in LuaJIT"
                                       or table.concat(bad, "; ") }
  end
}
--- response_body_like
data-cx-question="all 54 as in LuaJIT"



=== TEST 7: errors where LuaJIT raises, saying what is wrong
--- rule
local cases = {
  function() local x = ("a"):find("%") end,
  function() local x = ("a"):find("[a") end,
  function() local x = ("a"):match("(a") end,
  function() local x = ("a"):match("a)") end,
  function() local x = ("a"):gsub("a", "%2") end,
  function() local x = ("a"):gsub("a", function() return {} end) end,
  function() local x = ("a"):match("%f") end,
  function() local x = ("a"):match("%b") end,
  function() local x = ("ab"):match("(a)%2") end,
  function() local x = ("a"):gsub("a", true) end,
}
return {
  trigger = function(r)
    cases[tonumber(r.args.e)]()
    return "s1"
  end
}
--- request eval
[map { "GET /?e=$_" } 1 .. 10]
--- response_body eval
[($::PAGE) x 10]
--- fails: error=10
--- error_log eval
[qr{r7\.lua:2: malformed pattern \(ends with '%'\)},
 qr{r7\.lua:3: malformed pattern \(missing '\]'\)},
 qr{r7\.lua:4: unfinished capture},
 qr{r7\.lua:5: malformed pattern \('\)' closes no capture\)},
 qr{r7\.lua:6: invalid capture index %2 in replacement string},
 qr{r7\.lua:7: invalid replacement value \(a table\)},
 qr{r7\.lua:8: malformed pattern \(%f needs a set},
 qr{r7\.lua:9: malformed pattern \(%b needs two characters},
 qr{r7\.lua:10: invalid capture index in pattern},
 qr{r7\.lua:11: bad argument #2 to 'gsub' \(string/function/table expected\)}]



=== TEST 8: LuaJIT's limits: nesting 200 deep, 32 captures
--- rule
return {
  trigger = function(r)
    if r.args.e == "depth" then
      local x = ("a"):rep(250):find(("a?"):rep(210))
    end
    local x = ("a"):match(("()"):rep(33))
    return "s1"
  end
}
--- request eval
["GET /?e=depth", "GET /?e=captures"]
--- response_body eval
[($::PAGE) x 2]
--- fails: error=2
--- error_log eval
[qr{r8\.lua:4: pattern too complex},
 qr{r8\.lua:6: malformed pattern \(more than 32 captures\)}]



=== TEST 9: a pathological pattern on 64 KB ends on the budget, quickly
Making a 64 KB string alone costs more than the default budget (its bytes
are charged, about 140,000 instructions), so the budget here is ten times
the default: enough to make the subject, far too little for the patterns.
--- location_config
cx_rules_budget 1000000;
--- rule
return {
  trigger = function(r)
    local s = ("a"):rep(65536)
    local w = r.args.w
    if w == "min" then return s:find(".-.-.-.-b") and "s1" end
    if w == "captures" then return s:match("((.-)(.-)(.-))b") and "s1" end
    if w == "balance" then return ("("):rep(65536):find("%b()") and "s1" end
    if w == "backref" then return s:find("(.-)%1b") and "s1" end
    return s:gsub(".-.-b", "") and "s1"
  end
}
--- request eval
["GET /?w=min", "GET /?w=captures", "GET /?w=balance", "GET /?w=backref",
 "GET /?w=gsub"]
--- response_body eval
[($::PAGE) x 5]
--- check
my ($n, $before) = (0, main::worker_cpu_ms());
for my $w (qw(min captures balance backref gsub)) {
    for (1 .. 4) {
        my $r = http_request("GET /?w=$w HTTP/1.0\r\nHost: localhost\r\n\r\n");
        $n++ if $r->{status} == 200;
    }
}
my $ms = (main::worker_cpu_ms() - $before) / 20;
diag("pathological patterns at a budget of 1000000: $ms ms of worker CPU per page view");
is($n, 20, "20 page views served");
ok($ms < 50, "under 50 ms of worker CPU per page view ($ms)");
--- fails: budget=25
--- error_log eval
[qr{r9\.lua:5: instruction budget of 1000000 exceeded},
 qr{r9\.lua:6: instruction budget of 1000000 exceeded},
 qr{r9\.lua:7: instruction budget of 1000000 exceeded},
 qr{r9\.lua:8: instruction budget of 1000000 exceeded},
 qr{r9\.lua:9: instruction budget of 1000000 exceeded}]



=== TEST 10: with a budget that lets them, the same patterns end: the bound holds
--- location_config
cx_rules_budget 100000000;
--- rule
return {
  trigger = function(r)
    local s = ("a"):rep(65536)
    local w = r.args.w
    local res
    if w == "min" then res = s:find(".-.-.-.-b") end
    if w == "captures" then res = s:match("((.-)(.-)(.-))b") end
    if w == "balance" then res = ("("):rep(65536):find("%b()") end
    if w == "gsub" then res = select(2, s:gsub(".-.-b", "")) end
    if w == "max" then res = s:find("a*a*a*a*b") end
    return { survey = "s1", question = w .. "=" .. tostring(res) }
  end
}
--- request eval
["GET /?w=min", "GET /?w=captures", "GET /?w=balance", "GET /?w=gsub", "GET /?w=max"]
--- response_body_like eval
[qr{data-cx-question="min=nil"}, qr{data-cx-question="captures=nil"},
 qr{data-cx-question="balance=nil"}, qr{data-cx-question="gsub=0"},
 qr{data-cx-question="max=nil"}]
--- check
my ($n, $before) = (0, main::worker_cpu_ms());
for my $w (qw(min captures balance gsub max)) {
    for (1 .. 4) {
        my $r = http_request("GET /?w=$w HTTP/1.0\r\nHost: localhost\r\n\r\n");
        $n++ if $r->{body} =~ /data-cx-question="$w=/;
    }
}
my $ms = (main::worker_cpu_ms() - $before) / 20;
diag("pathological patterns on 64 KB, to the end: $ms ms of worker CPU per page view");
is($n, 20, "20 page views with the pattern's answer");
ok($ms < 50, "under 50 ms of worker CPU per page view ($ms)");
