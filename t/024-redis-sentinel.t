# Sentinel: the primary asked of the sentinels, checked with ROLE,
# followed through a failover (kill -9 of the primary under load from two
# nginx instances), the old primary back as a replica; with cx_redis_wait
# nothing lost and nothing counted twice, without it the loss window the
# README states.  The fleet (a primary, a replica, three sentinels) is
# t/lib/Test/CX/Fleet.pm's, started once for the file.
use lib 't/lib';
use Test::CX;
use Time::HiRes qw(sleep time);

our $DAY = today();
our ($F, $SENTINELS);

our $FAKE_NIL = Test::TCP::empty_port();
our $FAKE_REPLICA = Test::TCP::empty_port();
our (%FAKES, $TLS);

# the fleet, at the first block that needs it
sub up {
    return if $F;
    $F = fleet();
    $F->sentinel_start;
    $SENTINELS = join ' ', map { "127.0.0.1:$_" } $F->sentinel_ports;
}

sub views_in_redis {
    my $v = $F->cli($F->primary, 'HGET', "cx:localhost:tp:$DAY", 'home:view');
    return $v =~ /^\d+$/ ? $v : 0;
}

# what /cx/score says of the views, through the nginx on PORT
sub views_in_report {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or return -1;
    print $s "GET /cx/score?report=touchpoints HTTP/1.1\r\nHost: localhost\r\n"
           . "Connection: close\r\n\r\n";
    local $/;
    my $r = <$s> // '';
    return $r =~ /"touchpoint":"home","events":\{"view":(\d+),/ ? $1 : -1;
}

# a sentinel that does not know the master, or names what we tell it
sub fake_sentinel {
    my ($port, $answer) = @_;

    if ($FAKES{$port}) {
        kill 'KILL', $FAKES{$port};
        waitpid $FAKES{$port}, 0;
    }

    (undef, $FAKES{$port}) = $F->fake_resp($port, sub {
        my ($cmd) = @_;
        return $cmd eq 'SENTINEL' ? $answer
             : $cmd eq 'SUBSCRIBE'
                 ? "*3\r\n\$9\r\nsubscribe\r\n\$14\r\n+switch-master\r\n:1\r\n"
             : "*2\r\n\$4\r\npong\r\n\$0\r\n\r\n";
    });
}

sub bulk { join '', map { '$' . length($_) . "\r\n$_\r\n" } @_ }

# the same http and server blocks in a second nginx, on its own port
sub second_nginx { $F->second_nginx(@_) }

sub error_lines {
    my ($log) = @_;
    return scalar grep { /\[error\]/ } split /\n/, $log;
}

# a failover under continuous load from both nginx instances (two
# clients each): the replica's link cut WINDOW seconds before the
# primary is killed, so that what the primary acknowledged meanwhile is
# on the primary alone; the old primary back as a replica.  Returns
# what the clients got, and when the window was.
sub failover_under_load {
    my ($window) = @_;

    my $b = $F->{nginxes}{b};
    my $port = server_port();
    my $load = $F->load_start(ports => [ $port, $port, $b->{port}, $b->{port} ],
                              rate => 100);
    sleep 1;

    my $old = $F->primary;
    my ($replica) = $F->replicas;
    # the link goes down somewhere between $cut and $cut_done
    my $cut = time;
    $F->cut_replication($replica);
    my $cut_done = time;
    sleep $window;
    my $kill = time;
    $F->kill_node($old);

    my $new = $F->wait_failover($old, 40);
    ok($new, "the sentinels promote $replica") or diag($F->primary);
    is($new, $replica, "the replica is the primary");
    $F->mend_replication($replica);

    $F->start_node($old);
    ok($F->wait_replica($old, 40), "the old primary $old is back, as a replica");
    sleep 1;

    my $got = $F->load_stop($load);

    return ($got, $cut, $kill, $old, $new, $cut_done);
}

sub answered_between {
    my ($got, $from, $to) = @_;
    return scalar grep { $_ >= $from && $_ <= $to } @{ $got->{times} };
}

add_block_preprocessor(sub {
    my $block = shift;

    return if defined $block->must_die;

    up();
    $F->cli($F->primary, 'FLUSHALL');

    # the fleet's sentinels unless the block says which: SENTINELS are
    # them, FAKE_* the fake ones, TLS_* those of a fleet that speaks TLS
    my $http = $block->http_config // '';
    $http = "cx_redis_sentinel cx SENTINELS;\n$http"
        unless $http =~ /cx_redis(_sentinel)? /;

    if ($http =~ /TLS_SENTINELS/ && !$TLS) {
        my $dir = tls_certificates();
        $TLS = Test::CX::Fleet->new(dir => servroot() . '/fleet-tls',
                                    tls => $dir, master => 'cxt');
        $TLS->sentinel_start;
        my $s = join ' ', map { "127.0.0.1:$_" } $TLS->sentinel_ports;
        $http =~ s/TLS_SENTINELS/$s/g;
        $http =~ s/TLS_DIR/$dir/g;
    }

    $http =~ s/\bSENTINELS\b/$SENTINELS/g;
    $http =~ s/FAKE_NIL/$FAKE_NIL/g;
    $http =~ s/FAKE_REPLICA/$FAKE_REPLICA/g;

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
    $TLS->stop if $TLS;
}

run_tests();

__DATA__

=== TEST 1: cx_redis and cx_redis_sentinel: one Redis, one of them
--- must_die
--- http_config
cx_redis 127.0.0.1:6379;
cx_redis_sentinel cx 127.0.0.1:26379;
--- error_log eval
qr/"cx_redis_sentinel" and "cx_redis" in \S+nginx\.conf:\d+: one Redis, one of them/



=== TEST 2: cx_redis_sentinel without a sentinel
--- must_die
--- http_config
cx_redis_sentinel cx tls password=x;
--- error_log
no sentinel address in "cx_redis_sentinel": expected "cx_redis_sentinel cx host:port ..."



=== TEST 3: a master name with a space is refused
--- must_die
--- http_config
cx_redis_sentinel "my master" 127.0.0.1:26379;
--- error_log
invalid master name "my master" in "cx_redis_sentinel": 1 to 64 printable characters



=== TEST 4: sentinel_user= needs sentinel_password=; a mistyped secret is not repeated
--- must_die
--- http_config
cx_redis_sentinel cx 127.0.0.1:26379 sentinel_user=watch;
--- error_log
"sentinel_user=" in "cx_redis_sentinel" needs "sentinel_password="



=== TEST 5: a mistyped sentinel_password= is not repeated
--- must_die
--- http_config
cx_redis_sentinel cx 127.0.0.1:26379 sentinel_pasword=s3cret-Value;
--- error_log
invalid parameter "sentinel_pasword=..." in "cx_redis_sentinel": expected tls, user=name, password=..., sentinel_user=name, sentinel_password=..., db=0..65535 or prefix=name
--- no_error_log
s3cret-Value



=== TEST 6: cx_redis_wait must end before cx_redis_timeout (which bounds every reply)
--- must_die
--- http_config
cx_redis 127.0.0.1:6379;
cx_redis_timeout 500ms;
cx_redis_wait 1 500ms;
--- error_log eval
qr/the time of "cx_redis_wait" in \S+:\d+ must be less than "cx_redis_timeout" \(500ms\), which bounds every reply/



=== TEST 7: cx_redis_wait: its arguments, and Redis to wait on
--- must_die
--- http_config
cx_redis_wait 0 100ms;
--- error_log
invalid number of replicas "0" in "cx_redis_wait": 1 to 64



=== TEST 8: cx_redis_wait without cx_redis
--- must_die
--- http_config
cx_redis_wait 1 100ms;
--- error_log
"cx_redis_*" directives need "cx_redis", "cx_redis_sentinel" or "cx_redis_cluster"



=== TEST 9: counting through Sentinel: the primary they name, subscribed to failovers, scores read there
--- workers: 2
--- request
GET /
--- check
my $st = get_many('/', 99);
is($st->{200}, 99, "all pages served");
ok(wait_for(sub { ::views_in_redis() == 100 }, 10), "100 views answered, 100 in the primary")
    or diag(::views_in_redis());
is(::views_in_report(server_port()), 100, "/cx/score reads the 100 views");
ok(wait_for(sub { metric('cx_redis_connected') == 2 }), "both workers connected");
my ($replica) = $::F->replicas;
ok(wait_for(sub { $::F->cli($replica, 'HGET', "cx:localhost:tp:$::DAY", 'home:view') == 100 }),
   "the replica has them too");
my $subscribed = 0;
for my $s ($::F->sentinel_ports) {
    $subscribed += () = $::F->cli($s, 'CLIENT', 'LIST') =~ /\bsub=1\b/g;
}
is($subscribed, 2, "each worker is subscribed to one sentinel");
--- no_error_log
[error]
[warn]



=== TEST 10: a sentinel that does not know the name is skipped; one that names a replica is not believed (ROLE), the next one is asked
--- http_config
cx_redis_sentinel cx 127.0.0.1:FAKE_NIL 127.0.0.1:FAKE_REPLICA SENTINELS;
--- init
::fake_sentinel($::FAKE_NIL, "\$-1\r\n");
::fake_sentinel($::FAKE_REPLICA, "*2\r\n" . ::bulk('127.0.0.1', ($::F->replicas)[0]));
--- request
GET /
--- check
get_many('/', 9);
ok(wait_for(sub { ::views_in_redis() == 10 }, 10), "10 views in the primary")
    or diag(::views_in_redis());
--- error_log eval
[ qr/cx redis: sentinel 127\.0\.0\.1:\d+ does not know the primary "cx"/,
  qr/cx redis: 127\.0\.0\.1:\d+ is a slave, not the primary: asking the sentinels again/ ]



=== TEST 11: an ACL user that may not run ROLE: the sentinels are believed; a replica's READONLY makes the worker ask again, and the refused batch is counted once
--- http_config
cx_redis_sentinel cx 127.0.0.1:FAKE_REPLICA SENTINELS user=cx password=cx-Secret-9;
--- init
my $replica = ($::F->replicas)[0];
for my $p ($::F->primary, $replica) {
    $::F->cli($p, 'ACL', 'SETUSER', 'cx', 'on', '>cx-Secret-9', '~*', '&*',
              '+@all', '-role');
}
::fake_sentinel($::FAKE_REPLICA, "*2\r\n" . ::bulk('127.0.0.1', $replica));
--- request
GET /
--- check
get_many('/', 9);
ok(wait_for(sub { ::views_in_redis() == 10 }, 10), "10 views in the primary")
    or diag(::views_in_redis());
sleep 0.5;
is(::views_in_redis(), 10, "exactly 10");
--- error_log eval
[ qr/cx redis: cannot check the role of 127\.0\.0\.1:\d+, going by the sentinels: NOPERM/,
  qr/cx redis: batch refused by 127\.0\.0\.1:\d+, will retry: READONLY/ ]



=== TEST 12: kill -9 of the primary under load from two nginx instances, its replica's link cut for the last 0.5 s: with cx_redis_wait 1 500ms nothing is lost and nothing counted twice; the old primary comes back as a replica
--- workers: 2
--- log_level: info
--- http_config
cx_redis_wait 1 500ms;
--- init
::second_nginx($block);
--- check
my $from_b = length $::F->nginx_error_log('b');
my ($got, $cut, $kill, $old, $new) = ::failover_under_load(0.5);
my $answered = $got->{200};
is(join(',', map { "$_=$got->{$_}" } grep { !/^(200|times)$/ } sort keys %$got), '',
   "every page answered 200 throughout");
ok($answered > 1000, "$answered views answered");
ok(wait_for(sub { ::views_in_redis() == $answered }, 20),
   "$answered views answered, as many in Redis") or diag(::views_in_redis() . " in Redis");
is(::views_in_report(server_port()), $answered, "/cx/score, first nginx");
is(::views_in_report($::F->{nginxes}{b}{port}), $answered, "/cx/score, second nginx");
my $log = Test::CX::block_log() . substr($::F->nginx_error_log('b'), $from_b);
my $errors = ::error_lines($log);
ok($errors <= 24, "$errors error lines from 4 workers: no burst");
like($log, qr/cx redis: the primary "cx" is now 127\.0\.0\.1:$new \(was 127\.0\.0\.1:$old\)/,
     "the failover logged");
my @gaps = $log =~ /cx redis: connected to 127\.0\.0\.1:$new after \d+ failed attempts, (\d+)ms without Redis/g;
is(scalar @gaps, 4, "each worker logs its time without Redis");
note("time without a primary (ms): @gaps");
ok(metric('cx_redis_primary_changes_total') >= 2, "primary changes counted");
ok(metric('cx_redis_wait_timeouts_total') >= 1, "batches kept for their replica");
$::F->nginx_stop('b');



=== TEST 13: the same without cx_redis_wait: what the primary acknowledged after its replica's link was cut is lost, and only that (the window README states)
--- workers: 2
--- log_level: info
--- init
::second_nginx($block);
--- check
my ($got, $cut, $kill, $old, $new, $cut_done) = ::failover_under_load(1);
my $answered = $got->{200};
is(join(',', map { "$_=$got->{$_}" } grep { !/^(200|times)$/ } sort keys %$got), '',
   "every page answered 200 throughout");
my $in_redis;
ok(wait_for(sub { my $v = ::views_in_redis(); sleep 0.5; ($in_redis = ::views_in_redis()) == $v }, 10),
   "Redis settles");
my $lost = $answered - $in_redis;
# a view is flushed within cx_flush_interval (100ms) of its answer, late
# on a busy machine: those answered well after the link was down and well
# before the kill surely went to the old primary alone
my $surely = ::answered_between($got, $cut_done + 0.2, $kill - 0.3);
my $at_most = ::answered_between($got, $cut - 0.4, $kill + 0.3);
ok($surely > 0 && $lost >= $surely && $lost <= $at_most,
   "$lost of $answered views lost: those acknowledged by the primary alone ($surely to $at_most)");
is(::views_in_report(server_port()), $in_redis, "/cx/score says what Redis has");
$::F->nginx_stop('b');



=== TEST 14: TLS everywhere: sentinels and nodes speak only TLS, each certificate checked; counting through Sentinel over TLS
--- http_config
cx_redis_sentinel cxt TLS_SENTINELS tls;
cx_redis_ssl_trusted_certificate TLS_DIR/ca.crt;
--- request
GET /
--- check
get_many('/', 19);
ok(wait_for(sub { $::TLS->cli($::TLS->primary, 'HGET', "cx:localhost:tp:$::DAY", 'home:view') == 20 }, 10),
   "20 views over TLS");
is(::views_in_report(server_port()), 20, "/cx/score over TLS");
--- no_error_log
[error]
[warn]



=== TEST 15: cx_redis_wait with cx_redis, a primary without a replica: each batch is applied once, kept and sent again (recognised, never applied twice) until a replica has it
--- http_config
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_redis_wait 1 100ms;
--- redis
--- request
GET /
--- check
get_many('/', 4);
ok(wait_for(sub { (redis()->hget("cx:localhost:tp:$::DAY", 'home:view') // 0) == 5 }), "5 views applied");
ok(wait_for(sub { metric('cx_redis_wait_timeouts_total') >= 5 }), "kept and sent again");
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:view'), 5, "still 5: never applied twice");
is(metric('cx_counts_flushed_total') // 0, 0, "not flushed as far as the worker knows");
redis()->config('set', 'repl-diskless-sync-delay', 0);
my $replica = Test::CX::Fleet::free_port();
$::F->start_node($replica, replicaof => "127.0.0.1 " . redis_port());
ok(wait_for(sub { metric('cx_counts_flushed_total') == 10 }, 10), "flushed once a replica has them");
is($::F->cli($replica, 'HGET', "cx:localhost:tp:$::DAY", 'home:view'), 5, "the replica has the 5 views");
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:view'), 5, "and the primary still 5");
$::F->kill_node($replica, 'TERM');
--- error_log eval
[ qr/cx redis: batch 1 reached 0 of 1 replicas of 127\.0\.0\.1:\d+ in 100ms \(cx_redis_wait\), kept to be sent again/,
  qr/cx redis: 127\.0\.0\.1:\d+ has 1 replicas again/ ]
