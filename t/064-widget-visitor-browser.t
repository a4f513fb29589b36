# Respect for visitors, in real headless Chromium (widget/test/e2e.js,
# its recontact scenarios): an answered survey is not asked again on the
# next 20 page views (nor for 90 days), a dismissed one not for 7 days,
# a second survey of the site not within the 14-day gap; the module sends
# no tag to a visitor held back.  "Later" is the visitor cookie's days
# moved back, for the module and the widget alike.  A score counts when
# the tab closes during the follow-up.  Keyboard only, axe-clean.

use lib 't/lib';
use Test::CX;
use Test::CX::Browser;
use FindBin;

our $ROOT = "$FindBin::Bin/..";

browser_setup();

run_tests();

__DATA__

=== TEST 1: recontact, dismissed, gap and a partial answer in Chromium; what reached Redis
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
--- config
location / {
    root $TEST_NGINX_ROOT/demo/site;

    location /t/ {
        root $TEST_NGINX_ROOT/widget/test/site;

        location = /t/recontact.html {
            cx_touchpoint recontact;
            cx_survey recontact_nps type=nps;
        }

        location = /t/dismissed.html {
            cx_touchpoint delivery;
            cx_survey dismissed_csat type=csat;
        }

        location = /t/gap-a.html {
            cx_touchpoint product;
            cx_survey gap_a_nps type=nps;
        }

        location = /t/gap-b.html {
            cx_touchpoint basket;
            cx_survey gap_b_ces type=ces;
        }

        location = /t/partial.html {
            cx_touchpoint thanks;
            cx_survey partial_csat type=csat;
        }
    }
}

location = /favicon.ico {
    return 204;
}

location = /cx/widget.js {
    cx_widget;
}

location = /cx/collect {
    cx_collect;
}
--- redis
--- request
GET /cx/widget.js
--- timeout: 30
--- check
my $port = server_port();
my $out = `cd '$::ROOT/widget' && CX_BASE_URL=http://127.0.0.1:$port CX_ARTIFACTS='$::ROOT/test-artifacts' CX_E2E_ONLY='recontact dismissed gap partial' timeout -k 10 150 node test/e2e.js 2>&1`;
my $rc = $? >> 8;
my ($tests, $plan) = ::browser_tap($out);
ok($plan && $plan == $tests && $tests > 20, "the browser run completed ($tests checks)");
is($rc, 0, 'e2e.js exit status');

my $d = today();
my $sc = sub { redis()->hget("cx:localhost:sc:$_[0]:$d", $_[1]) // 0 };
my $sv = sub { redis()->hget("cx:localhost:sv:$_[0]:$d", $_[1]) // 0 };
ok(wait_for(sub { $sc->('partial_csat', 'thanks:1') }),
   'redis: the score of the closed tab counted');
is($sv->('partial_csat', 'thanks:answered'), 1, 'redis: one answer');
is($sv->('partial_csat', 'thanks:commented'), 0, 'redis: no comment');
my ($f) = grep { $_->{survey} eq 'partial_csat' }
          map { { @{ $_->[1] } } }
          @{ redis()->xrange('cx:localhost:followup', '-', '+') };
ok($f && $f->{score} eq '1' && $f->{comment} eq '',
   'redis: followed up, without a comment');
is($sv->('recontact_nps', 'recontact:shown'), 2,
   'redis: recontact_nps shown twice (first, 90 days later)');
is($sv->('recontact_nps', 'recontact:triggered'), 2,
   'redis: and its tag sent only those two times in 23 page views');
is($sc->('recontact_nps', 'recontact:10'), 1, 'redis: its 10');
is($sv->('dismissed_csat', 'delivery:dismissed'), 1, 'redis: dismissed once');
is($sv->('dismissed_csat', 'delivery:shown'), 2, 'redis: shown again 7 days later');
is($sv->('gap_b_ces', 'basket:answered'), 1, 'redis: the second survey after the gap');
is($sv->('gap_a_nps', 'product:triggered'), 1, 'redis: the first one tagged once');
