# The cross-check: random answers and events for an NPS, a CSAT and a CES
# survey over 14 days, 5 touchpoints and 24 hours go into Redis; then the
# scores are recomputed here, in Perl, from the raw Redis hashes (HGETALL,
# as a reader of README.md "Redis keys" would) and compared with
# /cx/score for the whole range, by touchpoint, day, hour and weekday, and
# for one touchpoint.  Counts must match exactly; scores and intervals up
# to the rounding of the printed decimals.  The CES interval here uses
# the exact t quantile (regularized incomplete beta); the module's table
# is within 1e-4 of it, hence that much more for CES.
#
# CX_SEED=n picks another random data set.  The second block writes the
# data through the flush script (lua/redis/flush.lua), as the module does,
# so that the month rollups are there, with old data (written before the
# rollups) in the first weeks: the answers must not change.

use lib 't/lib';
use Test::CX;
use Test::CX::Flush;
use JSON::PP ();
use List::Util qw(sum0);
use POSIX qw(strftime);
use Time::Local ();

our $SEED = $ENV{CX_SEED} // 20240501;
our @DAYS = map { sprintf '202405%02d', $_ } 1 .. 14;
our @TPS = qw(home product checkout support faq);
our %TYPE = (s1 => [ 'nps', 0, 10, 6 ], c1 => [ 'csat', 1, 5, 2 ],
             e1 => [ 'ces', 1, 7, 3 ]);
our @EVENTS = qw(triggered shown dismissed answered);
our @WDAYS = qw(mon tue wed thu fri sat sun);

# ------------------------------------------------------------ the data

# $VIA_SCRIPT->(day): that day's data goes through the flush script
our $VIA_SCRIPT;
our $FLUSH_SHA;
our $SEQ = 0;

sub flush_script {
    my ($day, $hashes) = @_;
    my $r = redis();
    $FLUSH_SHA //= $r->script_load(do {
        local (@ARGV, $/) = ('lua/redis/flush.lua');
        <>;
    });
    return unless %$hashes;
    my $res = $r->evalsha($FLUSH_SHA,
                          Test::CX::Flush::flush_args('cx:batch:t042', ++$SEQ,
                                                      0, $hashes));
    die "flush script: lost $res->[4]" if $res->[4];
}

sub seed_data {
    my $r = redis();
    my $n = 0;

    for my $survey (sort keys %TYPE) {
        my (undef, $min, $max) = @{ $TYPE{$survey} };

        for my $day (@DAYS) {
            my %batch;

            for my $tp (@TPS) {
                next if rand() < 0.25;

                # sizes from 1 to a few thousand: small n uses the t table
                my $size = (0, 1, 2, 3, 5, 8, 13, 40, 150, 2500)[int rand 10];
                my $bias = rand();
                my (%sc, %sch, %sv, %svh);

                for (1 .. $size) {
                    my $s = rand() < $bias ? $max - int rand 3
                                           : $min + int rand($max - $min + 1);
                    $s = $min if $s < $min;
                    my $h = sprintf '%02d', int rand 24;
                    $sc{"$tp:$s"}++;
                    $sch{"$tp:$s:$h"}++;
                }

                my $shown = $size + int rand(3 * $size + 5);
                my %ev = (triggered => $shown + int rand 20, shown => $shown,
                          answered => $size, dismissed => int rand($shown - $size + 1));

                for my $e (keys %ev) {
                    next unless $ev{$e};
                    $sv{"$tp:$e"} = $ev{$e};
                    my $h1 = sprintf '%02d', int rand 24;
                    my $h2 = sprintf '%02d', int rand 24;
                    my $half = int($ev{$e} / 2);
                    $svh{"$tp:$e:$h1"} += $half;
                    $svh{"$tp:$e:$h2"} += $ev{$e} - $half;
                }

                for ([ sc => \%sc ], [ sch => \%sch ], [ sv => \%sv ], [ svh => \%svh ]) {
                    my ($kind, $h) = @$_;
                    for my $f (keys %$h) {
                        next unless $h->{$f};
                        if ($VIA_SCRIPT && $VIA_SCRIPT->($day)) {
                            $batch{"cx:localhost:$kind:$survey:$day"}{$f} += $h->{$f};
                        } else {
                            $r->hincrby("cx:localhost:$kind:$survey:$day", $f, $h->{$f}, sub {});
                        }
                        $n++;
                    }
                }
            }

            $r->wait_all_responses;
            flush_script($day, \%batch);
        }
    }

    $r->wait_all_responses;

    return $n;
}

