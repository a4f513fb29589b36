# cx_redis_cluster: the directive (its errors fail nginx -t with
# file:line), and counting into a Redis Cluster: the worker loads the
# slot map from the seeds, opens a connection per primary on first use,
# sends each sub-batch to its slot's primary and follows MOVED, ASK,
# TRYAGAIN, CLUSTERDOWN and lost nodes.  Under load from two nginx
# instances (two workers each): a kill -9 of the busiest primary and its
# replica's promotion, a reshard of every slot of one primary, a manual
# CLUSTER FAILOVER: the views answered are the views in the cluster
# (every primary's tp hashes summed), pages answered 200 throughout.
# The cluster (3 primaries + 3 replicas on loopback) is
# t/lib/Test/CX/Cluster.pm's, started at the first block that needs it
# and stopped by PID with the file.
use lib 't/lib';
use Test::CX;
use Test::CX::Cluster;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();

our $DAY = today();
our ($F, $C, $SEEDS);

# the whole file is bounded, whatever the machine's load
alarm 900;

sub up {
    return if $C;
    $F = fleet();
    $C = Test::CX::Cluster->new(fleet => $F);
    $C->start;
    # two seeds: the first one dies in a test, the second is asked then
    $SEEDS = join ' ', map { "127.0.0.1:$_" } ($C->ports)[0, 1];
}

# the views of the day in the cluster: every tp hash of every primary
sub views_in_cluster {
    my $sum = 0;
    for my $port ($C->primaries) {
        for my $key (split /\n/, $C->cli($port, 'KEYS', "*tp:$DAY")) {
            my $v = $C->cli($port, 'HGET', $key, 'home:view');
            $sum += $v if $v =~ /^\d+$/;
        }
    }
    return $sum;
}

