# GET /cx/score when something is wrong: every bad parameter is a 400
# whose JSON error names the parameter and why (and nothing is read from
# Redis); 401 without the bearer token, 403 from allow/deny, 405 for
# other methods; 503 with Redis down, 504 with Redis asleep past
# cx_redis_timeout, 502 for an error reply; bad directives fail nginx -t.

use lib 't/lib';
use Test::CX;
use JSON::PP ();

sub get {
    my ($uri, $headers, $method) = @_;
    $method //= 'GET';

    return http_request("$method $uri HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

# waits (at most 5 s) for the worker's Redis connection

sub connected {
    my $r;
    wait_for(sub { $r = get('/cx/score?survey=s1&from=2024-03-01&to=2024-03-01');
                   ($r->{status} // 0) == 200 });
    return $r;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('redis', '') unless defined $block->redis
                                          || defined $block->must_die;
});

run_tests();

__DATA__

=== TEST 1: the 400 catalogue: each case names its parameter; Redis is not read
--- check
::connected();
redis()->config('resetstat');
my $not_a_name = 'not a name ([a-z0-9_.-], 1-64)';
my $not_a_date = 'not a date (YYYY-MM-DD)';
my $by = 'by: must be day, touchpoint, hour, wday or variant';
my @cases = (
    [ '', 'survey: missing (or use report=touchpoints)' ],
    [ 'from=2024-03-01', 'survey: missing (or use report=touchpoints)' ],
    [ 'survey=nope', 'survey: not configured' ],
    [ 'survey=S1', "survey: $not_a_name" ],
    [ 'survey=', "survey: $not_a_name" ],
    [ 'survey', "survey: $not_a_name" ],
    [ 'survey=a%20b', "survey: $not_a_name" ],
    [ 'survey=s1%0d%0aX-Evil:1', "survey: $not_a_name" ],
    [ 'survey=' . ('a' x 65), "survey: $not_a_name" ],
    [ 'survey=s1&survey=s1', 'survey: duplicate parameter' ],
    [ 'survey=s1&from=2024-13-01', "from: $not_a_date" ],
    [ 'survey=s1&from=2023-02-29', "from: $not_a_date" ],
    [ 'survey=s1&from=2024-02-30', "from: $not_a_date" ],
    [ 'survey=s1&from=2024-04-31', "from: $not_a_date" ],
    [ 'survey=s1&from=20240301', "from: $not_a_date" ],
    [ 'survey=s1&from=2024-3-1', "from: $not_a_date" ],
    [ 'survey=s1&from=2024-03-01T00:00', "from: $not_a_date" ],
    [ 'survey=s1&from=%2B024-03-01', "from: $not_a_date" ],
    [ 'survey=s1&from=', "from: $not_a_date" ],
    [ 'survey=s1&to=1969-12-31', "to: $not_a_date" ],
    [ 'survey=s1&to=2024-00-10', "to: $not_a_date" ],
    [ 'survey=s1&to=2024-03-01&to=2024-03-02', 'to: duplicate parameter' ],
    [ 'survey=s1&from=2024-03-02&to=2024-03-01', 'from: after to' ],
    [ 'survey=s1&from=2099-01-01', 'from: after to' ],
    [ 'survey=s1&from=2023-01-01&to=2024-01-02', 'from: more than 366 days before to' ],
    [ 'survey=s1&by=week', $by ],
    [ 'survey=s1&by=', $by ],
    [ 'survey=s1&by=DAY', $by ],
    [ 'survey=s1&by=day&by=hour', 'by: duplicate parameter' ],
    [ 'report=journeys', 'report: must be touchpoints, followups, surveys or rules' ],
    [ 'report=', 'report: must be touchpoints, followups, surveys or rules' ],
    [ 'report=touchpoints&survey=s1', 'survey: not with report' ],
    [ 'report=touchpoints&by=touchpoint', 'by: must be day or hour with report' ],
    [ 'report=touchpoints&by=wday', 'by: must be day or hour with report' ],
    [ 'survey=s1&touchpoint=Check%0Aout', "touchpoint: $not_a_name" ],
    [ 'survey=s1&touchpoint=a:b', "touchpoint: $not_a_name" ],
    [ 'survey=s1&touchpoint=home*', "touchpoint: $not_a_name" ],
    [ 'survey=s1&touchpoint=', "touchpoint: $not_a_name" ],
    [ 'survey=s1&site=My%20Site', "site: $not_a_name" ],
    [ 'survey=s1&site=a%0d%0aSet-Cookie:x', "site: $not_a_name" ],
    [ 'survey=s1&site=..%2F..', "site: $not_a_name" ],
    [ 'survey=s1&compare=next', 'compare: must be previous (or use compare_from and compare_to)' ],
    [ 'survey=s1&compare=', 'compare: must be previous (or use compare_from and compare_to)' ],
    [ 'survey=s1&compare=previous&compare=previous', 'compare: duplicate parameter' ],
    [ 'survey=s1&compare=previous&compare_from=2024-01-01', 'compare_from: not with compare=previous' ],
    [ 'survey=s1&compare_from=2024-01-01', 'compare_to: missing (with compare_from)' ],
    [ 'survey=s1&compare_to=2024-01-01', 'compare_from: missing (with compare_to)' ],
    [ 'survey=s1&compare_from=2024-02-30&compare_to=2024-03-01', "compare_from: $not_a_date" ],
    [ 'survey=s1&compare_from=2024-01-01&compare_to=2024-1-2', "compare_to: $not_a_date" ],
    [ 'survey=s1&compare_from=2024-01-02&compare_to=2024-01-01', 'compare_from: after compare_to' ],
    [ 'survey=s1&compare_from=2023-01-01&compare_to=2024-01-02',
      'compare_from: more than 366 days before compare_to' ],
    [ 'survey=s1&from=1970-01-01&to=1970-01-02&compare=previous',
      'compare: the previous period would begin before 1970-01-01' ],
    [ 'report=touchpoints&compare=previous', 'compare: not with report' ],
    [ 'report=followups&survey=s1&compare_from=2024-01-01&compare_to=2024-01-02',
      'compare_from: not with report' ],
    [ 'report=surveys&compare=previous', 'compare: not with report=surveys' ],
    (map { [ "survey=s1&margin=$_", 'margin: must be a number above 0 and at most 100' ] }
         '0', '0.0', '-1', 'abc', '1e3', '5.', '.5', '100.01', '5.00001', '', '%2B5', '5%20'),
    [ 'survey=s1&detect=200.5', 'detect: must be a number above 0 and at most 200' ],
    [ 'survey=s1&detect=0', 'detect: must be a number above 0 and at most 200' ],
    [ 'report=touchpoints&margin=5', 'margin: not with report' ],
    [ 'report=followups&detect=5', 'detect: not with report' ],
    [ 'survey=s1&foo=1', 'foo: unknown parameter' ],
    [ 'survey=s1&SURVEY=s1', 'SURVEY: unknown parameter' ],
    [ 'survey=s1&=1', 'a parameter without a name' ],
    [ ('x' x 100) . '=1', ('x' x 64) . ': unknown parameter' ],
    # what the error message echoes is escaped as JSON (RFC 8259)
    [ 'a%22b%5C%01%7F=1', 'a\"b\\\\\u0001' . "\x7f" . ': unknown parameter' ],
    [ 'a%09b%0d%0a%08%0c=1', 'a\tb\r\n\b\f: unknown parameter' ],
    [ 'caf%C3%A9=1', "caf\xc3\xa9: unknown parameter" ],
    [ '%e2%80%a8%e2%80%a9=1', '\u2028\u2029: unknown parameter' ],
    # invalid UTF-8: one U+FFFD per maximal invalid subpart
    [ '%ff=1', '\ufffd: unknown parameter' ],
    [ '%c0%af=1', '\ufffd\ufffd: unknown parameter' ],
    [ '%ed%a0%80x=1', '\ufffd\ufffd\ufffdx: unknown parameter' ],
    [ '%e2%82=1', '\ufffd: unknown parameter' ],
    [ '%e2%82a=1', '\ufffda: unknown parameter' ],
    [ '%f4%90%80%80=1', '\ufffd\ufffd\ufffd\ufffd: unknown parameter' ],
    [ '%f0%9f%98%80=1', "\xf0\x9f\x98\x80: unknown parameter" ],
);
for my $c (@cases) {
    my $r = ::get("/cx/score?$c->[0]");
    is($r->{status}, 400, "'$c->[0]': 400");
    is($r->{body}, "{\"error\":\"$c->[1]\"}\n", "'$c->[0]': $c->[1]");
    is($r->{headers}{'content-type'}, 'application/json', "'$c->[0]': JSON");
    is($r->{headers}{'cache-control'}, 'no-store', "'$c->[0]': no-store");
}
ok(@cases >= 40, scalar(@cases) . ' cases');
is(redis()->info('commandstats')->{cmdstat_hgetall}, undef, 'no HGETALL for any of them');



=== TEST 2: what is accepted: "_" cache busters, empty pairs, escapes, a leap day, 366 days
--- check
::connected();
for my $q ('_=1700000000&survey=s1', 'survey=s1&&&', '&survey=s1&_=x',
           'survey=s%31', 'survey=s1&from=2024-02-29&to=2024-02-29',
           'survey=s1&from=2023-01-01&to=2024-01-01',
           'survey=s1&from=1970-01-01&to=1970-01-01',
           'report=touchpoints&by=day&from=2024-03-01&to=2024-03-02',
           'survey=s1&compare=previous', 'survey=s1&compare=previous&by=touchpoint',
           'survey=s1&compare_from=2023-01-01&compare_to=2024-01-01&from=2024-01-01&to=2024-01-31',
           'survey=s1&from=1970-01-02&to=1970-01-02&compare=previous',
           'survey=s1&margin=100&detect=200', 'survey=s1&margin=0.0001&detect=2.5') {
    my $r = ::get("/cx/score?$q");
    is($r->{status}, 200, "'$q': 200") or diag($r->{body});
}



=== TEST 3: other methods: 405 with Allow; HEAD: the headers of GET
--- check
::connected();
for my $m ('POST', 'PUT', 'DELETE', 'OPTIONS') {
    my $r = ::get('/cx/score?survey=s1', "Content-Length: 0\r\n", $m);
    is($r->{status}, 405, "$m: 405");
    is($r->{headers}{allow}, 'GET, HEAD', "$m: Allow");
    is($r->{body}, "{\"error\":\"method not allowed\"}\n", "$m: JSON error");
}
my $r = http_request("POST /cx/score HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                     . "Connection: close\r\n\r\nhello");
is($r->{status}, 405, 'POST with a body: 405');
$r = ::get('/cx/score?survey=s1&from=2024-03-01&to=2024-03-01', '', 'HEAD');
is($r->{status}, 200, 'HEAD: 200');
is($r->{headers}{'content-type'}, 'application/json', 'HEAD: JSON');
is($r->{body}, '', 'HEAD: no body');



=== TEST 4: cx_score_token: 401 without the bearer token, 200 with it; checked before the parameters
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
    cx_score_token s3cret-Token_0123456789;
}
--- check
wait_for(sub { ::get('/cx/score?survey=s1', "Authorization: Bearer s3cret-Token_0123456789\r\n")->{status} == 200 });
my $r = ::get('/cx/score?survey=s1');
is($r->{status}, 401, 'no token: 401');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'WWW-Authenticate: Bearer');
is($r->{body}, "{\"error\":\"bearer token required\"}\n", 'JSON error');
$r = ::get('/cx/score?bogus=1');
is($r->{status}, 401, 'bad parameters without a token: still 401');
$r = ::get('/cx/score?survey=s1', "Authorization: Basic dXNlcjpwYXNz\r\n");
is($r->{status}, 401, 'Basic: 401');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'Basic: WWW-Authenticate: Bearer');
$r = ::get('/cx/score?survey=s1', "Authorization: Bearer\r\n");
is($r->{headers}{'www-authenticate'}, 'Bearer', '"Bearer" alone: no token');
for my $bad ('s3cret-Token_012345678', 's3cret-Token_01234567890', 'S3cret-Token_0123456789', 'x') {
    $r = ::get('/cx/score?survey=s1', "Authorization: Bearer $bad\r\n");
    is($r->{status}, 401, "wrong token '$bad': 401");
    is($r->{headers}{'www-authenticate'}, 'Bearer error="invalid_token"', "'$bad': invalid_token");
    is($r->{body}, "{\"error\":\"invalid bearer token\"}\n", "'$bad': JSON error");
}
for my $good ('Bearer s3cret-Token_0123456789', 'bearer s3cret-Token_0123456789',
              'Bearer   s3cret-Token_0123456789  ') {
    $r = ::get('/cx/score?survey=s1', "Authorization: $good\r\n");
    is($r->{status}, 200, "'$good': 200");
}
$r = ::get('/cx/score?bogus=1', "Authorization: Bearer s3cret-Token_0123456789\r\n");
is($r->{status}, 400, 'with the token, bad parameters: 400');
--- error_log
cx: wrong bearer token



=== TEST 5: cx_score_token is inherited; allow/deny work as usual
--- config
cx_score_token s3cret-Token_0123456789;
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
}
location = /cx/denied {
    deny all;
    cx_score;
}
location = /cx/local {
    allow 127.0.0.1;
    deny all;
    cx_score;
}
--- check
wait_for(sub { ::get('/cx/score?survey=s1', "Authorization: Bearer s3cret-Token_0123456789\r\n")->{status} == 200 });
is(::get('/cx/score?survey=s1')->{status}, 401, 'inherited token');
is(::get('/cx/denied?survey=s1', "Authorization: Bearer s3cret-Token_0123456789\r\n")->{status}, 403, 'deny all: 403');
is(::get('/cx/local?survey=s1', "Authorization: Bearer s3cret-Token_0123456789\r\n")->{status}, 200, 'allow 127.0.0.1: 200');



=== TEST 6: Redis down: 503, and scores again once it is back
--- check
::connected();
redis_stop();
my $r;
ok(wait_for(sub { $r = ::get('/cx/score?survey=s1'); $r->{status} == 503 }), 'Redis stopped: 503');
is($r->{body}, "{\"error\":\"redis unavailable\"}\n", 'JSON error');
is($r->{headers}{'cache-control'}, 'no-store', 'not cached');
redis_start();
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 200 }, 15), 'Redis back: 200');
--- error_log eval
# not connected yet, or a query sent on a connection Redis had just closed
qr/cx score: (?:not connected to redis|redis connection lost)/



