# Lua trigger rules, what a rule sees: every field of r.  Each rule puts
# what it read into the question of the survey it returns, and the test
# reads it back from the injected tag.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get question day);
use POSIX qw(strftime);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;

    my $files = $block->user_files // '';
    $block->set_value('user_files', "$files>>> index.html\n"
                      . "<html><body>hi</body></html>\n>>> page.html\n"
                      . "<html><body>page</body></html>\n");
});

run_tests();

__DATA__

=== TEST 1: path, uri, query, args, method, host, scheme, status
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r1.lua;
}
--- user_files
>>> r1.lua
return {
    trigger = function(r)
        return { survey = "s1", question = table.concat({
            r.path, r.uri, r.query, tostring(r.args.utm_source),
            tostring(r.args.q), tostring(r.args.missing), r.method,
            r.host, r.scheme, tostring(r.status) }, "|") }
    end
}
--- request
GET /?utm_source=news%20letter&q=a+b%26c&x=1
--- response_body_like
data-cx-question="/\|/index.html\|utm_source=news%20letter&amp;q=a\+b%26c&amp;x=1\|news letter\|a b&amp;c\|nil\|GET\|localhost\|http\|200"



=== TEST 2: the path is percent-decoded, without the arguments
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r2.lua;
}
--- user_files
>>> r2.lua
return { trigger = function(r) return { survey = "s1", question = r.path } end }
--- request
GET /pa%67e.html?x=%2F
--- response_body_like
data-cx-question="/page.html"



=== TEST 3: request headers, case-insensitive, "_" for "-"
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r3.lua;
}
--- user_files
>>> r3.lua
return {
    trigger = function(r)
        local h = r.header
        return { survey = "s1", question = table.concat({
            h["user-agent"], h.user_agent, h["USER-AGENT"], h["X-Lang"],
            h.x_lang, tostring(h.missing), tostring(h[1]) }, "|") }
    end
}
--- request
GET /
--- more_headers
User-Agent: Mozilla/5.0 (X11)
x-lang: fr-CH
--- response_body_like
data-cx-question="Mozilla/5.0 \(X11\)\|Mozilla/5.0 \(X11\)\|Mozilla/5.0 \(X11\)\|fr-CH\|fr-CH\|nil\|nil"



=== TEST 4: cookies, case-insensitive, the first of a name
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r4.lua;
}
--- user_files
>>> r4.lua
return {
    trigger = function(r)
        local c = r.cookie
        return { survey = "s1", question = table.concat({
            c.session, c.SESSION, c.plan, tostring(c.missing),
            tostring(c.sess), tostring(c[""]) }, "|") }
    end
}
--- request
GET /
--- more_headers
Cookie: session=abc123; plan=gold; session=second
Cookie: other=1
--- response_body_like
data-cx-question="abc123\|abc123\|gold\|nil\|nil\|nil"



=== TEST 4a: cookies as nginx's $cookie_ reads them: ";" or "," between, spaces around "="
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r4a.lua;
}
--- user_files
>>> r4a.lua
return {
    trigger = function(r)
        local c = r.cookie
        return { survey = "s1", question = table.concat({
            c.a, c.b, c.c, c.d, c.e, tostring(c.ab), tostring(c.f),
            tostring(c.g) }, "|") }
    end
}
--- request
GET /
--- more_headers
Cookie: ab; a = 1,b=two words;c=;  d=x=y;e=last;
Cookie: f
--- response_body_like
data-cx-question="1,b=two words\|two words\|\|x=y\|last\|nil\|nil\|nil"



=== TEST 5: the response's status and headers (from an upstream)
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r5.lua;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/4096/page.html?header=X-Order-Value:1%2C250.00&header=X-CX-Event:bought&type=text/html%3B%20charset%3Dutf-8;
}
--- user_files
>>> r5.lua
return {
    trigger = function(r)
        local h = r.resp_header
        return { survey = "s1", question = table.concat({
            tostring(r.status), h["X-Order-Value"], h.x_order_value,
            h["content-type"], h["Content-Length"],
            tostring(h["X-CX-Event"]), tostring(h.missing) }, "|") }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="200\|1,250.00\|1,250.00\|text/html; charset=utf-8\|31\|nil\|nil"



=== TEST 6: the touchpoint of the page: cx_touchpoint
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r6.lua;
}
location /none/ {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r6.lua;
}
--- user_files
>>> r6.lua
return {
    trigger = function(r)
        return { survey = "s1", question = tostring(r.touchpoint) }
    end
}
>>> none/index.html
<html><body>none</body></html>
--- request eval
["GET /", "GET /none/"]
--- response_body_like eval
['data-cx-question="home" data-cx-delay="0" data-cx-touchpoint="home"',
 'data-cx-question="nil" data-cx-delay="0" data-cx-touchpoint="other"']



