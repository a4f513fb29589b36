# GET /cx/score with a compared period (compare=previous, or
# compare_from and compare_to), per group with by=, each touchpoint
# against the rest (vs_rest) and the pain map's order; how many answers
# are enough (precision with margin=, detectable with detect=).  The
# statistics themselves are checked in t/043-score-compare-math.t; here,
# that the right answers are compared, with figures worked by hand.
#
# 2024-03-01 was a Friday.

use lib 't/lib';
use Test::CX;
use Test::CX::Score;
use JSON::PP ();

our $T = JSON::PP::true;
our $F = JSON::PP::false;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
    cx_survey c1 type=csat;
    cx_survey e1 type=ces;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('redis', '') unless defined $block->redis;
});

run_tests();

__DATA__

=== TEST 1: compare=previous: the same number of days just before from, compared (NPS)
# This week: 6 promoters, 2 passives, 2 detractors: NPS 40.  The week
# before: 2, 2, 6: NPS -40; diff = 80.0.  Adjusted Wald: n' = 13,
# NPS'1 = (6.75 - 2.75) / 13 = 0.307692, V'1 = 0.730769 - 0.094675 =
# 0.636095, the mirror image for the week before; se = sqrt(2 x
# 0.636095 / 13) = 0.312828; z = 0.615385 / 0.312828 = 1.9672, p =
# 0.0492: significant, just.  diff_ci95 = 100 (0.615385 -+ 1.96 x
# 0.312828) = [0.2, 122.9].  A day outside both weeks is not read.
--- check
::answers('s1', '20240308', 'home', { 10 => 4, 8 => 2, 0 => 1 });
::answers('s1', '20240314', 'cart', { 9 => 2, 0 => 1 });
::answers('s1', '20240301', 'home', { 10 => 2, 0 => 3 });
::answers('s1', '20240307', 'home', { 7 => 2, 3 => 3 });
::answers('s1', '20240229', 'home', { 0 => 100 });
::answers('s1', '20240315', 'home', { 0 => 100 });
my $r = ::score('survey=s1&from=2024-03-08&to=2024-03-14&compare=previous');
::fields_ok($r->{json}, { n => 10, nps => 40.0, compare => {
    from => '2024-03-01', to => '2024-03-07', n => 10, nps => -40.0,
    ci95 => [-74.1, 12.6], diff => 80.0, diff_ci95 => [0.2, 122.9],
    p_value => 0.0492, significant => $::T } }, 'compare');
like($r->{body}, qr/"dismiss_rate":null,"compare":\{"from":"2024-03-01","to":"2024-03-07","n":10,"nps":-40\.0,"ci95":\[-74\.1,12\.6\],"diff":80\.0,"diff_ci95":\[0\.2,122\.9\],"p_value":0\.0492,"significant":true\},"precision":/,
     'the order of the fields');
$r = ::score('survey=s1&from=2024-03-14&to=2024-03-14&compare=previous');
::fields_ok($r->{json}, { n => 3, compare => { from => '2024-03-13', to => '2024-03-13',
    n => 0, nps => undef, ci95 => undef, diff => undef, diff_ci95 => undef,
    p_value => undef, significant => $::F } }, 'one day against an empty one: nulls');



=== TEST 2: compare_from and compare_to: any period, of any length (CSAT, Agresti-Caffo)
# Perondi et al. (2004), worked in Fagerland et al. (2017): 7 of 34
# against 1 of 34.  diff = 100 (7/34 - 1/34) = 17.6.  Agresti-Caffo: 8/36
# and 2/36, se = sqrt(0.222222 x 0.777778 / 36 + 0.055556 x 0.944444 /
# 36) = 0.079111; 0.166667 -+ 1.96 x 0.079111 = [1.2, 32.2]; z =
# 2.1067, p = 0.0351.  Against itself: se = sqrt(2 x 0.222222 x
# 0.777778 / 36) = 0.097991, 1.96 se = 19.2.
--- check
::answers('c1', '20240310', 'home', { 5 => 7, 1 => 27 });
::answers('c1', '20240101', 'home', { 4 => 1, 2 => 13 });
::answers('c1', '20240131', 'home', { 1 => 20 });
my $r = ::score('survey=c1&from=2024-03-01&to=2024-03-31&compare_from=2024-01-01&compare_to=2024-01-31');
::fields_ok($r->{json}, { n => 34, csat => 20.6, compare => {
    from => '2024-01-01', to => '2024-01-31', n => 34, csat => 2.9,
    diff => 17.6, diff_ci95 => [1.2, 32.2], p_value => 0.0351,
    significant => $::T } }, 'CSAT');
