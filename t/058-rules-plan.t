# Lua trigger rules: trigger(r) run by C, without the VM (a "plan",
# ngx_http_cx_lua_plan.c).  The sandbox translates trigger's bytecode
# when the file loads; C runs it, and gives up -- the VM runs the call --
# at anything it does not know.  Whatever a plan decides, the VM must
# decide too: every condition below runs planned at /p/N and in the VM
# at /v/N (the same rule, made to give up at once), for three visitors,
# and the surveys must be the same.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get);

our $PAGE = "<html><body>hi</body></html>\n";

# what the conditions test, in a rule: "yes" when it holds, else "no"
our @COND = (
    'r.header["X-A"] == "one"',
    'r.header.x_a == "one"',
    'r.header["X-Missing"] == nil',
    'r.header["x-a"] ~= "ONE"',
    'r.cookie.c == "cv"',
    'not r.cookie.missing',
    'r.cookie["C"]',
    'r.resp_header["Content-Type"] == "text/html"',
    'r.resp_header["Content-Length"] == "29"',
    'r.resp_header["X-None"]',
    'r.method == "GET"',
    'r.host == "localhost"',
    'r.query == "a=1"',
    'r.status == 200',
    'r.scheme == "http"',
    'r.uri ~= nil',
    'r.touchpoint == nil',
    'r.visitor.views >= 3',
    'r.visitor.views > 3',
    'r.visitor.views <= 3',
    'r.visitor.views < 3',
    'r.visitor.sessions == 2',
    'r.visitor.new',
    'r.visitor.id == "Abc_def-0123456789"',
    'r.visitor.days_since_shown == 1',
    'r.visitor.days_since_answered == nil',
    'r.time.hour >= 0 and r.time.hour < 24',
    'r.time.wday >= 1 and r.time.minute < 60',
    'r.time.year > 2000 and r.time.month <= 12 and r.time.day >= 1',
    'r.time.date ~= "" and r.time.epoch > 0',
    'r.time.offset == 7200',
    'cx.weekday(r) ~= cx.weekend(r)',
    'cx.business_hours(r, 0, 24) == cx.weekday(r)',
    'cx.business_hours(r)',
    'cx.cooled_down(r, 3)',
    'cx.cooled_down(r, 0)',
    'cx.cooled_down(r, 3, 0)',
    'cx.shown_within(r, 2)',
    'cx.answered_within(r, 5)',
    'cx.sample(0.5, "k")',
    'cx.sample(1)',
    'cx.sample(0)',
    'cx.sample(0.999, "bench") and r.visitor.views >= 2',
    'local h = r.header; h["X-A"] == "one"',
    'r.header[r.cookie.c or "x"] == nil',
    'r.header == r.header',
    'r.header ~= r.cookie',
    'cx.sample == cx.sample',
    'local s = cx.sample; s ~= cx.weekday',
    '(0/0) < 1',
    'not ((0/0) >= 1)',
    'r.visitor.days_since_shown and r.visitor.days_since_shown < 2',
    'r.visitor.views or false',
    'r.header["X-A"] and r.cookie.c',
    # the VM's errors: the plan gives up, the VM says
    'r.visitor.views > "2"',
    'cx.cooled_down(r, "3")',
    'r.nosuchfield',
    'r.time.nosuch',
    'r.header["X-A"]:upper() == "ONE"',
    '#r.method == 3',
    'cx.number(r.header["X-N"]) == 5',
    'r.args.a == "1"',
    # empty strings, one of them without any data
    'r.visitor.id == ""',
    'r.header["X-A"] ~= ""',
    # a call whose result is not used still checks its arguments
    'local _ = cx.cooled_down(r, "x"); true',
    'local _ = cx.shown_within(r, 1); r.method == "GET"',
    'cx.cooled_down(r, "x"); true',
    'cx.business_hours(r, {}); true',
    'cx.weekday(r); r.method == "GET"',
    # reads made for r, of another table: as any other read
    'cx.path == nil',
    'cx.header.x == nil',
    'cx.visitor.views == 1',
    '(r.visitor or r).views >= 3',
    'local t = r.header; t.method == nil',
    'local t = r.time; t.hour >= 0 and t.date ~= ""',
    'r.visitor.path == nil',
    # "not (a < b)" and "not (a <= b)" are the plan's lt and le (ISLT,
    # ISLE); the forms above reach only ge and gt (make mutants: plan-lt,
    # plan-le)
    'not (r.visitor.views < 3)',
    'not (r.visitor.views <= 3)',
    'not (3 < r.visitor.views)',
    'not (3 <= r.visitor.views)',
    'not (r.visitor.views > 3) and not (r.visitor.views >= 3)',
    'not ((0/0) < 1)',
    'not ((0/0) <= 1)',
    # and each at the boundary, where < and <= differ (plan-ge, plan-le)
    'r.status >= 200',
    'r.status > 200',
    'r.status <= 200',
    'r.status < 200',
    'not (r.status < 200)',
    'not (r.status <= 200)',
    'not (200 < r.status)',
    'not (200 <= r.status)',
    # a copy (MOV) and nils into slots that held values (KNIL)
    'local m = r.method; local n = m; n == "GET" and m == n',
    'do local a, b = r.method, r.host end local c, d; c == nil and d == nil',
    # "or" and "and" as values (ISTC, ISFC), "not" as a value (NOT)
    'local x = r.header["X-A"] or "none"; x == "one"',
    'local y = r.cookie.c and "has"; y == "has"',
    'local h = r.header["X-A"]; local y = h or "none"; y == "one"',
    'local c = r.cookie.c; local z = c and "has"; z == "has"',
    'local n = not r.cookie.c; n == true',
    'local t = r.time; local o = t.offset; o == 7200',
    # a bare return (RET0): no survey, whatever the slots hold
    'local s = "yes" if r.method == "GET" then return end; true',
    'local s = r.method if s == "GET" then return end; true',
);