=== TEST 7: Redis asleep past cx_redis_timeout: 504, and the connection still works afterwards
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_redis_timeout 300ms;
--- check
::connected();
my $pid = fork;
if ($pid == 0) {
    my $s = Redis::Fast->new(server => "127.0.0.1:" . redis_port(), reconnect => 0);
    $s->debug('sleep', 1.5);
    POSIX::_exit(0);
}
sleep 0.2;
my $t0 = time;
my $r = ::get('/cx/score?survey=s1&from=2024-03-01&to=2024-03-01');
my $took = time - $t0;
is($r->{status}, 504, 'gateway timeout');
is($r->{body}, "{\"error\":\"redis timeout\"}\n", 'JSON error');
ok($took >= 0.25 && $took < 1.2, "after cx_redis_timeout (${took}s)");
waitpid $pid, 0;
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 200 }), 'then 200 again');
--- error_log
cx score: no reply from redis in 300ms (cx_redis_timeout)



=== TEST 8: Redis killed while a query waits: 503, and scores again once it is back
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_redis_timeout 5s;
--- check
::connected();
my $pid = fork;
if ($pid == 0) {
    my $s = Redis::Fast->new(server => "127.0.0.1:" . redis_port(), reconnect => 0);
    eval { $s->debug('sleep', 3) };
    POSIX::_exit(0);
}
sleep 0.2;
pipe my $rd, my $wr;
my $client = fork;
if ($client == 0) {
    close $rd;
    my $r = ::get('/cx/score?survey=s1&from=2024-03-01&to=2024-03-31&by=hour');
    print $wr "$r->{status} $r->{body}";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
sleep 0.3;
redis_stop('KILL');
my $got = do { local $/; <$rd> };
waitpid $client, 0;
waitpid $pid, 0;
is($got, qq{503 {"error":"redis unavailable"}\n}, 'the waiting request: 503');
redis_start();
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 200 }, 15), 'Redis back: 200');
--- error_log
cx score: redis connection lost



