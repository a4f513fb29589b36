# The survey widget end to end in real headless Chromium (Debian's
# chromium driven by playwright-core, widget/test/e2e.js): nginx with the
# module serves the demo shop and the test pages of widget/test/site/,
# the widget (cx_widget), /cx/collect, /cx/score and a real Redis.  The
# browser run's own checks are relayed here as "browser: ..."; then this
# file checks that what the browser answered reached Redis and /cx/score.
# Screenshots: test-artifacts/widget-*.png.

use lib 't/lib';
use Test::CX;
use Test::CX::Browser;
use FindBin;
use JSON::PP ();

our $ROOT = "$FindBin::Bin/..";

sub score {
    my ($args) = @_;
    my $r = http_request("GET /cx/score?$args HTTP/1.1\r\nHost: localhost\r\n"
                         . "Connection: close\r\n\r\n");
    return eval { JSON::PP::decode_json($r->{body}) } || { error => $r->{body} };
}

browser_setup();

run_tests();

__DATA__

=== TEST 1: the widget in Chromium: delay, keyboard, follow-up, dismiss, cooldown, slot, CSP, right to left (Arabic, Hebrew), axe, screenshots; the answers in Redis and /cx/score
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
--- config
location / {
    root $TEST_NGINX_ROOT/demo/site;

    location = /thanks.html {
        cx_touchpoint thanks;
        cx_survey post_purchase type=nps
            "question=How likely are you to recommend Demo Shop to a friend?"
            delay=1s cooldown=30d;
    }

    location = /checkout.html {
        cx_touchpoint checkout;
        cx_survey checkout_csat type=csat delay=1s cooldown=30d;
    }

    location /t/ {
        root $TEST_NGINX_ROOT/widget/test/site;

        location = /t/account.html {
            cx_touchpoint account;
            cx_survey account_ces type=ces cooldown=7d;
        }

        location = /t/csp.html {
            cx_touchpoint csp;
            cx_survey csp_nps type=nps;
            cx_csp_nonce $request_id;
            add_header Content-Security-Policy "default-src 'self'; script-src 'nonce-$request_id'; style-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
        }

        location = /t/scroll.html {
            cx_touchpoint article;
            cx_survey scroll_csat type=csat;
        }

        location = /t/exit.html {
            cx_touchpoint exit;
            cx_survey exit_nps type=nps;
        }

        location = /t/uk.html {
            cx_touchpoint help;
            cx_survey uk_nps type=nps;
        }

        location = /t/twice.html {
            cx_touchpoint twice;
            cx_survey twice_nps type=nps;
        }

        location = /t/hostile.html {
            cx_touchpoint hostile;
            cx_survey hostile_csat type=csat;
        }

        location = /t/ar.html {
            cx_touchpoint rtl;
            cx_survey ar_nps type=nps;
            cx_csp_nonce $request_id;
            add_header Content-Security-Policy "default-src 'self'; script-src 'nonce-$request_id'; style-src 'self'; connect-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
        }

        location = /t/he.html {
            cx_touchpoint rtl;
            cx_survey he_csat type=csat;
        }

        location = /t/fa.html {
            cx_touchpoint rtl;
            cx_survey fa_nps type=nps;
        }

        location = /t/ar-en.html {
            cx_touchpoint rtl;
            cx_survey ar_en_nps type=nps;
        }

        location = /t/gpc.html {
            cx_touchpoint privacy;
            cx_survey gpc_nps type=nps;
            cx_respect_gpc on;
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

location = /cx/score {
    cx_score;
}
--- redis
--- request
GET /cx/widget.js
--- timeout: 30
--- check
my $port = server_port();
my $t0 = time;
my $out = `cd '$::ROOT/widget' && CX_BASE_URL=http://127.0.0.1:$port CX_ARTIFACTS='$::ROOT/test-artifacts' timeout -k 10 300 node test/e2e.js 2>&1`;
my $rc = $? >> 8;
my ($tests, $plan) = ::browser_tap($out);
ok($plan && $plan == $tests && $tests > 50, "the browser run completed ($tests checks)");
is($rc, 0, 'e2e.js exit status');
# how long it took is no assertion: a loaded machine is slow, and the run
# is bounded by its timeout (300 s) above
note(sprintf('the browser run took %.0f s', time - $t0));

my $d = today();
my $sc = sub { redis()->hget("cx:localhost:sc:$_[0]:$d", $_[1]) // 0 };
my $sv = sub { redis()->hget("cx:localhost:sv:$_[0]:$d", $_[1]) // 0 };
ok(wait_for(sub { $sc->('csp_nps', 'csp:10') }), 'the last answer is flushed');

is($sc->('post_purchase', 'thanks:9'), 1, 'redis: the keyboard NPS answer, 9 at thanks');
is($sc->('checkout_csat', 'checkout:2'), 1, 'redis: the CSAT 2 at checkout');
is($sc->('account_ces', 'account:6'), 1, 'redis: the inline CES 6');
is($sc->('csp_nps', 'csp:10'), 1, 'redis: the NPS 10 under a strict CSP');
is($sc->('ar_nps', 'rtl:9'), 1, 'redis: the Arabic NPS 9, by keyboard, right to left');
is($sc->('he_csat', 'rtl:2'), 1, 'redis: the Hebrew CSAT 2');
is($sv->('post_purchase', 'thanks:shown'), 3, 'redis: post_purchase shown 3 times');
is($sv->('post_purchase', 'thanks:dismissed'), 2, 'redis: dismissed twice (Escape, touch)');
is($sv->('post_purchase', 'thanks:answered'), 1, 'redis: answered once');
is($sv->('checkout_csat', 'checkout:dismissed'), 1, 'redis: checkout dismissed with the close button');

my $x = redis()->xrange('cx:localhost:followup', '-', '+');
my ($f) = map { +{ @{ $_->[1] } } } grep { { @{ $_->[1] } }->{survey} eq 'checkout_csat' } @$x;
ok($f, 'redis: the low CSAT is followed up');
is($f->{comment}, "Too many steps \xe2\x80\x94 and the coupon field ate my code.", 'redis: with its comment');
is($f->{page}, '/checkout.html', 'redis: and its page');
($f) = map { +{ @{ $_->[1] } } } grep { { @{ $_->[1] } }->{survey} eq 'he_csat' } @$x;
is($f && $f->{comment}, "\xd7\x94\xd7\x9e\xd7\xa9\xd7\x9c\xd7\x95\xd7\x97 \xd7\x90\xd7\x99\xd7\x97\xd7\xa8 \xd7\x91\xd7\x99\xd7\x95\xd7\x9e\xd7\x99\xd7\x99\xd7\x9d, \xd7\x90\xd7\x91\xd7\x9c \xd7\x94\xd7\xa9\xd7\x99\xd7\xa8\xd7\x95\xd7\xaa \xd7\x94\xd7\x99\xd7\x94 \xd7\xa0\xd7\x94\xd7\x93\xd7\xa8.",
   'redis: the Hebrew comment, as typed');

my $s = ::score('survey=post_purchase');
is($s->{n}, 1, '/cx/score: post_purchase n=1') or diag(JSON::PP::encode_json($s));
is($s->{nps}, 100, '/cx/score: NPS 100');
$s = ::score('survey=checkout_csat');
is($s->{n}, 1, '/cx/score: checkout_csat n=1') or diag(JSON::PP::encode_json($s));
is($s->{csat}, 0, '/cx/score: CSAT 0%');

for my $png (qw(widget-desktop widget-mobile widget-inline widget-followup widget-rtl-ar widget-rtl-he-followup)) {
    ok(-s "$::ROOT/test-artifacts/$png.png" > 5000, "screenshot test-artifacts/$png.png");
}
