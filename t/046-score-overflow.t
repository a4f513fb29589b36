# GET /cx/score on counts that the module never writes: huge ones (a
# fake or damaged Redis, HSET by hand) saturate at 2^53 - 1, the largest
# integer every JSON reader (the dashboard's JavaScript included) holds
# exactly, and so does every sum; negative and non-integer ones are bad
# data, skipped.  Never a wrapped sum.  Both are logged, naming the key
# and the field, at most once a second per worker.
#
# Every block writes the hashes with the harness's Redis client.

use lib 't/lib';
use Test::CX;
use JSON::PP ();

our $MAX = '9007199254740991';
our $D1 = '20240301';
our $D2 = '20240302';

sub score {
    my ($query) = @_;
    my $r;

    wait_for(sub {
        $r = http_request("GET /cx/score?$query HTTP/1.1\r\nHost: localhost\r\n"
                          . "Connection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });

    is($r->{status}, 200, "$query: 200") or diag($r->{body});
    $r->{json} = eval { JSON::PP->new->allow_bignum->decode($r->{body}) };
    ok($r->{json}, "$query: JSON") or diag($r->{body});

    return $r;
}

# no number in the answer is past the bound, or negative

sub bounded_ok {
    my ($r, $name) = @_;
    my @big = grep { length $_ > 16 || (length $_ == 16 && $_ gt $::MAX) }
              $r->{body} =~ /(?<![\d.])(\d+)(?![\d.])/g;
    is("@big", '', "$name: no integer past 2^53 - 1");
    unlike($r->{body}, qr/[:\[,]-\d+(?!\.)[,\]}]/, "$name: no negative count");
    unlike($r->{body}, qr/nan|inf/i, "$name: no NaN or infinity");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
    cx_survey c1 type=ces;
    cx_survey t1 type=csat;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('redis', '') unless defined $block->redis;
});

run_tests();

__DATA__

=== TEST 1: the reproduction: counts of 2^63 - 1 over two days do not wrap, they saturate
--- check
my $big = '9223372036854775807';
redis()->hset("cx:localhost:sc:s1:$::D1", 'home:10', $big, 'home:0', $big, 'home:9', 3);
redis()->hset("cx:localhost:sc:s1:$::D2", 'home:10', $big, 'home:0', 5);
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-02');
::bounded_ok($r, 'two days');
is($r->{json}{n}, $::MAX, 'n saturated');
is($r->{json}{histogram}{10}, $::MAX, 'histogram 10 saturated');
is($r->{json}{histogram}{0}, $::MAX, 'histogram 0 saturated');
is($r->{json}{histogram}{9}, 3, 'histogram 9 as it is');
is($r->{json}{promoters}, $::MAX, 'promoters saturated');
is($r->{json}{detractors}, $::MAX, 'detractors saturated');
is($r->{json}{low}, $::MAX, 'low saturated');
ok(defined $r->{json}{nps} && $r->{json}{nps} >= -100 && $r->{json}{nps} <= 100,
   "NPS on the scale ($r->{json}{nps})");
--- error_log eval
qr/cx score: a count past 9007199254740991 in "cx:localhost:sc:s1:2024030[12]" field "home:(10|0)": held at 9007199254740991/



=== TEST 2: one count past 2^64 (not even an int64) saturates too; hundreds of digits as well
--- check
sleep 1.1;    # past the second of the last line logged
redis()->hset("cx:localhost:sc:s1:$::D1", 'home:10', '18446744073709551616',
              'home:0', '9' x 400, 'home:8', '9007199254740992', 'home:7', $::MAX);
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::bounded_ok($r, 'past 2^64');
is($r->{json}{histogram}{10}, $::MAX, '2^64: held');
is($r->{json}{histogram}{0}, $::MAX, '400 nines: held');
is($r->{json}{histogram}{8}, $::MAX, '2^53: held');
is($r->{json}{histogram}{7}, $::MAX, '2^53 - 1: as it is');
is($r->{json}{n}, $::MAX, 'n held');
is($r->{json}{passives}, $::MAX, 'passives held (2^53 - 1 twice)');
--- error_log eval
qr/cx score: a count past 9007199254740991 in "cx:localhost:sc:s1:20240301" field "home:\d+": held at 9007199254740991/



=== TEST 3: negative, fractional, signed, spaced, hex and empty counts are bad data: skipped and logged
--- check
sleep 1.1;    # past the second of the last line logged
redis()->hset("cx:localhost:sc:s1:$::D1",
              'home:10', '-5', 'home:9', 'abc', 'home:8', '1.5', 'home:7', '',
              'home:6', ' 3', 'home:5', '+3', 'home:4', '0x10', 'home:3', "3\n",
              'home:2', '-9223372036854775808', 'home:1', '4', 'home:0', '007');
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::bounded_ok($r, 'bad data');
is($r->{json}{n}, 11, 'only 4 and 007 counted');
is($r->{json}{histogram}{1}, 4, 'score 1: the count 4');
is($r->{json}{histogram}{0}, 7, '007 is 7');
is($r->{json}{histogram}{$_}, 0, "score $_ skipped") for 2 .. 10;
--- error_log eval
qr/cx score: not a count in "cx:localhost:sc:s1:20240301" field "home:\d+": "[^"]*", skipped/



