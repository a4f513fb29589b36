# The dashboard's Question variants panel in real headless Chromium
# (Debian's chromium driven by playwright-core, dashboard/test/variants.js):
# a survey whose rule asked two wordings (today's counters with
# "@variant" fields, as the flush writes them), and one without variants.
# The panel must show each variant's score, interval, shown, response rate
# and its comparison with the first variant as /cx/score?...&by=variant
# has them, significance in words; no panel for a survey without
# variants; the Commented figure and column; a comment's variant; CSV;
# axe-clean, no CSP violation, on a phone too.  The browser's checks are relayed as "browser: ...".
# Screenshot: test-artifacts/dashboard-variants.png.

use lib 't/lib';
use Test::CX;
use FindBin;

our $ROOT = "$FindBin::Bin/..";

system("$ROOT/widget/test/setup.sh", '/usr/bin/chromium') == 0
    or die "widget/test/setup.sh failed\n";

# today's counters of a survey: variant => { score => n }, variant =>
# shown, variant => commented
sub seed {
    my ($survey, $hist, $shown, $commented) = @_;
    my $day = today();
    for my $v (keys %$hist) {
        my $at = $v eq '' ? '' : "\@$v";
        for my $s (keys %{ $hist->{$v} }) {
            my $n = $hist->{$v}{$s};
            redis()->hincrby("cx:localhost:sc:$survey:$day", "home:$s", $n);
            redis()->hincrby("cx:localhost:sc:$survey:$day", "home:$s$at", $n) if $at;
            redis()->hincrby("cx:localhost:sv:$survey:$day", 'home:answered', $n);
            redis()->hincrby("cx:localhost:sv:$survey:$day", "home:answered$at", $n) if $at;
        }
    }
    for my $v (keys %$shown) {
        my $at = $v eq '' ? '' : "\@$v";
        redis()->hincrby("cx:localhost:sv:$survey:$day", 'home:shown', $shown->{$v});
        redis()->hincrby("cx:localhost:sv:$survey:$day", "home:shown$at", $shown->{$v}) if $at;
    }
    for my $v (keys %{ $commented // {} }) {
        redis()->hincrby("cx:localhost:sv:$survey:$day", 'home:commented', $commented->{$v});
        redis()->hincrby("cx:localhost:sv:$survey:$day", "home:commented\@$v", $commented->{$v});
        redis()->hincrby("cx:localhost:tp:$day", 'home:commented', $commented->{$v});
    }
    redis()->hincrby("cx:localhost:tp:$day", 'home:view', 1000);
}

run_tests();

__DATA__

=== TEST 1: the Question variants panel in Chromium: a row per variant, against the first, a survey without, CSV, a phone, axe
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
location / {
    cx_survey site_nps type=nps;
    cx_survey plain_csat type=csat;
}
location = /cx/score { cx_score; }
location = /cx/dashboard { cx_dashboard; }
--- redis
--- request
GET /cx/dashboard
--- timeout: 30
--- check
::seed('site_nps', { 'a-recommend' => { 10 => 20, 9 => 10, 8 => 10, 5 => 10, 0 => 10 },
                     'b-tell' => { 10 => 40, 9 => 10, 8 => 5, 3 => 5 } },
       { 'a-recommend' => 300, 'b-tell' => 150 }, { 'b-tell' => 3 });
::seed('plain_csat', { '' => { 5 => 3, 2 => 1 } }, { '' => 10 });
my @now = gmtime;
redis()->xadd('cx:localhost:followup', '*', survey => 'site_nps', type => 'nps',
              touchpoint => 'home', score => 3, comment => 'Too slow', page => '/',
              time => sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $now[5] + 1900,
                              $now[4] + 1, @now[3, 2, 1, 0]),
              variant => 'b-tell');
my $base = 'http://127.0.0.1:' . server_port();
my $out = `cd '$::ROOT' && CX_BASE_URL=$base CX_ARTIFACTS='$::ROOT/test-artifacts' NODE_PATH='$::ROOT/widget/node_modules' timeout -k 5 150 node dashboard/test/variants.js 2>&1`;
my $rc = $? >> 8;
my ($tests, $plan) = (0, undef);
for (split /\n/, $out) {
    if (/^(not )?ok \d+ - (.*)$/) {
        $tests++;
        ok(!$1, "browser: $2");
    } elsif (/^1\.\.(\d+)$/) {
        $plan = $1;
    } elsif (/^# (.*)$/) {
        note($1);
    } else {
        diag($_);
    }
}
ok($plan && $plan == $tests && $tests >= 20, "the browser run completed ($tests checks)");
is($rc, 0, 'variants.js exit status');
ok(-s "$::ROOT/test-artifacts/dashboard-variants.png" > 5000,
   'screenshot test-artifacts/dashboard-variants.png');