# ------------------------------------------ the statistics, again

my %tq;

sub lgamma {
    my ($x) = @_;
    my @c = (76.18009172947146, -86.50532032941677, 24.01409824083091,
             -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5);
    my ($y, $t) = ($x, $x + 5.5);
    $t -= ($x + 0.5) * log $t;
    my $s = 1.000000000190015;
    $s += $c[$_] / ++$y for 0 .. 5;
    return -$t + log(2.5066282746310005 * $s / $x);
}

sub betacf {
    my ($a, $b, $x) = @_;
    my ($c, $d) = (1, 1 - ($a + $b) * $x / ($a + 1));
    $d = 1 / (abs $d < 1e-300 ? 1e-300 : $d);
    my $h = $d;

    for my $m (1 .. 10000) {
        for my $aa ($m * ($b - $m) * $x / (($a - 1 + 2 * $m) * ($a + 2 * $m)),
                    -($a + $m) * ($a + $b + $m) * $x / (($a + 2 * $m) * ($a + 1 + 2 * $m))) {
            $d = 1 + $aa * $d;
            $d = 1e-300 if abs $d < 1e-300;
            $c = 1 + $aa / $c;
            $c = 1e-300 if abs $c < 1e-300;
            $d = 1 / $d;
            $h *= $d * $c;
        }
        last if abs($d * $c - 1) < 1e-15;
    }

    return $h;
}

sub student_cdf {
    my ($t, $df) = @_;
    my ($a, $b, $x) = ($df / 2, 0.5, $df / ($df + $t * $t));
    my $bt = exp(lgamma($a + $b) - lgamma($a) - lgamma($b)
                 + $a * log($x) + $b * log(1 - $x));
    my $ib = $x < ($a + 1) / ($a + $b + 2) ? $bt * betacf($a, $b, $x) / $a
                                            : 1 - $bt * betacf($b, $a, 1 - $x) / $b;
    return $t > 0 ? 1 - $ib / 2 : $ib / 2;
}

sub t975 {
    my ($df) = @_;
    return $tq{$df} //= do {
        my ($lo, $hi) = (0, 100);
        for (1 .. 100) {
            my $m = ($lo + $hi) / 2;
            (student_cdf($m, $df) < 0.975 ? $lo : $hi) = $m;
        }
        ($lo + $hi) / 2;
    };
}

sub clip { my ($v, $lo, $hi) = @_; $v < $lo ? $lo : $v > $hi ? $hi : $v }

# a group's expected fields, from its histogram and events