$r = ::score('survey=c1&from=2024-03-01&to=2024-03-31&compare_from=2024-01-31&compare_to=2024-01-31');
::fields_ok($r->{json}, { compare => { from => '2024-01-31', to => '2024-01-31', n => 20,
    csat => 0.0, diff => 20.6 } }, 'one day compared with a month');
$r = ::score('survey=c1&from=2024-03-10&to=2024-03-10&compare_from=2024-03-10&compare_to=2024-03-10');
::fields_ok($r->{json}, { n => 34, compare => { n => 34, csat => 20.6, diff => 0.0,
    diff_ci95 => [-19.2, 19.2], p_value => 1.0, significant => $::F } },
    'a period against itself: diff 0, p 1');



=== TEST 3: CES: Welch's t; no test below 2 answers, nor without any spread
# 5, 7 against 3, 4, 5: means 6.00 and 4.00, diff 2.00; s^2 = 2 and 1;
# se^2 = 2/2 + 1/3 = 1.333333, se = 1.154701, t = 1.7321;
# df = 1.777778 / (1 + 0.055556) = 1.684211 (Welch-Satterthwaite).
--- check
::answers('e1', '20240302', 'home', { 5 => 1, 7 => 1 });
::answers('e1', '20240301', 'home', { 3 => 1, 4 => 1, 5 => 1 });
::answers('e1', '20240304', 'home', { 7 => 3 });
::answers('e1', '20240303', 'home', { 7 => 2 });
::answers('e1', '20240305', 'home', { 6 => 1 });
my $r = ::score('survey=e1&from=2024-03-02&to=2024-03-02&compare=previous');
::fields_ok($r->{json}, { ces => 6.0, compare => { n => 3, ces => 4.0, sd => undef,
    diff => 2.0, significant => $::F } }, 'CES');
my $c = $r->{json}{compare};
ok(!exists $c->{sd}, 'the compared part has the score and its interval only');
ok($c->{p_value} > 0.2 && $c->{p_value} < 0.4, "p = $c->{p_value}, between 0.2 and 0.4 (df 1.68)");
ok($c->{diff_ci95}[0] < 0 && $c->{diff_ci95}[1] > 4, 'a wide interval across 0');
$r = ::score('survey=e1&from=2024-03-04&to=2024-03-04&compare=previous');
::fields_ok($r->{json}, { compare => { n => 2, ces => 7.0, diff => 0.0, diff_ci95 => undef,
    p_value => undef, significant => $::F } }, 'no spread on either side: no test');
$r = ::score('survey=e1&from=2024-03-05&to=2024-03-05&compare=previous');
::fields_ok($r->{json}, { n => 1, compare => { n => 3, ces => 7.0, diff => -1.0,
    diff_ci95 => undef, p_value => undef, significant => $::F } }, 'one answer: a diff, no test');



=== TEST 4: by=day: each day against the day as far into the compared period
--- check
::answers('s1', '20240308', 'home', { 10 => 3 });
::answers('s1', '20240309', 'home', { 0 => 1 });
::answers('s1', '20240301', 'home', { 10 => 1, 0 => 1 });
my $r = ::score('survey=s1&from=2024-03-08&to=2024-03-10&by=day&compare_from=2024-03-01&compare_to=2024-03-02');
::fields_ok($r->{json}, { n => 4, compare => { n => 2, nps => 0.0, diff => 50.0 }, groups => [
    { day => '2024-03-08', nps => 100.0, compare => { from => '2024-03-01', to => '2024-03-01',
      n => 2, nps => 0.0, diff => 100.0 } },
    { day => '2024-03-09', nps => -100.0, compare => { from => '2024-03-02', to => '2024-03-02',
      n => 0, nps => undef, diff => undef } },
    { day => '2024-03-10', n => 0, compare => undef },
] }, 'by day');



