# The helper library rules see as `cx` (lua/cx/init.lua): sampling and
# A/B picks per visitor, path globs and prefixes, weekdays and business
# hours, the visitor's cool-down, numbers out of header values, print.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get day);

sub question {
    my ($r) = @_;
    my ($q) = ($r->{body} // '') =~ /data-cx-question="([^"]*)"/;
    return defined $q ? $q =~ s/&amp;/&/gr =~ s/&#34;/"/gr : '(no survey)';
}

sub visitor {
    my ($id, $shown, $answered) = @_;
    my $day = sub { defined $_[0] ? day($_[0]) : '0' };
    return "Cookie: cx_v=1.$id.3.1." . $day->($shown) . '.'
           . $day->($answered);
}

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;
    my $http = $block->http_config // '';

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n$http");
    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/h$n.lua;
}
EOF
    $block->set_value('user_files', [ [ "h$n.lua", $rule ],
                        [ 'index.html', "<html><body>hi</body></html>\n" ] ]);
});

run_tests();

__DATA__

=== TEST 1: cx.sample: 0 and 1, and the same answer for the same visitor and key
--- rule
return {
    trigger = function(r)
        local rate = tonumber(r.args.rate)
        local out = {}
        for i = 1, 20 do
            out[i] = cx.sample(rate, r.args.key) and "1" or "0"
        end
        return { survey = "s1", question = table.concat(out) ..
                 tostring(cx.sample(0)) .. tostring(cx.sample(1)) ..
                 tostring(cx.sample(-1)) .. tostring(cx.sample(2)) }
    end
}
--- request
GET /?rate=0.5
--- check
my %seen;
for my $i (1 .. 200) {
    my $q = ::question(::get("/?rate=0.5&key=k", ::visitor(sprintf 'id-%014d', $i)));
    like($q, qr/^(0{20}|1{20})falsetruefalsetrue$/, "visitor $i: one answer")
        or last;
    $seen{substr $q, 0, 1}++;
}
ok($seen{1} > 70 && $seen{1} < 130, "about half of 200 visitors")
    or diag($seen{1});

# no cookie: a draw on every call
my $q = ::question(::get("/?rate=0.5"));
like($q, qr/^[01]{20}/, "drawn");
unlike($q, qr/^(0{20}|1{20})/, "not the same 20 times without a visitor id");



=== TEST 2: cx.sample: keys are independent, rates are nested per key
--- rule
return {
    trigger = function(r)
        return { survey = "s1", question = table.concat({
            tostring(cx.sample(0.5, "a")), tostring(cx.sample(0.5, "b")),
            tostring(cx.sample(0.1, "a")), tostring(cx.sample(0.9, "a")) },
            " ") }
    end
}
--- request
GET /
--- check
my (%ab, $nested);
for my $i (1 .. 200) {
    my $q = ::question(::get("/", ::visitor(sprintf 'id-%014d', $i)));
    my ($a, $b, $a10, $a90) = split ' ', $q;
    $ab{"$a $b"}++;
    $nested++ if ($a10 eq 'true' && $a ne 'true') || ($a eq 'true' && $a90 ne 'true');
}
is(scalar keys %ab, 4, "all four combinations of keys a and b occur");
ok(!$nested, "a visitor in the 10% is in the 50% and the 90% (same key)");