sub expect {
    my ($survey, $hist, $ev) = @_;
    my ($type, $min, $max, $low) = @{ $TYPE{$survey} };
    my $z = 1.96;
    my $n = sum0 values %$hist;
    my %e = (n => $n, histogram => { map { ($_ => $hist->{$_} // 0) } $min .. $max },
             low => sum0(map { $hist->{$_} // 0 } $min .. $low),
             impressions => { triggered => $ev->{triggered} // 0, shown => $ev->{shown} // 0 },
             answers => $ev->{answered} // 0, dismissed => $ev->{dismissed} // 0);
    my $shown = $ev->{shown} // 0;
    $e{response_rate} = $shown ? 100 * $e{answers} / $shown : undef;
    $e{dismiss_rate} = $shown ? 100 * $e{dismissed} / $shown : undef;

    my $count = sub { my ($lo, $hi) = @_; sum0 map { $hist->{$_} // 0 } $lo .. $hi };

    if ($type eq 'nps') {
        my ($p, $m, $d) = ($count->(9, 10), $count->(7, 8), $count->(0, 6));
        @e{qw(promoters passives detractors)} = ($p, $m, $d);
        @e{qw(promoters_pct passives_pct detractors_pct)} =
            $n ? (100 * $p / $n, 100 * $m / $n, 100 * $d / $n) : (undef) x 3;
        $e{nps} = $n ? 100 * ($p - $d) / $n : undef;
        if ($n) {
            my $nn = $n + 3;
            my ($pa, $da) = (($p + 0.75) / $nn, ($d + 0.75) / $nn);
            my $half = $z * sqrt(($pa + $da - ($pa - $da) ** 2) / $nn);
            $e{ci95} = [ clip(100 * ($pa - $da - $half), -100, 100),
                         clip(100 * ($pa - $da + $half), -100, 100) ];
        }

    } elsif ($type eq 'csat') {
        my $k = $count->(4, 5);
        $e{satisfied} = $k;
        $e{csat} = $n ? 100 * $k / $n : undef;
        if ($n) {
            my $p = $k / $n;
            my $den = 1 + $z ** 2 / $n;
            my $c = ($p + $z ** 2 / (2 * $n)) / $den;
            my $half = $z * sqrt($p * (1 - $p) / $n + $z ** 2 / (4 * $n ** 2)) / $den;
            $e{ci95} = [ clip(100 * ($c - $half), 0, 100), clip(100 * ($c + $half), 0, 100) ];
        }

    } else {
        $e{ces} = $n ? sum0(map { $_ * ($hist->{$_} // 0) } $min .. $max) / $n : undef;
        if ($n > 1) {
            my $ss = sum0 map { ($hist->{$_} // 0) * ($_ - $e{ces}) ** 2 } $min .. $max;
            $e{sd} = sqrt($ss / ($n - 1));
            my $half = t975($n - 1) * $e{sd} / sqrt $n;
            $e{ci95} = [ clip($e{ces} - $half, 1, 7), clip($e{ces} + $half, 1, 7) ];
        }
    }

    return \%e;
}

# a touchpoint against the rest (README.md "Scores", Comparisons): the
# two-sided p, and whether it is significantly worse

sub vs_rest {
    my ($survey, $tp, $total) = @_;
    my ($type, $min, $max) = @{ $TYPE{$survey} };
    my %rest = map { ($_ => ($total->{$_} // 0) - ($tp->{$_} // 0)) } $min .. $max;
    my ($a, $b) = (expect($survey, $tp, {}), expect($survey, \%rest, {}));
    return (undef, 0) unless $a->{n} && $b->{n};
    my ($est, $se);

    if ($type eq 'nps') {
        my @adj = map { my $nn = $_->{n} + 3;
                        my ($p, $d) = (($_->{promoters} + 0.75) / $nn, ($_->{detractors} + 0.75) / $nn);
                        [ $p - $d, ($p + $d - ($p - $d) ** 2) / $nn ] } $a, $b;
        ($est, $se) = ($adj[0][0] - $adj[1][0], sqrt($adj[0][1] + $adj[1][1]));
    } elsif ($type eq 'csat') {
        my @q = map { [ ($_->{satisfied} + 1) / ($_->{n} + 2), $_->{n} + 2 ] } $a, $b;
        ($est, $se) = ($q[0][0] - $q[1][0],
                       sqrt($q[0][0] * (1 - $q[0][0]) / $q[0][1] + $q[1][0] * (1 - $q[1][0]) / $q[1][1]));
    } else {
        return (undef, 0) unless $a->{n} > 1 && $b->{n} > 1;
        my ($v1, $v2) = ($a->{sd} ** 2 / $a->{n}, $b->{sd} ** 2 / $b->{n});
        return (undef, 0) unless $v1 + $v2 > 0;
        my $df = ($v1 + $v2) ** 2 / ($v1 ** 2 / ($a->{n} - 1) + $v2 ** 2 / ($b->{n} - 1));
        my $t = ($a->{ces} - $b->{ces}) / sqrt($v1 + $v2);
        my $p = 2 * (1 - student_cdf(abs $t, $df));
        return ($p, $p < 0.05 && $t < 0 ? 1 : 0);
    }

    my $z = abs($est) / $se;
    # 2 (1 - Phi(z)) = I_(1/(1 + z^2/df))(df/2, 1/2) as df grows: Student's
    # with a huge df
    my $p = 2 * (1 - student_cdf($z, 1e7));
    return ($p, $p < 0.05 && $est < 0 ? 1 : 0);
}

# ---------------------------------------------------- the comparison

sub near {
    my ($got, $want, $name, $eps) = @_;

    if (!defined $want) {
        ok(!defined $got, "$name is null") or diag("got $got");
        return;
    }

    if (ref $want eq 'ARRAY') {
        ok(ref $got eq 'ARRAY', "$name is an array") or return diag("got " . ($got // 'null'));
        near($got->[$_], $want->[$_], "$name\[$_]", $eps) for 0 .. 1;
        return;
    }

    ok(defined $got && abs($got - $want) <= $eps, "$name") or diag("got " . ($got // 'null') . ", want $want (eps $eps)");
}

sub compare {
    my ($survey, $got, $want, $name) = @_;
    my $type = $TYPE{$survey}[0];
    my $eps = $type eq 'ces' ? 0.005 + 1e-4 : 0.05 + 1e-9;

    for my $k (qw(n low answers dismissed promoters passives detractors satisfied)) {
        next unless exists $want->{$k};
        is($got->{$k}, $want->{$k}, "$name: $k");
    }

    is_deeply($got->{histogram}, $want->{histogram}, "$name: histogram");
    is_deeply($got->{impressions}, $want->{impressions}, "$name: impressions");

    near($got->{$type}, $want->{$type}, "$name: $type", $eps);
    near($got->{ci95}, $want->{ci95}, "$name: ci95", $eps);
    near($got->{sd}, $want->{sd}, "$name: sd", $eps) if $type eq 'ces';

    for my $k (qw(promoters_pct passives_pct detractors_pct response_rate dismiss_rate)) {
        next unless exists $want->{$k};
        near($got->{$k}, $want->{$k}, "$name: $k", 0.05 + 1e-9);
    }
}

# the raw hashes of a survey, added up: $g->(day index, tp, hour) names
# the group of a field (undef: no group)

sub raw {
    my ($survey, $hourly, $only_tp, $g) = @_;
    my (%total, %groups);
    my $r = redis();

    for my $i (0 .. $#DAYS) {
        my %sc = $r->hgetall("cx:localhost:" . ($hourly ? 'sch' : 'sc') . ":$survey:$DAYS[$i]");
        my %sv = $r->hgetall("cx:localhost:" . ($hourly ? 'svh' : 'sv') . ":$survey:$DAYS[$i]");

        for my $pair ([ \%sc, 'hist' ], [ \%sv, 'ev' ]) {
            my ($h, $what) = @$pair;
            for my $f (keys %$h) {
                my ($tp, $x, $hour) = split /:/, $f;
                next if defined $only_tp && $tp ne $only_tp;
                my $key = $g ? $g->($i, $tp, $hour) : undef;
                $total{$what}{$x} += $h->{$f};
                $groups{$key}{$what}{$x} += $h->{$f} if defined $key;
            }
        }
    }

    return (\%total, \%groups);
}

sub score {
    my ($query) = @_;
    my $r;
    wait_for(sub {
        $r = http_request("GET /cx/score?$query HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });
    is($r->{status}, 200, "$query: 200") or diag($r->{body});
    return JSON::PP::decode_json($r->{body});
}

sub wday_of {
    my ($day) = @_;
    require Time::Local;
    my ($y, $m, $d) = $day =~ /^(\d{4})(\d\d)(\d\d)$/;
    my $wd = (gmtime Time::Local::timegm(0, 0, 0, $d, $m - 1, $y))[6];
    return $WDAYS[($wd + 6) % 7];
}

# every answer of /cx/score over @DAYS against the recomputation
sub crosscheck {
my $range = 'from=' . iso($DAYS[0]) . '&to=' . iso($DAYS[-1]);


for my $survey (sort keys %::TYPE) {
    my ($total) = ::raw($survey, 0);
    my $want = ::expect($survey, $total->{hist}, $total->{ev});

    my $got = ::score("survey=$survey&$range");
    ::compare($survey, $got, $want, "$survey total");

    # by touchpoint: the pain map order too (significantly worse than
    # the rest first)
    my ($t, $g) = ::raw($survey, 0, undef, sub { $_[1] });
    $got = ::score("survey=$survey&$range&by=touchpoint");
    for my $tp (keys %$g) {
        $g->{$tp}{want} = ::expect($survey, $g->{$tp}{hist}, $g->{$tp}{ev});
        @{ $g->{$tp} }{qw(p worse)} = ::vs_rest($survey, $g->{$tp}{hist}, $total->{hist});
    }
    my @tps = sort {
        $g->{$b}{worse} <=> $g->{$a}{worse}
            || $g->{$b}{want}{low} <=> $g->{$a}{want}{low}
            || $g->{$b}{want}{n} <=> $g->{$a}{want}{n} || $a cmp $b
    } keys %$g;
    ok((grep { $g->{$_}{worse} } @tps) > 0, "$survey: some touchpoint significantly worse");
    is(join(',', map { $_->{touchpoint} } @{ $got->{groups} }), join(',', @tps),
       "$survey: the pain map's order");
    for my $i (0 .. $#tps) {
        my $gg = $got->{groups}[$i];
        ::compare($survey, $gg, $g->{$tps[$i]}{want}, "$survey touchpoint $tps[$i]");
        ::near($gg->{pain}, $want->{low} ? 100 * $g->{$tps[$i]}{want}{low} / $want->{low} : undef,
               "$survey touchpoint $tps[$i]: pain", 0.05 + 1e-9);
        ::near($gg->{vs_rest}{p_value}, $g->{$tps[$i]}{p}, "$survey touchpoint $tps[$i]: p against the rest",
               0.00005 + 1e-9);
    }

    # by day
    ($t, $g) = ::raw($survey, 0, undef, sub { $::DAYS[$_[0]] });
    $got = ::score("survey=$survey&$range&by=day");
    is(scalar @{ $got->{groups} }, scalar @::DAYS, "$survey: " . @::DAYS . " days");
    for my $i (0 .. $#::DAYS) {
        my $d = $::DAYS[$i];
        is($got->{groups}[$i]{day}, join('-', unpack 'A4 A2 A2', $d), "$survey day $d: label");
        ::compare($survey, $got->{groups}[$i], ::expect($survey, $g->{$d}{hist} // {}, $g->{$d}{ev} // {}),
                  "$survey day $d");
    }

    # by hour, from the hourly hashes
    ($t, $g) = ::raw($survey, 1, undef, sub { $_[2] });
    $got = ::score("survey=$survey&$range&by=hour");
    ::compare($survey, $got, $want, "$survey by hour: total");
    for my $h (0 .. 23) {
        my $hh = sprintf '%02d', $h;
        is($got->{groups}[$h]{hour}, $hh, "$survey hour $hh: label");
        ::compare($survey, $got->{groups}[$h], ::expect($survey, $g->{$hh}{hist} // {}, $g->{$hh}{ev} // {}),
                  "$survey hour $hh");
    }

    # by weekday
    ($t, $g) = ::raw($survey, 0, undef, sub { ::wday_of($::DAYS[$_[0]]) });
    $got = ::score("survey=$survey&$range&by=wday");
    for my $i (0 .. 6) {
        my $w = $::WDAYS[$i];
        is($got->{groups}[$i]{wday}, $w, "$survey $w: label");
        ::compare($survey, $got->{groups}[$i], ::expect($survey, $g->{$w}{hist} // {}, $g->{$w}{ev} // {}),
                  "$survey $w");
    }

    # one touchpoint, by day, over part of the range
    ($t, $g) = ::raw($survey, 0, 'checkout', sub { $_[0] >= 2 && $_[0] <= 8 ? $::DAYS[$_[0]] : undef });
    $got = ::score("survey=$survey&touchpoint=checkout&from=" . ::iso($::DAYS[2]) . "&to=" . ::iso($::DAYS[8]) . "&by=day");
    my (%hist, %ev);
    for my $d (@::DAYS[2 .. 8]) {
        $hist{$_} += $g->{$d}{hist}{$_} for keys %{ $g->{$d}{hist} // {} };
        $ev{$_} += $g->{$d}{ev}{$_} for keys %{ $g->{$d}{ev} // {} };
    }
    ::compare($survey, $got, ::expect($survey, \%hist, \%ev), "$survey checkout, days 3-9");
    for my $i (0 .. 6) {
        my $d = $::DAYS[$i + 2];
        ::compare($survey, $got->{groups}[$i], ::expect($survey, $g->{$d}{hist} // {}, $g->{$d}{ev} // {}),
                  "$survey checkout $d");
    }
}
}

sub iso { join '-', unpack 'A4 A2 A2', $_[0] }

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF');
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
EOF

    $block->set_value('config', <<'EOF');
location / {
    cx_survey s1 type=nps;
    cx_survey c1 type=csat;
    cx_survey e1 type=ces;
}
location = /cx/score {
    cx_score;
}
EOF
});

run_tests();

__DATA__

=== TEST 1: random data: the endpoint agrees with a recomputation from the raw hashes
--- redis
--- check
srand($::SEED);
note("CX_SEED=$::SEED");
ok(::seed_data() > 1000, 'random data written');
::crosscheck();



=== TEST 2: the same through the flush script, with month rollups: old data (March, April 1-10, written as before the rollups) and new (from April 11), months whole and cut
--- redis
--- check
srand($::SEED + 1);
@::DAYS = map { strftime('%Y%m%d', gmtime(Time::Local::timegm(0, 0, 0, 25, 2, 2024) + 86400 * $_)) } 0 .. 72;
is($::DAYS[-1], '20240605', '2024-03-25 to 2024-06-05');
$::VIA_SCRIPT = sub { $_[0] ge '20240411' };
ok(::seed_data() > 1000, 'random data written');
is(redis()->hget('cx:localhost:sc:s1:202405', '#'), '1', 'May: a complete rollup');
is(redis()->hget('cx:localhost:sc:s1:202405:all', '#'), '1', 'May: a complete rollup of the touchpoints');
is(redis()->hget('cx:localhost:sc:s1:202404', '#'), '0', 'April: old data, not complete');
::crosscheck();
