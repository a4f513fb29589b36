# The dashboard's Rules panel in real headless Chromium (Debian's
# chromium driven by playwright-core, dashboard/test/rules.js): nginx with
# two rule files, one failing -- an error thrice at the same line, a value
# not allowed, and an error whose message is HTML -- the other not.  The
# panel must show each file, its failures by kind and since when, and its
# errors as /cx/score?report=rules has them, messages as text; axe-clean,
# no CSP violation, on a phone too.  The browser's checks are relayed as
# "browser: ...".  Screenshot: test-artifacts/dashboard-rules.png.

use lib 't/lib';
use Test::CX;
use Test::CX::Browser;
use FindBin;

our $ROOT = "$FindBin::Bin/..";

browser_setup();

run_tests();

__DATA__

=== TEST 1: the Rules panel in Chromium: files, failures by kind, the last errors as text, a phone, axe
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_rules_check off;
--- config
location / {
    cx_survey site_nps type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad.lua;
}
location /good/ {
    cx_survey site_nps type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/good.lua;
    alias $TEST_NGINX_HTML_DIR/;
}
location = /cx/collect { cx_collect; }
location = /cx/score { cx_score; }
location = /cx/widget.js { cx_widget; }
location = /cx/dashboard { cx_dashboard; }
--- user_files
>>> bad.lua
return {
    trigger = function(r)
        local w = r.args.w
        if w == "html" then error('<script>window.__cx_xss = 1</script><img src=x onerror="window.__cx_xss = 2"> broke') end
        if w == "nil" then return r.args.missing:lower() end
        if w == "result" then return 42 end
        return nil
    end
}
>>> good.lua
return { trigger = function(r) return "site_nps" end }
>>> index.html
<html><body>hi</body></html>
--- redis
--- request
GET /good/
--- response_body_like
data-cx-survey="site_nps"
--- timeout: 30
--- check
for my $w (qw(nil html nil result nil)) {
    my $r = http_request("GET /?w=$w HTTP/1.0\r\nHost: localhost\r\n\r\n");
    is($r->{status}, 200, "/?w=$w: the page is served");
}

my $base = 'http://127.0.0.1:' . server_port();
my $out = `cd '$::ROOT' && CX_BASE_URL=$base CX_ARTIFACTS='$::ROOT/test-artifacts' NODE_PATH='$::ROOT/widget/node_modules' timeout -k 5 150 node dashboard/test/rules.js 2>&1`;
my $rc = $? >> 8;
my ($tests, $plan) = ::browser_tap($out);
ok($plan && $plan == $tests && $tests >= 15, "the browser run completed ($tests checks)");
is($rc, 0, 'rules.js exit status');
ok(-s "$::ROOT/test-artifacts/dashboard-rules.png" > 5000,
   'screenshot test-artifacts/dashboard-rules.png');
