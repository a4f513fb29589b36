# What Redis says back to a batch: refused before running (NOSCRIPT, OOM)
# means retried as is, failed part-way (WRONGTYPE) means dropped and
# counted -- never applied twice; a poisoned key (WRONGTYPE) costs only
# its own counts (t/025).
use lib 't/lib';
use Test::CX;

our $DAY = today();

our $FAKE = Test::TCP::empty_port();

# a fake Redis on $FAKE: the n-th connection gets the n-th answer to its
# first command, then is closed; it stops after 10 s
sub fake_redis {
    my (@answers) = @_;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $FAKE, Listen => 8,
                                       ReuseAddr => 1) or die "fake: $!";
    my $pid = fork;
    die "fork: $!" unless defined $pid;

    if ($pid) {
        close $listen;
        return;
    }

    local $SIG{ALRM} = sub { POSIX::_exit(0) };
    alarm 10;

    while (my $c = $listen->accept) {
        my $buf;
        sysread $c, $buf, 65536;
        syswrite $c, shift @answers if @answers;
        sleep 0.2;
        close $c;
    }

    POSIX::_exit(0);
}

sub tp_count {
    return redis()->hget("cx:localhost:tp:$DAY", 'home:view') // 0;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', <<'EOF2') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
EOF2
    $block->set_value('config', <<'EOF2') unless defined $block->config;
location / {
    cx_touchpoint home;
}
location = /cx/metrics {
    cx_metrics;
}
EOF2
    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]])
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: NOSCRIPT: refused, script loaded again, batch applied once
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count() == 1 }), "first view");
redis()->script('flush');
get_many('/', 5);
ok(wait_for(sub { ::tp_count() == 6 }), "6 after SCRIPT FLUSH") or diag(::tp_count());
sleep 0.5;
is(::tp_count(), 6, "exactly 6");
--- error_log eval
qr/cx redis: batch refused by 127\.0\.0\.1:\d+, will retry: NOSCRIPT/



=== TEST 2: OOM: refused, retried as is once memory is back
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count() == 1 }), "first view");
redis()->config('set', 'maxmemory-policy', 'noeviction');
redis()->config('set', 'maxmemory', '1');
get_many('/', 3);
sleep 0.5;
is(::tp_count(), 1, "nothing applied while OOM");
redis()->config('set', 'maxmemory', '0');
ok(wait_for(sub { ::tp_count() == 4 }), "4 once memory is back") or diag(::tp_count());
sleep 0.5;
is(::tp_count(), 4, "exactly 4");
--- error_log eval
qr/cx redis: batch refused by 127\.0\.0\.1:\d+, will retry: OOM/



=== TEST 3: WRONGTYPE: only the poisoned key's counts are lost, the batch applies
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count() == 1 }), "first view");
redis()->del("cx:localhost:tp:$::DAY");
redis()->set("cx:localhost:tp:$::DAY", "x");
get_many('/', 3);
ok(wait_for(sub { metric('cx_counts_lost_total') == 3 }), "lost counted");
is(metric('cx_counts_dropped_total'), 0, "nothing dropped");
redis()->del("cx:localhost:tp:$::DAY");
get_many('/', 2);
ok(wait_for(sub { ::tp_count() == 2 }), "later batches apply") or diag(::tp_count());
--- error_log eval
qr/cx redis: 3 counts lost on 127\.0\.0\.1:\d+ in "cx:localhost:tp:\d+": WRONGTYPE/



=== TEST 4: a server that answers nonsense: nested arrays with nil, a bad type byte, a huge array; pages served, the reason logged
--- http_config eval
"cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$::FAKE;
cx_flush_interval 100ms;"
--- init
::fake_redis("*3\r\n\$-1\r\n*2\r\n:1\r\n*0\r\n+OK\r\n",
             "?what\r\n",
             "*1000000000\r\n");
--- request eval
[ ("GET /") x 3 ]
--- check
ok(wait_for(sub { Test::CX::block_log() =~ /Out of memory/ }, 10), "three connections");
--- error_log eval
[ qr/cx redis: SCRIPT LOAD on 127\.0\.0\.1:\d+ failed: /,
  qr/cx redis: connection to 127\.0\.0\.1:\d+ lost: protocol error: Protocol error, got "\?" as reply type byte/,
  qr/cx redis: connection to 127\.0\.0\.1:\d+ lost: protocol error: Out of memory/ ]