=== TEST 7: touchpoint(r) names the touchpoint, and wins over cx_touchpoint
--- config
location / {
    cx_touchpoint fallback;
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r7.lua;
    add_header X-TP $cx_touchpoint;
}
--- user_files
>>> r7.lua
local M = {}
function M.touchpoint(r)
    if cx.glob(r.path, "/products/*") then
        return "product"
    end
    if r.path == "/bad.html" then
        return "Not A Name"
    end
end
function M.trigger(r)
    return { survey = "s1", question = tostring(r.touchpoint) }
end
return M
>>> products/shoe.html
<html><body>shoe</body></html>
>>> bad.html
<html><body>bad</body></html>
--- request eval
["GET /products/shoe.html", "GET /page.html", "GET /bad.html"]
--- response_body_like eval
['data-cx-question="product" data-cx-delay="0" data-cx-touchpoint="product"',
 'data-cx-question="fallback" data-cx-delay="0" data-cx-touchpoint="fallback"',
 'data-cx-question="fallback" data-cx-delay="0" data-cx-touchpoint="fallback"']
--- response_headers eval
["X-TP: product", "X-TP: fallback", "X-TP: fallback"]
--- error_log eval
qr{cx rules: touchpoint\(\) failed, no touchpoint: .*/r7\.lua:2: touchpoint\(\) returned "Not A Name", which is not a touchpoint name}



=== TEST 8: an upstream's X-CX-Touchpoint wins over touchpoint(r)
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r8.lua;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/4096/page.html?header=X-CX-Touchpoint:checkout;
}
--- user_files
>>> r8.lua
local M = {}
function M.touchpoint(r) return "lua" end
function M.trigger(r)
    return { survey = "s1", question = tostring(r.touchpoint) }
end
return M
--- request
GET /
--- response_body_like
data-cx-question="checkout" data-cx-delay="0" data-cx-touchpoint="checkout"



=== TEST 9: touchpoint(r) runs once per request and can read r
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r9.lua;
}
--- user_files
>>> r9.lua
local M = {}
function M.touchpoint(r)
    print("touchpoint of " .. r.path .. " " .. tostring(r.touchpoint))
    return "tp-" .. r.method:lower()
end
function M.trigger(r)
    return { survey = "s1", question = r.touchpoint .. r.touchpoint }
end
return M
--- request
GET /
--- response_body_like
data-cx-question="tp-gettp-get" data-cx-delay="0" data-cx-touchpoint="tp-get"
--- check
my $log = error_log_since(0);
my @n = $log =~ /cx rules: print: \S+r9\.lua:3: touchpoint of \/ nil/g;
is(scalar @n, 1, "touchpoint() ran once");



=== TEST 10: time in UTC
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_time_zone utc;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r10.lua;
}
--- user_files
>>> r10.lua
return {
    trigger = function(r)
        local t = r.time
        return { survey = "s1", question = string.format(
            "%04d-%02d-%02d %02d:%02d w%d %s o%d", t.year, t.month, t.day,
            t.hour, t.minute, t.wday, t.date, t.offset) }
    end
}
--- request
GET /
--- check
my $t0 = int(time);
my $q = ::question(::get('/')->{body});
my @want = map {
    my @g = gmtime($_);
    my $wday = $g[6] == 0 ? 7 : $g[6];
    strftime('%Y-%m-%d %H:%M', @g) . " w$wday " . strftime('%Y-%m-%d', @g)
    . " o0"
} ($t0, int(time));
ok((grep { $_ eq $q } @want), "r.time in UTC") or diag("$q vs @want");



