# The journey-aware visitor (cx_v version 2) as rules read it:
# r.visitor.touchpoints, .source, .visits, .last_shown, .last_answered,
# .last_dismissed, and cx.arg().  Each rule puts what it read into the
# question of the survey it returns; the test reads it back from the tag.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get question day);

our $ID = 'Abc_def-0123456789';

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;

    my $files = $block->user_files // '';
    $block->set_value('user_files', "$files>>> index.html\n"
                      . "<html><body>hi</body></html>\n");
});

run_tests();

__DATA__

=== TEST 1: touchpoints, source, visits and the surveys' days from a version 2 cookie
--- http_config
cx_secret 0123456789abcdef0123;
cx_survey_gap 0;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r1.lua;
}
--- user_files
>>> r1.lua
return {
    trigger = function(r)
        local v = r.visitor
        local t, s = v.touchpoints, v.source
        return { survey = "s1", question = table.concat({
            tostring(v.new), v.views, v.visits, v.sessions,
            t.product, t.home, t["check.out"], t.nowhere,
            tostring(s.utm_source), tostring(s.utm_medium),
            tostring(s.utm_campaign), tostring(s.referrer),
            tostring(v.last_shown.a), tostring(v.last_answered.a),
            tostring(v.last_dismissed.a), tostring(v.last_shown.b),
            tostring(v.last_answered.b), tostring(v.last_shown.nosuch),
            tostring(v.days_since_shown), tostring(v.days_since_answered)
        }, "|") }
    end
}
--- request
GET /
--- check
my $c = "2~$::ID~12~3~a!" . ::day(5) . '!' . ::day(5) . '!0*b!' . ::day(2)
      . '!0!' . ::day(2) . "~product!4*home!7*check.out!1"
      . "~email!newsletter!spring-24!mail.example.com";
my $r = ::get('/', "Cookie: cx_s=1; cx_v=$c");
is(::question($r->{body}),
   'false|12|3|3|4|7|1|0|email|newsletter|spring-24|mail.example.com'
   . '|5|5|nil|2|nil|nil|2|5', "every new field, inside a visit");

$r = ::get('/', "Cookie: cx_v=2~$::ID~0~0~~~!!!; cx_s=1");
is(::question($r->{body}),
   'false|0|0|0|0|0|0|0|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil',
   "empty lists, empty source");

$r = ::get('/');
is(::question($r->{body}),
   'true|0|1|0|0|0|0|0|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil',
   "no cookie: a new visitor, on the first page view of a visit");

$r = ::get('/', 'Cookie: cx_v=1.' . $::ID . '.42.7.' . ::day(3) . '.0');
is(::question($r->{body}),
   'false|42|8|7|0|0|0|0|nil|nil|nil|nil|nil|nil|nil|nil|nil|nil|3|nil',
   "a version 1 cookie still reads; no cx_s: a new visit");



=== TEST 2: the source of a new visit is this request's: utm_* in any case, lower-cased, the Referer's host unless it is ours
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r2.lua;
}
--- user_files
>>> r2.lua
return {
    trigger = function(r)
        local s = r.visitor.source
        return { survey = "s1", question = table.concat({
            tostring(s.utm_source), tostring(s.utm_medium),
            tostring(s.utm_campaign), tostring(s.referrer),
            r.visitor.visits }, "|") }
    end
}
--- request
GET /
--- check
my $r = ::get('/?UTM_Source=Email&utm_medium=News%20Letter&utm_campaign=X'
              . ('y' x 80),
              'Referer: https://Mail.Example.COM:8443/inbox?x=1');
is(::question($r->{body}),
   'email|news_letter|x' . ('y' x 63) . '|mail.example.com|1',
   "landing page: the request's source, cleaned and bounded");

$r = ::get('/?utm_source=ads', 'Referer: http://localhost/page.html');
is(::question($r->{body}), 'ads|nil|nil|nil|1',
   "our own host is not a referrer");