our @VISITORS;
{
    use POSIX ();
    my $yesterday = POSIX::strftime('%Y%m%d', gmtime(time - 86400));
    my $today = POSIX::strftime('%Y%m%d', gmtime);
    @VISITORS = (
        [ 'X-A: one', 'X-N: $5.00',
          "Cookie: c=cv; cx_v=1.Abc_def-0123456789.4.2.$yesterday.0" ],
        [ ],
        [ 'x-a: ONE', "Cookie: cx_v=1.Zz9Yy8Xx7Ww6Vv5Uu4T.1.1.$today.$today; C=1" ],
    );
}

sub rule {
    my ($cond, $vm) = @_;
    my $give_up = $vm ? "local _ = {}\n    " : '';
    # "statement; condition"
    my $test = $cond =~ /^(.*); (.*)$/ ? "$1\n    if $2" : "if $cond";
    return "return { trigger = function(r)\n    $give_up$test then return \"yes\" end\n"
           . "    return \"no\"\nend }\n";
}

sub survey {
    my ($r) = @_;
    return "status $r->{status}" unless ($r->{status} // 0) == 200;
    my ($s) = ($r->{body} // '') =~ /data-cx-survey="([^"]*)"/;
    return $s // '(none)';
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n"
                                     . "cx_rules_time_zone +02:00;\n")
        unless defined $block->http_config;
    $block->set_value('config', "cx_survey s1 type=nps;\n"
                                . "cx_survey yes type=csat;\n"
                                . "cx_survey no type=ces;\n"
                                . "default_type text/html;\n"
                                . $block->config);

    add_user_file($block, 'index.html', $PAGE);
});

run_tests();

__DATA__