=== TEST 11: time at a fixed offset
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_time_zone -03:30;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r11.lua;
}
--- user_files
>>> r11.lua
return {
    trigger = function(r)
        local t = r.time
        return { survey = "s1", question = string.format(
            "%s %02d:%02d w%d o%d e%d", t.date, t.hour, t.minute, t.wday,
            t.offset, t.epoch) }
    end
}
--- request
GET /
--- check
my $t0 = int(time);
my $q = ::question(::get('/')->{body});
my @want = map {
    my @g = gmtime($_ - 3 * 3600 - 1800);
    my $wday = $g[6] == 0 ? 7 : $g[6];
    strftime('%Y-%m-%d %H:%M', @g) . " w$wday o-12600 e$_"
} ($t0, $t0 + 1, $t0 + 2);
ok((grep { $_ eq $q } @want), "r.time at -03:30") or diag("$q vs @want");



=== TEST 12: time in a zone (zoneinfo, with daylight saving time)
--- http_config
cx_secret 0123456789abcdef0123;
cx_rules_time_zone America/New_York;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r12.lua;
}
--- user_files
>>> r12.lua
return {
    trigger = function(r)
        local t = r.time
        return { survey = "s1", question = string.format(
            "%s %02d:%02d w%d o%d", t.date, t.hour, t.minute, t.wday,
            t.offset) }
    end
}
--- request
GET /
--- check
my $t0 = int(time);
my $q = ::question(::get('/')->{body});
my @want;
{
    local $ENV{TZ} = 'America/New_York';
    POSIX::tzset();
    for my $t ($t0, int(time)) {
        my @l = localtime($t);
        my $off = strftime('%z', @l);
        my $sec = ($off =~ /^([+-])(\d\d)(\d\d)/)
                  ? ($1 eq '-' ? -1 : 1) * ($2 * 3600 + $3 * 60) : 0;
        my $wday = $l[6] == 0 ? 7 : $l[6];
        push @want, strftime('%Y-%m-%d %H:%M', @l) . " w$wday o$sec";
    }
}
POSIX::tzset();
ok((grep { $_ eq $q } @want), "r.time in America/New_York")
    or diag("$q vs @want");
like($q, qr/ o-(14400|18000)$/, "EST or EDT");



=== TEST 13: the visitor from a valid cx_v cookie
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r13.lua;
}
--- user_files
>>> r13.lua
return {
    trigger = function(r)
        local v = r.visitor
        return { survey = "s1", question = table.concat({
            tostring(v.new), tostring(v.id), v.views, v.sessions,
            tostring(v.days_since_shown), tostring(v.days_since_answered)
        }, "|") }
    end
}
--- request
GET /
--- check
my $r = ::get('/', 'Cookie: a=b; cx_v=1.Abc_def-0123456789.42.7.' . ::day(3)
                 . '.0; z=y');
is(::question($r->{body}), 'false|Abc_def-0123456789|42|7|3|nil', "visitor");

$r = ::get('/', 'Cookie: cx_v=1.' . ('x' x 64) . '.0.0.' . ::day(0) . '.'
              . ::day(400));
is(::question($r->{body}), 'false|' . ('x' x 64) . '|0|0|0|400',
   "longest id, shown today, answered long ago");

$r = ::get('/', 'Cookie: cx_v=1.Abc_def-0123456789.5.1.0.'
              . strftime('%Y%m%d', gmtime(time + 5 * 86400)));
is(::question($r->{body}), 'false|Abc_def-0123456789|5|1|nil|0',
   "a day in the future counts as today");

$r = ::get('/');
is(::question($r->{body}), 'true|nil|0|0|nil|nil', "no cookie: a new visitor");