=== TEST 3: cx.sample and cx.pick reject bad arguments
--- http_config
cx_rules_check off;
--- rule
return {
    trigger = function(r)
        if r.args.w == "rate" then cx.sample("10%") end
        if r.args.w == "key" then cx.sample(0.1, 42) end
        if r.args.w == "list" then cx.pick("ab") end
        return "s1"
    end
}
--- request eval
["GET /?w=rate", "GET /?w=key", "GET /?w=list"]
--- response_body eval
[("<html><body>hi</body></html>\n") x 3]
--- error_log eval
[qr{h3\.lua:3: bad argument #1 to 'cx\.sample' \(number expected\)},
 qr{h3\.lua:4: bad argument #2 to 'cx\.sample' \(string expected\)},
 qr{h3\.lua:5: bad argument #1 to 'cx\.pick' \(table expected\)}]



=== TEST 4: cx.pick: one element per visitor and key, from plain or file-level lists
--- rule
local COLOURS = { "red", "green", "blue" }
return {
    trigger = function(r)
        local a = cx.pick(COLOURS, "colour")
        for i = 1, 10 do
            if cx.pick(COLOURS, "colour") ~= a then return nil end
        end
        return { survey = "s1", question = a .. " " ..
                 tostring(cx.pick({ "x" })) .. " " .. tostring(cx.pick({})) }
    end
}
--- request
GET /
--- check
my %n;
for my $i (1 .. 150) {
    my $q = ::question(::get("/", ::visitor(sprintf 'id-%014d', $i)));
    like($q, qr/^(red|green|blue) x nil$/) or last;
    $n{(split ' ', $q)[0]}++;
}
ok($n{red} > 25 && $n{green} > 25 && $n{blue} > 25, "spread over the three")
    or diag(join ' ', %n);



=== TEST 5: cx.glob and cx.glob_any
--- rule
local cases = {
    { "/products/shoe", "/products/*", true },
    { "/products/shoe/red", "/products/*", false },
    { "/products/shoe/red", "/products/**", true },
    { "/products/", "/products/*", true },
    { "/products", "/products/*", false },
    { "/help/a/b.html", "/help/*/*.html", true },
    { "/help/a/b.htm", "/help/*/*.html", false },
    { "/help/a/bxhtml", "/help/*/*.html", false },
    { "/a1", "/a?", true },
    { "/a/", "/a?", false },
    { "/50%/(x)[y]+$^", "/50%/(x)[y]+$^", true },
    { "/x/y", "/x/y/", false },
    { "anything", "**", true },
    { "", "", true },
    { "/p", "", false },
    { "/a/b/c/d.html", "/**/d.html", true },
    { "/a/b/c/d.html", "/*/d.html", false },
    { "/a/b.html", "/*.html", false },
    { "/a/b.html", "/**.html", true },
    { "/x.html", "/*.html", true },
    { ".html", "*.html", true },
    { "html", "*.html", false },
    { "/p/q", "/p/*", true },
    { "/p/q/", "/p/*", false },
    { "/a-b/c", "/a?b/*", true },
    { "/a/b/c", "/a?b/*", false },
    { "/aXbXc", "/*X*X*", true },
    { "/aXb", "/*X*X*", false },
    { "/a/x/b/xc", "/**x**x*", true },
    { "/a/x/b/x/c", "/**x**x*", false },
    { "/a/b", "/**/b/**", false },
    { "/a/b/", "/**/b/**", true },
    { "/ab", "/a*b", true },
    { "/ab", "/ab*", true },
    { "/ab", "/a**b", true },
    { "/a", "/a*a", false },
    { "x/y", "*", false },
    { "x/y", "**", true },
    { "xy", "*", true },
    { "/help", "/help/**", false },
    { "/help/", "/help/**", true },
    { "/a.b", "/a?b", true },
    { "/a*b", "/a*b", true },
}
-- the same globs as frozen lists: matched by the compiled fast paths
local LISTS = {}
for i, c in ipairs(cases) do LISTS[i] = { c[2] } end
return {
    trigger = function(r)
        local out = {}
        for i, c in ipairs(cases) do
            if cx.glob(c[1], c[2]) ~= c[3] then out[#out + 1] = i end
            if (cx.glob_any(c[1], LISTS[i]) ~= nil) ~= c[3] then
                out[#out + 1] = "list" .. i
            end
            if (cx.route(c[1], { { c[2], 1 } }) ~= nil) ~= c[3] then
                out[#out + 1] = "route" .. i
            end
        end
        return { survey = "s1", question = "wrong:" .. table.concat(out, ",") ..
                 " any:" .. tostring(cx.glob_any("/help/a/b.html",
                             { "/products/*", "/help/**", "/help/*/*.html" })) ..
                 " " .. tostring(cx.glob_any("/x", { "/y" })) ..
                 " " .. tostring(cx.glob(nil, "*")) }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="wrong: any:/help/\*\* nil false"



=== TEST 6: cx.prefix
--- rule
return {
    trigger = function(r)
        return { survey = "s1", question = table.concat({
            tostring(cx.prefix("/products/shoe", "/products/")),
            tostring(cx.prefix("/prod", "/products/")),
            tostring(cx.prefix("/x", "")),
            tostring(cx.prefix(nil, "/")),
            tostring(cx.prefix(r.path, "/")) }, " ") }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="true false true false true"



=== TEST 7: cx.weekday, cx.weekend, cx.business_hours (in cx_rules_time_zone)
--- http_config
cx_rules_time_zone +02:00;
--- rule
return {
    trigger = function(r)
        local t = r.time
        return { survey = "s1", question = table.concat({
            t.wday, t.hour, t.minute,
            tostring(cx.weekday(r)), tostring(cx.weekend(r)),
            tostring(cx.business_hours(r)),
            tostring(cx.business_hours(r, 0, 24)),
            tostring(cx.business_hours(r, t.hour, t.hour + 1)),
            tostring(cx.business_hours(r, t.hour + 1, 24)) }, " ") }
    end
}
--- request
GET /
--- check
my $q = ::question(::get('/'));
my ($wday, $hour, $min, $weekday, $weekend, $bh, $all, $this, $later) = split ' ', $q;
my @g = gmtime(time + 7200);
my $w = $g[6] == 0 ? 7 : $g[6];
ok($wday == $w || $wday == ($w == 1 ? 7 : $w - 1), "ISO weekday in +02:00");
is($weekday, $wday <= 5 ? 'true' : 'false', "weekday");
is($weekend, $wday >= 6 ? 'true' : 'false', "weekend");
is($bh, ($wday <= 5 && $hour >= 9 && $hour < 17) ? 'true' : 'false',
   "business hours 9 to 17");
is($all, $wday <= 5 ? 'true' : 'false', "0 to 24 on weekdays");
is($this, $wday <= 5 ? 'true' : 'false', "this hour");
is($later, 'false', "not from the next hour on");



=== TEST 8: business hours with minutes
--- http_config
cx_rules_time_zone utc;
--- rule
return {
    trigger = function(r)
        local t = r.time
        local now = t.hour + t.minute / 60
        return { survey = "s1", question = table.concat({
            tostring(cx.business_hours(r, now - 0.01, now + 0.02)),
            tostring(cx.business_hours(r, now + 0.02, now + 1)),
            tostring(cx.weekday(r)) }, " ") }
    end
}
--- request
GET /
--- check
my ($in, $out, $weekday) = split ' ', ::question(::get('/'));
is($in, $weekday, "inside a window around now (on weekdays)");
is($out, 'false', "a window later today");



=== TEST 9: the visitor's history: shown_within, answered_within, cooled_down
--- rule
return {
    trigger = function(r)
        return { survey = "s1", question = table.concat({
            tostring(cx.shown_within(r, 7)), tostring(cx.shown_within(r, 30)),
            tostring(cx.answered_within(r, 30)),
            tostring(cx.cooled_down(r, 7)), tostring(cx.cooled_down(r, 30)),
            tostring(cx.cooled_down(r, 7, 90)) }, " ") }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="false false false true true true"
--- check
my $id = 'abcdefghijklmnop';
is(::question(::get('/', ::visitor($id, 10, undef))),
   'false true false true false true', "shown 10 days ago, never answered");
is(::question(::get('/', ::visitor($id, 40, 40))),
   'false false false true true false', "shown and answered 40 days ago");
is(::question(::get('/', ::visitor($id, 0, 0))),
   'true true true false false false', "today");



=== TEST 10: cx.number and cx.integer read header values
--- rule
local inputs = { "1,250.00", "$1,234.5", "1234.50 EUR", "EUR 99", "-5",
                 "abc", "", "1.2.3", "  42  ", "0.5", "x-1" }
return {
    trigger = function(r)
        local out = {}
        for i, s in ipairs(inputs) do out[i] = tostring(cx.number(s)) end
        out[#out + 1] = tostring(cx.number(7))
        out[#out + 1] = tostring(cx.number(nil))
        out[#out + 1] = tostring(cx.number(("9"):rep(100)))
        out[#out + 1] = tostring(cx.integer("12"))
        out[#out + 1] = tostring(cx.integer("12.5"))
        out[#out + 1] = tostring(cx.integer("12", 1, 10))
        out[#out + 1] = tostring(cx.integer("x"))
        return { survey = "s1", question = table.concat(out, " ") }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="1250 1234.5 1234.5 99 -5 nil nil nil 42 0.5 -1 7 nil nil 12 nil nil nil"



=== TEST 11: require "cx" is cx, and print() logs with file and line
--- rule
local lib = require("cx")
return {
    trigger = function(r)
        print("rule says", 42, nil, true, {})
        return lib == cx and "s1" or nil
    end
}
--- request
GET /
--- response_body_like
data-cx-survey="s1"
--- error_log eval
qr{\[notice\] .*cx rules: print: \S+/h11\.lua:4: rule says\t42\tnil\ttrue\ttable}



=== TEST 12: cx.route: the value of the first glob that matches
--- rule
local ROUTES = {
    { "/", "home" }, { "/products/**", "product" }, { "/*.html", "page" },
    { "/**", "other" },
}
return {
    trigger = function(r)
        local out = {}
        for _, p in ipairs({ "/", "/products/a/b", "/x.html", "/a/x.html", "" }) do
            local v, g = cx.route(p, ROUTES)
            out[#out + 1] = tostring(v) .. "=" .. tostring(g)
        end
        local v = cx.route("/p", { { "/q", 1 }, { "/p", 2 } })
        out[#out + 1] = tostring(v) .. " " .. tostring(cx.route(nil, ROUTES))
            .. " " .. tostring(cx.route("/x", {}))
        return { survey = "s1", question = table.concat(out, " ") }
    end
}
--- request
GET /
--- response_body_like
data-cx-question="home=/ product=/products/\*\* page=/\*.html other=/\*\* nil=nil 2 nil nil"



=== TEST 13: cx.route and cx.glob_any reject what is not a list of globs
--- http_config
cx_rules_check off;
--- rule
local BAD = { { "/a", "a" }, "not a pair" }
local NOGLOB = { { 42, "x" } }
return {
    trigger = function(r)
        if r.args.w == "pair" then cx.route("/b", BAD) end
        if r.args.w == "glob" then cx.route("/b", NOGLOB) end
        if r.args.w == "list" then cx.route("/b", "x") end
        if r.args.w == "any" then cx.glob_any("/b", 1) end
        if r.args.w == "long" then cx.glob("/b", ("x"):rep(300)) end
        return "s1"
    end
}
--- request eval
["GET /?w=pair", "GET /?w=glob", "GET /?w=list", "GET /?w=any", "GET /?w=long"]
--- response_body eval
[("<html><body>hi</body></html>\n") x 5]
--- error_log eval
[qr{h13\.lua:5: bad argument #2 to 'cx\.route' \(entry 2 is not a \{glob, value\} pair\)},
 qr{h13\.lua:6: bad argument #2 to 'cx\.route' \(entry 1 has no glob\)},
 qr{h13\.lua:7: bad argument #2 to 'cx\.route' \(table expected\)},
 qr{h13\.lua:8: bad argument #2 to 'cx\.glob_any' \(table expected\)},
 qr{h13\.lua:9: glob pattern longer than 256 bytes}]
