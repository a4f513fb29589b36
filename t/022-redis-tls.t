# Redis as production runs it: TLS only (no plain port) and an ACL user
# (the default user off).  Counts are exact over TLS; a certificate that
# is not trusted, names another host or has expired is refused with a
# clear line in the log while pages are still served and counts wait in
# memory; client certificates; a wrong password is said, never shown.

use lib 't/lib';
use Test::CX;

our $DAY = today();
our $PASS = 'cx-Secret-7f3a9';

# a TLS-only Redis with the ACL user cx: cert => the server certificate
# (tls_certificates() names), clients => 'yes' to require client
# certificates

sub tls_redis {
    my (%o) = @_;

    my $dir = tls_certificates();
    my $cert = $o{cert} // 'server';
    my $clients = $o{clients} // 'no';

    redis_stop();
    redis_start(
        port => 0,
        'tls-port' => redis_port(),
        'tls-cert-file' => "$dir/$cert.crt",
        'tls-key-file' => "$dir/$cert.key",
        'tls-ca-cert-file' => "$dir/ca.crt",
        'tls-auth-clients' => $clients,
        user => [ 'default off', "cx on >$PASS ~* &* +\@all" ],
        cli => [ '--tls', '--insecure', '--cacert', "$dir/ca.crt",
                 '--cert', "$dir/client.crt", '--key', "$dir/client.key",
                 '-h', '127.0.0.1', '-p', redis_port(),
                 '--user', 'cx', '--pass', $PASS ],
    );
}

# every block counts under a site of its own (b<N>.test): counts that an
# earlier block's nginx kept in memory, and hands over as it quits, can
# never be taken for this block's
our $SITE = 'localhost';

sub views {
    my $v = redis_cli('HGET', "cx:$SITE:tp:$DAY", 'home:view');
    return $v =~ /^\d+$/ ? $v : 0;
}

# the line the module logs for a refused connection, in this block
sub refused {
    my ($re) = @_;
    return wait_for(sub { Test::CX::block_log() =~ $re }, 15);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_flush_interval 100ms;
EOF

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

    my $n = $block->seq_num;
    if ($block->http_config !~ /cx_site/) {
        $block->set_value('http_config',
                          $block->http_config . "cx_site b$n.test;\n");
    }
    $block->set_value('init', "\$::SITE = 'b$n.test';\n"
                              . ($block->init // ''));

    # whatever happens, the password is never in the log
    $block->set_value('no_error_log', "cx-Secret-7f3a9\n"
                                      . ($block->no_error_log // ''));
});

run_tests();

__DATA__

=== TEST 1: TLS only, an ACL user: counts exact, scores read over TLS
--- workers: 2
--- init
::tls_redis();
--- request
GET /
--- check
my $st = get_many('/', 199);
is($st->{200}, 199, "all pages served");
ok(wait_for(sub { ::views() == 200 }, 10), "200 views answered, 200 in Redis")
    or diag(::views());
is(redis_cli('EXISTS', "cx:$::SITE:tph:$::DAY"), 1, "the hourly hash too");
my $r = http_request("GET /cx/score?report=touchpoints HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is($r->{status}, 200, "/cx/score over TLS");
like($r->{body}, qr/"touchpoint":"home","events":\{"view":200,/, "it reads the 200 views");
ok(wait_for(sub { metric('cx_redis_connected') == 2 }), "both workers connected");
is(redis_cli('ACL', 'WHOAMI'), 'cx', 'the ACL user is cx');
--- no_error_log
[error]



=== TEST 2: a server certificate from a CA we do not trust: refused, pages served, counts wait
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/other-ca.crt;
cx_flush_interval 100ms;
--- init
::tls_redis();
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 5 ]
--- check
ok(::refused(qr/\[error\] .*cx redis: TLS handshake with 127\.0\.0\.1:\d+ failed: certificate verify failed: (unable to get local issuer certificate|self-signed certificate in certificate chain)/),
   "the reason is logged");
my $st = get_many('/', 5);
is($st->{200}, 5, "pages are served");
sleep 0.5;
is(::views(), 0, "nothing written to a server we do not trust");
is(metric('cx_redis_connected'), 0, "not connected");
is(metric('cx_counts_dropped_total'), 0, "the counts wait in memory");



=== TEST 3: a certificate for another name: refused by IP address, and by host name
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_flush_interval 100ms;
# its counts wait in memory; the next block's Redis may get them as this
# nginx quits: under a site of their own, they cannot be taken for its
cx_site wrong-name.test;
--- init
::tls_redis(cert => 'wrong');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 3 ]
--- check
ok(::refused(qr/cx redis: TLS handshake with 127\.0\.0\.1:\d+ failed: certificate does not match IP address "127\.0\.0\.1"/),
   "an IP address is checked against the certificate's IP addresses");
is(redis_cli('EXISTS', "cx:wrong-name.test:tp:$::DAY"), 0, "nothing written");



=== TEST 4: cx_redis_ssl_server_name: SNI and the name the certificate must have
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_redis_ssl_server_name redis.other.test;
cx_flush_interval 100ms;
--- init
::tls_redis();
redis_cli('FLUSHALL');
--- request
GET /
--- check
ok(::refused(qr/cx redis: TLS handshake with 127\.0\.0\.1:\d+ failed: certificate does not match host name "redis\.other\.test"/),
   "a name is checked against the certificate's DNS names");
is(::views(), 0, "nothing written");



=== TEST 5: the right server name connects
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_redis_ssl_server_name redis.cx.test;
cx_flush_interval 100ms;
--- init
::tls_redis();
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 4 ]
--- check
ok(wait_for(sub { ::views() == 4 }, 10), "4 views") or diag(::views());
--- no_error_log
[error]



=== TEST 6: an expired certificate: refused; the counts made meanwhile arrive once it is renewed
--- init
::tls_redis(cert => 'expired');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 6 ]
--- check
ok(::refused(qr/cx redis: TLS handshake with 127\.0\.0\.1:\d+ failed: certificate verify failed: certificate has expired/),
   "the reason is logged");
is(::views(), 0, "nothing written");
my $st = get_many('/', 4);
is($st->{200}, 4, "pages are served");
::tls_redis();
ok(wait_for(sub { ::views() == 10 }, 15), "all 10 views once the certificate is renewed, without a reload")
    or diag(::views());



=== TEST 7: cx_redis_ssl_verify off: an untrusted certificate is accepted
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_verify off;
cx_flush_interval 100ms;
--- init
::tls_redis(cert => 'wrong');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 3 ]
--- check
ok(wait_for(sub { ::views() == 3 }, 10), "3 views") or diag(::views());
--- no_error_log
[error]