=== TEST 5: by=hour and by=wday: the same hour, the same weekday of the compared period
--- check
::answers('s1', '20240308', 'home', { 10 => 2 }, '09');
::answers('s1', '20240301', 'home', { 0 => 2 }, '09');
::answers('s1', '20240301', 'home', { 9 => 1 }, '10');
my $r = ::score('survey=s1&from=2024-03-08&to=2024-03-14&by=hour&compare=previous');
my $g = $r->{json}{groups};
::fields_ok($g->[9], { hour => '09', n => 2, compare => { from => '2024-03-01', to => '2024-03-07',
    n => 2, nps => -100.0, diff => 200.0 } }, '09');
::fields_ok($g->[10], { hour => '10', n => 0, compare => { n => 1, nps => 100.0, diff => undef } }, '10');
$r = ::score('survey=s1&from=2024-03-08&to=2024-03-14&by=wday&compare=previous');
# Friday 2024-03-01 has 2 detractors at 09 and a promoter at 10
::fields_ok($r->{json}{groups}[4], { wday => 'fri', n => 2, compare => { n => 3, nps => -33.3 } },
            'Friday against Friday');
::fields_ok($r->{json}{groups}[0], { wday => 'mon', n => 0, compare => { n => 0 } }, 'Monday');



=== TEST 6: by=touchpoint: vs_rest, the low-answer rate, and the significantly worse first
# checkout: 10 answers, 2 promoters, 6 detractors (NPS -40); its rest
# (home, help): 110 answers, 68 promoters, 10 detractors: 52.7.  home has
# more detractors (weight 8 of 16 = 50%) but its NPS, 52, is above its
# rest's (checkout, help: 20 answers, 10 promoters, 8 detractors: 10),
# so checkout, significantly worse, comes first.  help: 60 against
# 48 / 110 = 43.6.  checkout's low rate: 6 of 10 = 60.0%, Wilson
# [31.3, 83.2].
--- check
::answers('s1', '20240301', 'checkout', { 0 => 6, 10 => 2, 8 => 2 });
::answers('s1', '20240301', 'home', { 10 => 60, 8 => 32, 0 => 8 });
::answers('s1', '20240301', 'help', { 9 => 8, 5 => 2 });
::answers('s1', '20240229', 'home', { 0 => 5, 10 => 5 });
::answers('s1', '20240229', 'gone', { 0 => 1 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&by=touchpoint&compare=previous');
::fields_ok($r->{json}, { n => 120, low => 16, groups => [
    { touchpoint => 'checkout', pain => 37.5, low_rate => 60.0, low_rate_ci95 => [31.3, 83.2],
      n => 10, nps => -40.0,
      vs_rest => { from => '2024-03-01', to => '2024-03-01', n => 110, nps => 52.7,
                   diff => -92.7, significant => $::T },
      compare => { from => '2024-02-29', to => '2024-02-29', n => 0, diff => undef } },
    { touchpoint => 'home', pain => 50.0, low_rate => 8.0, n => 100, nps => 52.0,
      vs_rest => { n => 20, nps => 10.0, diff => 42.0, significant => $::T },
      compare => { n => 10, nps => 0.0, diff => 52.0 } },
    { touchpoint => 'help', pain => 12.5, low_rate => 20.0, n => 10, nps => 60.0,
      vs_rest => { n => 110, nps => 43.6, diff => 16.4, significant => $::F } },
] }, 'pain map');
ok(!grep({ $_->{touchpoint} eq 'gone' } @{ $r->{json}{groups} }),
   'a touchpoint of the compared period only is not listed');
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&by=touchpoint&touchpoint=help');
::fields_ok($r->{json}{groups}, [ { touchpoint => 'help', vs_rest => { n => 0, nps => undef,
    diff => undef, p_value => undef, significant => $::F } } ], 'alone: no rest to compare with');
ok(!exists $r->{json}{groups}[0]{compare}, 'no compare without a compared period');



=== TEST 7: the pain map without a significant difference: by weight, as before
--- check
::answers('s1', '20240301', 'a', { 0 => 2, 10 => 3 });
::answers('s1', '20240301', 'b', { 0 => 3, 10 => 3 });
::answers('s1', '20240301', 'c', { 0 => 1, 10 => 2 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&by=touchpoint');
is(join(',', map { $_->{touchpoint} } @{ $r->{json}{groups} }), 'b,a,c', 'by share of detractors');
ok(!grep({ $_->{vs_rest}{significant} } @{ $r->{json}{groups} }), 'none significant');



=== TEST 8: precision and detectable: MeasuringU's 40% promoters and 30% detractors
# n = 1000 in 30 days, 400 promoters, 300 detractors: V' = 0.689462.
# margin 5: 1.96^2 x 0.689462 / 0.05^2 - 3 = 1056.5 -> 1057 answers,
# 57 more, at 1000 / 30 a day 2 days.  A change of 10 points, 80% power:
# 2 x 0.689462 x 2.8^2 / 0.1^2 - 3 = 1078.1 -> 1079 per period (about
# 1,080, MeasuringU), 79 more, 3 days.
--- check
::answers('s1', '20240301', 'home', { 10 => 400, 8 => 300, 0 => 300 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-30');
::fields_ok($r->{json}, { n => 1000,
    precision => { margin => 5.0, needed => 1057, more => 57, days => 2 },
    detectable => { change => 10.0, needed => 1079, more => 79, days => 3 } }, 'defaults');
# margin 2: 1.96^2 x 0.689462 / 0.0004 - 3 = 6618.5 -> 6619, 5619 more,
# 168.57 -> 169 days.  detect 20: 1.378924 x 7.84 / 0.04 - 3 = 267.3 ->
# 268: none more, 0 days.
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-30&margin=2&detect=20');
::fields_ok($r->{json}, {
    precision => { margin => 2.0, needed => 6619, more => 5619, days => 169 },
    detectable => { change => 20.0, needed => 268, more => 0, days => 0 } }, 'margin=2&detect=20');
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-30&margin=0.5');
::fields_ok($r->{json}, { precision => { margin => 0.5 } }, 'a decimal margin');
$r = ::score('survey=s1&from=2024-02-01&to=2024-02-29');
::fields_ok($r->{json}, { n => 0, precision => { margin => 5.0, needed => undef, more => undef, days => undef },
    detectable => { change => 10.0, needed => undef } }, 'no answers: nothing to go by');



=== TEST 9: precision and detectable for CSAT and CES; with a comparison, both periods' spreads
# CSAT, 15 of 20 satisfied in 10 days: q = (15 + 1.9208) / 23.8416 =
# 0.709718, 3.8416 x 0.206018 / 0.0025 - 3.8416 = 312.7 -> 313, 293
# more, 146.5 -> 147 days.  CES 5 and 7, 10 of each (sd 1.025978),
# margin 0.25: the least n with (4.103913 t(n - 1))^2 <= n: 67 has
# t(66) = 1.996576 (the table, linear in 1/df), 67.14: no; 68 has
# t(67) = 1.996021, 67.10: yes.  48 more, at 20 a day 3 days.
--- check
::answers('c1', '20240301', 'home', { 5 => 10, 4 => 5, 3 => 2, 2 => 2, 1 => 1 });
my $r = ::score('survey=c1&from=2024-03-01&to=2024-03-10');
::fields_ok($r->{json}, { precision => { margin => 5.0, needed => 313, more => 293, days => 147 } }, 'CSAT');
::answers('e1', '20240301', 'home', { 5 => 10, 7 => 10 });
$r = ::score('survey=e1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { precision => { margin => 0.25, needed => 68, more => 48, days => 3 },
    detectable => { change => 0.5 } }, 'CES');
like($r->{body}, qr/"precision":\{"margin":0\.25,/, 'CES: two decimals');
# detect 1.0 with the day before (all 6: sd 0) as the compared period:
# s^2 = 1.052632 + 0 -> 1.052632 x 7.84 = 8.25 -> 9; alone, 2 x
# 1.052632 x 7.84 = 16.5 -> 17
::answers('e1', '20240229', 'home', { 6 => 20 });
$r = ::score('survey=e1&from=2024-03-01&to=2024-03-01&detect=1&compare=previous');
::fields_ok($r->{json}, { detectable => { change => 1.0, needed => 9 } }, 'both spreads');
$r = ::score('survey=e1&from=2024-03-01&to=2024-03-01&detect=1');
::fields_ok($r->{json}, { detectable => { change => 1.0, needed => 17 } }, 'its own spread twice');
