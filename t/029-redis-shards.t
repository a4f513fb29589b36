# Redis Cluster: a site's shards (ngx_http_cx_shard.c, docs/cluster.md
# "The key schema").  The tag of shard s of S, {prefix:site:s.k}, has the
# smallest k whose slot is in the s-th S-th of the slot space, checked
# against CRC16 written here and CLUSTER KEYSLOT of a real cluster
# (t/lib/Test/CX/Cluster.pm, on loopback, stopped by PID at the end); so
# the S shards spread evenly over the three primaries redis-cli --cluster
# create makes.  A nonce's shard is CRC16 mod S, spread evenly.  And the
# flush script runs on one shard's keys on the node of its slot: every
# key of a batch in one slot (and a batch of two shards is refused with
# CROSSSLOT before anything is written).
use strict;
use warnings;
use lib 't/lib';

use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use IPC::Open2;

use Test::CX::Cluster;
use Test::CX::Flush qw(flush_args);

my $root = abs_path(dirname(__FILE__) . '/..');
my $module = $ENV{TEST_NGINX_MODULE} // "$root/build/ngx_http_cx_module.so";
my ($ngx) = grep { -f "$_/objs/ngx_auto_config.h" }
            glob(dirname($module) . '/nginx*'), "$root/build/nginx";
$ngx //= "$root/build/nginx";

plan skip_all => "no configured nginx tree ($ngx): make all first"
    unless -f "$ngx/objs/ngx_auto_config.h";

alarm 600;

my $dir = tempdir(CLEANUP => 1);
my $san = $ENV{TEST_NGINX_ASAN}
          ? "CHECK_SAN='-fsanitize=address,undefined -fno-sanitize-recover=all'"
          : '';
my $out = `make -s -C $root/fuzz/cluster shards OUT=$dir NGX=$ngx $san 2>&1`;
is($?, 0, 'the check program builds') or diag $out;
my $check = "$dir/shards_check";
my @bad_exits;

sub run_check {
    my ($args, $input) = @_;
    my $pid = open2(my $from, my $to, $check, @$args);
    print $to $input // '';
    close $to;
    my @got = <$from>;
    waitpid $pid, 0;
    push @bad_exits, "@$args: $?" if $?;
    chomp @got;
    return @got;
}

# [ [tag, slot], ... ] of a site's n shards
sub tags {
    my ($prefix, $site, $n) = @_;
    return map { my @f = split / /; [ $f[1], $f[2] ] }
           run_check([ 'tags', $prefix, $site, $n ]);
}

# CRC16/XMODEM, as Redis Cluster computes slots
sub crc16 {
    my $crc = 0;
    for my $c (unpack 'C*', $_[0]) {
        $crc ^= $c << 8;
        for (1 .. 8) {
            $crc = $crc & 0x8000 ? (($crc << 1) ^ 0x1021) & 0xffff
                                 : ($crc << 1) & 0xffff;
        }
    }
    return $crc;
}

is(crc16('123456789'), 0x31c3, 'CRC16 here: the spec\'s check value');

# ------------------------------------------------- the tags, no server

my @sites = ('shop', 'docs', 'localhost', 'shop.example.com', 'a' x 64);
my %all;

for my $n (1, 3, 16, 64, 1024) {
    for my $site (@sites) {
        my @t = tags('cx', $site, $n);
        is(scalar @t, $n, "$site, $n shards: $n tags") or next;
        my @bad;
        for my $s (0 .. $n - 1) {
            my ($tag, $slot) = @{ $t[$s] };
            my ($lo, $hi) = (int($s * 16384 / $n), int(($s + 1) * 16384 / $n));
            my ($k) = $tag =~ /^\{cx:\Q$site\E:$s\.(\d+)\}$/
                or push(@bad, "$s: $tag"), next;
            push @bad, "$s: slot $slot not CRC16's"
                if crc16("cx:$site:$s.$k") % 16384 != $slot;
            push @bad, "$s: slot $slot out of $lo-" . ($hi - 1)
                if $slot < $lo || $slot >= $hi;
            next if $n > 64;    # CRC16 in Perl is slow: the C's own loop
            for my $j (0 .. $k - 1) {
                my $x = crc16("cx:$site:$s.$j") % 16384;
                push(@bad, "$s: k=$j would do"), last
                    if $x >= $lo && $x < $hi;
            }
        }
        is_deeply(\@bad, [], "$site, $n shards: each tag in its slice of "
                             . 'the slot space' . ($n > 64 ? '' : ', the smallest k'));
        $all{"$site/$n"} = \@t;
    }
}

is_deeply([ tags('cx', 'shop', 16) ], $all{'shop/16'},
          'the same tags every time');