# the views of the day read back through /cx/score (the S shards summed
# by the module); -1 when it does not answer 200
sub views_in_score {
    my $r = Test::CX::http_request(
        Test::CX::build_request("GET /cx/score?report=touchpoints"));
    return -1 unless ($r->{status} // 0) == 200;
    return $r->{body} =~ /"touchpoint":"home","events":\{"view":(\d+)/ ? $1 : 0;
}

sub second_nginx { $F->second_nginx(@_) }

# a request to the nginx on PORT (the block's own, or 'b')
sub on {
    my ($port, $raw) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10)
        or return { error => "connect: $!" };
    print $s $raw;
    local $/;
    return Test::CX::parse_response(<$s> // '');
}

# one widget on a page of PORT: shown, then EVENT (answered with a score)
sub widget {
    my ($port, $event) = @_;
    my $page = on($port, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    my ($tag) = ($page->{body} // '') =~ /(<script src="[^"]*" async [^>]*>)/ or return 0;
    my %t;
    $t{$1} = $2 while $tag =~ /data-cx-([a-z]+)="([^"]*)"/g;
    my $ok = 1;
    for my $e ('event=shown', $event) {
        my $body = "survey=$t{survey}&touchpoint=$t{touchpoint}&token=$t{token}&$e";
        my $r = on($port, "POST /cx/collect HTTP/1.1\r\nHost: localhost\r\n"
                          . "Content-Type: application/x-www-form-urlencoded\r\n"
                          . "Content-Length: " . length($body) . "\r\n"
                          . "Connection: close\r\n\r\n$body");
        $ok &&= ($r->{status} // 0) == 204;
    }
    return $ok;
}

# /cx/score's wall-clock time, the cluster (S shards, 3 primaries) and the
# single node side by side, interleaved: printed, never asserted (a
# shared, noisy machine); CX_SCORE_N requests a kind [40]
sub latency {
    my ($single, $q) = @_;
    my $n = $ENV{CX_SCORE_N} // 40;
    my $from = sub {
        my @t = gmtime(time - 86400 * ($_[0] - 1));
        return sprintf 'from=%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];
    };
    for my $days (1, 30) {
        for my $kind ('survey=nps1', 'survey=nps1&by=day', 'report=touchpoints') {
            (my $qa = $q) =~ s/survey=nps1/$kind&@{[ $from->($days) ]}/;
            my %t;
            for (1 .. $n) {
                for my $who ([ cluster => server_port() ], [ single => $single ]) {
                    my $t0 = time;
                    my $r = on($who->[1], $qa);
                    push @{ $t{$who->[0]} }, 1000 * (time - $t0)
                        if ($r->{status} // 0) == 200;
                }
            }
            my $p = sub {
                my @s = sort { $a <=> $b } @{ $t{$_[0]} // [] };
                return @s ? sprintf('p50 %.1f ms p99 %.1f ms (%d)', $s[int(@s / 2)],
                                    $s[int(0.99 * $#s)], scalar @s) : 'none';
            };
            diag(sprintf "/cx/score %s, %d day(s): cluster %s; single node %s",
                 $kind, $days, $p->('cluster'), $p->('single'));
        }
    }
}

sub error_lines {
    my ($log) = @_;
    return scalar grep { /\[(error|alert|crit)\]/ } split /\n/, $log;
}


# a node that answers CLUSTER SLOTS with ANSWER (RESP) and anything else
# with an error; our child, killed at the end
our %FAKES;

sub fake_node {
    my ($answer, $other) = @_;

    $other //= "-ERR not here\r\n";

    my ($port, $pid) = $F->fake_resp(0, sub {
        my ($cmd, $port) = @_;
        # PORT in an answer: this node's own
        my $r = $cmd eq 'CLUSTER' ? $answer
              : $cmd eq 'SCRIPT' ? "\$40\r\n" . ('0' x 40) . "\r\n"
              : $other;
        return $r =~ s/\bPORT\b/$port/gr;
    }, 60);

    $FAKES{$port} = $pid;

    return $port;
}

# MOVE runs while both nginx instances are under load: what they answered
sub under_load {
    my ($move) = @_;

    my $b = $F->{nginxes}{b};
    my $port = server_port();
    my $load = $F->load_start(ports => [ $port, $port, $b->{port}, $b->{port} ],
                              rate => 100);
    sleep 1;
    $move->();
    sleep 1;

    return $F->load_stop($load);
}

# the checks every move ends with; LOG: both nginx instances' lines since
sub counted_exactly {
    my ($got, $log, $max_errors) = @_;

    my $answered = $got->{200};
    is(join(',', map { "$_=$got->{$_}" } grep { !/^(200|times)$/ } sort keys %$got), '',
       "every page answered 200 throughout");
    ok($answered > 500, "$answered views answered");
    ok(wait_for(sub { views_in_cluster() == $answered }, 30),
       "$answered views answered, as many in the cluster")
        or diag(views_in_cluster() . " in the cluster");
    ok(wait_for(sub { views_in_score() == $answered }, 10),
       "$answered views answered, as many read back through /cx/score")
        or diag(views_in_score() . " through /cx/score");
    my $errors = error_lines($log);
    ok($errors <= $max_errors, "$errors error lines from 4 workers: no burst")
        or diag(join "\n", grep { /\[(error|alert|crit)\]/ } split /\n/, $log);
    unlike($log, qr/\[alert\]|CROSSSLOT|dropped/, "nothing dropped, no alert");
}

add_block_preprocessor(sub {
    my $block = shift;

    return if defined $block->must_die;

    up();
    $C->cli($_, 'FLUSHALL') for $C->primaries;

    my $http = $block->http_config // '';
    $http = "cx_redis_cluster SEEDS;\n$http" unless $http =~ /cx_redis_cluster /;
    $http =~ s/\bSEEDS\b/$SEEDS/g;
    $http =~ s/\bDEAD\b/Test::TCP::empty_port()/ge;
    $http =~ s/\bFAKE_DOWN\b/fake_node("*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n\$9\r\n127.0.0.1\r\n:PORT\r\n", "-CLUSTERDOWN The cluster is down\r\n")/ge;
    $http =~ s/\bFAKE_MAP\b/fake_node("*1\r\n*3\r\n:0\r\n:99999\r\n*2\r\n\$9\r\n127.0.0.1\r\n:1\r\n")/ge;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n"
                                     . "cx_flush_interval 100ms;\n$http");
    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint home;
}
location = /cx/metrics {
    cx_metrics;
}
location = /cx/score {
    cx_score;
}
EOF
    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]])
        unless defined $block->user_files;
});

END {
    kill 'KILL', values %FAKES;
    $C->stop if $C;
}

run_tests();

__DATA__

=== TEST 1: cx_redis_cluster and cx_redis: one Redis, one of them
--- must_die
--- http_config
cx_redis 127.0.0.1:6379;
cx_redis_cluster 127.0.0.1:7000;
--- error_log eval
qr/"cx_redis_cluster" and "cx_redis" in \S+nginx\.conf:\d+: one Redis, one of them/



=== TEST 2: cx_redis_sentinel after cx_redis_cluster
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_sentinel cx 127.0.0.1:26379;
--- error_log eval
qr/"cx_redis_sentinel" and "cx_redis_cluster" in \S+nginx\.conf:\d+: one Redis, one of them/



=== TEST 3: cx_redis_cluster twice
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_cluster 127.0.0.1:7001;
--- error_log eval
qr/"cx_redis_cluster" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 4: cx_redis_cluster without a node
--- must_die
--- http_config
cx_redis_cluster tls password=x;
--- error_log
no node address in "cx_redis_cluster": expected "cx_redis_cluster host:port ..."



=== TEST 5: a cluster has database 0 only: db= is refused
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 db=1;
--- error_log eval
qr/invalid parameter "db=1" in "cx_redis_cluster": expected tls, user=name, password=\.\.\., prefix=name or shards=1\.\.1024 in \S+nginx\.conf:\d+/



=== TEST 6: shards= out of range
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 shards=0;
--- error_log eval
qr/invalid parameter "shards=0" in "cx_redis_cluster": expected .* in \S+nginx\.conf:\d+/



=== TEST 7: shards= not a number
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 shards=1025;
--- error_log eval
qr/invalid parameter "shards=1025" in "cx_redis_cluster"/



=== TEST 8: a mistyped password is not repeated
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 pasword=s3cret-Value;
--- error_log
invalid parameter "pasword=..." in "cx_redis_cluster"
--- no_error_log
s3cret-Value



=== TEST 9: sentinel_user= belongs to cx_redis_sentinel
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 sentinel_user=x;
--- error_log
invalid parameter "sentinel_user=x" in "cx_redis_cluster"



=== TEST 10: a bad address
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 127.0.0.1:99999;
--- error_log eval
qr/invalid address "127\.0\.0\.1:99999" in "cx_redis_cluster": invalid port in \S+nginx\.conf:\d+/



=== TEST 11: user= needs password=
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 user=cx;
--- error_log eval
qr/"user=" in "cx_redis_cluster" needs "password=" in \S+nginx\.conf:\d+/



=== TEST 12: more than 16 seeds
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000 127.0.0.1:7001 127.0.0.1:7002 127.0.0.1:7003 127.0.0.1:7004 127.0.0.1:7005 127.0.0.1:7006 127.0.0.1:7007 127.0.0.1:7008 127.0.0.1:7009 127.0.0.1:7010 127.0.0.1:7011 127.0.0.1:7012 127.0.0.1:7013 127.0.0.1:7014 127.0.0.1:7015 127.0.0.1:7016;
--- error_log
more than 16 addresses in "cx_redis_cluster"



=== TEST 13: cx_redis_ssl_* needs tls on cx_redis_cluster
--- must_die
--- http_config
cx_redis_cluster 127.0.0.1:7000;
cx_redis_ssl_verify off;
--- error_log eval
qr/"cx_redis_ssl_\*" in \S+:\d+ needs the "tls" parameter of "cx_redis_cluster" in \S+nginx\.conf:\d+/



=== TEST 14: counting into the cluster: the map from the seeds, a connection per primary, every view in the cluster once, and read back through /cx/score (every shard's hash summed)
--- workers: 2
--- request
GET /
--- check
my $st = get_many('/', 199);
is($st->{200}, 199, "all pages served");
ok(wait_for(sub { ::views_in_cluster() == 200 }, 10), "200 views answered, 200 in the cluster")
    or diag(::views_in_cluster());
ok(metric('cx_redis_cluster_maps_total') >= 2, "each worker loaded the map");
is(metric('cx_redis_connected'), 2, "both workers have a map");
is(::views_in_score(), 200, "200 views read back through /cx/score");
my $r = http_request(build_request("GET /cx/score?report=touchpoints&by=day"));
like($r->{body}, qr/"view":200\b/, "by=day: the day's 200 views");
$r = http_request(build_request("GET /cx/score?report=followups"));
is($r->{status}, 200, "report=followups: 200");
like($r->{body}, qr/"followups":\[\],"next":null/, "report=followups: none");
--- no_error_log
[error]
[alert]



=== TEST 15: kill -9 of the primary holding the most keys under load from two nginx instances, its replica promoted, the node back: with cx_redis_wait 1 500ms nothing lost, nothing counted twice
--- workers: 2
--- log_level: info
--- http_config
cx_redis_wait 1 500ms;
--- init
::second_nginx($block);
--- check
my $from_b = length $::F->nginx_error_log('b');
my ($victim, $replica);
my $got = ::under_load(sub {
    my $keys = $::C->keys_per_primary;
    ($victim) = sort { $keys->{$b} <=> $keys->{$a} } keys %$keys;
    $replica = $::C->replica_of($victim);
    $::C->kill_node($victim);
    # the shards of the other primaries go on meanwhile
    sleep 0.5;
    my $before = ::views_in_cluster();
    sleep 1;
    my $after = ::views_in_cluster();
    ok($after > $before, "views keep arriving while $victim is down ($before, then $after)");
    ok($::C->wait_promoted($replica, 60), "the replica $replica of $victim is promoted");
    $::C->start_node($victim);
});
my $log = Test::CX::block_log() . substr($::F->nginx_error_log('b'), $from_b);
::counted_exactly($got, $log, 40);
ok(metric('cx_redis_cluster_maps_total') >= 4, "the map asked again");
$::F->nginx_stop('b');



=== TEST 16: a reshard under load moves every slot of one primary to another: MOVED followed (ASK where a batch meets a slot mid-migration: TEST 18), nothing lost, nothing counted twice
--- workers: 2
--- log_level: info
--- init
::second_nginx($block);
--- check
my $from_b = length $::F->nginx_error_log('b');
my @p = $::C->primaries;
my $got = ::under_load(sub {
    my $n = $::C->reshard(from => $p[0], to => $p[1]);
    ok($n > 0, "$n slots moved from $p[0] to $p[1]");
    is($::C->slot_count($p[0]), 0, "$p[0] serves no slot");
});
my $log = Test::CX::block_log() . substr($::F->nginx_error_log('b'), $from_b);
::counted_exactly($got, $log, 8);
my $moved = metric('cx_redis_cluster_redirects_total{reply="moved"}');
ok($moved > 0, "$moved MOVED followed (this nginx)");
my $redirects = () = $log =~ /answered (MOVED|ASK) /g;
ok($redirects > 0, "$redirects redirections logged by both");
note("ASK: " . (() = $log =~ /answered ASK /g) . ", TRYAGAIN metric: "
     . metric('cx_redis_cluster_redirects_total{reply="tryagain"}'));
$::F->nginx_stop('b');



=== TEST 17: a manual CLUSTER FAILOVER under load: nothing lost, nothing counted twice
--- workers: 2
--- log_level: info
--- init
::second_nginx($block);
--- check
my $from_b = length $::F->nginx_error_log('b');
my $got = ::under_load(sub {
    my ($primary) = grep { $::C->slot_count($_) } $::C->primaries;
    my $replica = $::C->replica_of($primary);
    ok($::C->failover($replica, 60), "$replica took over from $primary");
});
my $log = Test::CX::block_log() . substr($::F->nginx_error_log('b'), $from_b);
::counted_exactly($got, $log, 8);
$::F->nginx_stop('b');



=== TEST 18: a slot half-way through a migration, its keys already on the target: ASK followed (ASKING, then the batch), then MOVED once the slot is the target's; every view counted once
--- workers: 1
--- log_level: info
--- request
GET /
--- check
ok(wait_for(sub { ::views_in_cluster() == 1 }, 10), "the first view is in the cluster");
my ($key, $from);
for my $p ($::C->primaries) {
    ($key) = grep { /tp:$::DAY$/ } split /\n/, $::C->cli($p, 'KEYS', "*tp:$::DAY");
    $from = $p, last if $key;
}
my $slot = $::C->cli($from, 'CLUSTER', 'KEYSLOT', $key);
my @p = $::C->primaries;
my ($to) = grep { $_ != $from } @p;
my $n = $::C->nodes($from);
my ($fid, $tid) = ($n->{$from}{id}, $n->{$to}{id});
is($::C->cli($to, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING', $fid), 'OK', "$to imports slot $slot");
is($::C->cli($from, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING', $tid), 'OK', "$from migrates it");
my @keys = split /\n/, $::C->cli($from, 'CLUSTER', 'GETKEYSINSLOT', $slot, 1000);
is($::C->cli($from, 'MIGRATE', '127.0.0.1', $to, '', 0, 5000, 'KEYS', @keys), 'OK',
   scalar(@keys) . " keys of slot $slot moved to $to");
my $views = 1;
my $ask = sub { metric('cx_redis_cluster_redirects_total{reply="ask"}') // 0 };
# a worker's page views go to one shard a flush, in turn: 16 flushes
for (1 .. 400) {
    $views += get_many('/', 2)->{200};
    last if $ask->() > 0;
    sleep 0.05;
}
ok($ask->() > 0, "ASK followed");
# (the target answers others than ASKING clients MOVED until then)
is($::C->cli($_, 'CLUSTER', 'SETSLOT', $slot, 'NODE', $tid), 'OK', "$_: slot $slot is ${to}'s")
    for $to, $from, grep { $_ != $to && $_ != $from } @p;
my $moved = sub { metric('cx_redis_cluster_redirects_total{reply="moved"}') // 0 };
for (1 .. 400) {
    $views += get_many('/', 2)->{200};
    last if $moved->() > 0;
    sleep 0.05;
}
ok($moved->() > 0, "MOVED followed");
ok(wait_for(sub { ::views_in_cluster() == $views }, 10), "$views views, as many in the cluster")
    or diag(::views_in_cluster());
--- no_error_log
[error]
[alert]



=== TEST 19: a reload: the old workers make their last flush and exit at once, the new ones load the map; every view counted once
--- workers: 2
--- request
GET /
--- check
my @old = worker_pids();
my $views = 1 + get_many('/', 99)->{200};
nginx_reload();
ok(wait_for(sub { !grep { kill 0, $_ } @old }, 10), "the old workers exit");
$views += get_many('/', 100)->{200};
ok(wait_for(sub { ::views_in_cluster() == $views && $views == 200 }, 10),
   "$views views answered, as many in the cluster") or diag(::views_in_cluster());
ok(metric('cx_redis_cluster_maps_total') >= 2, "the new workers loaded the map");
--- no_error_log
[error]
[alert]
[warn]



=== TEST 20: the nodes are asked in order: one refuses the connection, one answers a map that is not one (slots past 16383), the next gives the map; every view counted
--- workers: 1
--- log_level: info
--- http_config
cx_redis_cluster 127.0.0.1:DEAD 127.0.0.1:FAKE_MAP SEEDS;
--- request
GET /
--- check
my $views = 1 + get_many('/', 49)->{200};
ok(wait_for(sub { ::views_in_cluster() == $views }, 15), "$views views, as many in the cluster")
    or diag(::views_in_cluster());
--- error_log eval
[qr/cx redis: connect to 127\.0\.0\.1:\d+ failed/,
 qr/cx redis: CLUSTER SLOTS on 127\.0\.0\.1:\d+: not a slot map: /,
 qr/cx redis: the cluster's slot map from 127\.0\.0\.1:\d+: \d primaries, 16384 slots served/]
--- no_error_log
[alert]



=== TEST 21: a survey's scores read from the cluster (the shards summed, rollups and days) are the single node's for the same traffic
--- workers: 2
--- http_config
cx_score_open on;
--- config
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/score {
    cx_score;
}
--- init
Test::CX::redis()->flushall;
my $http = $block->http_config;
my $port = Test::CX::redis_port();
$http =~ s/cx_redis_cluster [^;]*;/cx_redis 127.0.0.1:$port;/;
$::F->nginx_stop('b');
$::F->nginx_start(name => 'b', workers => 2, http => $http, server => $block->config,
                  files => { 'index.html' => "<body>hi</body>\n" });
--- check
my $sport = $::F->{nginxes}{b}{port};
my @events = ((map { "event=answered&score=$_" } 10, 10, 9, 9, 8, 7, 6, 5, 3, 0, 10, 9),
              'event=dismissed', 'event=dismissed');
my $ok = 0;
for my $e (@events) {
    $ok += ::widget(server_port(), $e) + ::widget($sport, $e);
}
is($ok, 2 * @events, "every widget's events accepted by both nginx instances");
my $q = "GET /cx/score?survey=nps1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
my $single = sub { ::on($sport, $q)->{body} // '' };
my $cluster = sub { ::on(server_port(), $q)->{body} // '' };
ok(wait_for(sub { $single->() =~ /"n":12\b/ }, 10), "the single node has the 12 answers")
    or diag($single->());
ok(wait_for(sub { $cluster->() eq $single->() }, 10), "the cluster's answer is the single node's")
    or diag($cluster->() . "\n" . $single->());
for my $args ('by=day', 'by=hour', 'by=touchpoint', 'by=wday&tz=%2B02:00', 'by=hour&tz=-05:30',
              'from=' . substr($::DAY, 0, 4) . '-' . substr($::DAY, 4, 2) . '-01') {
    (my $qa = $q) =~ s/survey=nps1/survey=nps1&$args/;
    my $c = ::on(server_port(), $qa);
    is($c->{status}, 200, "$args: 200");
    is($c->{body}, ::on($sport, $qa)->{body}, "$args: the cluster's answer is the single node's");
}
my $t = "GET /cx/score?report=touchpoints HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
is(::on(server_port(), $t)->{body}, ::on($sport, $t)->{body}, "report=touchpoints: the same");
# the follow-ups (scores at or below 6): one stream per shard, merged
my $fu = sub {
    my ($port, $args) = @_;
    my $r = ::on($port, "GET /cx/score?report=followups&$args HTTP/1.1\r\n"
                        . "Host: localhost\r\nConnection: close\r\n\r\n");
    return eval { JSON::PP::decode_json($r->{body}) } // {};
};
my $scores = sub { join ',', sort map { $_->{score} } @{ $_[0]{followups} // [] } };
ok(wait_for(sub { $scores->($fu->($sport, 'count=100')) eq '0,3,5,6' }, 10),
   "the single node's follow-ups: 0,3,5,6");
is($scores->($fu->(server_port(), 'count=100')), '0,3,5,6', "the cluster's: the same");
my $all = $fu->(server_port(), 'count=100');
my @ids = map { $_->{id} } @{ $all->{followups} };
is_deeply([ @ids ], [ sort { (split /-/, $b)[0] <=> (split /-/, $a)[0]
                             || (split /-/, $b)[1] <=> (split /-/, $a)[1] } @ids ],
          "newest first across the shards");
is($all->{next}, undef, "next: null, the end");
# a page at a time: count=1, the cursor of each page to the next
my ($cursor, @paged, $pages) = ('');
while ($pages++ < 10) {
    my $page = $fu->(server_port(), "count=1$cursor");
    push @paged, @{ $page->{followups} // [] };
    last unless defined $page->{next};
    $cursor = "&cursor=$page->{next}";
}
is($scores->({ followups => \@paged }), '0,3,5,6', "count=1, page by page: each once");
::latency($sport, $q);
$::F->nginx_stop('b');
--- no_error_log
[error]
[alert]



=== TEST 22: a month read from its rollups, shard by shard: a shard whose rollup is complete gives it, a shard whose rollup is not complete (or missing) gives its days only
--- workers: 1
--- request
GET /
--- check
# the tags the flushes used (a worker's views go to another shard each flush)
my %tag;
for (1 .. 100) {
    get_many('/', 2);
    for my $p ($::C->primaries) {
        $tag{$1} = $p for $::C->cli($p, 'KEYS', "*tp:$::DAY") =~ /^(\{[^}]+\}):tp:\d+$/mg;
    }
    last if keys %tag >= 3;
    sleep 0.1;
}
my ($a, $b, $c) = sort keys %tag;
ok($c, "three shards' tags: $a $b $c");
# a: a complete rollup (its days say otherwise: not read); b: a rollup not
# complete (its days are read); c: no rollup, its days
$::C->cli($tag{$a}, 'HSET', "$a:tp:202403", '#', 1, 'home:view', 5);
$::C->cli($tag{$a}, 'HSET', "$a:tp:20240302", 'home:view', 1000);
$::C->cli($tag{$b}, 'HSET', "$b:tp:202403", '#', 0, 'home:view', 1000);
$::C->cli($tag{$b}, 'HSET', "$b:tp:20240302", 'home:view', 7);
$::C->cli($tag{$b}, 'HSET', "$b:tp:20240331", 'home:view', 11);
$::C->cli($tag{$c}, 'HSET', "$c:tp:20240315", 'home:view', 100);
my $r = http_request(build_request("GET /cx/score?report=touchpoints&from=2024-03-01&to=2024-03-31"));
is($r->{status}, 200, "200");
like($r->{body}, qr/"touchpoint":"home","events":\{"view":123\b/,
     "5 (a's rollup) + 7 + 11 (b's days) + 100 (c's day)") or diag($r->{body});
$r = http_request(build_request("GET /cx/score?report=touchpoints&from=2024-03-02&to=2024-03-02"));
like($r->{body}, qr/"view":1007\b/, "a day alone: every shard's day hash (1000 + 7)") or diag($r->{body});
--- no_error_log
[error]
[alert]



=== TEST 23: a cluster that answers CLUSTERDOWN to every read: retried with backoff, then a 503 JSON within cx_redis_timeout
--- workers: 1
--- log_level: info
--- http_config
cx_redis_cluster 127.0.0.1:FAKE_DOWN;
cx_redis_timeout 400ms;
--- check
ok(wait_for(sub { (metric('cx_redis_cluster_maps_total') // 0) >= 1 }, 10), "the map is loaded");
for my $args ('report=touchpoints', 'report=followups') {
    my $t0 = time;
    my $r = http_request(build_request("GET /cx/score?$args"));
    my $took = time - $t0;
    is($r->{status}, 503, "$args: 503");
    like($r->{body}, qr/"redis cluster unavailable"/, "$args: says why");
    ok($took >= 0.3 && $took < 5, sprintf "$args: after the retries (%.2f s)", $took);
}
ok(metric('cx_redis_cluster_redirects_total{reply="clusterdown"}') >= 2,
   "CLUSTERDOWN retried");
--- error_log
the redis cluster did not serve a read
--- no_error_log
[alert]