=== TEST 4: the log is rate-limited: at most one line a second per worker, naming how many were not logged
--- check
redis()->hset("cx:localhost:sc:s1:$::D1", map { ("home:$_", "-$_") } 0 .. 10);
sleep 1.1;
my $t0 = time;
for (1 .. 20) {
    my $r = http_request("GET /cx/score?survey=s1&from=2024-03-01&to=2024-03-01 HTTP/1.1\r\n"
                         . "Host: localhost\r\nConnection: close\r\n\r\n");
    is($r->{status}, 200, "request $_: 200");
}
my $secs = time - $t0;
sleep 1.1;
http_request("GET /cx/score?survey=s1&from=2024-03-01&to=2024-03-01 HTTP/1.1\r\n"
             . "Host: localhost\r\nConnection: close\r\n\r\n");
my @lines = grep { /cx score: not a count/ } split /\n/, Test::CX::block_log();
ok(@lines >= 2, scalar(@lines) . ' lines: one, and one a second later');
ok(@lines <= int($secs) + 3, scalar(@lines) . " lines for 21 answers of 11 bad counts in ${secs}s");
like($lines[-1], qr/\(\d+ more not logged\)/, 'the later line says how many were not logged');
like("@lines", qr/field "home:\d+": "-\d+"/, 'the value is shown');



=== TEST 5: a value with control bytes and quotes is logged escaped, not raw
--- check
redis()->hset("cx:localhost:sc:s1:$::D1", 'home:10', "1\n2020/01/01 [notice] \"forged\"\e[31m" . ('x' x 200));
sleep 1.1;
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
is($r->{json}{n}, 0, 'skipped');
my $log = Test::CX::block_log();
like($log, qr/field "home:10": "1\\x0A2020\/01\/01 \[notice\] \\x22forged\\x22\\x1B\[31mx+\.\.\.", skipped/,
     'escaped and cut');
unlike($log, qr/^2020\/01\/01 \[notice\]/m, 'no forged line');



=== TEST 6: events (sv) saturate: impressions, answers and the rates stay bounded
--- check
my $big = '9223372036854775807';
for my $d ($::D1, $::D2) {
    redis()->hset("cx:localhost:sv:s1:$d", 'home:shown', $big, 'home:answered', $big,
                  'home:triggered', $big, 'home:dismissed', 1);
}
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-02&by=day');
::bounded_ok($r, 'events');
is($r->{json}{impressions}{shown}, $::MAX, 'shown held');
is($r->{json}{impressions}{triggered}, $::MAX, 'triggered held');
is($r->{json}{answers}, $::MAX, 'answers held');
is($r->{json}{dismissed}, 2, 'dismissed added');
ok($r->{json}{response_rate} == 100, 'response rate 100%');
is($r->{json}{groups}[0]{impressions}{shown}, $::MAX, 'a day: held');



