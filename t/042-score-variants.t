# GET /cx/score?...&by=variant: each question variant's score, n, 95%
# interval, impressions, answers and response rate, and its comparison
# with the first variant by name ("vs_first"), from the "@variant" fields
# of the survey's hashes (docs/redis.md).  Every figure is recomputed here,
# in Perl, from the fixed histograms the block writes: the scores and
# intervals from docs/statistics.md's formulas (adjusted Wald, Wilson,
# Student's t), the comparisons with a normal p from erfc (NPS, CSAT) and
# Welch's t with a p and quantile integrated numerically (CES) -- not the
# module's incomplete beta function or t table.  The data is read from the
# day hashes, then from rollups (a month's and a day's, "DD:x@v" and
# "x@v"), which must give the same answer.

use lib 't/lib';
use Test::CX;
use JSON::PP ();
use POSIX ();
use List::Util qw(sum0);

use constant PI => 4 * atan2(1, 1);

our $Z = 1.96;

# ------------------------------------------------------ the data

# variant => histogram; "" is answers without a variant (older tokens)

our %DATA = (
    s1 => { a => { 10 => 30, 9 => 10, 8 => 15, 7 => 5, 5 => 10, 0 => 10 },
            b => { 10 => 45, 9 => 15, 8 => 10, 6 => 5, 3 => 5 },
            c => { 9 => 1 },
            '' => { 10 => 5, 2 => 1 } },
    c1 => { 'a-long' => { 5 => 20, 4 => 10, 3 => 5, 2 => 3, 1 => 2 },
            b => { 5 => 12, 4 => 8, 3 => 10, 2 => 6, 1 => 4 } },
    e1 => { a => { 7 => 10, 6 => 12, 5 => 8, 4 => 5, 2 => 3, 1 => 2 },
            'b.2' => { 7 => 4, 6 => 6, 5 => 10, 4 => 10, 3 => 6, 1 => 4 } },
);

# impressions per variant: shown (answered is the histogram's n)
our %SHOWN = (s1 => { a => 400, b => 250, c => 3, d => 7 },
              c1 => { 'a-long' => 90, b => 41 },
              e1 => { a => 80, 'b.2' => 120 });

our @DAYS = ('20240510', '20240511');
our @TPS = ('home', 'cart');

# spreads a count over the two days and touchpoints: [day, tp, part]
sub spread {
    my ($n) = @_;
    my @q = (int($n / 2), int($n / 4));
    push @q, int(($n - $q[0] - $q[1]) / 2);
    push @q, $n - $q[0] - $q[1] - $q[2];
    return map { [ $DAYS[$_ >> 1], $TPS[$_ & 1], $q[$_] ] } 0 .. 3;
}

# field => count, of key kind (sc, sv) of a survey and day
sub fields {
    my ($survey) = @_;
    my %h;
    my $d = $DATA{$survey};
    for my $v (sort keys %$d) {
        my $at = $v eq '' ? '' : "\@$v";
        for my $s (keys %{ $d->{$v} }) {
            for my $p (spread($d->{$v}{$s})) {
                my ($day, $tp, $c) = @$p;
                next unless $c;
                $h{sc}{$day}{"$tp:$s"} += $c;
                $h{sc}{$day}{"$tp:$s$at"} += $c if $at;
                $h{sv}{$day}{"$tp:answered"} += $c;
                $h{sv}{$day}{"$tp:answered$at"} += $c if $at;
            }
        }
    }
    for my $v (keys %{ $SHOWN{$survey} }) {
        for my $p (spread($SHOWN{$survey}{$v})) {
            my ($day, $tp, $c) = @$p;
            $h{sv}{$day}{"$tp:shown"} += $c;
            $h{sv}{$day}{"$tp:shown\@$v"} += $c;
        }
    }
    return \%h;
}

# the day hashes only (no rollup: the module reads the days)
sub seed_days {
    for my $survey (sort keys %DATA) {
        my $h = fields($survey);
        for my $kind (keys %$h) {
            for my $day (keys %{ $h->{$kind} }) {
                my $f = $h->{$kind}{$day};
                redis()->hincrby("cx:localhost:$kind:$survey:$day", $_, $f->{$_})
                    for keys %$f;
            }
        }
    }
}