isnt($all{'shop/16'}[3][0], $all{'docs/16'}[3][0], 'a site\'s own tags');
is_deeply([ map { $_->[0] } tags('other', 'shop', 3) ],
          [ map { /^\{other:shop:/ ? $_ : () }
            map { $_->[0] } tags('other', 'shop', 3) ],
          'the prefix is in the tag');

# nonces: CRC16 mod S, evenly spread
my @chars = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');
my @nonces = map { join '', map { $chars[rand @chars] } 1 .. 16 } 1 .. 1600;
my @shard = run_check([ 'nonce', 16 ], join '', map { "$_\n" } @nonces);
is_deeply(\@shard, [ map { crc16($_) % 16 } @nonces ],
          'a nonce\'s shard: CRC16 mod S');
my %per;
$per{$_}++ for @shard;
my @counts = map { $per{$_} // 0 } 0 .. 15;
ok(!grep({ $_ < 50 || $_ > 150 } @counts),
   "1600 nonces over 16 shards: 50-150 each (@counts)");
is_deeply([ run_check([ 'nonce', 1 ], "abc\n") ], [ 0 ], 'one shard: 0');

# ------------------------------------------------------------- a cluster

my $c = Test::CX::Cluster->new(dir => "$dir/fleet");
$c->start;
my @p = $c->primaries;
is(scalar @p, 3, 'a cluster of three primaries');

# the primary of a slot, from the cluster's own map
my @ranges = map { /^(\d+)-(\d+) 127\.0\.0\.1:(\d+)$/ ? [ $1, $2, $3 ] : () }
             $c->slot_ranges;
sub primary_of {
    my ($slot) = @_;
    for (@ranges) { return $_->[2] if $slot >= $_->[0] && $slot <= $_->[1] }
    return undef;
}

# CLUSTER KEYSLOT of every tag (as a key's tag) for 16 and 64 shards
my (@keys, @want);
for my $k (sort keys %all) {
    next unless $k =~ m{/(16|64)$};
    for (@{ $all{$k} }) {
        push @keys, "$_->[0]:tp:20261207";
        push @want, ":$_->[1]";
    }
}
my @got = $c->pipeline($p[0], map { [ 'CLUSTER', 'KEYSLOT', $_ ] } @keys);
is_deeply(\@got, \@want, scalar(@keys) . ' tagged names: CLUSTER KEYSLOT '
                         . 'is the tag\'s slot');

for my $site (@sites) {
    for my $n (16, 64) {
        my %on;
        $on{ primary_of($_->[1]) }++ for @{ $all{"$site/$n"} };
        my @c = map { $on{$_} // 0 } @p;
        # a primary gets the slices inside its range, and maybe one it
        # shares with a neighbour at each end
        my @bad;
        for my $i (0 .. $#p) {
            my ($in, $touch) = (0, 0);
            for my $s (0 .. $n - 1) {
                my ($a, $b) = (int($s * 16384 / $n), int(($s + 1) * 16384 / $n) - 1);
                my @own = map { primary_of($_) } $a, $b;
                $in++ if $own[0] == $p[$i] && $own[1] == $p[$i];
                $touch++ if $own[0] == $p[$i] || $own[1] == $p[$i];
            }
            push @bad, "$p[$i]: $c[$i] not in $in-$touch"
                if $c[$i] < $in || $c[$i] > $touch;
        }
        is_deeply(\@bad, [], "$site, $n shards over 3 primaries: "
                              . "@c, each its slices' share");
        my ($min, $max) = (sort { $a <=> $b } @c)[0, -1];
        ok($max - $min <= 2, "$site, $n shards: at most 2 apart (@c)");
    }
}

# the flush script on one shard's keys, on its node: applied; the same
# with a key of another shard: CROSSSLOT, nothing written
my ($t3, $t9) = map { $all{'shop/16'}[$_] } 3, 9;
my $node = primary_of($t3->[1]);
my $sha = $c->cli($node, 'SCRIPT', 'LOAD',
                  do { local (@ARGV, $/) = ("$root/lua/redis/flush.lua"); <> });
like($sha, qr/^[0-9a-f]{40}$/, 'the flush script loaded');

sub evalsha {
    my ($port, @a) = @_;
    return join ' ', $c->cli($port, 'EVALSHA', $sha, @a);
}

my $batch = {
    "$t3->[0]:tp:20261207" => { 'home:view' => 3 },
    "$t3->[0]:sv:nps1:20261207" => { 'home:shown' => 2 },
};
like(evalsha($node, flush_args("$t3->[0]:batch:0123456789abcdef", 1, 0,
                               $batch)),
     qr/^1\b/, 'a batch of one shard applied on the node of its slot');
is($c->cli($node, 'HGET', "$t3->[0]:tp:20261207", 'home:view'), 3,
   'its counter written');
is($c->cli($node, 'HGET', "$t3->[0]:sv:nps1:202612:all", '07:shown'), 2,
   'its rollup too, in the same slot');

my $mixed = { %$batch, "$t9->[0]:tp:20261207" => { 'home:view' => 1 } };
like(evalsha($node, flush_args("$t3->[0]:batch:0123456789abcdef", 2, 0,
                               $mixed)),
     qr/CROSSSLOT/, 'a batch of two shards: CROSSSLOT');
is($c->cli($node, 'GET', "$t3->[0]:batch:0123456789abcdef"), 1,
   'nothing of it applied');

$c->stop;

is_deeply(\@bad_exits, [], 'the check program exited cleanly every time');

done_testing;
