# Hours and weekdays in a time zone (cx_score_time_zone, tz=): the
# counters are kept by UTC hour; each hour's counts go to the local hour
# and weekday it begins in, with the offset in force then.  Days around
# the DST changes of 2026 (Europe/Paris: March 29 and October 25, 01:00
# UTC; America/New_York: March 8, 07:00 UTC, and November 1, 06:00 UTC)
# are checked by hand; then random hourly data over March-April and
# October-November, written through the flush script (month rollups
# included), is recomputed here with the C library's own reading of the
# zones (TZ=..., POSIX::tzset) and compared group by group.  The range's
# days stay UTC days.

use lib 't/lib';
use Test::CX;
use Test::CX::Flush;
use JSON::PP ();
use List::Util qw(sum0);
use POSIX ();
use Time::Local ();

our @WDAYS = qw(mon tue wed thu fri sat sun);
our ($SHA, $SEQ) = (undef, 0);

sub score {
    my ($query) = @_;
    my $r;

    wait_for(sub {
        $r = http_request("GET /cx/score?$query HTTP/1.1\r\nHost: localhost\r\n"
                          . "Connection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });

    $r->{json} = eval { JSON::PP::decode_json($r->{body}) };
    return $r;
}

# one promoter in every UTC hour of a day, as the collect half writes it
sub every_hour {
    my ($day, $score) = @_;
    for my $h (0 .. 23) {
        redis()->hincrby("cx:localhost:sc:s1:$day", "home:$score", 1);
        redis()->hincrby("cx:localhost:sch:s1:$day", sprintf('home:%d:%02d', $score, $h), 1);
    }
}

# "hh:n" of every group with answers
sub hours {
    my ($r) = @_;
    return join ' ', map { "$_->{hour}:$_->{n}" } grep { $_->{n} } @{ $r->{json}{groups} };
}

# ------------------------------------------- the recomputation in Perl

# local (hour, weekday 0 = Monday) of UTC time $t in zone $zone
sub local_of {
    my ($zone, $t) = @_;

    if ($zone =~ /^([+-])(\d\d):(\d\d)$/) {
        $t += ($1 eq '-' ? -1 : 1) * ($2 * 3600 + $3 * 60);
        my @g = gmtime $t;
        return ($g[2], ($g[6] + 6) % 7);
    }

    local $ENV{TZ} = $zone eq 'utc' ? 'UTC' : $zone;
    POSIX::tzset();
    my @l = localtime $t;
    return ($l[2], ($l[6] + 6) % 7);
}

sub day_of { POSIX::strftime('%Y%m%d', gmtime($_[0] * 86400)) }
sub days_from { int(Time::Local::timegm(0, 0, 0, $_[2], $_[1] - 1, $_[0]) / 86400) }

# random answers in random UTC hours of the days, through the flush
# script (lua/redis/flush.lua) as the module writes them; returns
# [ day number, hour, touchpoint, score, count ] of each
sub seed {
    my @days = @_;
    my $r = redis();
    my @all;

    $SHA //= $r->script_load(do { local (@ARGV, $/) = ('lua/redis/flush.lua'); <> });

    for my $d (@days) {
        my $day = day_of($d);
        my %h;

        for (1 .. 4 + int rand 10) {
            my ($hh, $tp, $s, $c) = (int rand 24, (qw(home cart))[rand 2], int rand 11, 1 + int rand 3);
            my $hour = sprintf '%02d', $hh;
            push @all, [ $d, $hh, $tp, $s, $c ];
            $h{"cx:localhost:sc:s1:$day"}{"$tp:$s"} += $c;
            $h{"cx:localhost:sch:s1:$day"}{"$tp:$s:$hour"} += $c;
            $h{"cx:localhost:sv:s1:$day"}{"$tp:answered"} += $c;
            $h{"cx:localhost:svh:s1:$day"}{"$tp:answered:$hour"} += $c;
            $h{"cx:localhost:tph:$day"}{"$tp:answered:$hour"} += $c;
            $h{"cx:localhost:tp:$day"}{"$tp:answered"} += $c;
        }

        my $res = $r->evalsha($SHA, Test::CX::Flush::flush_args('cx:batch:t044', ++$SEQ, 0, \%h));
        die "flush script: lost $res->[4]" if $res->[4];
    }

    return \@all;
}

# the histograms by local hour (or weekday) of the answers of days
# $from .. $to (UTC), of touchpoint $only (all: undef)
sub expected {
    my ($all, $zone, $by, $from, $to, $only) = @_;
    my @g = map { {} } 1 .. ($by eq 'hour' ? 24 : 7);

    for my $a (@$all) {
        my ($d, $hh, $tp, $s, $c) = @$a;
        next if $d < $from || $d > $to || (defined $only && $tp ne $only);
        my ($lh, $lw) = local_of($zone, $d * 86400 + $hh * 3600);
        $g[$by eq 'hour' ? $lh : $lw]{$s} += $c;
    }

    return \@g;
}

sub crosscheck {
    my ($all, $from, $to) = @_;
    my $range = 'from=' . join('-', unpack 'A4 A2 A2', day_of($from))
              . '&to=' . join('-', unpack 'A4 A2 A2', day_of($to));

    for my $zone ('Europe/Paris', 'America/New_York', '%2B05:30', '-03:00', 'utc') {
        (my $z = $zone) =~ s/%2B/+/;

        for my $q ([ 'hour', undef ], [ 'wday', undef ], [ 'hour', 'cart' ], [ 'wday', 'home' ]) {
            my ($by, $tp) = @$q;
            my $want = expected($all, $z, $by, $from, $to, $tp);
            my $r = score("survey=s1&$range&by=$by&tz=$zone" . ($tp ? "&touchpoint=$tp" : ''));
            my $name = "$z by=$by" . ($tp ? " touchpoint=$tp" : '');

            is($r->{status}, 200, "$name: 200") or next;
            is($r->{json}{time_zone}, $z, "$name: time_zone");
            is(sum0(map { $_->{n} } @{ $r->{json}{groups} }), $r->{json}{n},
               "$name: the groups add up to the total");

            for my $i (0 .. $#$want) {
                my %got = map { $_ => $r->{json}{groups}[$i]{histogram}{$_} }
                          grep { $r->{json}{groups}[$i]{histogram}{$_} } 0 .. 10;
                is_deeply(\%got, $want->[$i], "$name: group $i");
            }
        }
    }
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_score_time_zone Europe/Paris America/New_York +05:30 -03:00 utc;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/score/utc {
    cx_score;
    cx_score_time_zone utc;
}
EOF
});

run_tests();

__DATA__

=== TEST 1: Europe/Paris, 2026-03-29 (23 local hours): 01:00 UTC is 03:00 CEST, local 02 gets nothing; the first zone listed is the default
--- redis
--- check
::every_hour('20260329', 10);
redis()->hincrby('cx:localhost:sc:s1:20260329', 'home:0', 1);
redis()->hincrby('cx:localhost:sch:s1:20260329', 'home:0:01', 1);
my $r = ::score('survey=s1&from=2026-03-29&to=2026-03-29&by=hour');
is($r->{json}{time_zone}, 'Europe/Paris', 'the default zone');
is(join(',', @{ $r->{json}{time_zones} }), 'Europe/Paris,America/New_York,+05:30,-03:00,utc',
   'time_zones: the zones tz= may name');
is(::hours($r), '00:1 01:2 ' . join(' ', '03:2', map { sprintf '%02d:1', $_ } 4 .. 23),
   'UTC 00 -> 01 CET, UTC 01 -> 03 CEST, UTC 22 and 23 -> 00 and 01');
is($r->{json}{groups}[3]{nps}, 0, 'local 03: a promoter and a detractor');
is($r->{json}{n}, 25, 'the total: the UTC day');



=== TEST 2: Europe/Paris, 2026-10-25 (25 local hours): 00:00 and 01:00 UTC are both 02:00 local
--- redis
--- check
::every_hour('20261025', 9);
my $r = ::score('survey=s1&from=2026-10-25&to=2026-10-25&by=hour&tz=Europe/Paris');
is(::hours($r), '00:1 02:2 ' . join(' ', map { sprintf '%02d:1', $_ } 3 .. 23),
   'UTC 00 (CEST) and 01 (CET) -> 02, UTC 23 -> 00');



=== TEST 3: America/New_York, 2026-03-08 and 2026-11-01: the hours around 06:00-07:00 UTC
--- redis
--- check
::every_hour('20260308', 10);
my $r = ::score('survey=s1&from=2026-03-08&to=2026-03-08&by=hour&tz=America/New_York');
is(::hours($r), join(' ', (map { sprintf '%02d:1', $_ } 0 .. 1, 3 .. 18), '19:2',
                     (map { sprintf '%02d:1', $_ } 20 .. 23)),
   'March 8: UTC 06 -> 01 EST, UTC 07 -> 03 EDT (02 gets nothing); UTC 00 (EST) and 23 (EDT) -> 19');
::every_hour('20261101', 10);
$r = ::score('survey=s1&from=2026-11-01&to=2026-11-01&by=hour&tz=America/New_York');
is(::hours($r), join(' ', '00:1', '01:2', (map { sprintf '%02d:1', $_ } 2 .. 18, 20 .. 23)),
   'November 1: UTC 05 (EDT) and 06 (EST) -> 01; UTC 00 (EDT) -> 20, UTC 23 (EST) -> 18: 19 gets nothing');



=== TEST 4: by=wday: a UTC day's late hours are the next local weekday east of UTC, its early ones the day before west of it (2026-03-02 was a Monday)
--- redis
--- check
::every_hour('20260302', 10);
my %w;
for my $tz ('Europe/Paris', '-03:00', 'utc', '%2B05:30') {
    my $r = ::score("survey=s1&from=2026-03-02&to=2026-03-02&by=wday&tz=$tz");
    $w{$tz} = join ' ', map { "$_->{wday}:$_->{n}" } grep { $_->{n} } @{ $r->{json}{groups} };
}
is($w{'Europe/Paris'}, 'mon:23 tue:1', 'Paris: UTC 23 is Tuesday 00:00');
is($w{'-03:00'}, 'mon:21 sun:3', '-03:00: UTC 00-02 are Sunday');
is($w{utc}, 'mon:24', 'utc: all Monday');
is($w{'%2B05:30'}, 'mon:19 tue:5', '+05:30: UTC 19-23 are Tuesday (UTC 18:00 is 23:30 Monday)');



=== TEST 5: an offset of half hours: a UTC hour goes to the local hour it begins in
--- redis
--- check
::every_hour('20260302', 10);
my $r = ::score('survey=s1&from=2026-03-02&to=2026-03-02&by=hour&tz=%2B05:30');
is($r->{json}{time_zone}, '+05:30', 'time_zone');
is(::hours($r), join(' ', map { sprintf '%02d:1', $_ } 0 .. 23),
   'every local hour once: UTC 00 -> 05, UTC 18 -> 23, UTC 19 -> 00');
is($r->{json}{groups}[5]{n}, 1, 'UTC 00:00 is 05:30: hour 05');



=== TEST 6: report=touchpoints&by=hour: events by local hour
--- redis
--- check
redis()->hset('cx:localhost:tp:20260329', 'home:view', 3);
redis()->hset('cx:localhost:tph:20260329', 'home:view:00', 1, 'home:view:01', 2);
my $r = ::score('report=touchpoints&from=2026-03-29&to=2026-03-29&by=hour&tz=Europe/Paris');
my $g = $r->{json}{touchpoints}[0]{groups};
is($r->{json}{time_zone}, 'Europe/Paris', 'time_zone');
is(join(',', map { $g->[$_]{events}{view} } 0 .. 4), '0,1,0,2,0', 'UTC 00 -> 01, UTC 01 -> 03');



=== TEST 7: utc is the default without cx_score_time_zone: hours as stored
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- redis
--- check
::every_hour('20260329', 10);
my $r = ::score('survey=s1&from=2026-03-29&to=2026-03-29&by=hour');
is($r->{json}{time_zone}, 'utc', 'time_zone');
is(join(',', @{ $r->{json}{time_zones} }), 'utc', 'time_zones');
is(::hours($r), join(' ', map { sprintf '%02d:1', $_ } 0 .. 23), 'UTC hours');
$r = ::score('survey=s1&from=2026-03-29&to=2026-03-29&by=day');
ok(!exists $r->{json}{time_zone}, 'no time_zone by day');



=== TEST 8: tz=: a zone listed, utc or an offset; anything else is a 400 that says why; a location's own list
--- redis
--- check
my @bad = (
    [ 'Asia/Tokyo', 'unknown time zone' ],             # exists, not listed
    [ '../../etc/passwd', 'unknown time zone' ],
    [ '%2B15:00', 'an offset out of range' ],
    [ '-03:60', 'an offset out of range' ],
    [ '', 'unknown time zone' ],
);
for my $b (@bad) {
    my $r = ::score("survey=s1&by=hour&tz=$b->[0]");
    is($r->{status}, 400, "tz=$b->[0]: 400");
    like($r->{json}{error} // '', qr/^tz: \Q$b->[1]\E/, "tz=$b->[0]: $b->[1]");
}
for my $ok ('utc', 'UTC', '%2B00:00', '-11:30', 'America/New_York') {
    my $r = ::score("survey=s1&by=hour&tz=$ok");
    is($r->{status}, 200, "tz=$ok: 200");
}
my $r = http_request("GET /cx/score/utc?survey=s1&by=hour HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/"time_zone":"utc"/, 'the location\'s own cx_score_time_zone');
$r = http_request("GET /cx/score/utc?survey=s1&by=hour&tz=Europe/Paris HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is($r->{status}, 400, 'a zone of another location: 400');
$r = ::score('survey=s1&by=hour&tz=utc&tz=utc');
is($r->{status}, 400, 'tz= twice: 400');



=== TEST 9: the reads: a month whose offset stays is read from its rollup; March in Paris (DST from the 29th) from its rollup at +01:00 and its days at another offset
--- redis
--- check
::seed(::days_from(2026, 3, 1) .. ::days_from(2026, 4, 30));
my $calls = sub { (redis()->info('commandstats')->{cmdstat_hgetall} // 'calls=0') =~ /calls=(\d+)/; $1 };
my %reads;
for my $tz ('utc', 'Europe/Paris', '-03:00') {
    my $before = $calls->();
    my $r = ::score("survey=s1&from=2026-03-01&to=2026-04-30&by=hour&tz=$tz");
    is($r->{status}, 200, "$tz: 200");
    $reads{$tz} = $calls->() - $before;
}
is($reads{utc}, 8, 'utc: two months, 4 rollups each');
is($reads{'-03:00'}, 8, 'a fixed offset: the same');
is($reads{'Europe/Paris'}, 4 + 3 * 2 + 4,
   'Paris: March\'s rollups, corrected by its days from the 29th (the 29th, 30th and 31st)');



=== TEST 10: random hourly data around the DST changes of spring 2026, against the C library's zones
--- redis
--- timeout: 60
--- check
srand(20260329);
my $all = ::seed(::days_from(2026, 3, 1) .. ::days_from(2026, 4, 30));
::crosscheck($all, ::days_from(2026, 3, 1), ::days_from(2026, 4, 30));
::crosscheck($all, ::days_from(2026, 3, 5), ::days_from(2026, 4, 2));
# rollups not to be trusted: March's hours (with and without the
# touchpoints) read day by day, and a day that corrects them from its hash
is(redis()->hget('cx:localhost:sch:s1:202603:all', '#'), '1', 'March: a complete rollup');
redis()->hset($_, '#', 0) for map { ("cx:localhost:$_:s1:202603:all", "cx:localhost:$_:s1:202603") } qw(sch svh);
::crosscheck($all, ::days_from(2026, 3, 1), ::days_from(2026, 4, 30));
redis()->hset('cx:localhost:sch:s1:202603:all', '#', 1);
redis()->hset('cx:localhost:sch:s1:20260330:all', '#', 0);
::crosscheck($all, ::days_from(2026, 3, 1), ::days_from(2026, 4, 30));



=== TEST 11: the same in autumn 2026
--- redis
--- timeout: 60
--- check
srand(20261025);
my $all = ::seed(::days_from(2026, 10, 1) .. ::days_from(2026, 11, 30));
::crosscheck($all, ::days_from(2026, 10, 1), ::days_from(2026, 11, 30));
::crosscheck($all, ::days_from(2026, 10, 24), ::days_from(2026, 11, 2));



=== TEST 12: cx_score_time_zone: an unknown zone fails nginx -t with file:line
--- http_config
cx_score_time_zone Europe/Paris Mars/Olympus_Mons;
--- must_die
--- error_log eval
qr{unknown time zone "Mars/Olympus_Mons": cannot open "/usr/share/zoneinfo/Mars/Olympus_Mons".* in \S+nginx\.conf:\d+}



=== TEST 13: cx_score_time_zone: a bad offset
--- http_config
cx_score_time_zone +25:00;
--- must_die
--- error_log eval
qr{"\+25:00" in "cx_score_time_zone" has an invalid offset: use \+HH:MM or -HH:MM in \S+nginx\.conf:\d+}



=== TEST 14: cx_score_time_zone: not a zone name
--- http_config
cx_score_time_zone ../../etc/passwd;
--- must_die
--- error_log eval
qr{"\.\./\.\./etc/passwd" in "cx_score_time_zone" is not local, utc, \+HH:MM or a zone name.* in \S+nginx\.conf:\d+}



=== TEST 15: cx_score_time_zone: a zone listed twice
--- http_config
cx_score_time_zone Europe/Paris utc Europe/Paris;
--- must_die
--- error_log eval
qr{"Europe/Paris" in "cx_score_time_zone" is listed twice in \S+nginx\.conf:\d+}



=== TEST 16: cx_score_time_zone: twice in one context
--- http_config
cx_score_time_zone utc;
cx_score_time_zone Europe/Paris;
--- must_die
--- error_log eval
qr{"cx_score_time_zone" directive is duplicate in \S+nginx\.conf:\d+}



=== TEST 17: local is nginx's time zone, with its changes (nginx started with TZ=Europe/Paris)
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_score_time_zone local;
--- init
$ENV{TZ} = 'Europe/Paris';
--- redis
--- check
delete $ENV{TZ};
::every_hour('20260329', 10);
::every_hour('20261025', 10);
my $r = ::score('survey=s1&from=2026-03-29&to=2026-03-29&by=hour');
is($r->{json}{time_zone}, 'local', 'time_zone');
is(::hours($r), '00:1 01:2 ' . join(' ', map { sprintf '%02d:1', $_ } 3 .. 23), 'March 29 as in Paris');
$r = ::score('survey=s1&from=2026-10-25&to=2026-10-25&by=hour');
is(::hours($r), '00:1 02:2 ' . join(' ', map { sprintf '%02d:1', $_ } 3 .. 23), 'October 25 as in Paris');



=== TEST 18: a compared period by hour in a zone: each hour against the same local hour of the other period (spring against autumn)
--- redis
--- timeout: 60
--- check
srand(18);
my $all = ::seed(::days_from(2026, 3, 1) .. ::days_from(2026, 4, 30), ::days_from(2026, 10, 1) .. ::days_from(2026, 11, 30));
for my $tz ('Europe/Paris', 'America/New_York') {
    my $r = ::score("survey=s1&from=2026-10-01&to=2026-11-30&compare_from=2026-03-01&compare_to=2026-04-30&by=hour&tz=$tz");
    my $now = ::expected($all, $tz, 'hour', ::days_from(2026, 10, 1), ::days_from(2026, 11, 30));
    my $then = ::expected($all, $tz, 'hour', ::days_from(2026, 3, 1), ::days_from(2026, 4, 30));
    is(join(',', map { $_->{n} } @{ $r->{json}{groups} }), join(',', map { List::Util::sum0(values %$_) } @$now),
       "$tz: autumn's hours");
    is(join(',', map { $_->{compare}{n} } @{ $r->{json}{groups} }), join(',', map { List::Util::sum0(values %$_) } @$then),
       "$tz: spring's, compared");
}
