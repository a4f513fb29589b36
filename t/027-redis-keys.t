# docs/redis.md's key table is the schema: every key the module writes
# (page views, answers, a follow-up, a custom event, and their rollups)
# has its row there, with its type, and every row is written; the list
# in ngx_http_cx_keys.c names the same keys.  Every key a script touches
# is one of its KEYS (what Redis Cluster needs, docs/cluster.md), seen
# through MONITOR.
use lib 't/lib';
use Test::CX;

our $SECRET = '0123456789abcdef0123';

# the table's rows: pattern => type
sub documented {
    open my $f, '<', 'docs/redis.md' or die "docs/redis.md: $!";
    my %rows;
    while (<$f>) {
        $rows{$1} = $2 if /^\| `(\{prefix\}[^`]*)` \| (\w+) \|/;
    }
    return \%rows;
}

# a key as a pattern of the table
sub pattern {
    my ($k) = @_;
    $k =~ s/^cx:batch:[0-9a-f]{16}$/{prefix}:batch:{id}/;
    $k =~ s/^cx:localhost:/{prefix}:{site}:/;
    $k =~ s/:nps1:/:{survey}:/;
    $k =~ s/:(tokc?):[A-Za-z0-9_-]{16}$/:$1:{nonce}/;
    $k =~ s/:\d{8}((?::all)?)$/:{YYYYMMDD}$1/;
    $k =~ s/:\d{6}((?::all)?)$/:{YYYYMM}$1/;
    return $k;
}

sub answer {
    my ($tag, $body) = @_;
    return post('/cx/collect', 'application/x-www-form-urlencoded',
                "survey=$tag->{survey}&touchpoint=$tag->{touchpoint}&token=$tag->{token}&$body");
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', <<"EOF");
cx_secret $SECRET;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_score_open on;
EOF
    $block->set_value('config', <<'EOF');
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
EOF
    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]]);
    $block->set_value('redis', '');
    $block->set_value('request', "GET /\n");
});

# MONITOR on a connection of its own: the lines seen until Redis has
# been quiet for a while, each as [client, command, args...]

sub monitor_start {
    require IO::Socket::INET;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . redis_port())
        or die "monitor: $!";
    print $s "MONITOR\r\n";
    my $ok = <$s>;
    die "monitor: $ok" unless $ok =~ /^\+OK/;
    return $s;
}

sub monitor_lines {
    my ($s) = @_;
    require IO::Select;
    my $sel = IO::Select->new($s);
    my $buf = '';
    while ($sel->can_read(1)) {
        sysread($s, $buf, 65536, length $buf) or last;
    }
    my @lines;
    for my $l (split /\r\n/, $buf) {
        my ($who, $rest) = $l =~ /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/ or next;
        my @a;
        while ($rest =~ /"((?:[^"\\]|\\.)*)"/g) {
            my $x = $1;
            $x =~ s/\\x([0-9a-f]{2})|\\(.)/defined $1 ? chr hex $1
                : $2 eq 'n' ? "\n" : $2 eq 'r' ? "\r" : $2 eq 't' ? "\t" : $2/ge;
            push @a, $x;
        }
        push @lines, [$who, @a];
    }
    return @lines;
}

# the keys a command of a script touches
sub touched {
    my ($cmd, @args) = @_;
    return @args if uc $cmd eq 'EXISTS';
    return ($args[0]);
}

run_tests();

__DATA__

=== TEST 1: the keys the module writes are the table's, of its types
--- check
my $tag = survey_tag('/');
is(::answer($tag, 'event=shown')->{status}, 204, 'shown');
is(::answer($tag, 'event=clicked_help')->{status}, 204, 'a custom event');
is(::answer($tag, 'event=answered&score=2&comment=slow')->{status}, 204, 'a low answer');
ok(wait_for(sub { redis()->exists('cx:localhost:followup') }), 'the follow-up arrived');
ok(wait_for(sub { redis()->exists('cx:localhost:names:' . today()) }), 'the names arrived');

my $doc = ::documented();
ok(keys %$doc >= 20, scalar(keys %$doc) . ' rows in docs/redis.md');

my %seen;
for my $k (redis()->keys('*')) {
    my $p = ::pattern($k);
    $seen{$p} = 1;
    ok(exists $doc->{$p}, "$k: documented as $p");
    is(redis()->type($k), $doc->{$p}, "$p: a $doc->{$p}") if exists $doc->{$p};
}
ok($seen{$_}, "$_: written") for sort keys %$doc;



=== TEST 2: the list in ngx_http_cx_keys.c names the table's keys
--- check
my $doc = ::documented();
open my $f, '<', 'ngx_cx_module/ngx_http_cx_keys.c' or die $!;
my @listed = map { /^ \*\s+(\{prefix\}:\S+)/ ? $1 : () } <$f>;
ok(@listed >= 10, scalar(@listed) . ' keys listed in ngx_http_cx_keys.c');
for my $k (@listed) {
    ok(exists $doc->{$k}, "$k: in docs/redis.md");
}



=== TEST 3: every key a script touches is one of the KEYS of its EVALSHA / EVAL
--- check
my $mon = ::monitor_start();

# page views, a widget's events (shown, a custom one, answered low with
# its comment, dismissed on another view), a replay, the follow-ups read
my $tag = survey_tag('/');
is(::answer($tag, 'event=shown')->{status}, 204, 'shown');
is(::answer($tag, 'event=clicked_help')->{status}, 204, 'a custom event');
is(::answer($tag, 'event=answered&score=2')->{status}, 204, 'a low answer');
ok(wait_for(sub { redis()->exists('cx:localhost:followup') }), 'the follow-up arrived');
is(::answer($tag, 'event=commented&score=2&comment=slow')->{status}, 204, 'its comment');
my $other = survey_tag('/');
is(::answer($other, 'event=shown')->{status}, 204, 'shown again');
is(::answer($other, 'event=dismissed')->{status}, 204, 'dismissed');
ok(wait_for(sub { (redis()->hget('cx:localhost:tp:' . today(), 'home:dismissed') // 0) == 1 }),
   'all of it counted');
my $r = http_request(build_request('GET /cx/score?report=followups'));
is($r->{status}, 200, 'the follow-ups read');
like($r->{body}, qr/"comment":"slow"/, 'with the comment');

my (%declared, $evals, $inner, @undeclared, %commands);
for my $l (::monitor_lines($mon)) {
    my ($who, $cmd, @a) = @$l;
    if ($who ne 'lua' && $cmd =~ /^eval(sha)?$/i) {
        my $n = $a[1];
        %declared = map { $_ => 1 } @a[2 .. 1 + $n];
        $evals++;
        next;
    }
    next unless $who eq 'lua';
    $inner++;
    $commands{uc $cmd}++;
    for my $k (::touched($cmd, @a)) {
        push @undeclared, "$cmd $k" unless $declared{$k};
    }
}

ok($evals >= 3, "$evals scripts run");
ok($inner >= 50, "$inner commands inside them");
ok($commands{$_}, "$_ ran") for qw(EXISTS HINCRBY HSETNX HEXISTS SISMEMBER SADD XADD XRANGE XDEL XREVRANGE);
is_deeply(\@undeclared, [], 'no key touched that is not in KEYS');

# the rollups the module made in an empty Redis hold every count: their
# month's 31 day hashes were in KEYS when they were made
my $month = substr(today(), 0, 6);
for my $k ("cx:localhost:tp:$month", "cx:localhost:sv:nps1:$month",
           "cx:localhost:sv:nps1:$month:all", 'cx:localhost:sv:nps1:' . today() . ':all') {
    is(redis()->hget($k, '#'), 1, "$k: complete");
}