# the rollups a reader without touchpoint= takes: the days' ("x@v"),
# complete ("#" 1); the day hashes hold something else, so that reading
# them instead would show
sub seed_rollups {
    for my $survey (sort keys %DATA) {
        my $h = fields($survey);
        for my $kind (keys %$h) {
            for my $day (keys %{ $h->{$kind} }) {
                my $key = "cx:localhost:$kind:$survey:$day";
                my $f = $h->{$kind}{$day};
                redis()->hset("$key:all", '#', 1);
                for my $field (keys %$f) {
                    redis()->hincrby("$key:all", $field =~ s/^[^:]+://r, $f->{$field});
                }
                redis()->hset($key, 'home:0', 999);
            }
        }
    }
}

# ------------------------------------------------ the statistics, again

sub stats {
    my ($type, $h) = @_;
    my ($min, $max) = $type eq 'nps' ? (0, 10) : $type eq 'csat' ? (1, 5) : (1, 7);
    my $count = sub { sum0 map { $h->{$_} // 0 } $_[0] .. $_[1] };
    my %s = (n => $count->($min, $max));
    return \%s unless $s{n};
    if ($type eq 'nps') {
        @s{qw(p d)} = ($count->(9, 10), $count->(0, 6));
        $s{score} = 100 * ($s{p} - $s{d}) / $s{n};
        my $nn = $s{n} + 3;
        my ($p, $d) = (($s{p} + 0.75) / $nn, ($s{d} + 0.75) / $nn);
        @s{qw(adj var nn)} = ($p - $d, $p + $d - ($p - $d) ** 2, $nn);
        my $half = $Z * sqrt($s{var} / $nn);
        $s{ci} = [ map { 100 * $_ } clip($s{adj} - $half, -1, 1), clip($s{adj} + $half, -1, 1) ];
    } elsif ($type eq 'csat') {
        $s{k} = $count->(4, 5);
        my $p = $s{k} / $s{n};
        $s{score} = 100 * $p;
        my $den = 1 + $Z ** 2 / $s{n};
        my $mid = ($p + $Z ** 2 / (2 * $s{n})) / $den;
        my $half = $Z * sqrt($p * (1 - $p) / $s{n} + $Z ** 2 / (4 * $s{n} ** 2)) / $den;
        $s{ci} = [ 100 * clip($mid - $half, 0, 1), 100 * clip($mid + $half, 0, 1) ];
    } else {
        $s{score} = sum0(map { $_ * ($h->{$_} // 0) } $min .. $max) / $s{n};
        if ($s{n} > 1) {
            $s{sd} = sqrt(sum0(map { ($h->{$_} // 0) * ($_ - $s{score}) ** 2 } $min .. $max)
                          / ($s{n} - 1));
            my $half = t975($s{n} - 1) * $s{sd} / sqrt($s{n});
            $s{ci} = [ clip($s{score} - $half, 1, 7), clip($s{score} + $half, 1, 7) ];
        }
    }
    return \%s;
}

sub clip { my ($v, $lo, $hi) = @_; $v < $lo ? $lo : $v > $hi ? $hi : $v }

# Student's t: the two-sided tail beyond |t| as 1 - the integral of the
# density over [-|t|, |t|] (Simpson's rule), and its 97.5% point by
# bisection
sub t_tail {
    my ($t, $df) = @_;
    my $c = exp(POSIX::lgamma(($df + 1) / 2) - POSIX::lgamma($df / 2)) / sqrt($df * PI);
    my $f = sub { $c * (1 + $_[0] ** 2 / $df) ** (-($df + 1) / 2) };
    my ($n, $x) = (2000, abs $t);
    my $step = $x / $n;
    my $s = $f->(0) + $f->($x);
    $s += ($_ % 2 ? 4 : 2) * $f->($_ * $step) for 1 .. $n - 1;
    return 1 - 2 * $s * $step / 3;
}

sub t975 {
    my ($df) = @_;
    my ($lo, $hi) = (1.9, 13);
    for (1 .. 40) {
        my $m = ($lo + $hi) / 2;
        (t_tail($m, $df) > 0.05 ? $lo : $hi) = $m;
    }
    return ($lo + $hi) / 2;
}

# a (this variant) against b (the first)
sub versus {
    my ($type, $a, $b) = @_;
    return {} unless $a->{n} && $b->{n};
    my %c = (diff => $a->{score} - $b->{score});
    my ($est, $se);
    if ($type eq 'nps') {
        ($est, $se) = ($a->{adj} - $b->{adj},
                       sqrt($a->{var} / $a->{nn} + $b->{var} / $b->{nn}));
    } elsif ($type eq 'csat') {
        my ($q1, $q2) = (($a->{k} + 1) / ($a->{n} + 2), ($b->{k} + 1) / ($b->{n} + 2));
        ($est, $se) = ($q1 - $q2, sqrt($q1 * (1 - $q1) / ($a->{n} + 2)
                                       + $q2 * (1 - $q2) / ($b->{n} + 2)));
    } else {
        my ($v1, $v2) = ($a->{sd} ** 2 / $a->{n}, $b->{sd} ** 2 / $b->{n});
        my $df = ($v1 + $v2) ** 2 / ($v1 ** 2 / ($a->{n} - 1) + $v2 ** 2 / ($b->{n} - 1));
        my $se = sqrt($v1 + $v2);
        my $q = t975($df);
        $c{p} = t_tail($c{diff} / $se, $df);
        $c{ci} = [ $c{diff} - $q * $se, $c{diff} + $q * $se ];
        return \%c;
    }
    $c{p} = POSIX::erfc(abs($est / $se) / sqrt(2));
    $c{ci} = [ 100 * ($est - $Z * $se), 100 * ($est + $Z * $se) ];
    return \%c;
}

# ------------------------------------------------------ the checks

sub near {
    my ($got, $want, $tol, $name) = @_;
    if (!defined $want) {
        ok(!defined $got, "$name: null") or diag('got ' . ($got // 'null'));
        return;
    }
    ok(defined $got && abs($got - $want) <= $tol, "$name = $want")
        or diag('got ' . ($got // 'null') . ", want $want");
}

sub score_json {
    my ($query) = @_;
    my $r;
    wait_for(sub {
        $r = http_request("GET /cx/score?$query HTTP/1.1\r\nHost: localhost\r\n"
                          . "Connection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });
    is($r->{status}, 200, "$query: 200") or diag($r->{body});
    return eval { JSON::PP::decode_json($r->{body}) } // {};
}

# the groups of by=variant against the data, for a survey of type $type
sub check_variants {
    my ($survey, $type, $query) = @_;
    my $j = score_json("survey=$survey&from=2024-05-10&to=2024-05-11&by=variant$query");
    my $d = $DATA{$survey};
    my %names = map { $_ => 1 } grep { $_ ne '' } keys %$d, keys %{ $SHOWN{$survey} };
    my @names = sort keys %names;
    my $dec = $type eq 'ces' ? 0.0051 : 0.051;

    is($j->{by}, 'variant', "$survey: by");
    is(join(',', map { $_->{variant} } @{ $j->{groups} }), join(',', @names),
       "$survey: the variants, by name");

    my %all;
    for my $v (keys %$d) { $all{$_} += $d->{$v}{$_} for keys %{ $d->{$v} } }
    my $total = stats($type, \%all);
    is($j->{n}, $total->{n}, "$survey: the total has every answer, with a variant or not");

    my $first = stats($type, $d->{$names[0]} // {});

    for my $g (@{ $j->{groups} }) {
        my $v = $g->{variant};
        my $s = stats($type, $d->{$v} // {});
        my $name = "$survey $v";
        is($g->{n}, $s->{n}, "$name: n");
        near($g->{$type}, $s->{score}, $dec, "$name: $type");
        near($g->{ci95} && $g->{ci95}[0], $s->{ci} && $s->{ci}[0], $dec + ($type eq 'ces' ? 1e-4 : 0), "$name: ci95 low");
        near($g->{ci95} && $g->{ci95}[1], $s->{ci} && $s->{ci}[1], $dec + ($type eq 'ces' ? 1e-4 : 0), "$name: ci95 high");
        is($g->{answers}, $s->{n}, "$name: answers");
        is($g->{impressions}{shown}, $SHOWN{$survey}{$v} // 0, "$name: shown");
        near($g->{response_rate},
             $SHOWN{$survey}{$v} ? 100 * $s->{n} / $SHOWN{$survey}{$v} : undef,
             0.051, "$name: response rate");

        if ($v eq $names[0]) {
            ok(exists $g->{vs_first} && !defined $g->{vs_first}, "$name: the first, vs_first null");
            next;
        }

        my $c = versus($type, $s, $first);
        my $vf = $g->{vs_first} // {};
        is($vf->{variant}, $names[0], "$name: against $names[0]");
        is($vf->{n}, $first->{n}, "$name: its n");
        near($vf->{$type}, $first->{score}, $dec, "$name: its $type");
        near($vf->{diff}, $c->{diff}, $dec, "$name: diff");
        near($vf->{diff_ci95} && $vf->{diff_ci95}[0], $c->{ci} && $c->{ci}[0], $dec + 1e-4, "$name: diff_ci95 low");
        near($vf->{diff_ci95} && $vf->{diff_ci95}[1], $c->{ci} && $c->{ci}[1], $dec + 1e-4, "$name: diff_ci95 high");
        near($vf->{p_value}, $c->{p}, 0.00051, "$name: p_value");
        if (defined $c->{p}) {
            is(!!$vf->{significant}, $c->{p} < 0.05, "$name: significant");
        } else {
            ok(!$vf->{significant}, "$name: not significant");
        }
    }

    return $j;
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

=== TEST 1: NPS, CSAT and CES by variant from the day hashes, checked in Perl
--- check
::seed_days();
my $j = ::check_variants('s1', 'nps', '');
my ($b) = grep { $_->{variant} eq 'b' } @{ $j->{groups} };
ok($b->{vs_first}{significant}, 'b is significantly better than a (NPS 56.3 against 18.8)');
my ($d) = grep { $_->{variant} eq 'd' } @{ $j->{groups} };
ok(defined $d && !defined $d->{nps} && !defined $d->{vs_first}{diff},
   'shown but never answered: no score, nothing to compare');
::check_variants('c1', 'csat', '');
::check_variants('e1', 'ces', '');



=== TEST 2: the same from the rollups that add up the touchpoints
--- check
::seed_rollups();
::check_variants('s1', 'nps', '');
::check_variants('c1', 'csat', '');
::check_variants('e1', 'ces', '');



=== TEST 3: one touchpoint (the day hashes), and without by=variant the variants change nothing
--- check
::seed_days();
local $::DATA{s1} = { map { my $v = $_; $v => { map { $_ => (grep { $_->[1] eq 'cart' } ::spread($::DATA{s1}{$v}{$_}))[0][2] + (grep { $_->[1] eq 'cart' } ::spread($::DATA{s1}{$v}{$_}))[1][2] } keys %{ $::DATA{s1}{$v} } } } keys %{ $::DATA{s1} } };
local $::SHOWN{s1} = { map { my $v = $_; $v => ::sum0(map { $_->[2] } grep { $_->[1] eq 'cart' } ::spread($::SHOWN{s1}{$v})) } keys %{ $::SHOWN{s1} } };
::check_variants('s1', 'nps', '&touchpoint=cart');
my $plain = ::score_json('survey=s1&from=2024-05-10&to=2024-05-11');
is($plain->{n}, 167, 'the total: every answer once (80 + 80 + 1 + 6)');
ok(!exists $plain->{groups}, 'no groups');
is($plain->{impressions}{shown}, 660, 'shown once each');



=== TEST 4: with a compared period each variant is also compared with itself there
--- check
redis()->hincrby('cx:localhost:sc:s1:20240503', 'home:10@a', 4);
redis()->hincrby('cx:localhost:sc:s1:20240503', 'home:0@a', 4);
redis()->hincrby('cx:localhost:sc:s1:20240509', 'home:10@b', 2);
redis()->hincrby('cx:localhost:sc:s1:20240510', 'home:10@a', 3);
redis()->hincrby('cx:localhost:sc:s1:20240510', 'home:10@b', 1);
redis()->hincrby('cx:localhost:sc:s1:20240502', 'home:0@gone', 9);
my $j = ::score_json('survey=s1&from=2024-05-10&to=2024-05-16&by=variant&compare=previous');
is(join(',', map { $_->{variant} } @{ $j->{groups} }), 'a,b', 'a variant of the compared period only is left out');
my ($a, $b) = @{ $j->{groups} };
is($a->{compare}{from}, '2024-05-03', 'compare: from');
is($a->{compare}{n}, 8, 'a then: 8 answers');
ok($a->{compare}{nps} == 0, 'a then: NPS 0');
ok($a->{compare}{diff} == 100, 'a: +100');
is($b->{compare}{n}, 2, 'b then');
is($b->{vs_first}{variant}, 'a', 'and against the first variant');
ok($b->{vs_first}{diff} == 0, 'b and a both 100 this week');



=== TEST 5: fields the module does not write are skipped, and a bad count is logged
--- check
redis()->hincrby('cx:localhost:sc:s1:20240510', 'home:10@a', 2);
redis()->hincrby('cx:localhost:sc:s1:20240510', $_, 50)
    for ('home:10@A', 'home:10@', 'home:x@a', 'home:10@a@b', 'home:10@' . ('v' x 33),
         'home:@a', '10@a', 'home:10@a<b>', 'home:11@a');
redis()->hset('cx:localhost:sc:s1:20240510', 'home:9@a', 'NaN');
my $j = ::score_json('survey=s1&from=2024-05-10&to=2024-05-10&by=variant');
is(join(',', map { "$_->{variant}:$_->{n}" } @{ $j->{groups} }), 'a:2', 'only a, with its 2 answers');
is($j->{n}, 0, 'the total has no plain field');
--- error_log
"home:9@a": "NaN"



=== TEST 6: at most 100 variants are listed
--- check
redis()->hincrby('cx:localhost:sc:s1:20240510', sprintf('home:10@v%03d', $_), 1) for 1 .. 130;
my $j = ::score_json('survey=s1&from=2024-05-10&to=2024-05-10&by=variant');
is(scalar @{ $j->{groups} }, 100, '100 groups');
is(scalar(grep { $_->{n} == 1 } @{ $j->{groups} }), 100, 'each with its answer');