my $c = "2~$::ID~3~2~~~email!!!";
$r = ::get('/?utm_source=ads', "Cookie: cx_v=$c; cx_s=1");
is(::question($r->{body}), 'email|nil|nil|nil|2',
   "inside a visit (cx_s): the visit's first-touch source is remembered");

$r = ::get('/?utm_source=ads', "Cookie: cx_v=$c");
is(::question($r->{body}), 'ads|nil|nil|nil|3',
   "a new visit (no cx_s): a new source, one more visit");



=== TEST 3: a version 2 cookie that is not exactly ours is a new visitor
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r3.lua;
}
--- user_files
>>> r3.lua
return {
    trigger = function(r)
        local v = r.visitor
        return { survey = "s1", question = tostring(v.new) .. "|" .. v.views
                 .. "|" .. v.touchpoints.product }
    end
}
--- request
GET /
--- check
my $d = ::day(1);
my @bad = (
    "2~$::ID~1~1~~~!!",                     # a source part missing
    "2~$::ID~1~1~~~!!!!",                   # a source part too many
    "2~$::ID~1~1~~product!1~!!!~",          # a group too many
    "2~$::ID~1~1~a!$d!0~~!!!",              # a survey day missing
    "2~$::ID~1~1~A!$d!0!0~~!!!",            # a survey name in capitals
    "2~$::ID~1~1~~product~!!!",             # views missing
    "2~$::ID~1~1~~product!01~!!!",          # leading zero
    "2~$::ID~1~1~~!1~!!!",                  # empty touchpoint name
    "2~$::ID~1~1~~" . join('*', map { "t$_!1" } 1 .. 9) . "~!!!",
                                            # 9 touchpoints
    "2~$::ID~1~1~" . join('*', map { "s$_!0!0!0" } 1 .. 7) . "~~!!!",
                                            # 7 surveys
    "2~$::ID~1~1~~~" . ('x' x 65) . "!!!",  # a source part too long
    "2~$::ID~1~1~~~a b!!!",                 # a space
    "2~$::ID~1~1~a!20250230!0!0~~!!!",      # no such day
    "2.$::ID.1.1.0.0",                      # version 2 with dots
);
for my $c (@bad) {
    my $r = ::get('/', "Cookie: cx_v=$c");
    is(::question($r->{body}), 'true|0|0', "new visitor for cx_v=$c");
}
my $r = ::get('/', "Cookie: cx_v=2~$::ID~5~1~~~!!!");
is(::question($r->{body}), 'false|5|0', "the smallest valid one");
$r = ::get('/', "Cookie: cx_v=2~$::ID~5~1~"
              . join('*', map { "s$_!0!0!0" } 1 .. 6) . "~"
              . join('*', map { "t$_!9" } 1 .. 8) . "~a!b!c!d");
is(::question($r->{body}), 'false|5|0', "6 surveys and 8 touchpoints");



=== TEST 4: cx.arg: the name in any case, the value decoded
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r4.lua;
}
--- user_files
>>> r4.lua
return {
    trigger = function(r)
        return { survey = "s1", question = table.concat({
            tostring(cx.arg(r, "utm_source")), tostring(cx.arg(r, "Q")),
            tostring(cx.arg(r, "flag")), tostring(cx.arg(r, "nosuch")),
            tostring(r.args.utm_source) }, "|") }
    end
}
--- request
GET /?UTM_SOURCE=Email%20Blast&q=a+b&flag&utm_source=second
--- response_body_like
data-cx-question="Email Blast\|a b\|\|nil\|Email Blast"



=== TEST 5: cx.arg with a name that is not a string fails nginx -t
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r5.lua;
}
--- user_files
>>> r5.lua
return {
    trigger = function(r)
        if cx.arg(r, 42) then return "s1" end
    end
}
--- must_die
--- error_log_like
r5\.lua:3: bad argument #2 to 'cx\.arg' \(a string expected, got number 42\)