=== TEST 1: which trigger functions get a plan
--- config
location = /a { cx_rules_lua $TEST_NGINX_HTML_DIR/a.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /b { cx_rules_lua $TEST_NGINX_HTML_DIR/b.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /c { cx_rules_lua $TEST_NGINX_HTML_DIR/c.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /d { cx_rules_lua $TEST_NGINX_HTML_DIR/d.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
--- user_files
>>> a.lua
-- reads, compares, a helper: planned
local sample = cx.sample
return { trigger = function(r)
    if r.header.DNT == "1" then return nil end
    if sample(0.5, "a") then return "s1" end
end }
>>> b.lua
-- a vararg function: not planned
return { trigger = function(...) return "s1" end }
>>> c.lua
-- a loop: planned, and the loop gives up
return { trigger = function(r)
    for i = 1, 2 do end
    return "s1"
end }
>>> d.lua
-- an upvalue holding a helper C does not run: planned, giving up there
local route = cx.route
return { trigger = function(r)
    if r.path == "/x" then return route(r.path, {}) end
    return "s1"
end }
--- request eval
["GET /a", "GET /b", "GET /c", "GET /d"]
--- response_body_like eval
["^<html>", 'data-cx-survey="s1"', 'data-cx-survey="s1"', 'data-cx-survey="s1"']
--- error_log eval
[qr{a\.lua": writes only its own tables, fast r, trigger\(r\) planned},
 qr{b\.lua": [^\n]*, trigger\(r\) not planned},
 qr{c\.lua": [^\n]*, trigger\(r\) planned},
 qr{d\.lua": [^\n]*, trigger\(r\) planned}]



=== TEST 2: a plan and the VM decide the same
--- http_config
cx_rules_check off;
--- config eval
CORE::join "", map {
    "location = /p/$_ { cx_rules_lua \$TEST_NGINX_HTML_DIR/p$_.lua; alias \$TEST_NGINX_HTML_DIR/index.html; }\n"
    . "location = /v/$_ { cx_rules_lua \$TEST_NGINX_HTML_DIR/v$_.lua; alias \$TEST_NGINX_HTML_DIR/index.html; }\n"
} 0 .. $#main::COND
--- user_files eval
[ map { ([ "p$_.lua", main::rule($main::COND[$_], 0) ],
         [ "v$_.lua", main::rule($main::COND[$_], 1) ]) } 0 .. $#main::COND ]
--- check
my (%seen, @differ);
for my $i (0 .. $#main::COND) {
    for my $k (0 .. $#main::VISITORS) {
        my @h = @{ $main::VISITORS[$k] };
        # a visitor without an id draws at random in both
        next if $k == 1 && $main::COND[$i] =~ /sample\(0\.[0-9]/;
        my $p = ::survey(::get("/p/$i?a=1", @h));
        my $v = ::survey(::get("/v/$i?a=1", @h));
        $seen{$p}++;
        push @differ, "$main::COND[$i] (visitor $k): plan $p, VM $v"
            if $p ne $v;
    }
}
is_deeply(\@differ, [], 'every condition decides the same');
ok($seen{yes} && $seen{no} && $seen{'(none)'},
   'conditions hold, fail and fail with an error');
my $log = Test::CX::block_log();
my $planned = () = $log =~ /trigger\(\) ran by its plan, without the VM/g;
my $gave_up = () = $log =~ /the plan of trigger\(\) gave up, the VM runs it/g;
cmp_ok($planned, '>', 3 * @main::COND / 2, "most calls at /p ran by their plan ($planned)");
cmp_ok($gave_up, '>', @main::COND, "the calls at /v and some at /p gave up ($gave_up)");
--- error_log eval
[qr{v54\.lua:3: attempt to compare (number with string|string with number)},
 qr{p54\.lua:2: attempt to compare (number with string|string with number)},
 qr{p56\.lua:2: r has no field "nosuchfield"},
 qr{p57\.lua:2: r.time has no field "nosuch"}]



=== TEST 3: what a plan returns: nil, false, true, an id, one not configured
--- http_config
cx_rules_check off;
--- config
cx_survey s2 type=nps;
location = /nil { cx_rules_lua $TEST_NGINX_HTML_DIR/nil.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /false { cx_rules_lua $TEST_NGINX_HTML_DIR/false.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /true { cx_rules_lua $TEST_NGINX_HTML_DIR/true.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /id { cx_rules_lua $TEST_NGINX_HTML_DIR/id.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /bad { cx_rules_lua $TEST_NGINX_HTML_DIR/bad.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /tail { cx_rules_lua $TEST_NGINX_HTML_DIR/tail.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /num { cx_rules_lua $TEST_NGINX_HTML_DIR/num.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /date { cx_rules_lua $TEST_NGINX_HTML_DIR/date.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
location = /len { cx_rules_lua $TEST_NGINX_HTML_DIR/len.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
--- user_files
>>> nil.lua
return { trigger = function(r) end }
>>> false.lua
return { trigger = function(r) return false end }
>>> true.lua
return { trigger = function(r) return r.method == "GET" end }
>>> id.lua
return { trigger = function(r) return "s2", "ignored" end }
>>> bad.lua
return { trigger = function(r) return "nosuch" end }
>>> tail.lua
return { trigger = function(r) return cx.weekday(r) or cx.weekend(r) end }
>>> num.lua
return { trigger = function(r) return r.status end }
>>> date.lua
-- strings the plan makes itself, returned: ids no cx_survey defines
return { trigger = function(r) return r.time.date end }
>>> len.lua
return { trigger = function(r) return r.resp_header["Content-Length"] end }
--- request eval
["GET /nil", "GET /false", "GET /true", "GET /id", "GET /bad", "GET /tail", "GET /num",
 "GET /date", "GET /len"]
--- response_body_like eval
["^<html><body>hi</body></html>\n\$", "^<html><body>hi</body></html>\n\$",
 'data-cx-survey="(s1|yes|no|s2)"', 'data-cx-survey="s2"',
 "^<html><body>hi</body></html>\n\$", 'data-cx-survey="(s1|yes|no|s2)"',
 "^<html><body>hi</body></html>\n\$", "^<html><body>hi</body></html>\n\$",
 "^<html><body>hi</body></html>\n\$"]
--- error_log eval
[qr{bad\.lua:1: trigger\(\) returned survey "nosuch"},
 qr{num\.lua:1: trigger\(\) returned a number: expected nil},
 qr{date\.lua:2: trigger\(\) returned survey "\d{4}-\d\d-\d\d", which no cx_survey defines},
 qr{len\.lua:1: trigger\(\) returned survey "29", which no cx_survey defines}]



=== TEST 4: a plan that mostly gives up rests, and the VM decides
--- config
location = /g { cx_rules_lua $TEST_NGINX_HTML_DIR/g.lua; alias $TEST_NGINX_HTML_DIR/index.html; }
--- user_files
>>> g.lua
return { trigger = function(r)
    local t = { "s1" }
    return t[1]
end }
--- request eval
[("GET /g") x 70]
--- response_body_like eval
[('data-cx-survey="s1"') x 70]
--- error_log
the plan of trigger() gives up too often, resting
