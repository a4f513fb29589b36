# GET /cx/score: NPS, CSAT and CES with their 95% intervals, computed from
# the score histograms in Redis, checked against values worked out by
# hand (docs/statistics.md has the formulas); groups by day, touchpoint
# (the pain map), hour and weekday; the journey report.
#
# Every block writes the hashes the collect and count halves would write,
# then asks the endpoint.  2024-03-01 was a Friday.

use lib 't/lib';
use Test::CX;
use Test::CX::Score;
use JSON::PP ();

our $D1 = '20240301';

sub hist {
    my ($min, $max, %h) = @_;
    return { map { ($_ => $h{$_} // 0) } $min .. $max };
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

=== TEST 1: NPS, no answers (n = 0): every score and interval is null
--- check
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
is($r->{status}, 200, 'status');
is($r->{headers}{'content-type'}, 'application/json', 'JSON');
is($r->{headers}{'cache-control'}, 'no-store', 'never cached');
is($r->{body}, '{"survey":"s1","type":"nps","site":"localhost",'
    . '"from":"2024-03-01","to":"2024-03-01","n":0,"histogram":{"0":0,'
    . '"1":0,"2":0,"3":0,"4":0,"5":0,"6":0,"7":0,"8":0,"9":0,"10":0},'
    . '"nps":null,"promoters":0,"passives":0,"detractors":0,'
    . '"promoters_pct":null,"passives_pct":null,"detractors_pct":null,'
    . '"ci95":null,"low":0,"impressions":{"triggered":0,"shown":0},'
    . '"answers":0,"commented":0,"dismissed":0,"response_rate":null,"dismiss_rate":null,'
    . '"precision":{"margin":5.0,"needed":null,"more":null,"days":null},'
    . '"detectable":{"change":10.0,"needed":null,"more":null,"days":null}}'
    . "\n", 'the whole document');



=== TEST 2: NPS, one promoter (n = 1)
# NPS = 100 (1 - 0) / 1 = 100.  Adjusted Wald: n' = 4,
# p = 1.75/4 = 0.4375, d = 0.75/4 = 0.1875, p - d = 0.25,
# Var = (0.625 - 0.0625) / 4 = 0.140625, sqrt = 0.375,
# 0.25 -+ 1.96 * 0.375 = 0.25 -+ 0.735 -> [-48.5, 98.5]
--- check
::answers('s1', $::D1, 'home', { 10 => 1 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 1, nps => 100.0, ci95 => [-48.5, 98.5],
    promoters => 1, passives => 0, detractors => 0, promoters_pct => 100.0,
    passives_pct => 0.0, detractors_pct => 0.0, low => 0,
    histogram => ::hist(0, 10, 10 => 1) }, 'nps');



=== TEST 3: NPS, one detractor (n = 1): the mirror image
# p = 0.1875, d = 0.4375: -0.25 -+ 0.735 -> [-98.5, 48.5]
--- check
::answers('s1', $::D1, 'home', { 0 => 1 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 1, nps => -100.0, ci95 => [-98.5, 48.5],
    detractors => 1, detractors_pct => 100.0, low => 1 }, 'nps');



=== TEST 4: NPS, all promoters (n = 10): the interval is clipped at 100
# n' = 13, p = 10.75/13 = 0.826923, d = 0.75/13 = 0.057692,
# p - d = 0.769231, p + d = 0.884615, (p - d)^2 = 0.591716,
# Var = 0.292899 / 13 = 0.022531, sqrt = 0.150102, * 1.96 = 0.294200
# -> [0.475030, 1.063431] -> [47.5, 100.0]
--- check
::answers('s1', $::D1, 'home', { 9 => 5, 10 => 5 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 10, nps => 100.0, ci95 => [47.5, 100.0],
    promoters => 10, passives => 0, detractors => 0, low => 0 }, 'nps');



=== TEST 5: NPS, all detractors (n = 10), scores 0 to 6
--- check
::answers('s1', $::D1, 'home', { 0 => 2, 1 => 1, 2 => 1, 3 => 1, 4 => 1, 5 => 2, 6 => 2 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 10, nps => -100.0, ci95 => [-100.0, -47.5],
    promoters => 0, passives => 0, detractors => 10, low => 10,
    detractors_pct => 100.0 }, 'nps');



=== TEST 6: NPS, mixed (6 promoters, 2 passives, 2 detractors), with rates
# NPS = 60% - 20% = 40.  n' = 13, p = 6.75/13 = 0.519231,
# d = 2.75/13 = 0.211538, p - d = 0.307692, p + d = 0.730769,
# (p - d)^2 = 0.094675, Var = 0.636095 / 13 = 0.048930, sqrt = 0.221201,
# * 1.96 = 0.433554 -> [-0.125862, 0.741246] -> [-12.6, 74.1].
# Rates are of surveys shown: 10 / 30 = 33.3%, 12 / 30 = 40.0%.
# Precision (margin 5): 1.96^2 x 0.636095 / 0.05^2 - 3 = 974.5 -> 975,
# 965 more, 96.5 -> 97 days at 10 a day; detectable (10 points):
# 2 x 0.636095 x 2.8^2 / 0.1^2 - 3 = 994.4 -> 995 (t/040-score-compare.t).
--- check
::answers('s1', $::D1, 'home', { 10 => 4, 9 => 2, 8 => 1, 7 => 1, 6 => 1, 0 => 1 });
::events('s1', $::D1, 'home', { triggered => 40, shown => 30, answered => 10, dismissed => 12 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
is($r->{body}, '{"survey":"s1","type":"nps","site":"localhost",'
    . '"from":"2024-03-01","to":"2024-03-01","n":10,"histogram":{"0":1,'
    . '"1":0,"2":0,"3":0,"4":0,"5":0,"6":1,"7":1,"8":1,"9":2,"10":4},'
    . '"nps":40.0,"promoters":6,"passives":2,"detractors":2,'
    . '"promoters_pct":60.0,"passives_pct":20.0,"detractors_pct":20.0,'
    . '"ci95":[-12.6,74.1],"low":2,"impressions":{"triggered":40,"shown":30},'
    . '"answers":10,"commented":0,"dismissed":12,"response_rate":33.3,"dismiss_rate":40.0,'
    . '"precision":{"margin":5.0,"needed":975,"more":965,"days":97},'
    . '"detectable":{"change":10.0,"needed":995,"more":985,"days":99}}'
    . "\n", 'the whole document');



=== TEST 7: NPS, large n: 10 000 and 1 000 000 answers
# n = 10000, 50% / 30% / 20%: n' = 10003, p = 5000.75/10003 = 0.499925,
# d = 2000.75/10003 = 0.200015, p - d = 0.299910, p + d = 0.699940,
# Var = (0.699940 - 0.089946) / 10003 = 6.0981e-5, sqrt = 0.0078091,
# * 1.96 = 0.015306 -> [28.46, 31.52] -> [28.5, 31.5]
# n = 10^6, same shares: Var = 0.61 / 10^6, sqrt = 0.00078102,
# * 1.96 = 0.0015308 -> [29.85, 30.15] -> [29.8, 30.2]
--- check
::answers('s1', $::D1, 'home', { 10 => 5000, 8 => 3000, 2 => 2000 });
::answers('s1', '20240302', 'home', { 9 => 500000, 7 => 300000, 5 => 200000 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 10000, nps => 30.0, ci95 => [28.5, 31.5],
    promoters_pct => 50.0, passives_pct => 30.0, detractors_pct => 20.0 }, 'n = 10^4');
$r = ::score('survey=s1&from=2024-03-02&to=2024-03-02');
::fields_ok($r->{json}, { n => 1000000, nps => 30.0, ci95 => [29.8, 30.2],
    promoters => 500000, passives => 300000, detractors => 200000 }, 'n = 10^6');



=== TEST 8: the range adds up its days, and only its days
--- check
::answers('s1', '20240229', 'home', { 0 => 100 });
::answers('s1', '20240301', 'home', { 10 => 1 });
::answers('s1', '20240302', 'cart', { 9 => 1 });
::answers('s1', '20240303', 'home', { 0 => 100 });
::events('s1', '20240302', 'cart', { shown => 4, answered => 1 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-02');
::fields_ok($r->{json}, { from => '2024-03-01', to => '2024-03-02', n => 2,
    nps => 100.0, promoters => 2, impressions => { shown => 4, triggered => 0 },
    answers => 1, response_rate => 25.0 }, 'two days');
$r = ::score('survey=s1&from=2024-02-29&to=2024-03-03');
::fields_ok($r->{json}, { n => 202, promoters => 2, detractors => 200 }, 'four days, a leap day');



=== TEST 9: CSAT: % of 4-5 with a Wilson interval
# n = 1, one 5: p = 1, z^2 = 3.8416, 1 + z^2/n = 4.8416;
# centre = (1 + 1.9208) / 4.8416 = 0.603272,
# half = 1.96 sqrt(0 + 3.8416/4) / 4.8416 = 1.9208 / 4.8416 = 0.396728
# -> [0.206543, 1] -> [20.7, 100.0]; one 1: [0.0, 79.3].
# n = 20, 15 of 4-5: p = 0.75, 1 + z^2/n = 1.19208,
# centre = (0.75 + 0.09604) / 1.19208 = 0.709718,
# half = 1.96 sqrt(0.009375 + 0.002401) / 1.19208 = 0.178422
# -> [53.1, 88.8]
--- check
my $r = ::score('survey=c1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { type => 'csat', n => 0, csat => undef, ci95 => undef,
    satisfied => 0, histogram => ::hist(1, 5) }, 'n = 0');
::answers('c1', '20240301', 'home', { 5 => 1 });
::answers('c1', '20240302', 'home', { 1 => 1 });
::answers('c1', '20240303', 'home', { 5 => 10, 4 => 5, 3 => 2, 2 => 2, 1 => 1 });
$r = ::score('survey=c1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 1, csat => 100.0, ci95 => [20.7, 100.0],
    satisfied => 1, low => 0 }, 'n = 1, a 5');
ok(!exists $r->{json}{nps} && !exists $r->{json}{promoters}, 'no NPS fields');
$r = ::score('survey=c1&from=2024-03-02&to=2024-03-02');
::fields_ok($r->{json}, { n => 1, csat => 0.0, ci95 => [0.0, 79.3],
    satisfied => 0, low => 1 }, 'n = 1, a 1');
$r = ::score('survey=c1&from=2024-03-03&to=2024-03-03');
::fields_ok($r->{json}, { n => 20, csat => 75.0, ci95 => [53.1, 88.8],
    satisfied => 15, low => 3,
    histogram => ::hist(1, 5, 1 => 1, 2 => 2, 3 => 2, 4 => 5, 5 => 10) }, 'n = 20');



=== TEST 10: CES: the mean on 1-7 with a t interval
# n = 1: the mean, no sd, no interval.  n = 2 (5, 7): sd = sqrt(2) =
# 1.41, t(1) = 12.706: 6 -+ 12.706 -> clipped to [1.00, 7.00].
# n = 5 (3 4 5 6 7): sd = sqrt(10/4) = 1.58, t(4) = 2.776445,
# half = 2.776445 * 1.581139 / sqrt(5) = 1.963243 -> [3.04, 6.96].
# n = 1000 (500 fives, 500 sevens): sd = sqrt(1000/999) = 1.0005,
# t(999) = 1.96 + (1.979930 - 1.96) * 120/999 = 1.962394,
# half = 0.062087 -> [5.94, 6.06].  All 7: sd 0, [7.00, 7.00].
--- check
my $r = ::score('survey=e1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { type => 'ces', n => 0, ces => undef, sd => undef,
    ci95 => undef, histogram => ::hist(1, 7) }, 'n = 0');
::answers('e1', '20240301', 'home', { 6 => 1 });
::answers('e1', '20240302', 'home', { 5 => 1, 7 => 1 });
::answers('e1', '20240303', 'home', { 3 => 1, 4 => 1, 5 => 1, 6 => 1, 7 => 1 });
::answers('e1', '20240304', 'home', { 5 => 500, 7 => 500 });
::answers('e1', '20240305', 'home', { 7 => 3 });
$r = ::score('survey=e1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 1, ces => 6.0, sd => undef, ci95 => undef }, 'n = 1');
like($r->{body}, qr/"ces":6\.00,"sd":null,"ci95":null,"low":0,/, 'two decimals');
$r = ::score('survey=e1&from=2024-03-02&to=2024-03-02');
::fields_ok($r->{json}, { n => 2, ces => 6.0, sd => 1.41, ci95 => [1.0, 7.0] }, 'n = 2');
$r = ::score('survey=e1&from=2024-03-03&to=2024-03-03');
::fields_ok($r->{json}, { n => 5, ces => 5.0, sd => 1.58, ci95 => [3.04, 6.96], low => 1 }, 'n = 5');
$r = ::score('survey=e1&from=2024-03-04&to=2024-03-04');
::fields_ok($r->{json}, { n => 1000, ces => 6.0, sd => 1.0, ci95 => [5.94, 6.06] }, 'n = 1000');
$r = ::score('survey=e1&from=2024-03-05&to=2024-03-05');
::fields_ok($r->{json}, { n => 3, ces => 7.0, sd => 0.0, ci95 => [7.0, 7.0] }, 'all 7');



=== TEST 11: touchpoint= keeps one touchpoint's answers and events
--- check
::answers('s1', $::D1, 'home', { 10 => 3 });
::answers('s1', $::D1, 'checkout', { 0 => 1, 9 => 1 });
::events('s1', $::D1, 'home', { shown => 9, answered => 3 });
::events('s1', $::D1, 'checkout', { shown => 4, answered => 2, dismissed => 2 });
my $r = ::score('survey=s1&touchpoint=checkout&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { touchpoint => 'checkout', n => 2, nps => 0.0,
    impressions => { shown => 4 }, answers => 2, dismissed => 2,
    response_rate => 50.0, dismiss_rate => 50.0 }, 'checkout');
$r = ::score('survey=s1&touchpoint=nowhere&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { touchpoint => 'nowhere', n => 0, nps => undef }, 'no such touchpoint');



=== TEST 12: by=day: one group per day of the range, empty days included
--- check
::answers('s1', '20240301', 'home', { 10 => 2 });
::answers('s1', '20240303', 'home', { 0 => 1, 10 => 1 });
::events('s1', '20240303', 'home', { shown => 4, answered => 2 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-03&by=day');
::fields_ok($r->{json}, { n => 4, nps => 50.0, by => 'day', groups => [
    { day => '2024-03-01', n => 2, nps => 100.0, ci95 => [-24.4, 100.0], response_rate => undef },
    { day => '2024-03-02', n => 0, nps => undef, ci95 => undef },
    { day => '2024-03-03', n => 2, nps => 0.0, answers => 2, response_rate => 50.0 },
] }, 'by day');



=== TEST 13: by=touchpoint: the pain map, by share of all detractors
--- check
::answers('s1', '20240301', 'checkout', { 3 => 1, 10 => 4 });
::answers('s1', '20240302', 'home', { 0 => 2, 6 => 1, 8 => 1 });
::answers('s1', '20240302', 'support', { 10 => 5 });
::answers('s1', '20240302', 'help', { 9 => 1 });
::events('s1', '20240302', 'faq', { triggered => 7 });
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-02&by=touchpoint');
::fields_ok($r->{json}, { n => 15, detractors => 4, low => 4, by => 'touchpoint', groups => [
    { touchpoint => 'home', pain => 75.0, n => 4, detractors => 3, nps => -75.0 },
    { touchpoint => 'checkout', pain => 25.0, n => 5, detractors => 1, nps => 60.0 },
    { touchpoint => 'support', pain => 0.0, n => 5, nps => 100.0 },
    { touchpoint => 'help', pain => 0.0, n => 1 },
    { touchpoint => 'faq', pain => 0.0, n => 0, nps => undef, impressions => { triggered => 7 } },
] }, 'pain map');
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&by=touchpoint&touchpoint=help');
::fields_ok($r->{json}, { n => 0, groups => [] }, 'no answers: no groups');
::answers('c1', '20240301', 'a', { 5 => 3, 1 => 1 });
::answers('c1', '20240301', 'b', { 2 => 3, 3 => 5 });
$r = ::score('survey=c1&from=2024-03-01&to=2024-03-01&by=touchpoint');
::fields_ok($r->{json}, { low => 4, groups => [
    { touchpoint => 'b', pain => 75.0, low => 3 },
    { touchpoint => 'a', pain => 25.0, low => 1 },
] }, 'CSAT: low is 1-2');



=== TEST 14: by=hour: 24 groups from the hourly hashes, totals from the daily ones
--- check
::answers('s1', '20240301', 'home', { 10 => 2 }, '09');
::answers('s1', '20240302', 'home', { 10 => 1, 0 => 1 }, '09');
::answers('s1', '20240302', 'home', { 0 => 3 }, '23');
::events('s1', '20240302', 'home', { shown => 10, answered => 3 }, '23');
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-02&by=hour');
my $g = $r->{json}{groups};
is(scalar @$g, 24, '24 groups');
is(join(',', map { $_->{hour} } @$g), join(',', map { sprintf '%02d', $_ } 0 .. 23), '00 to 23');
::fields_ok($g->[9], { hour => '09', n => 4, nps => 50.0, promoters => 3 }, '09');
::fields_ok($g->[23], { hour => '23', n => 3, nps => -100.0, response_rate => 30.0 }, '23');
::fields_ok($g->[0], { n => 0, nps => undef }, '00');
::fields_ok($r->{json}, { n => 7, nps => -14.3, by => 'hour' }, 'total');



=== TEST 15: by=wday: days add up by weekday (2024-03-04 and 2024-03-11 were Mondays)
--- check
::answers('s1', '20240304', 'home', { 10 => 1 });
::answers('s1', '20240311', 'home', { 10 => 1, 0 => 1 });
::answers('s1', '20240310', 'home', { 0 => 2 });
my $r = ::score('survey=s1&from=2024-03-04&to=2024-03-17&by=wday');
::fields_ok($r->{json}, { n => 5, groups => [
    { wday => 'mon', n => 3, nps => 33.3 },
    { wday => 'tue', n => 0 }, { wday => 'wed', n => 0 }, { wday => 'thu', n => 0 },
    { wday => 'fri', n => 0 }, { wday => 'sat', n => 0 },
    { wday => 'sun', n => 2, nps => -100.0 },
] }, 'by wday');



=== TEST 16: report=touchpoints: the journey, most viewed touchpoint first
--- check
my $tp = "cx:localhost:tp:$::D1";
redis()->hset($tp, $_->[0], $_->[1]) for
    [ 'home:view', 100 ], [ 'home:triggered', 10 ], [ 'home:shown', 8 ],
    [ 'home:answered', 2 ], [ 'home:signup', 3 ], [ 'home:basket', 1 ],
    [ 'checkout:view', 200 ], [ 'checkout:dismissed', 1 ], [ 'other:triggered', 4 ];
redis()->hset("cx:localhost:tp:20240302", 'home:view', 50);
my $r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-02');
is($r->{body}, '{"report":"touchpoints","site":"localhost",'
    . '"from":"2024-03-01","to":"2024-03-02","touchpoints":['
    . '{"touchpoint":"checkout","events":{"view":200,"triggered":0,"shown":0,"dismissed":1,"answered":0,"commented":0}},'
    . '{"touchpoint":"home","events":{"view":150,"triggered":10,"shown":8,"dismissed":0,"answered":2,"commented":0,"basket":1,"signup":3}},'
    . '{"touchpoint":"other","events":{"view":0,"triggered":4,"shown":0,"dismissed":0,"answered":0,"commented":0}}'
    . "]}\n", 'the whole document');
$r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-02&touchpoint=home');
is(scalar @{ $r->{json}{touchpoints} }, 1, 'touchpoint= keeps one');
$r = ::score('report=touchpoints&from=2024-01-01&to=2024-01-02');
is($r->{body}, '{"report":"touchpoints","site":"localhost","from":"2024-01-01",'
    . '"to":"2024-01-02","touchpoints":[]}' . "\n", 'nothing counted');



=== TEST 17: report=touchpoints by day and by hour (a group lists the custom names it counted)
--- check
redis()->hset("cx:localhost:tp:20240301", 'home:view', 3);
redis()->hset("cx:localhost:tp:20240303", 'home:view', 5, 'home:signup', 1);
redis()->hset("cx:localhost:tph:20240301", 'home:view:08', 1, 'home:view:20', 2);
redis()->hset("cx:localhost:tph:20240303", 'home:view:20', 5, 'home:signup:21', 1);
my $r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-03&by=day');
::fields_ok($r->{json}, { by => 'day', touchpoints => [ { touchpoint => 'home',
    events => { view => 8, signup => 1 }, groups => [
        { day => '2024-03-01', events => { view => 3, signup => undef, shown => 0 } },
        { day => '2024-03-02', events => { view => 0, signup => undef } },
        { day => '2024-03-03', events => { view => 5, signup => 1 } },
    ] } ] }, 'by day');
$r = ::score('report=touchpoints&from=2024-03-01&to=2024-03-03&by=hour');
my $g = $r->{json}{touchpoints}[0]{groups};
is(scalar @$g, 24, '24 hours');
::fields_ok($g->[8], { hour => '08', events => { view => 1, signup => undef } }, '08');
::fields_ok($g->[20], { hour => '20', events => { view => 7, signup => undef } }, '20');
::fields_ok($g->[21], { hour => '21', events => { view => 0, signup => 1 } }, '21');



=== TEST 18: the default range is the last 30 days up to today (UTC); data written without the rollups: two HGETALLs per hash and day (the day's rollup, missing, then the day), report=touchpoints one
--- check
use POSIX ();
my $today = POSIX::strftime('%Y-%m-%d', gmtime);
my $from = POSIX::strftime('%Y-%m-%d', gmtime(time - 29 * 86400));
::answers('s1', today(), 'home', { 10 => 1 });
my $r = ::score('survey=s1');
redis()->config("resetstat");
$r = ::score('survey=s1');
::fields_ok($r->{json}, { from => $from, to => $today, n => 1 }, 'defaults');
my ($calls) = redis()->info('commandstats')->{cmdstat_hgetall} =~ /calls=(\d+)/;
is($calls, 120, '120 HGETALL: sc and sv for 30 days, rollup and day');
redis()->config("resetstat");
$r = ::score('survey=s1&by=hour');
($calls) = redis()->info('commandstats')->{cmdstat_hgetall} =~ /calls=(\d+)/;
is($calls, 240, 'by=hour: sch and svh too');
redis()->config("resetstat");
$r = ::score("report=touchpoints&from=$from");
::fields_ok($r->{json}, { from => $from, to => $today }, 'report defaults');
($calls) = redis()->info('commandstats')->{cmdstat_hgetall} =~ /calls=(\d+)/;
is($calls, 30, 'report: tp for 30 days');



=== TEST 19: 366 days at most, in one round trip
--- check
::answers('s1', '20230101', 'home', { 10 => 1 });
::answers('s1', '20240101', 'home', { 0 => 1 });
my $r = ::score('survey=s1&from=2023-01-01&to=2024-01-01&by=day');
::fields_ok($r->{json}, { n => 2, nps => 0.0 }, '366 days');
is(scalar @{ $r->{json}{groups} }, 366, '366 groups');
is($r->{json}{groups}[365]{day}, '2024-01-01', 'the last one');



=== TEST 20: site= reads another site's keys (listed in cx_score_sites); prefix= of cx_redis is used
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT prefix=acme;
cx_score_sites shop.example.com;
--- check
redis()->hset("acme:shop.example.com:sc:s1:$::D1", 'home:10', 2);
redis()->hset("cx:localhost:sc:s1:$::D1", 'home:0', 2);
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&site=shop.example.com');
::fields_ok($r->{json}, { site => 'shop.example.com', n => 2, nps => 100.0 }, 'other site');
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { site => 'localhost', n => 0 }, 'this site, prefix acme');



=== TEST 21: fields the module does not write are skipped, not counted
--- check
my $k = "cx:localhost:sc:s1:$::D1";
redis()->hset($k, $_->[0], $_->[1]) for
    [ 'home:10', 1 ], [ 'home', 5 ], [ 'home:11', 5 ], [ 'home:-1', 5 ],
    [ 'home:x', 5 ], [ 'home:10:12', 5 ], [ 'Home:10', 5 ], [ ':10', 5 ],
    [ 'home:9', -3 ], [ 'home:8', 'many' ], [ 'home:7', '2.5' ];
redis()->hset("cx:localhost:sv:s1:$::D1", 'home:shown', 3, 'home:answer', 9, 'home:shown:12', 4);
redis()->hset("cx:localhost:sch:s1:$::D1", 'home:10:24', 3, 'home:10:9', 3, 'home:10', 3);
my $r = ::score('survey=s1&from=2024-03-01&to=2024-03-01');
::fields_ok($r->{json}, { n => 1, promoters => 1, passives => 0, impressions => { shown => 3 },
    answers => 0 }, 'only home:10 and home:shown');
$r = ::score('survey=s1&from=2024-03-01&to=2024-03-01&by=hour');
is(scalar(grep { $_->{n} } @{ $r->{json}{groups} }), 0, 'no valid hourly field');
