# Redis Cluster, the client's rules (ngx_http_cx_redis_cluster.c) against
# a real cluster: the slot of ~1000 keys (hash tags, empty and nested
# braces, UTF-8, high bytes) equals CLUSTER KEYSLOT's; the slot map built
# from a live CLUSTER SLOTS reply equals the cluster's own view (CLUSTER
# NODES) when it comes up, after a reshard that empties a primary, after a
# manual CLUSTER FAILOVER, after a kill -9 and the node's return; real
# MOVED and ASK replies parse to the right slot and node; hostile CLUSTER
# SLOTS replies are refused with a reason.  The code runs in
# fuzz/cluster's check program (built here with cc against the module's
# nginx tree); the cluster is t/lib/Test/CX/Cluster.pm's, on loopback,
# stopped by PID at the end.
use strict;
use warnings;
use lib 't/lib';

use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IO::Socket::INET;
use IO::Select;
use IPC::Open2;
use Time::HiRes qw(time);

use Test::CX::Cluster;

my $root = abs_path(dirname(__FILE__) . '/..');
my $module = $ENV{TEST_NGINX_MODULE} // "$root/build/ngx_http_cx_module.so";
# the configured nginx tree the module was built in (build/nginx, or
# build/asan/nginx-VERSION), for its headers
my ($ngx) = grep { -f "$_/objs/ngx_auto_config.h" }
            glob(dirname($module) . '/nginx*'), "$root/build/nginx";
$ngx //= "$root/build/nginx";

plan skip_all => "no configured nginx tree ($ngx): make all first"
    unless -f "$ngx/objs/ngx_auto_config.h";

# the whole file is bounded, whatever the machine's load
alarm 600;

my $dir = tempdir(CLEANUP => 1);
# under make test-asan the check program runs with ASan and UBSan too
my $san = $ENV{TEST_NGINX_ASAN}
          ? "CHECK_SAN='-fsanitize=address,undefined -fno-sanitize-recover=all'"
          : '';
my $out = `make -s -C $root/fuzz/cluster check OUT=$dir NGX=$ngx $san 2>&1`;
is($?, 0, 'the check program builds') or diag $out;
my $check = "$dir/cluster_check";

# the check program's runs that did not exit 0 (ASan, UBSan, a crash)
my @bad_exits;

# the check program with ARGS, INPUT on its stdin: its lines
sub run_check {
    my ($args, $input) = @_;

    my $pid = open2(my $from, my $to, $check, @$args);
    binmode $_ for $from, $to;
    print $to $input;
    close $to;
    my @got = <$from>;
    waitpid $pid, 0;
    push @bad_exits, "@$args: $?" if $?;
    chomp @got;

    return @got;
}

# one answer a line of input
sub check {
    my ($mode, @lines) = @_;
    return run_check([ $mode ], join '', map { "$_\n" } @lines);
}

# a map from a CLUSTER SLOTS reply (RESP), with MOVED texts applied
sub check_slots {
    my ($resp, @moved) = @_;
    return run_check([ 'slots', @moved ], $resp);
}

# ------------------------------------------------ known vectors, no server

is_deeply([ check('keyslot', '123456789', '{user1000}.following',
                  '{user1000}.followers', 'foo{}{bar}', 'foo{{bar}}zap',
                  '{bar', 'foo{bar}{zap}', 'bar', '') ],
          [ 12739, (check('keyslot', 'user1000')) x 2,
            check('keyslot', 'foo{}{bar}'), (check('keyslot', '{bar')) x 2,
            (check('keyslot', 'bar')) x 2, 0 ],
          'slots: the spec\'s examples (CRC16 of 123456789 is 0x31C3, '
          . 'tags, empty and nested braces)');

is_deeply([ check('redirect',
                  'MOVED 3999 127.0.0.1:6381',
                  'ASK 16383 ::1:7000',
                  'MOVED 0 :6380',
                  'MOVED 12 redis-1.example:6379',
                  'TRYAGAIN Multiple keys request during rehashing of slot',
                  'CLUSTERDOWN The cluster is down',
                  'CLUSTERDOWNX',
                  'ERR unknown command',
                  'MOVEDX 1 a:1',
                  'MOVED 16384 127.0.0.1:1',
                  'MOVED -1 127.0.0.1:1',
                  'MOVED 1 127.0.0.1:0',
                  'MOVED 1 127.0.0.1:65536',
                  'MOVED 1 127.0.0.1',
                  'MOVED 1',
                  'ASK 1 bad host:1',
                  'MOVED 99999999999999999999 a:1') ],
          [ 'MOVED 3999 [127.0.0.1]:6381',
            'ASK 16383 [::1]:7000',
            'MOVED 0 []:6380',
            'MOVED 12 [redis-1.example]:6379',
            'TRYAGAIN',
            'CLUSTERDOWN',
            'other',
            'other',
            'other',
            'error: redirection to a slot out of 0-16383',
            'error: redirection to a slot out of 0-16383',
            'error: redirection to a port out of 1-65535',
            'error: redirection to a port out of 1-65535',
            'error: redirection to an address without a port',
            'error: redirection without an address',
            'error: redirection to a bad host',
            'error: redirection to a slot out of 0-16383' ],
          'redirections: MOVED, ASK (IPv6, no host), TRYAGAIN, CLUSTERDOWN, '
          . 'other errors, and broken ones refused with a reason');

