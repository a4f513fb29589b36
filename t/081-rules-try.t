# util/cx-rules-try: a rule file tried on described page views in a
# private nginx -- the touchpoint and survey chosen, the helpers called,
# the errors with file:line, what a case expects -- and the try mode it
# runs (cx_rules_try), which a configuration that counts cannot have.
#
# A block's "rule" and "cases" are the two files; "try_out" lines (regexes)
# must all be in what the command prints, "try_not" none of them, and it
# must exit with "try_exit" (0 by default).

use lib 't/lib';
use Test::CX;

sub try_block {
    my ($block) = @_;

    my $name = $block->name;
    my $dir = Test::CX::html_dir();
    my $rules = "$dir/rules.lua";

    Test::CX::write_file($rules, $block->rule);
    Test::CX::write_file("$dir/cases.test", $block->cases);

    local $ENV{ASAN_OPTIONS} = 'detect_leaks=0:abort_on_error=0:log_path='
                               . Test::CX::servroot() . '/logs/asan';
    local $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:log_path='
                                . Test::CX::servroot() . '/logs/ubsan';
    local $ENV{CX_NGINX} = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    local $ENV{CX_MODULE} = $ENV{TEST_NGINX_MODULE}
                            || 'build/ngx_http_cx_module.so';

    my $out = `util/cx-rules-try $rules $dir/cases.test 2>&1`;
    my $rc = $? >> 8;

    is($rc, $block->try_exit // 0, "$name - exit status") or diag($out);

    for my $re (@{ $block->try_out // [] }) {
        like($out, $re, "$name - prints $re");
    }

    for my $re (@{ $block->try_not // [] }) {
        unlike($out, $re, "$name - does not print $re");
    }

    return 1;
}

add_block_preprocessor(sub {
    my $block = shift;

    return unless defined $block->cases;

    $block->set_value('config', "location / { return 204; }\n");
    $block->set_value('check', 'main::try_block($block)');
});

run_tests();

__DATA__

=== TEST 1: what a rule chose and why: touchpoint, survey, each helper call with its line and values
--- rule
local TOUCHPOINTS = { { "/products/**", "product" }, { "/**", "other" } }

return {
    touchpoint = function(r)
        return (cx.route(r.path, TOUCHPOINTS))
    end,
    trigger = function(r)
        if r.touchpoint ~= "product" then return nil end
        if not cx.cooled_down(r, 30) then return nil end
        if cx.business_hours(r, 9, 18) then
            return { survey = "product_nps", delay = 5 }
        end
    end
}
--- cases
cx_rules_time_zone Europe/Paris;
cx_survey product_nps type=nps;

case a product page on a Wednesday morning
path /products/shoe
time 2025-04-02 10:15
--- try_out eval
[qr{cases\.test: 1 case of .*/rules\.lua\n},
 qr{\ncase 1: a product page on a Wednesday morning\n},
 qr{\n  request     GET /products/shoe, 2025-04-02 10:15:00 CEST, Wednesday\n},
 qr{\n  touchpoint  product\n},
 qr{\n  survey      product_nps, delay 5 s\n},
 qr{\n  rule        touchpoint\(\) returned "product"\n\s+trigger\(\) returned survey "product_nps", delay 5\n},
 qr{\n  helpers     .*/rules\.lua:5: cx\.route\("/products/shoe", \{\.\.\.\}\) = "product", "/products/\*\*"\n},
 qr{\n\s+.*/rules\.lua:9: cx\.cooled_down\(r, 30\) = true\n},
 qr{\n\s+.*/rules\.lua:10: cx\.business_hours\(r, 9, 18\) = true\n},
 qr{\n  errors      none\n},
 qr{\nok: 1 cases tried \(.*cases\.test\)\n}]



=== TEST 2: a failure at run time, with the rule file's line, and what a case expects of it
--- rule
return {
    trigger = function(r)
        local campaign = r.args.utm_campaign
        if campaign:lower() == "spring" then
            return "spring_nps"
        end
        return cx.sample(r.args.rate) and nil
    end
}
--- cases
cx_survey spring_nps type=nps;

case from the spring campaign
path /landing?utm_campaign=Spring
expect survey spring_nps

case without a campaign
path /landing
expect survey none
expect error rules.lua:4: attempt to index local 'campaign' (a nil value)

case without a campaign, and nothing said about the error
path /landing
expect survey none

case a helper's error has the rule's line too
path /landing?utm_campaign=autumn&rate=half
expect error rules.lua:7: bad argument #1 to 'cx.sample' (number expected)
--- try_exit: 1
--- try_out eval
[qr{\ncase 1: from the spring campaign\n(  .*\n)*  survey      spring_nps\n(  .*\n)*  errors      none\n  ok\n},
 qr{\ncase 4: .*\n(  .*\n)*  errors      .*/rules\.lua:7: bad argument #1 to 'cx\.sample' \(number expected\) \(in trigger\(\)\)\n  ok\n},
 qr{\ncase 2: without a campaign\n(  .*\n)*  errors      .*/rules\.lua:4: attempt to index local 'campaign' \(a nil value\) \(in trigger\(\)\)\n  ok\n},
 qr{\ncase 3: .*\n(  .*\n)*  FAIL        without a campaign, and nothing said about the error: an error no "expect error" line expects\n},
 qr{\nFAIL: 1 of 4 cases not as expected \(.*cases\.test\)\n}]



=== TEST 3: the rules' clock is the case's: r.time, os.time, os.date and the visitor's days
--- rule
return {
    trigger = function(r)
        return { survey = "s1",
                 question = r.time.date .. " " .. r.time.hour .. " "
                            .. r.time.wday .. " " .. os.date("!%Y-%m-%d %H:%M", os.time())
                            .. " " .. r.visitor.days_since_shown
                            .. " " .. r.visitor.views }
    end
}
--- cases
cx_rules_time_zone utc;
cx_survey s1 type=nps;

case a Monday
time 2025-03-31 09:30
visitor views=7 shown=2025-03-25
expect question 2025-03-31 9 1 2025-03-31 09:30 6 7

case another zone, given with the time
time 2031-12-31 23:59+02:00
visitor shown=3
expect question 2031-12-31 21 3 2031-12-31 21:59 3 0

case seconds since the epoch
time @86400
visitor shown=never answered=never
expect error attempt to concatenate field 'days_since_shown' (a nil value)
--- try_out eval
[qr{\nok: 3 cases as expected \(.*cases\.test\)\n}]



=== TEST 4: every print and failure of a case is shown: no rate limit in try mode
--- rule
return {
    trigger = function(r)
        for i = 1, 25 do print("line", i) end
        return "s1"
    end
}
--- cases
cx_survey s1 type=nps;
case one
case two
--- try_out eval
[qr{\n  prints      .*/rules\.lua:3: line\t1\n},
 qr{\n              .*/rules\.lua:3: line\t25\n(.*\n)+              .*/rules\.lua:3: line\t25\n}]
--- try_not eval
[qr{left out}]



=== TEST 5: nginx -t first: a file it refuses is shown with each mistake's line, and no case runs
--- rule
return {
    trigger = function(r)
        if r.visitor.view > 2 then return "product_NPS" end
        if cx.business_hours(r, "9:00", "17:00") then return nil end
        if r.args("utm_source") == "email" then return nil end
        return "nosuch"
    end
}
--- cases
cx_survey s1 type=nps;
case any
expect survey s1
--- try_exit: 1
--- try_out eval
[qr{cases\.test: nginx -t refuses .*/rules\.lua:\n},
 qr{\n  cx_rules_lua ".*/rules\.lua": .*/rules\.lua:3: r\.visitor has no field "view"},
 qr{\n  .*/rules\.lua:3: trigger\(\) returns "product_NPS", which is not a survey id},
 qr{\n  .*/rules\.lua:4: bad argument #2 to 'cx\.business_hours' \(a number expected, got string "9:00"\)},
 qr{\n  .*/rules\.lua:5: attempt to call r\.args \(not a function\): read it as r\.args\["utm_source"\]},
 qr{\n  .*/rules\.lua:6: trigger\(\) returns "nosuch", which no cx_survey defines},
 qr{\nFAIL: the rule file does not load, no case ran\n}]
--- try_not eval
[qr{\ncase 1}, qr{cx-rules-try-\w+/}]



=== TEST 6: headers, cookies, the host, the upstream's response headers, a visitor who is new
--- rule
return {
    touchpoint = function(r) return nil end,
    trigger = function(r)
        return { survey = "s1",
                 question = table.concat({ r.host, r.header.x_test,
                     r.cookie.plan, r.resp_header["X-Order-Value"],
                     tostring(r.visitor.new), r.args.q, r.path }, "|") }
    end
}
--- cases
cx_survey s1 type=nps;
cx_touchpoint landing;

case everything at once
path /a%20b/c d?q=x+y
host Shop.Example.COM
header X-Test: hello
cookie plan=gold
response X-Order-Value: $1,250.00
visitor new
expect question shop.example.com|hello|gold|$1,250.00|true|x y|/a b/c d
expect touchpoint landing
--- try_out eval
[qr{ok: 1 cases as expected}]



=== TEST 7: a file of cases that cannot be read says where
--- rule
return { trigger = function(r) return nil end }
--- cases
case one
pth /
--- try_exit: 2
--- try_out eval
[qr{cx-rules-try: .*cases\.test:2: unknown line "pth" \(case, path, host, header, cookie, visitor, time, response, expect\)}]



=== TEST 8: cx_rules_try is refused where anything is counted
--- http_config
cx_rules_try on;
cx_redis 127.0.0.1:1;
--- config
location / { cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua; }
--- user_files
>>> r.lua
return { trigger = function(r) return nil end }
--- must_die
--- error_log
"cx_rules_try" is for the private nginx of util/cx-rules-try only: it cannot be used with "cx_redis", "cx_collect" or "cx_score"



=== TEST 9: without cx_rules_try the clock header means nothing, and helpers are not logged
--- http_config
cx_rules_time_zone utc;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return { trigger = function(r)
    cx.weekday(r)
    return { survey = "s1", question = r.time.date }
end }
>>> index.html
<html><body>hi</body></html>
--- request
GET /
--- more_headers
X-CX-Try-Time: 86400
--- response_body_unlike
1970-01-02
--- response_body_like
data-cx-question="20\d\d-
--- no_error_log
cx rules try:



=== TEST 10: with it, the clock header is the rules' clock, and nginx -t says it is on
--- http_config
cx_rules_time_zone utc;
cx_rules_try on;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return { trigger = function(r)
    cx.weekday(r)
    return { survey = "s1", question = r.time.date }
end }
>>> index.html
<html><body>hi</body></html>
--- request
GET /
--- more_headers
X-CX-Try-Time: 86400
--- response_body_like
data-cx-question="1970-01-02"
--- error_log eval
[qr{cx rules try: .*r\.lua:2: cx\.weekday\(r\) = true},
 qr{cx rules try: trigger\(\) returned survey "s1", question "1970-01-02"}]
--- check
my ($rc, $out) = Test::CX::run_nginx('-t');
like($out, qr{\[warn\] .*"cx_rules_try" is on: .*never in production}, 'nginx -t says so');