=== TEST 6: the module counts the page view in cx_v: views, the touchpoint (most recent first, 8 at most), a visit and its source
--- config
location / {
    cx_touchpoint $arg_tp;
    cx_survey s1 type=nps sample=0%;
    cx_respect_gpc on;
}
--- request
GET /
--- check
sub cookies {
    my ($r) = @_;
    my @c = ($r->{header_text} // "") =~ /^Set-Cookie: ([^\r\n]*)/mgi;
    return @c;
}
my $r = ::get('/?tp=product&utm_source=Email', 'Referer: https://news.example/x');
my @c = cookies($r);
is(scalar @c, 2, 'cx_v and cx_s');
like($c[0], qr{^cx_v=2~[A-Za-z0-9_-]{22}~1~1~~product!1~email!!!news\.example; Path=/; Max-Age=31536000; SameSite=Lax$},
     'a new visitor: an id, one view, one visit, its source');
is($c[1], 'cx_s=1; Path=/; Max-Age=1800; SameSite=Lax', 'the visit');

my $c = "2~$::ID~7~2~a!20250101!0!0~home!3*product!2*c!1~ads!!!";
$r = ::get('/?tp=product&utm_source=other', "Cookie: cx_s=1; cx_v=$c");
my ($set) = cookies($r);
is($set, "cx_v=2~$::ID~8~2~a!20250101!0!0~product!3*home!3*c!1~ads!!!; Path=/; Max-Age=31536000; SameSite=Lax",
   'inside a visit: the touchpoint first, the source kept, surveys as they were');

$r = ::get('/?tp=new', "Cookie: cx_v=$c");
($set) = cookies($r);
like($set, qr/^cx_v=2~\Q$::ID\E~8~3~a!20250101!0!0~new!1\*home!3\*product!2\*c!1~!!!;/,
     'a new visit: one more, a source of its own (none)');

my $many = "2~$::ID~1~1~~" . join('*', map { "t$_!$_" } 1 .. 8) . "~!!!";
$r = ::get('/?tp=t9', "Cookie: cx_s=1; cx_v=$many");
($set) = cookies($r);
like($set, qr/~t9!1\*t1!1\*t2!2\*t3!3\*t4!4\*t5!5\*t6!6\*t7!7~!!!;/,
     'the least recent of 8 falls off');

$r = ::get('/?tp=t3', "Cookie: cx_s=1; cx_v=$many");
($set) = cookies($r);
like($set, qr/~t3!4\*t1!1\*t2!2\*t4!4\*t5!5\*t6!6\*t7!7\*t8!8~!!!;/,
     'a known one moves first');

is(scalar cookies(::get('/?tp=x', 'Sec-GPC: 1')), 0, 'Sec-GPC: no cookie');
is(scalar cookies(::get('/nosuch.html?tp=x')), 0, 'a 404: no cookie');
$r = http_request("HEAD /?tp=x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(scalar cookies($r), 0, 'HEAD: no cookie');



=== TEST 7: a page revalidated (304) counts in cx_v too
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
my $r = ::get('/index.html');
my $etag = $r->{headers}{etag};
like($etag, qr{^W/"}, 'a weak ETag');
my $c = "2~$::ID~4~1~~home!4~!!!";
$r = ::get('/index.html', "If-None-Match: $etag", "Cookie: cx_s=1; cx_v=$c");
is($r->{status}, 304, 'revalidated');
like($r->{headers}{'set-cookie'} // '', qr/^cx_v=2~\Q$::ID\E~5~1~~home!5~!!!;/,
     'one more view, of home');
$r = ::get('/index.html', "If-None-Match: $etag", 'Sec-GPC: 1',
           "Cookie: cx_v=$c");
like($r->{headers}{'set-cookie'} // '', qr/^cx_v=/, 'GPC counts where cx_respect_gpc is off');
