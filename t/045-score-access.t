# Who may read the scores, the follow-up comments, the dashboard and the
# metrics (README.md "Who may read the scores"):
#
#   neither cx_score_token nor cx_score_open   loopback clients only
#   cx_score_token                             the bearer token, from
#                                              every client (the dashboard's
#                                              page itself: everyone)
#   cx_score_open on                           every client
#
# The harness talks from 127.0.0.1: a remote client is the address the
# realip module puts in place of the peer (set_real_ip_from 127.0.0.1;
# real_ip_header X-Real-IP), which is exactly what the module checks.
# Unix-socket peers are not loopback; ::1 is.  And site= reads only the
# sites of this nginx, or those cx_score_sites lists.  Every JSON answer
# says X-Content-Type-Options: nosniff.

use lib 't/lib';
use Test::CX;
use JSON::PP ();
use IO::Socket::UNIX;
use IO::Socket::IP;

our $FORBIDDEN = '{"error":"only loopback clients may read this: configure '
    . 'cx_score_token (a bearer token), or cx_score_open on where allow/deny, '
    . 'auth_request or a VPN protects this location"}' . "\n";

our $TOKEN = 's3cret-Token_0123456789';

sub get {
    my ($uri, $headers, $method) = @_;
    $method //= 'GET';

    return http_request("$method $uri HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

# as if from $ip: realip trusts 127.0.0.1 for X-Real-IP

sub from {
    my ($ip, $uri, $headers) = @_;
    return get($uri, "X-Real-IP: $ip\r\n" . ($headers // ''));
}

# the same request over another socket (unix, or TCP to ::1)

sub over {
    my ($sock, $uri, $headers) = @_;
    return { error => "connect: $!" } unless $sock;

    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    print $sock "GET $uri HTTP/1.1\r\nHost: localhost\r\n" . ($headers // '')
                . "Connection: close\r\n\r\n";
    my $data = do { local $/; <$sock> };
    alarm 0;

    return Test::CX::parse_response($data // '', 0);
}

sub unix_get {
    return over(IO::Socket::UNIX->new(Peer => servroot() . '/cx.sock'), @_);
}

sub ipv6_get {
    return over(IO::Socket::IP->new(PeerHost => '::1', PeerPort => server_port(),
                                    Timeout => 10), @_);
}

# waits (at most 5 s) for the worker's Redis connection

sub connected {
    my ($headers) = @_;
    wait_for(sub { (get('/cx/score?survey=s1&from=2024-03-01&to=2024-03-01',
                        $headers)->{status} // 0) == 200 });
}

sub forbidden_ok {
    my ($r, $name) = @_;
    is($r->{status}, 403, "$name: 403");
    is($r->{body}, $::FORBIDDEN, "$name: the JSON error names the fix");
    is($r->{headers}{'content-type'}, 'application/json', "$name: JSON");
    is($r->{headers}{'x-content-type-options'}, 'nosniff', "$name: nosniff");
    is($r->{headers}{'cache-control'}, 'no-store', "$name: no-store");
}

our @URIS = ('/cx/score?survey=s1&from=2024-03-01&to=2024-03-01',
             '/cx/score?report=followups', '/cx/score?report=surveys',
             '/cx/metrics', '/cx/dashboard', '/cx/dashboard?js',
             '/cx/dashboard?css');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
set_real_ip_from 127.0.0.1;
real_ip_header X-Real-IP;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/metrics {
    cx_metrics;
}
location = /cx/dashboard {
    cx_dashboard;
}
EOF

    $block->set_value('redis', '') unless defined $block->redis
                                          || defined $block->must_die;
});

run_tests();

__DATA__

=== TEST 1: by default, loopback clients read everything; a header the module never reads changes nothing
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- check
::connected();
for my $uri (@::URIS) {
    my $r = ::get($uri);
    is($r->{status}, 200, "$uri from 127.0.0.1: 200") or diag($r->{body});
    $r = ::get($uri, "X-Forwarded-For: 192.0.2.7\r\nX-Real-IP: 192.0.2.7\r\nForwarded: for=192.0.2.7\r\n");
    is($r->{status}, 200, "$uri: X-Forwarded-For and X-Real-IP without realip: still 127.0.0.1");
}



=== TEST 2: by default, a remote client is refused by all three handlers, with a JSON 403 that names the fix
--- check
::connected();
for my $uri (@::URIS) {
    ::forbidden_ok(::from('192.0.2.7', $uri), "$uri from 192.0.2.7");
}
::forbidden_ok(::from('192.0.2.7', '/cx/score?bogus=1'), 'bad parameters: still 403 first');
my $r = http_request("POST /cx/score HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.7\r\n"
                     . "Content-Length: 0\r\nConnection: close\r\n\r\n");
is($r->{status}, 405, 'another method: 405 first, as for everyone');
--- error_log
cx: access forbidden: not a loopback client, and neither "cx_score_token" nor "cx_score_open" is set



=== TEST 3: what is loopback: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104; nothing else, private ranges included
--- check
::connected();
my $uri = '/cx/score?survey=s1&from=2024-03-01&to=2024-03-01';
for my $ip ('127.0.0.1', '127.0.0.9', '127.255.255.254', '::1', '::ffff:127.0.0.1') {
    for my $u ($uri, '/cx/metrics', '/cx/dashboard') {
        is(::from($ip, $u)->{status}, 200, "$u from $ip: 200");
    }
}
for my $ip ('192.0.2.7', '10.0.0.1', '172.16.0.1', '192.168.1.1', '128.0.0.1', '126.255.255.255',
            '0.0.0.0', '::ffff:192.0.2.7', '::ffff:10.0.0.1', '2001:db8::1', '::', '::2', 'fe80::1',
            '::127.0.0.1') {
    for my $u ($uri, '/cx/metrics', '/cx/dashboard') {
        is(::from($ip, $u)->{status}, 403, "$u from $ip: 403");
    }
}
is(::from('192.0.2.7', $uri, "X-Forwarded-For: 127.0.0.1\r\nForwarded: for=127.0.0.1\r\n")->{status},
   403, 'X-Forwarded-For: 127.0.0.1 from a remote client: still 403');



=== TEST 4: cx_score_open on lifts it, per location; off takes it back
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
    cx_score_open on;
}
location = /cx/metrics {
    cx_metrics;
    cx_score_open on;
}
location = /cx/dashboard {
    cx_dashboard;
    cx_score_open on;
}
location = /closed/score {
    cx_score;
}
--- check
::connected();
for my $uri (@::URIS) {
    my $r = ::from('192.0.2.7', $uri);
    is($r->{status}, 200, "$uri from 192.0.2.7, cx_score_open on: 200") or diag($r->{body});
}
::forbidden_ok(::from('192.0.2.7', '/closed/score?survey=s1'), 'another location: 403');



=== TEST 5: cx_score_open is inherited from server (and http), and "off" in a location wins
--- config
cx_score_open on;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/metrics {
    cx_metrics;
    cx_score_open off;
}
--- check
::connected();
is(::from('192.0.2.7', '/cx/score?survey=s1')->{status}, 200, 'inherited: 200');
::forbidden_ok(::from('192.0.2.7', '/cx/metrics'), 'off in the location');
is(::get('/cx/metrics')->{status}, 200, 'off: loopback still reads');



=== TEST 6: with cx_score_token, every client needs the token (loopback too); the dashboard's page and assets are served to all
--- config
cx_score_token s3cret-Token_0123456789;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/metrics {
    cx_metrics;
}
location = /cx/dashboard {
    cx_dashboard;
}
location = /open/score {
    cx_score;
    cx_score_open on;
}
--- check
my $auth = "Authorization: Bearer $::TOKEN\r\n";
::connected($auth);
for my $ip ('192.0.2.7', '127.0.0.1') {
    for my $uri ('/cx/score?survey=s1', '/cx/metrics', '/open/score?survey=s1') {
        my $r = ::from($ip, $uri);
        is($r->{status}, 401, "$uri from $ip without the token: 401");
        is($r->{headers}{'www-authenticate'}, 'Bearer', "$uri from $ip: WWW-Authenticate");
        is($r->{body}, "{\"error\":\"bearer token required\"}\n", "$uri from $ip: JSON");
        is($r->{headers}{'x-content-type-options'}, 'nosniff', "$uri from $ip: nosniff");
        $r = ::from($ip, $uri, "Authorization: Bearer wrong-Token_0123456789\r\n");
        is($r->{status}, 401, "$uri from $ip, a wrong token: 401");
        is($r->{headers}{'www-authenticate'}, 'Bearer error="invalid_token"', "$uri from $ip: invalid_token");
        $r = ::from($ip, $uri, $auth);
        is($r->{status}, 200, "$uri from $ip with the token: 200");
    }
    for my $uri ('/cx/dashboard', '/cx/dashboard?js', '/cx/dashboard?css') {
        my $r = ::from($ip, $uri);
        is($r->{status}, 200, "$uri from $ip without a token: 200 (it asks for the token)");
        is($r->{headers}{'x-content-type-options'}, 'nosniff', "$uri from $ip: nosniff");
    }
}
like(::from('192.0.2.7', '/cx/dashboard')->{body}, qr/data-cx-score="\/cx\/score"/,
     'the page, which holds no data');
like(::from('192.0.2.7', '/cx/metrics', $auth)->{body}, qr/^cx_counts_total \d+$/m,
     'metrics with the token');
--- error_log
cx: wrong bearer token



=== TEST 7: a unix-socket peer is not loopback; realip from "unix:" makes the forwarded address count
--- config
listen unix:$TEST_NGINX_SERVROOT/cx.sock;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/metrics {
    cx_metrics;
}
location = /cx/dashboard {
    cx_dashboard;
}
location = /open/score {
    cx_score;
    cx_score_open on;
}
location = /real/score {
    cx_score;
    set_real_ip_from unix:;
}
--- check
::connected();
for my $uri (@::URIS) {
    ::forbidden_ok(::unix_get($uri), "$uri over a unix socket");
}
is(::unix_get('/open/score?survey=s1')->{status}, 200, 'cx_score_open on: 200');
is(::unix_get('/real/score?survey=s1', "X-Real-IP: 127.0.0.1\r\n")->{status}, 200,
   'set_real_ip_from unix:, X-Real-IP: 127.0.0.1: 200');
::forbidden_ok(::unix_get('/real/score?survey=s1', "X-Real-IP: 192.0.2.7\r\n"),
               'set_real_ip_from unix:, X-Real-IP: 192.0.2.7');
::forbidden_ok(::unix_get('/cx/score?survey=s1', "X-Real-IP: 127.0.0.1\r\n"),
               'X-Real-IP from an untrusted unix peer');



=== TEST 8: ::1 is loopback
--- config
listen [::1]:$TEST_NGINX_SERVER_PORT;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/metrics {
    cx_metrics;
}
location = /cx/dashboard {
    cx_dashboard;
}
--- check
::connected();
for my $uri (@::URIS) {
    my $r = ::ipv6_get($uri);
    is($r->{status}, 200, "$uri over [::1]: 200") or diag($r->{error} // $r->{body});
}



=== TEST 9: site= reads the sites of this nginx only: cx_site values and first server names; cx_score_sites adds others
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name shop.example.com www.shop.example.com;
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name blog.example.com;
    cx_site blog;
}
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /central/score {
    cx_score;
    cx_score_sites partner.example.net legacy;
}
--- check
::connected();
redis()->hset('cx:partner.example.net:sc:s1:20240301', 'home:10', 2);
my $q = 'survey=s1&from=2024-03-01&to=2024-03-01';
for my $site ('localhost', 'shop.example.com', 'blog') {
    my $r = ::get("/cx/score?$q&site=$site");
    is($r->{status}, 200, "site=$site: a site of this nginx, 200");
    like($r->{body}, qr/"site":"\Q$site\E"/, "site=$site: its keys");
}
redis()->config('resetstat');
my $refused = "{\"error\":\"site: not a site of this nginx (cx_score_sites lists others)\"}\n";
for my $site ('partner.example.net', 'www.shop.example.com', 'blog.example.com', 'default', 'other') {
    for my $report ($q, 'report=touchpoints', 'report=followups') {
        my $r = ::get("/cx/score?$report&site=$site");
        is($r->{status}, 403, "$report&site=$site: 403");
        is($r->{body}, $refused, "$report&site=$site: the JSON reason");
        is($r->{headers}{'x-content-type-options'}, 'nosniff', "$report&site=$site: nosniff");
    }
}
is(redis()->info('commandstats')->{cmdstat_hgetall}, undef, 'nothing read for any of them');
my $r = ::get("/central/score?$q&site=partner.example.net");
is($r->{status}, 200, 'cx_score_sites partner.example.net: 200');
like($r->{body}, qr/"site":"partner\.example\.net","from":"2024-03-01","to":"2024-03-01","n":2,/,
     'its keys');
is(::get("/central/score?report=followups&site=legacy")->{status}, 200, 'cx_score_sites legacy: 200');
is(::get("/central/score?$q&site=blog")->{status}, 200, 'and this nginx\'s sites too');
is(::get("/central/score?$q&site=other")->{status}, 403, 'not listed: 403');
is(::get("/cx/score?$q&site=Blog")->{status}, 400, 'not a name: 400 first');



=== TEST 10: cx_score_sites is inherited; a site of a server without a name is "default"
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_score_sites partner.example.net;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name "";
}
--- check
::connected();
my $q = 'survey=s1&from=2024-03-01&to=2024-03-01';
is(::get("/cx/score?$q&site=partner.example.net")->{status}, 200, 'from http{}: 200');
is(::get("/cx/score?$q&site=default")->{status}, 200, 'a server without a name: "default"');
is(::get("/cx/score?$q&site=other")->{status}, 403, 'others: 403');



=== TEST 11: nosniff on every JSON answer: 200, 400, 405, 503, and the dashboard's 304
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- check
::connected();
my @cases = (
    [ '/cx/score?survey=s1', 200 ], [ '/cx/score?report=surveys', 200 ],
    [ '/cx/score?report=touchpoints', 200 ], [ '/cx/score?report=followups', 200 ],
    [ '/cx/score?bogus=1', 400 ], [ '/cx/metrics', 200 ], [ '/cx/dashboard', 200 ],
    [ '/cx/dashboard?js', 200 ], [ '/cx/dashboard?css', 200 ],
);
for my $c (@cases) {
    my $r = ::get($c->[0]);
    is($r->{status}, $c->[1], "$c->[0]: $c->[1]");
    is($r->{headers}{'x-content-type-options'}, 'nosniff', "$c->[0]: nosniff");
}
my $r = ::get('/cx/score?survey=s1', "Content-Length: 0\r\n", 'POST');
is($r->{status}, 405, 'POST: 405');
is($r->{headers}{'x-content-type-options'}, 'nosniff', '405: nosniff');
my $etag = ::get('/cx/dashboard')->{headers}{etag};
$r = ::get('/cx/dashboard', "If-None-Match: $etag\r\n");
is($r->{status}, 304, 'the page revalidated: 304');
is($r->{headers}{'x-content-type-options'}, 'nosniff', '304: nosniff');
redis_stop();
ok(wait_for(sub { $r = ::get('/cx/score?survey=s1'); $r->{status} == 503 }), 'Redis stopped: 503');
is($r->{headers}{'x-content-type-options'}, 'nosniff', '503: nosniff');
redis_start();
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 200 }, 15), 'Redis back');
--- error_log
cx score: not connected to redis



=== TEST 12: cx_score_open takes on or off
--- config
location = /cx/score {
    cx_score;
    cx_score_open yes;
}
--- must_die
--- error_log eval
qr/invalid value "yes" in "cx_score_open" directive, it must be "on" or "off" in \S+nginx\.conf:\d+/



=== TEST 13: cx_score_open twice
--- config
location = /cx/score {
    cx_score;
    cx_score_open on;
    cx_score_open off;
}
--- must_die
--- error_log eval
qr/"cx_score_open" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 14: cx_score_sites takes names: the bad one is named
--- config
location = /cx/score {
    cx_score;
    cx_score_sites partner.example.net Shop.Example;
}
--- must_die
--- error_log eval
qr/invalid site "Shop\.Example" in "cx_score_sites": a name is 1-64 of \[a-z0-9_\.-\] in \S+nginx\.conf:\d+/



=== TEST 15: cx_score_sites: no separators, no empty names
--- config
location = /cx/score {
    cx_score;
    cx_score_sites "a:b";
}
--- must_die
--- error_log eval
qr/invalid site "a:b" in "cx_score_sites"/



=== TEST 16: cx_score_sites needs a name
--- config
location = /cx/score {
    cx_score;
    cx_score_sites;
}
--- must_die
--- error_log eval
qr/invalid number of arguments in "cx_score_sites" directive in \S+nginx\.conf:\d+/



=== TEST 17: cx_score_sites twice in one place
--- config
location = /cx/score {
    cx_score;
    cx_score_sites a;
    cx_score_sites b;
}
--- must_die
--- error_log eval
qr/"cx_score_sites" directive is duplicate in \S+nginx\.conf:\d+/
