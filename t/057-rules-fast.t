# Lua trigger rules: the fast r.  A rule file whose functions store only
# into tables they make themselves (the sandbox checks the bytecode when
# the file loads) gets, in trigger(r), an r whose views are plain fields
# and whose r.time is a table of data: one table read less per view.
# Every other file, and every touchpoint(r), gets the r of empty tables.
# Both must read the same, and nothing a fast file can run may write r.
#
# A rule reports which r it got with rawget(r, "header"): the view in the
# fast r, nil in the other.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get question);

our $PAGE = "<html><body>hi</body></html>\n";

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', "cx_survey s1 type=nps;\n" . $block->config);

    add_user_file($block, 'index.html', $PAGE);
});

run_tests();

__DATA__

=== TEST 1: which files get the fast r
--- config
default_type text/html;
location = /f1 { cx_rules_lua $TEST_NGINX_HTML_DIR/f1.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /f2 { cx_rules_lua $TEST_NGINX_HTML_DIR/f2.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /f3 { cx_rules_lua $TEST_NGINX_HTML_DIR/f3.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /f4 { cx_rules_lua $TEST_NGINX_HTML_DIR/f4.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /f5 { cx_rules_lua $TEST_NGINX_HTML_DIR/f5.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s1 { cx_rules_lua $TEST_NGINX_HTML_DIR/s1.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s2 { cx_rules_lua $TEST_NGINX_HTML_DIR/s2.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s3 { cx_rules_lua $TEST_NGINX_HTML_DIR/s3.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s4 { cx_rules_lua $TEST_NGINX_HTML_DIR/s4.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s5 { cx_rules_lua $TEST_NGINX_HTML_DIR/s5.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s6 { cx_rules_lua $TEST_NGINX_HTML_DIR/s6.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /s7 { cx_rules_lua $TEST_NGINX_HTML_DIR/s7.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
--- user_files
>>> f1.lua
-- no store at all
return { trigger = function(r)
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
>>> f2.lua
-- a list built in a loop, a table constructor with a call's results
local function which(r) return rawget(r, "header") and "fast" or "slow" end
return { trigger = function(r)
    local t = {}
    for i = 1, 3 do t[#t + 1] = i end
    local u = { which(r), select(2, 1, 2) }
    return { survey = "s1", question = u[1] .. #t }
end }
>>> f3.lua
-- stores on either branch into the same new table, a local reused for
-- another new table
return { trigger = function(r)
    local t = {}
    if r.path == "/f3" then t.a = "fast" else t.b = 1 end
    t = {}
    t.x = rawget(r, "header") and "fast" or "slow"
    return { survey = "s1", question = t.x }
end }
>>> f4.lua
-- file-level locals assigned by the rule (they are put back before each
-- call) and a closure that only reads
local seen = 0
local M = {}
function M.trigger(r)
    seen = seen + 1
    local function q() return rawget(r, "header") and "fast" or "slow" end
    return { survey = "s1", question = q() }
end
return M
>>> f5.lua
-- table.insert into its own table is a call, not a store
return { trigger = function(r)
    local t = {}
    table.insert(t, rawget(r, "header") and "fast" or "slow")
    return { survey = "s1", question = t[1] }
end }
>>> s1.lua
-- a function that stores into its argument, even never called
local function set(t) t.x = 1 end
return { trigger = function(r)
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
>>> s2.lua
-- a local that held another value
return { trigger = function(r)
    local t = {}
    t = r.args
    if r.path == "/never" then t.x = 1 end
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
>>> s3.lua
-- a store into what a call returned
return { trigger = function(r)
    local t = setmetatable({}, {})
    t.x = rawget(r, "header") and "fast" or "slow"
    return { survey = "s1", question = t.x }
end }
>>> s4.lua
-- a closure that assigns the function's local
return { trigger = function(r)
    local t = {}
    local function swap() t = {} end
    swap()
    t.x = rawget(r, "header") and "fast" or "slow"
    return { survey = "s1", question = t.x }
end }
>>> s5.lua
-- a store into an upvalue's table (a file-level table: frozen anyway)
local LIST = {}
return { trigger = function(r)
    if r.path == "/never" then LIST.x = 1 end
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
>>> s6.lua
-- a store into a loop's value
return { trigger = function(r)
    local rows = { {}, {} }
    for _, row in ipairs(rows) do row.x = 1 end
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
>>> s7.lua
-- a store into r's table (the r of empty tables says: read-only)
return { trigger = function(r)
    if r.args.w then r.time.hour = 1 end
    return { survey = "s1", question = rawget(r, "header") and "fast" or "slow" }
end }
--- request eval
[(map { "GET /$_" } qw(f1 f2 f3 f4 f5 s1 s2 s3 s4 s5 s6 s7)), "GET /s7?w=1"]
--- response_body_like eval
['data-cx-question="fast"', 'data-cx-question="fast3"',
 ('data-cx-question="fast"') x 3, ('data-cx-question="slow"') x 7,
 "^<html><body>hi</body></html>\n\$"]
--- error_log eval
qr{s7\.lua:3: r is read-only}



=== TEST 2: every field reads the same in both shapes of r
--- config
location = /a.html {
    cx_rules_lua $TEST_NGINX_HTML_DIR/fast.lua;
}
location = /b.html {
    cx_rules_lua $TEST_NGINX_HTML_DIR/slow.lua;
}
--- user_files eval
my $read = <<'EOF';
local function all(r)
    local v, t = r.visitor, r.time
    return table.concat({ rawget(r, "header") and "fast" or "slow",
        r.path, r.uri, r.query, tostring(r.args.a), r.method, r.host,
        r.scheme, tostring(r.status), tostring(r.touchpoint),
        tostring(r.header["X-A"]), tostring(r.header.x_a),
        tostring(r.header.missing), tostring(r.cookie.c),
        tostring(r.cookie.missing), tostring(r.resp_header["Content-Type"]),
        tostring(v.id), v.views, v.sessions, tostring(v.new),
        tostring(v.days_since_shown), tostring(v.days_since_answered),
        t.year, t.month, t.day, t.hour, t.minute, t.wday, t.date, t.epoch,
        t.offset, tostring(cx.weekday(r)), tostring(cx.cooled_down(r, 3)),
        tostring(cx.sample(0.5, "k")) }, "|")
end
EOF
[["fast.lua", $read . 'return { trigger = function(r) return { survey = "s1", question = all(r) } end }'],
 ["slow.lua", $read . 'local function set(t) t.x = 1 end' . "\n"
              . 'return { trigger = function(r) return { survey = "s1", question = all(r) } end }'],
 ["a.html", $main::PAGE], ["b.html", $main::PAGE]]
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_time_zone +02:00;
--- request
GET /a.html
--- check
use POSIX ();
my $yesterday = POSIX::strftime('%Y%m%d', gmtime(time - 86400));
my @h = ('X-A: one', "Cookie: c=cv; cx_v=1.Abc_def-0123456789.4.2.$yesterday.0");
my (@fast, @slow);
for (1 .. 3) {
    my $f = ::question(::get('/a.html?a=1&b=2', @h)->{body});
    my $s = ::question(::get('/b.html?a=1&b=2', @h)->{body});
    @fast = split /\|/, $f, -1;
    @slow = split /\|/, $s, -1;
    # the same second, or try again
    last if @fast == 34 && @slow == 34 && $fast[29] eq $slow[29];
}
is($fast[0], 'fast', 'the first file gets the fast r');
is($slow[0], 'slow', 'the second gets the other');
is(scalar @fast, 34, 'all fields read');
s{^/b\.html$}{/a.html} for @slow[1, 2];
is_deeply([ @fast[1 .. $#fast] ], [ @slow[1 .. $#slow] ],
          'the same values: ' . join('|', @fast[1 .. $#fast]));
is($fast[17], '4', 'visitor views');
is($fast[19], 'false', 'not a new visitor');
is($fast[30], '7200', 'the time zone\'s offset');
is($fast[32], 'false', 'not cooled down 3 days after a survey yesterday');



=== TEST 3: nothing reaches r through a metatable
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/m.lua;
}
--- user_files
>>> m.lua
local M = {}
function M.trigger(r)
    local w = r.args.w
    local before = type(r.header) .. "/" .. type(r.time) .. "/"
                   .. tostring(r.time.hour == nil)
    if w == "r" then setmetatable({}, { __newindex = r }) end
    if w == "header" then setmetatable({}, { __newindex = r.header }) end
    if w == "time" then setmetatable({}, { __newindex = r.time }) end
    if w == "visitor" then setmetatable({}, { __newindex = r.visitor }) end
    if w == "late" then
        -- the metatable is copied: what changes in mt later does not count
        local mt, t = {}, {}
        setmetatable(t, mt)
        mt.__newindex = r
        mt.__index = function() return "late" end
        t.header = "x"
        t.time = "y"
        return { survey = "s1", question = before .. "|" .. tostring(t.nope)
                 .. "|" .. (rawget(r, "header") and "fast" or "slow") }
    end
    return { survey = "s1", question = before .. "|"
             .. (rawget(r, "header") and "fast" or "slow") }
end
return M
--- request eval
["GET /?w=r", "GET /?w=header", "GET /?w=time", "GET /?w=visitor",
 "GET /?w=late", "GET /"]
--- response_body_like eval
[("^<html><body>hi</body></html>\n\$") x 4,
 'data-cx-question="table/table/false\|nil\|fast"',
 'data-cx-question="table/table/false\|fast"']
--- error_log eval
[qr{m\.lua:6: bad argument #2 to 'setmetatable' \(__newindex is r or one of its tables, which are read-only\)},
 qr{m\.lua:7: bad argument #2 to 'setmetatable'},
 qr{m\.lua:8: bad argument #2 to 'setmetatable'},
 qr{m\.lua:9: bad argument #2 to 'setmetatable'}]



=== TEST 4: the fast r.time is of this second, and a typo in it is an error
--- http_config
cx_rules_check off;
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/t.lua;
}
--- user_files
>>> t.lua
return { trigger = function(r)
    if r.args.typo then return { survey = "s1", question = r.time.huor } end
    return { survey = "s1", question = (rawget(r, "header") and "fast" or "slow")
             .. "|" .. r.time.epoch }
end }
--- request
GET /
--- check
my $q1 = ::question(::get('/')->{body});
select(undef, undef, undef, 1.2);
my $q2 = ::question(::get('/')->{body});
my ($f1, $e1) = split /\|/, $q1;
my ($f2, $e2) = split /\|/, $q2;
is($f1, 'fast', 'the fast r');
ok(abs($e1 - time) <= 3, "epoch $e1 is now");
ok($e2 > $e1, "a second later: $e2 > $e1");
my $r = ::get('/?typo=1');
is($r->{status}, 200, 'a typo: the page is served');
unlike($r->{body}, qr/data-cx-survey/, 'no survey');
--- error_log eval
qr{t\.lua:2: r\.time has no field "huor"}



=== TEST 5: r.touchpoint is a plain field when known without a call, and never one of another page
--- config
default_type text/html;
location = /a { cx_touchpoint tp_a; cx_rules_lua $TEST_NGINX_HTML_DIR/x.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /b { cx_rules_lua $TEST_NGINX_HTML_DIR/x.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /c { cx_touchpoint tp_c; cx_rules_lua $TEST_NGINX_HTML_DIR/y.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /d { cx_rules_lua $TEST_NGINX_HTML_DIR/y.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /m { cx_rules_lua $TEST_NGINX_HTML_DIR/m.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
--- user_files
>>> x.lua
-- reads r.touchpoint: it is set into the fast r before the call
return { trigger = function(r)
    return { survey = "s1", question = tostring(rawget(r, "touchpoint"))
             .. "|" .. tostring(r.touchpoint) }
end }
>>> y.lua
-- reads it by a key made at run time: the field is never set for it
local key = "touch"
return { trigger = function(r)
    return { survey = "s1", question = tostring(rawget(r, key .. "point"))
             .. "|" .. tostring(r[key .. "point"]) }
end }
>>> m.lua
-- touchpoint(r) from the path: the first view calls it (no field yet),
-- the next take it from the memo (the field)
local M = {}
function M.touchpoint(r) return r.path == "/m" and "tp_m" or nil end
function M.trigger(r)
    return { survey = "s1", question = tostring(rawget(r, "touchpoint"))
             .. "|" .. tostring(r.touchpoint) }
end
return M
--- request eval
["GET /a", "GET /b", "GET /c", "GET /a", "GET /d", "GET /m", "GET /m"]
--- response_body_like eval
['data-cx-question="tp_a\|tp_a"', 'data-cx-question="nil\|nil"',
 'data-cx-question="nil\|tp_c"', 'data-cx-question="tp_a\|tp_a"',
 'data-cx-question="nil\|nil"', 'data-cx-question="nil\|tp_m"',
 'data-cx-question="tp_m\|tp_m"']