# RESP builders for hand-made CLUSTER SLOTS replies
sub arr { '*' . @_ . "\r\n" . join '', @_ }
sub int_ { ":$_[0]\r\n" }
sub str { '$' . length($_[0]) . "\r\n$_[0]\r\n" }
sub node { arr(str($_[0]), int_($_[1]), str('a' x 40), @_[2 .. $#_]) }

my $n1 = node('127.0.0.1', 7001);
my $n2 = node('127.0.0.1', 7002);

my @hostile = (
    [ '+OK', "+OK\r\n", 'not an array' ],
    [ 'an empty array', arr(), 'no slot is served' ],
    [ 'a range that is a string', arr(str('0-16383')), 'a range is not' ],
    [ 'a range without a node', arr(arr(int_(0), int_(100))),
      'a range is not' ],
    [ 'bounds as strings', arr(arr(str('0'), int_(5), $n1)),
      'bounds are not integers' ],
    [ 'a slot past 16383', arr(arr(int_(0), int_(16384), $n1)),
      'out of 0-16383' ],
    [ 'a negative slot', arr(arr(int_(-1), int_(5), $n1)), 'out of 0-16383' ],
    [ 'start after end', arr(arr(int_(9), int_(5), $n1)), 'out of 0-16383' ],
    [ 'overlapping ranges',
      arr(arr(int_(0), int_(100), $n1), arr(int_(100), int_(200), $n2)),
      'ranges overlap' ],
    [ 'a range twice',
      arr(arr(int_(0), int_(100), $n1), arr(int_(0), int_(100), $n1)),
      'ranges overlap' ],
    [ 'a node that is a string', arr(arr(int_(0), int_(5), str('x:1'))),
      'a node is not' ],
    [ 'a node without a port', arr(arr(int_(0), int_(5), arr(str('x')))),
      'a node is not' ],
    [ 'port 0', arr(arr(int_(0), int_(5), node('127.0.0.1', 0))),
      'port is not 1-65535' ],
    [ 'port 65536', arr(arr(int_(0), int_(5), node('127.0.0.1', 65536))),
      'port is not 1-65535' ],
    [ 'a port as a string',
      arr(arr(int_(0), int_(5), arr(str('127.0.0.1'), str('7001')))),
      'port is not 1-65535' ],
    [ 'an endpoint as an integer',
      arr(arr(int_(0), int_(5), arr(int_(1), int_(7001)))),
      'endpoint is not a string' ],
    [ 'the unknown endpoint "?"', arr(arr(int_(0), int_(5), node('?', 1))),
      'unknown' ],
    [ 'an endpoint with a space',
      arr(arr(int_(0), int_(5), node('a b', 1))), 'not a host' ],
    [ 'an endpoint of 256 bytes',
      arr(arr(int_(0), int_(5), node('a' x 256, 1))), 'not a host' ],
    [ 'a bad replica', arr(arr(int_(0), int_(5), $n1, arr(str('r')))),
      'a node is not' ],
);

for my $h (@hostile) {
    my ($got) = check_slots($h->[1]);
    like($got, qr/^error: CLUSTER SLOTS: .*\Q$h->[2]\E|^error: \Q$h->[2]\E/,
         "CLUSTER SLOTS refused: $h->[0]");
}

is_deeply([ check_slots(arr(arr(int_(100), int_(199), $n2),
                            arr(int_(0), int_(99), $n1, $n2),
                            arr(int_(200), int_(200),
                                arr("\$-1\r\n", int_(7003))),
                            arr(int_(300), int_(300),
                                arr(str(''), int_(7003))),
                            arr(int_(16383), int_(16383), $n1))) ],
          [ '0-99 127.0.0.1:7001', '100-199 127.0.0.1:7002', '200-200 :7003',
            '300-300 :7003', '16383-16383 127.0.0.1:7001',
            'covered 203 nodes 3' ],
          'CLUSTER SLOTS accepted: ranges in any order, a primary twice, '
          . 'no endpoint (NULL or "") as the asked host, gaps not served');

# ------------------------------------------------------------- a cluster

my $c = Test::CX::Cluster->new(dir => "$dir/fleet");
my $t0 = time;
$c->start;
my @p = $c->primaries;
is(scalar @p, 3, 'the cluster comes up with three primaries')
    or diag "primaries: @p";
is(scalar(() = map { $c->replica_of($_) } @p), 3,
   'each primary has a replica');

# CLUSTER KEYSLOT of many keys, pipelined on one connection
sub keyslots {
    my ($port, @keys) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 10) or die "$port: $!";
    binmode $s;
    print $s join '', map {
        "*3\r\n\$7\r\nCLUSTER\r\n\$7\r\nKEYSLOT\r\n\$" . length($_)
        . "\r\n$_\r\n"
    } @keys;

    my ($buf, @slots) = ('');
    my $sel = IO::Select->new($s);
    my $deadline = time + 20;

    while (@slots < @keys && time < $deadline
           && $sel->can_read($deadline - time))
    {
        sysread($s, $buf, 65536, length $buf) or last;
        push @slots, $1 while $buf =~ s/^:(\d+)\r\n//;
    }

    return @slots;
}

# keys: plain, tagged, empty and nested braces, UTF-8, high bytes
srand(26);
my @alphabet = ('a' .. 'z', '0' .. '9', ':', '{', '}', '{', '}', ' ',
                "\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xff",
                "\x01", "\r");
my @keys = ('', '{}', '{', '}', '}{', '{}{}', '{{}}', '{a}', 'a{b}c{d}e',
            'cx:{site:3}:tp:20261207', 'cx:{site:3}:tok:abc',
            "{\xc3\xa9}", "\xe6\x97\xa5\xe6\x9c\xac{\xe8\xaa\x9e}");
while (@keys < 1000) {
    my $len = int(rand(24));
    push @keys, join '', map { $alphabet[int(rand(@alphabet))] } 1 .. $len;
}

my @want = keyslots($p[0], @keys);
my @got = check('keyslot', @keys);
is(scalar @want, scalar @keys, 'CLUSTER KEYSLOT answers every key');
my @diff = grep { ($want[$_] // -1) != ($got[$_] // -2) } 0 .. $#keys;
is(scalar @diff, 0, 'our slot equals CLUSTER KEYSLOT for '
                    . scalar(@keys) . ' keys')
    or diag join "\n", map { "key '$keys[$_]': redis $want[$_], ours $got[$_]" }
                        @diff[0 .. ($#diff < 9 ? $#diff : 9)];

# our map of the live CLUSTER SLOTS against CLUSTER NODES
sub map_is_view {
    my ($name, $primaries) = @_;

    my $port = $c->any_port;
    my @ours = check_slots($c->raw($port, 'CLUSTER', 'SLOTS'));
    my $covered = pop @ours;

    is_deeply(\@ours, [ $c->slot_ranges($port) ],
              "$name: our map of CLUSTER SLOTS is the cluster's view");
    is($covered, "covered 16384 nodes $primaries",
       "$name: every slot served, by $primaries primaries");
}

map_is_view('up', 3);

# ------------------------------------------------ writes routed by our map

# 400 keys over 100 tags, each SET sent straight to the primary our map
# names for its slot: every one is taken (no MOVED), and they spread
my @ranges = map { /^(\d+)-(\d+) 127\.0\.0\.1:(\d+)$/ ? [ $1, $2, $3 ] : () }
             check_slots($c->raw($c->any_port, 'CLUSTER', 'SLOTS'));
my @wkeys = map { my $t = $_; map { "cx:{shop:$t}:tok:n$_" } 1 .. 4 }
            0 .. 99;
my @wslots = check('keyslot', @wkeys);
my %by_node;
for my $i (0 .. $#wkeys) {
    my ($r) = grep { $_->[0] <= $wslots[$i] && $wslots[$i] <= $_->[1] }
              @ranges;
    push @{ $by_node{ $r ? $r->[2] : 0 } }, [ 'SET', $wkeys[$i], 1 ];
}
my @replies = map { $c->pipeline($_, @{ $by_node{$_} }) } keys %by_node;
is(scalar(grep { $_ eq '+OK' } @replies), 400,
   'writes routed by our map: all 400 taken by the node we chose')
    or diag join "\n", (grep { $_ ne '+OK' } @replies)[0 .. 4];
my $kpp = $c->keys_per_primary;
is(scalar(grep { $_ > 0 } values %$kpp), 3,
   'writes routed by our map: every primary holds some');

# ---------------------------------------------------- a real MOVED, an ASK

my $key = 'cx:{site:0}:tp:20261207';
my $slot = (check('keyslot', $key))[0];
my ($owner) = grep {
    grep { $_->[0] <= $slot && $slot <= $_->[1] }
         @{ $c->nodes($_)->{$_}{slots} }
} @p;
my ($other) = grep { $_ != $owner } @p;

my $moved = $c->raw($other, 'GET', $key);
$moved =~ s/^-(.*)\r\n\z/$1/s;
is_deeply([ check('redirect', $moved) ], [ "MOVED $slot [127.0.0.1]:$owner" ],
          'a real MOVED names the key\'s slot and its primary');

my $ids = $c->nodes($owner);
is($c->cli($owner, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING',
           $ids->{$other}{id}), 'OK', 'a slot set migrating');
is($c->cli($other, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING',
           $ids->{$owner}{id}), 'OK', 'and importing');
my $ask = $c->raw($owner, 'GET', $key);
$ask =~ s/^-(.*)\r\n\z/$1/s;
is_deeply([ check('redirect', $ask) ], [ "ASK $slot [127.0.0.1]:$other" ],
          'a real ASK (a missing key of a migrating slot) parses');
$c->cli($_, 'CLUSTER', 'SETSLOT', $slot, 'STABLE') for $owner, $other;

# ---------------------------------------------- a manual CLUSTER FAILOVER

my $primary = $p[0];
my $replica = $c->replica_of($primary);
ok($c->failover($replica), 'CLUSTER FAILOVER: the replica is promoted');
ok(Test::CX::Fleet::wait_until(sub {
       $c->fleet->role($primary) eq 'slave'
       && ($c->replica_of($replica))[0]
   }, 30), 'CLUSTER FAILOVER: the old primary is a replica');
map_is_view('failover', 3);

# ------------------------------- kill -9 of the primary with most keys, back

$kpp = $c->keys_per_primary;
my ($busiest) = sort { $kpp->{$b} <=> $kpp->{$a} } keys %$kpp;
my $heir = $c->replica_of($busiest);
ok($heir, 'the primary holding the most keys has a replica');
ok(Test::CX::Fleet::wait_until(sub {
       $c->cli($heir, 'DBSIZE') == $kpp->{$busiest}
   }, 10), 'its replica has all its keys');
$c->kill_node($busiest);
ok($c->wait_promoted($heir, 60), 'kill -9: its replica is promoted');
map_is_view('kill -9', 3);
$c->start_node($busiest);
ok(Test::CX::Fleet::wait_until(sub {
       $c->fleet->role($busiest) eq 'slave'
   }, 30), 'kill -9: the node comes back as a replica');
ok($c->wait_agree, 'kill -9: the cluster agrees again');
map_is_view('back', 3);
is_deeply([ sort { $a <=> $b } values %{ $c->keys_per_primary } ],
          [ sort { $a <=> $b } values %$kpp ],
          'kill -9: no key lost (the same counts per primary)');

# ------------------------------------------------------------- a reshard

# last: a primary emptied by it becomes a replica (Redis 7), and two
# primaries are no majority to elect a replica after a crash

my ($from, $to) = $c->primaries;
my ($nfrom, $nto) = map { $c->slot_count($_) } $from, $to;
my $before = $c->raw($to, 'CLUSTER', 'SLOTS');
$c->reshard(from => $from, to => $to);
is($c->slot_count($from), 0, 'reshard: the source serves no slot');
is($c->slot_count($to), $nfrom + $nto,
   'reshard: the target serves both primaries\' slots');
map_is_view('reshard', 2);

# the map of before the reshard, told by a real MOVED where a key of the
# source went
my @old = map { /^(\d+)-(\d+) 127\.0\.0\.1:(\d+)$/ ? [ $1, $2, $3 ] : () }
          check_slots($before);
my ($moved_key, $ms);
for my $k (map { "cx:{site:$_}:tp" } 0 .. 99) {
    my $s = (check('keyslot', $k))[0];
    next unless grep { $_->[0] <= $s && $s <= $_->[1] && $_->[2] == $from }
                @old;
    ($moved_key, $ms) = ($k, $s);
    last;
}
ok(defined $moved_key, 'reshard: a key the source served');
$moved = $c->raw($from, 'GET', $moved_key);
$moved =~ s/^-(.*)\r\n\z/$1/s;
like($moved, qr/^MOVED $ms 127\.0\.0\.1:$to$/,
     'reshard: the emptied source answers MOVED to the target');
my ($now) = grep { /^(\d+)-(\d+) / && $1 <= $ms && $ms <= $2 }
            check_slots($before, $moved);
is($now, "$ms-$ms 127.0.0.1:$to",
   'reshard: the old map with that MOVED applied sends the slot there');


diag sprintf 'cluster part: %.0f s', time - $t0 if $ENV{TEST_CX_TIMING};

$c->stop;

is_deeply(\@bad_exits, [], 'the check program exited cleanly every time');

done_testing;