=== TEST 9: a hash of the wrong type: 502
--- check
::connected();
redis()->set('cx:localhost:sc:s1:20240301', 'not a hash');
my $r = ::get('/cx/score?survey=s1&from=2024-02-28&to=2024-03-02');
is($r->{status}, 502, 'bad gateway');
is($r->{body}, "{\"error\":\"redis error\"}\n", 'JSON error');
--- error_log
cx score: HGETALL failed: WRONGTYPE



=== TEST 10: a client that leaves before the answer: nothing breaks
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_redis_timeout 500ms;
--- check
::connected();
my $pid = fork;
if ($pid == 0) {
    my $s = Redis::Fast->new(server => "127.0.0.1:" . redis_port(), reconnect => 0);
    $s->debug('sleep', 1);
    POSIX::_exit(0);
}
sleep 0.2;
for (1 .. 5) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . server_port());
    print $s "GET /cx/score?survey=s1&from=2023-06-01&to=2024-03-01 HTTP/1.1\r\nHost: localhost\r\n\r\n";
    close $s;
}
waitpid $pid, 0;
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 200 }), 'still answering');



=== TEST 11: cx_score_token must be a real token
--- config
location = /cx/score {
    cx_score;
    cx_score_token short;
}
--- must_die
--- error_log eval
qr/invalid token in "cx_score_token": at least 16 of \[A-Za-z0-9-._~\+\/=\] in \S+:\d+/



=== TEST 12: cx_score_token: no spaces
--- config
location = /cx/score {
    cx_score;
    cx_score_token "0123456789abcdef 0123";
}
--- must_die
--- error_log eval
qr/invalid token in "cx_score_token"/



=== TEST 13: cx_score_token twice
--- config
location = /cx/score {
    cx_score;
    cx_score_token 0123456789abcdef0123;
    cx_score_token 0123456789abcdef0124;
}
--- must_die
--- error_log eval
qr/"cx_score_token" directive is duplicate in \S+:\d+/



=== TEST 14: cx_score needs cx_redis
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location = /cx/score {
    cx_score;
}
--- must_die
--- error_log eval
qr/"cx_score" in \S+nginx\.conf:\d+ needs "cx_redis"/



=== TEST 15: cx_score takes no arguments
--- config
location = /cx/score {
    cx_score on;
}
--- must_die
--- error_log eval
qr/invalid number of arguments in "cx_score" directive in \S+:\d+/