=== TEST 14: a cx_v cookie that is not exactly ours is a new visitor
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r14.lua;
}
--- user_files
>>> r14.lua
return {
    trigger = function(r)
        local v = r.visitor
        return { survey = "s1", question = table.concat({
            tostring(v.new), tostring(v.id), v.views, v.sessions,
            tostring(v.days_since_shown), tostring(v.days_since_answered)
        }, "|") }
    end
}
--- request
GET /
--- check
my $id = 'Abc_def-0123456789';
my $d = ::day(1);
my @bad = (
    "2.$id.1.1.0.0",                        # another version
    "1.short.1.1.0.0",                      # id too short
    "1." . ('x' x 65) . ".1.1.0.0",         # id too long
    "1.Abc=def-0123456789.1.1.0.0",         # not base64url
    "1.$id.01.1.0.0",                       # leading zero
    "1.$id.1234567890.1.0.0",               # count too large
    "1.$id.-1.1.0.0",                       # negative
    "1.$id.1.1.0",                          # a field missing
    "1.$id.1.1.0.0.0",                      # a field too many
    "1.$id.1.1.20251331.0",                 # no such month
    "1.$id.1.1.20250229.0",                 # no such day
    "1.$id.1.1.19991231.0",                 # before 2000
    "1.$id.1.1.2025010.0",                  # too short a date
    "1.$id.1.1.2025:101.0",                 # a byte just above "9"
    "1.$id.1.1.2025/101.0",                 # a byte just below "0"
    "1.$id.1.1.2025\xb1101.0",              # a byte over 0x7f
    "1.$id.1.1.0.2026013x",                 # a letter at the end
    "1.$id.1.1.$d.0x",                      # trailing garbage
    "\"1.$id.1.1.0.0\"",                    # quoted
    "1.$id.1.1.0.0 ; a=b",                  # a space before ";"
    "",                                     # empty
    "1.$id..1.0.0",                         # empty count
);
for my $c (@bad) {
    my $r = ::get('/', "Cookie: cx_v=$c");
    is($r->{status}, 200, "status for cx_v=$c");
    is(::question($r->{body}), 'true|nil|0|0|nil|nil', "new visitor for cx_v=$c");
}
my $r = ::get('/', "Cookie: cx_v=1.$id.3.2.0.0; cx_v=garbage");
is(::question($r->{body}), "false|$id|3|2|nil|nil", "the first cx_v counts");



=== TEST 15: r is read-only
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r15.lua;
}
--- user_files
>>> r15.lua
return {
    trigger = function(r)
        if r.args.what == "path" then
            r.path = "/x"
        elseif r.args.what == "header" then
            r.header.host = "evil"
        elseif r.args.what == "mt" then
            setmetatable(r, nil)
        end
        return "s1"
    end
}
--- request eval
["GET /?what=path", "GET /?what=header", "GET /?what=mt", "GET /?what=none"]
--- response_body_like eval
['^<html><body>hi</body></html>\n$', '^<html><body>hi</body></html>\n$',
 '^<html><body>hi</body></html>\n$', 'data-cx-survey="s1"']
--- error_log eval
[qr{cx rules: trigger\(\) failed, no survey: \S+/r15\.lua:4: r is read-only},
 qr{cx rules: trigger\(\) failed, no survey: \S+/r15\.lua:6: r is read-only},
 qr{r15\.lua:8: cannot change a protected metatable}]



=== TEST 16: unknown fields are errors, not nils (typos show up)
--- http_config
cx_rules_check off;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r16.lua;
}
--- user_files
>>> r16.lua
return {
    trigger = function(r)
        if r.args.what == "r" then return r.pathh end
        if r.args.what == "time" then return r.time.weekday end
        if r.args.what == "visitor" then return r.visitor.age end
        return "s1"
    end
}
--- request eval
["GET /?what=r", "GET /?what=time", "GET /?what=visitor"]
--- response_body eval
["<html><body>hi</body></html>\n", "<html><body>hi</body></html>\n",
 "<html><body>hi</body></html>\n"]
--- error_log eval
[qr{r16\.lua:3: r has no field "pathh"},
 qr{r16\.lua:4: r\.time has no field "weekday"},
 qr{r16\.lua:5: r\.visitor has no field "age"}]



=== TEST 17: rules run only for what can be injected (after the cheap checks)
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r17.lua;
}
--- user_files
>>> r17.lua
return {
    trigger = function(r)
        print("trigger ran for " .. r.uri)
        return "s1"
    end
}
>>> a.txt
text
--- request eval
["GET /a.txt", "GET /missing.html", "HEAD /", "POST /", "GET /"]
--- error_code eval
[200, 404, 200, 405, 200]
--- check
my $log = error_log_since(0);
my @ran = $log =~ /cx rules: print: \S+: trigger ran for (\S+)/g;
is("@ran", "/index.html", "only the GET of the HTML page ran the rule");
