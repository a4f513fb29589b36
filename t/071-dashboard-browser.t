# The dashboard end to end in real headless Chromium (Debian's chromium
# driven by playwright-core, dashboard/test/e2e.js): nginx with the module
# serves the demo shop's surveys, /cx/collect, /cx/score (also behind a
# bearer token) and the dashboard; Redis holds four weeks of history
# (util/demo-history) and today's answers, posted through /cx/collect with
# the pages' own tokens -- the latest a detractor's comment with a
# <script> in it.  The browser run's checks are relayed as "browser: ...".
# Screenshots: test-artifacts/dashboard-*.png.

use lib 't/lib';
use Test::CX;
use Test::CX::Browser;
use FindBin;

our $ROOT = "$FindBin::Bin/..";
our $TOKEN = 'dash-Token_0123456789abcdef';
our $XSS = q{<script>window.__cx_xss = 1</script><img src=x onerror="window.__cx_xss = 2"> The coupon & the "total" were wrong};

sub uri_escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# a visitor: the page, its survey tag, the widget's events
sub visit {
    my ($path, $score, $comment) = @_;
    my $tag = survey_tag($path) or return 0;
    my $f = "survey=$tag->{survey}&touchpoint=$tag->{touchpoint}&token=$tag->{token}"
            . '&page=' . uri_escape($path);

    post('/cx/collect', 'application/x-www-form-urlencoded', "$f&event=shown")->{status} == 204
        or return 0;
    return post('/cx/collect', 'application/x-www-form-urlencoded',
                "$f&event=answered&score=$score"
                . (defined $comment ? '&comment=' . uri_escape($comment) : ''))->{status} == 204;
}

browser_setup();

run_tests();

__DATA__

=== TEST 1: the dashboard in Chromium: scores, intervals, trend, pain map, heat map, journey, comments as text, keyboard, filters, token, phone, axe
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
map $uri $cx_help_article {
    ~^/help/(?<cx_article>[a-z0-9-]+)\.html$  help.$cx_article;
    default                                   help;
}
--- config
location / {
    root $TEST_NGINX_ROOT/demo/site;

    location = /index.html {
        cx_touchpoint home;
        cx_survey brand_nps type=nps
            "question=How likely are you to recommend Demo Shop to a friend?";
    }

    location /products/ {
        cx_touchpoint product;
        cx_survey product_info type=csat
            "question=Did this page tell you what you needed to know?";
    }

    location = /checkout.html {
        cx_touchpoint checkout;
        cx_survey checkout_csat type=csat
            "question=How satisfied are you with our checkout?";
    }

    location = /thanks.html {
        cx_touchpoint thanks;
        cx_survey post_purchase type=nps "title=Post-purchase NPS"
            "question=How likely are you to recommend Demo Shop to a friend?";
    }

    location /help/ {
        cx_touchpoint $cx_help_article;
        cx_survey support_ces type=ces
            "question=How easy was it to solve your problem with this article?";
    }
}

location = /favicon.ico {
    return 204;
}

location = /cx/collect {
    cx_collect;
}

location = /cx/score {
    cx_score;
    cx_score_time_zone utc Europe/Paris;
}

location = /cx/score-private {
    cx_score;
    cx_score_token dash-Token_0123456789abcdef;
}

location = /cx/dashboard {
    cx_dashboard;
}

location = /cx/dashboard-private {
    cx_dashboard score=/cx/score-private;
}
--- redis
--- request
GET /cx/dashboard
--- timeout: 30
--- check
my $t0 = time;
my $port = redis_port();
my $hist = `'$::ROOT/util/demo-history' -p $port --site localhost --days 29 2>&1`;
is($?, 0, 'util/demo-history: four weeks of history') or diag($hist);

my $ok = 1;
$ok &&= ::visit('/thanks.html', $_) for 10, 9, 9, 8;
$ok &&= ::visit('/checkout.html', 2, 'Coupon field again');
$ok &&= ::visit('/checkout.html', 1, '=HYPERLINK("http://x.invalid")+1');
$ok &&= ::visit('/checkout.html', 2, '-2+3 was the total');
$ok &&= ::visit('/help/returns.html', 6);
$ok &&= ::visit('/thanks.html', 3, $::XSS);
ok($ok, 'today: answers through /cx/collect with the pages\' tokens');
ok(wait_for(sub { grep { { @{ $_->[1] } }->{comment} eq $::XSS }
                  @{ redis()->xrevrange('cx:localhost:followup', '+', '-', 'COUNT', 1) } }),
   'flushed: the latest follow-up is the comment with <script>');

my $base = 'http://127.0.0.1:' . server_port();
my $xss = $::XSS;
$xss =~ s/'/'\\''/g;
my $out = `cd '$::ROOT' && CX_BASE_URL=$base CX_TOKEN=$::TOKEN CX_XSS_COMMENT='$xss' CX_ARTIFACTS='$::ROOT/test-artifacts' NODE_PATH='$::ROOT/widget/node_modules' timeout -k 5 180 node dashboard/test/e2e.js 2>&1`;
my $rc = $? >> 8;
my ($tests, $plan) = ::browser_tap($out);
ok($plan && $plan == $tests && $tests > 60, "the browser run completed ($tests checks)");
is($rc, 0, 'e2e.js exit status');
# how long it took is no assertion: a loaded machine is slow, and the run
# is bounded by its timeout (180 s) above
note(sprintf('it all took %.0f s', time - $t0));

for my $png (qw(dashboard-desktop dashboard-top dashboard-mobile dashboard-mobile-full)) {
    ok(-s "$::ROOT/test-artifacts/$png.png" > 20000, "screenshot test-artifacts/$png.png");
}
