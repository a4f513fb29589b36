# Where Redis is: a name asked of nginx's resolver at every connect (so a
# Redis that moves -- a managed failover -- is followed without a
# reload), the http block's resolver when there is no cx_redis_resolver,
# and a unix socket.  The test runs its own DNS server (t/lib/Test/CX.pm
# dns_start) and moves Redis between loopback addresses.

use lib 't/lib';
use Test::CX;

our $DAY = today();

# a plain Redis on ADDR:redis_port(), with the data of the last one
sub redis_on {
    my ($addr) = @_;

    redis_stop();
    redis_start(bind => $addr, cli => [ '-h', $addr, '-p', redis_port() ]);
}

sub views {
    my $v = redis_cli('HGET', "cx:localhost:tp:$DAY", 'home:view');
    return $v =~ /^\d+$/ ? $v : 0;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint home;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]])
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: a name through cx_redis_resolver; Redis moves to another address and counting resumes without a reload
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis redis.cx.test:$TEST_NGINX_REDIS_PORT;
cx_redis_resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
cx_redis_resolver_timeout 2s;
cx_flush_interval 100ms;
--- init
dns_set('redis.cx.test', '127.0.0.2');
::redis_on('127.0.0.2');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 20 ]
--- check
ok(wait_for(sub { ::views() == 20 }, 10), "20 views on 127.0.0.2") or diag(::views());
my $pid = nginx_pid();
redis_stop();
dns_set('redis.cx.test', '127.0.0.3');
my $st = get_many('/', 15);
is($st->{200}, 15, "pages served while Redis moves");
::redis_on('127.0.0.3');
ok(wait_for(sub { ::views() == 35 }, 20), "all 35 views on 127.0.0.3") or diag(::views());
is(nginx_pid(), $pid, "the same nginx, no reload");
ok(wait_for(sub { Test::CX::block_log() =~ /cx redis: connected to redis\.cx\.test:\d+ \(127\.0\.0\.3:\d+\) after \d+ failed attempts/ }),
   "the log says where it went");
--- error_log eval
qr/cx redis: connection to redis\.cx\.test:\d+ \(127\.0\.0\.2:\d+\) lost/



=== TEST 2: the http block's resolver, when there is no cx_redis_resolver
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis redis.cx.test:$TEST_NGINX_REDIS_PORT;
resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
cx_flush_interval 100ms;
--- init
dns_set('redis.cx.test', '127.0.0.2');
::redis_on('127.0.0.2');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 6 ]
--- check
ok(wait_for(sub { ::views() == 6 }, 10), "6 views") or diag(::views());
--- no_error_log
[error]



=== TEST 3: a unix socket, with a password and a database
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis unix:$TEST_NGINX_SERVROOT/redis/redis.sock password=Unix-Secret-1 db=2;
cx_flush_interval 100ms;
--- init
redis_stop();
redis_start(port => 0, unixsocket => Test::CX::servroot() . '/redis/redis.sock',
            unixsocketperm => 700, requirepass => 'Unix-Secret-1',
            cli => [ '-s', Test::CX::servroot() . '/redis/redis.sock',
                     '-a', 'Unix-Secret-1', '-n', 2 ]);
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 9 ]
--- check
my $st = get_many('/', 41);
is($st->{200}, 41, "pages served");
ok(wait_for(sub { ::views() == 50 }, 10), "50 views in db 2 over the socket") or diag(::views());
--- no_error_log
[error]
Unix-Secret-1



=== TEST 4: a unix socket that is not there: the reason, pages served
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis unix:$TEST_NGINX_SERVROOT/nowhere.sock;
cx_flush_interval 100ms;
--- request
GET /
--- check
ok(wait_for(sub { Test::CX::block_log() =~ /\[error\] .*cx redis: connect to unix:\S+nowhere\.sock failed: No such file or directory/ }),
   "the reason");



=== TEST 5: a name the resolver does not know: nginx starts, pages are served, the reason is logged
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis nowhere.cx.test:$TEST_NGINX_REDIS_PORT;
cx_redis_resolver 127.0.0.1:$TEST_NGINX_DNS_PORT ipv6=off;
cx_flush_interval 100ms;
--- init
dns_set('redis.cx.test', '127.0.0.2');
--- request eval
[ ("GET /") x 3 ]
--- check
ok(wait_for(sub { Test::CX::block_log() =~ /\[error\] .*cx redis: cannot resolve "nowhere\.cx\.test": Host not found/ }),
   "the resolver's answer is the reason");
is(metric('cx_redis_connected'), 0, "not connected");



=== TEST 6: a resolver that does not answer: bounded by cx_redis_resolver_timeout
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis redis.cx.test:$TEST_NGINX_REDIS_PORT;
cx_redis_resolver 127.0.0.1:1 ipv6=off;
cx_redis_resolver_timeout 300ms;
cx_flush_interval 100ms;
--- request
GET /
--- check
ok(wait_for(sub { Test::CX::block_log() =~ /cx redis: cannot resolve "redis\.cx\.test": Operation timed out/ }, 5),
   "timed out");