=== TEST 8: client certificates: cx_redis_ssl_certificate is presented and accepted
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_redis_ssl_certificate $TEST_NGINX_SERVROOT/tls/client.crt;
cx_redis_ssl_certificate_key $TEST_NGINX_SERVROOT/tls/client.key;
cx_flush_interval 100ms;
--- init
::tls_redis(clients => 'yes');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 7 ]
--- check
ok(wait_for(sub { ::views() == 7 }, 10), "7 views") or diag(::views());
--- no_error_log
[error]



=== TEST 9: a server that wants a client certificate, and none configured: a clear error
--- init
::tls_redis(clients => 'yes');
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 2 ]
--- check
ok(::refused(qr/\[error\] .*cx redis: connect to 127\.0\.0\.1:\d+ failed: .*(certificate required|a server that wants a client certificate\? see cx_redis_ssl_certificate)/),
   "the server's alert, or a hint, is the reason");
is(::views(), 0, "nothing written");
--- no_error_log
[crit]



=== TEST 10: a wrong password: the reason, never the password
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=Not-The-Password-4e1;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_flush_interval 100ms;
--- init
::tls_redis();
redis_cli('FLUSHALL');
--- request eval
[ ("GET /") x 2 ]
--- check
ok(::refused(qr/\[error\] .*cx redis: AUTH to 127\.0\.0\.1:\d+ failed: WRONGPASS/),
   "WRONGPASS is logged");
is(::views(), 0, "nothing written");
--- no_error_log
Not-The-Password-4e1



=== TEST 11: bad TLS configurations fail nginx -t
--- http_config
cx_redis 127.0.0.1:6379;
cx_redis_ssl_verify off;
--- must_die
--- error_log eval
qr/"cx_redis_ssl_\*" in \S+:\d+ needs the "tls" parameter of "cx_redis" in \S+:\d+/



=== TEST 12: a client certificate needs its key
--- http_config
cx_redis 127.0.0.1:6379 tls;
cx_redis_ssl_certificate /nonexistent.crt;
--- must_die
--- error_log
"cx_redis_ssl_certificate" and "cx_redis_ssl_certificate_key" go together



=== TEST 13: a mistyped secret is not repeated by nginx -t; user= needs password=
--- http_config
cx_redis 127.0.0.1:6379 pasword=Typo-Secret-99;
--- must_die
--- error_log eval
qr/invalid parameter "pasword=\.\.\." in "cx_redis"/
--- no_error_log
Typo-Secret-99



=== TEST 14: user= needs password=
--- http_config
cx_redis 127.0.0.1:6379 user=cx;
--- must_die
--- error_log
"user=" in "cx_redis" needs "password="



=== TEST 15: the whole log never had the password
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT tls user=cx password=cx-Secret-7f3a9;
cx_redis_ssl_trusted_certificate $TEST_NGINX_SERVROOT/tls/ca.crt;
cx_flush_interval 100ms;
--- init
::tls_redis();
--- request
GET /
--- check
my $all = Test::CX::error_log_since(0);
ok(length $all > 10000, "a debug log of the whole file");
is(index($all, $::PASS), -1, "no password in it");