=== TEST 7: by touchpoint, hour and wday: every group saturates, none wraps
--- check
my $big = '9223372036854775807';
for my $d ($::D1, $::D2) {
    redis()->hset("cx:localhost:sc:s1:$d", 'home:10', $big, 'cart:3', $big);
    redis()->hset("cx:localhost:sch:s1:$d", 'home:10:12', $big, 'cart:3:12', $big);
}
for my $by ('touchpoint', 'hour', 'wday', 'day') {
    my $r = ::score("survey=s1&from=2024-03-01&to=2024-03-02&by=$by");
    ::bounded_ok($r, "by=$by");
    my ($g) = grep { $_->{n} } @{ $r->{json}{groups} };
    is($g->{n}, $::MAX, "by=$by: a group's n held");
}



=== TEST 8: CES and CSAT on saturated histograms: means and intervals on the scale
--- check
my $big = '9223372036854775807';
redis()->hset("cx:localhost:sc:c1:$::D1", 'home:7', $big, 'home:1', $big, 'home:4', 2);
redis()->hset("cx:localhost:sc:t1:$::D1", 'home:5', $big, 'home:1', $big);
my $r = ::score('survey=c1&from=2024-03-01&to=2024-03-01');
::bounded_ok($r, 'CES');
is($r->{json}{n}, $::MAX, 'CES n held');
ok($r->{json}{ces} >= 1 && $r->{json}{ces} <= 7, "CES mean on the scale ($r->{json}{ces})");
ok($r->{json}{ci95}[0] >= 1 && $r->{json}{ci95}[1] <= 7, 'CES interval on the scale');
$r = ::score('survey=t1&from=2024-03-01&to=2024-03-01');
::bounded_ok($r, 'CSAT');
is($r->{json}{n}, $::MAX, 'CSAT n held');
ok($r->{json}{csat} >= 0 && $r->{json}{csat} <= 100, "CSAT on the scale ($r->{json}{csat})");



=== TEST 9: the journey (tp, tph): views and events saturate per day and per hour
--- check
sleep 1.1;
my $big = '9223372036854775807';
for my $d ($::D1, $::D2) {
    redis()->hset("cx:localhost:tp:$d", 'home:view', $big, 'home:promo', $big, 'cart:view', '-4',
                  'cart:shown', 'x');
    redis()->hset("cx:localhost:tph:$d", 'home:view:12', $big);
}
my $r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-02&by=day');
::bounded_ok($r, 'journey');
my ($home) = grep { $_->{touchpoint} eq 'home' } @{ $r->{json}{touchpoints} };
is($home->{events}{view}, $::MAX, 'views held');
is($home->{events}{promo}, $::MAX, 'a custom event held');
is($home->{groups}[0]{events}{view}, $::MAX, 'a day: held');
my ($cart) = grep { $_->{touchpoint} eq 'cart' } @{ $r->{json}{touchpoints} };
is($cart->{events}{view}, 0, 'a negative count skipped') if $cart;
$r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-02&by=hour');
::bounded_ok($r, 'journey by hour');
($home) = grep { $_->{touchpoint} eq 'home' } @{ $r->{json}{touchpoints} };
is($home->{groups}[12]{events}{view}, $::MAX, 'an hour: held');
--- error_log eval
qr/cx score: (a count past|not a count in) .*"cx:localhost:tph?:2024030[12]"/



=== TEST 10: ordinary counts are untouched: nothing logged
--- check
redis()->hset("cx:localhost:sc:s1:$::D1", 'home:10', 3, 'home:0', 1, 'home:8', '4503599627370496');
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
is($r->{json}{n}, '4503599627370500', 'n = 2^52 + 4, exact');
--- no_error_log
cx score: a count past
cx score: not a count
