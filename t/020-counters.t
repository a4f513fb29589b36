# Counting into Redis: page views, impressions and backend signals become
# exact Redis counters, flushed in batches, whatever Redis does.

use lib 't/lib';
use Test::CX;

our $DAY = today();

sub tp_count {
    my ($field, $site) = @_;
    $site //= 'localhost';
    return redis()->hget("cx:$site:tp:$DAY", $field) // 0;
}

sub hourly_sum {
    my ($key, $field) = @_;
    my %h = redis()->hgetall($key);
    my $sum = 0;
    $sum += $h{$_} for grep { /^\Q$field\E:\d\d$/ } keys %h;
    return $sum;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
EOF

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

=== TEST 1: exact counts after 300 page views over 2 workers
--- workers: 2
--- redis
--- request
GET /
--- check
my $st = get_many('/', 299);
is($st->{200}, 299, "all pages served");
ok(wait_for(sub { ::tp_count('home:view') == 300 }), "300 views in Redis")
    or diag(::tp_count('home:view'));
is(::hourly_sum("cx:localhost:tph:$::DAY", 'home:view'), 300, "300 by hour");
my @keys = sort grep { !/:batch:/ } redis()->keys('cx:*');
my $month = substr($::DAY, 0, 6);
is_deeply(\@keys, ["cx:localhost:tp:$month", "cx:localhost:tp:$::DAY",
                   "cx:localhost:tph:$month", "cx:localhost:tph:$::DAY"],
          "no other keys than the day hashes and their month rollups");
is(redis()->hget("cx:localhost:tp:$month", 'home:view'), 300, "300 in the month");



=== TEST 2: backend signals are counted and stripped from the response
--- redis
--- config
location /up {
    add_header X-CX-Event "signup, newsletter,Bad_Name, view";
    add_header X-CX-Touchpoint checkout;
    return 200 "<body>ok</body>";
}
location /page {
    cx_touchpoint landing;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
}
--- request
GET /page
--- response_headers
!X-CX-Event
!X-CX-Touchpoint
--- check
ok(wait_for(sub { ::tp_count('checkout:signup') == 1 }), "signal counted");
is(::tp_count('checkout:newsletter'), 1, "second signal counted");
is(::tp_count('checkout:view'), 1, "X-CX-Touchpoint names the touchpoint");
is(::tp_count('landing:view'), 0, "and replaces cx_touchpoint");
is(scalar(grep { /Bad_Name|:view$/ && !/checkout:view/ } redis()->hkeys("cx:localhost:tp:$::DAY")), 0,
   "invalid and reserved names are not counted");
--- error_log
X-CX-Event "Bad_Name" is not a valid event name, ignored
X-CX-Event "view" is not a valid event name, ignored



=== TEST 3: an injected survey counts as triggered, per touchpoint and per survey
--- redis
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;
}
--- request eval
[ ("GET /") x 5 ]
--- check
ok(wait_for(sub { ::tp_count('home:triggered') == 5 }), "5 triggered");
is(redis()->hget("cx:localhost:sv:s1:$::DAY", 'home:triggered'), 5, "5 for survey s1");
is(::hourly_sum("cx:localhost:svh:s1:$::DAY", 'home:triggered'), 5, "5 by hour");
is(::tp_count('home:view'), 5, "5 views");



=== TEST 4: only 2xx and 304 answers to GET/POST are page views
--- redis
--- config
location / {
    cx_touchpoint home;
    if_modified_since before;
}
--- request eval
[ "GET /", "HEAD /", "GET /missing", "POST /" ]
--- error_code eval
[ 200, 200, 404, 405 ]
--- check
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Thu, 31 Dec 2099 23:59:59 GMT\r\nConnection: close\r\n\r\n");
is($r->{status}, 304, "a revalidation");
ok(wait_for(sub { ::tp_count('home:view') == 2 }), "GET 200 and 304 counted, not HEAD, 404, 405")
    or diag(::tp_count('home:view'));



=== TEST 5: Redis unreachable at start: pages are served, counts arrive later
--- init
redis()->flushall;
redis_stop();
--- request eval
[ ("GET /") x 20 ]
--- check
sleep 0.5;
redis_start();
ok(wait_for(sub { ::tp_count('home:view') == 20 }, 10), "20 views once Redis is up")
    or diag(::tp_count('home:view'));
--- error_log eval
qr/cx redis: connect to 127\.0\.0\.1:\d+ failed: Connection refused/



=== TEST 6: Redis killed and restarted mid-traffic: totals exact
--- redis
--- request
GET /
--- check
get_many('/', 99);
ok(wait_for(sub { ::tp_count('home:view') == 100 }), "first 100");
get_many('/', 50);
redis_stop('KILL');
my $st = get_many('/', 50);
is($st->{200}, 50, "pages served while Redis is dead");
redis_start();
ok(wait_for(sub { ::tp_count('home:view') == 200 }, 15), "all 200 after restart")
    or diag(::tp_count('home:view'));
--- error_log eval
qr/cx redis: connection to 127\.0\.0\.1:\d+ lost|cx redis: connect to 127\.0\.0\.1:\d+ failed/



=== TEST 7: a reply lost after Redis applied the batch: no double count
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PROXY_PORT;
cx_flush_interval 100ms;
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count('home:view') == 1 }), "first view through the proxy");
cut_next_reply();
get_many('/', 10);
ok(wait_for(sub { ::tp_count('home:view') >= 11 }), "views arrive");
sleep 1;
is(::tp_count('home:view'), 11, "exactly 11 after the lost reply and the retry");
--- error_log eval
[ qr/cx redis: connection to 127\.0\.0\.1:\d+ lost/,
  qr/cx redis: batch \d+ was already applied/ ]



=== TEST 8: wrong password: a clear error, pages still served
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT password=wrong;
cx_flush_interval 100ms;
--- init
redis_stop();
redis_start(requirepass => 'right-password');
--- request
GET /
--- check
sleep 0.5;
like(Test::CX::block_log(), qr/cx redis: AUTH to 127\.0\.0\.1:\d+ failed: WRONGPASS/,
     'the retries keep saying why');
redis_stop();
redis_start();



=== TEST 9: password, database and prefix
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT password=right-password db=3 prefix=acme;
cx_flush_interval 100ms;
--- init
redis()->flushall;
redis_stop();
redis_start(requirepass => 'right-password');
--- request eval
[ ("GET /") x 3 ]
--- check
my $r = Redis::Fast->new(server => "127.0.0.1:" . redis_port(), password => 'right-password');
$r->select(3);
ok(wait_for(sub { ($r->hget("acme:localhost:tp:$::DAY", 'home:view') // 0) == 3 }), "3 views in db 3 under acme:");
$r->select(0);
is(scalar($r->keys('*')), 0, "nothing in db 0");
redis_stop();
redis_start();



=== TEST 10: Redis asleep (DEBUG SLEEP): pages do not wait for it
--- redis
--- request
GET /
--- check
my $pid = fork;
if ($pid == 0) {
    my $r = Redis::Fast->new(server => "127.0.0.1:" . redis_port(), reconnect => 0);
    $r->debug('sleep', 3);
    POSIX::_exit(0);
}
sleep 0.3;
my $st = get_many('/', 30);
is($st->{200}, 30, "30 pages served");
is(waitpid($pid, POSIX::WNOHANG()), 0, "... while Redis was still asleep");
waitpid $pid, 0;
ok(wait_for(sub { ::tp_count('home:view') == 31 }, 10), "all counted afterwards")
    or diag(::tp_count('home:view'));



=== TEST 11: nginx -s reload during traffic: totals exact
--- workers: 2
--- redis
--- request
GET /
--- check
pipe my $rd, my $wr;
my $pid = fork;
if ($pid == 0) {
    close $rd;
    my $st = get_many('/', 600);
    print $wr ($st->{200} // 0), "\n";
    close $wr;
    POSIX::_exit(0);
}
close $wr;
for (1 .. 3) { sleep 0.3; nginx_reload(); }
my $ok = <$rd>;
waitpid $pid, 0;
chomp $ok;
is($ok, 600, "600 pages served across 3 reloads");
ok(wait_for(sub { ::tp_count('home:view') == 601 }, 10), "601 views counted")
    or diag(::tp_count('home:view'));



=== TEST 12: graceful quit flushes what is left
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 1h;
--- redis
--- request eval
[ ("GET /") x 25 ]
--- check
is(::tp_count('home:view'), 0, "nothing flushed yet");
Test::CX::nginx_stop();
ok(wait_for(sub { ::tp_count('home:view') == 25 }), "25 flushed on quit")
    or diag(::tp_count('home:view'));



=== TEST 12a: a request still running when the worker quits is counted too
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 1h;
--- config
location / {
    cx_touchpoint $arg_tp;
}
location = /slow {
    cx_touchpoint slow;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/4096/index.html?wait=1.5;
}
--- redis
--- request
GET /?tp=first
--- check
my $pid = fork;
if ($pid == 0) {
    my $r = http_request("GET /slow HTTP/1.1\r\nHost: localhost\r\n"
                         . "Connection: close\r\n\r\n");
    POSIX::_exit(($r->{status} // 0) == 200 ? 0 : 1);
}
sleep 0.5;
nginx_reload();
ok(wait_for(sub { ::tp_count('first:view') == 1 }), "counted before the reload, flushed on quit");
waitpid $pid, 0;
is($?, 0, "the slow page was served by the quitting worker");
ok(wait_for(sub { ::tp_count('slow:view') == 1 }),
   "the page that finished after the last flush is counted")
    or diag(::tp_count('slow:view'));
--- no_error_log
counts not flushed at exit



=== TEST 13: past cx_buffer, new counters are dropped, counted and logged
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
cx_buffer 10;
--- config
location / {
    cx_touchpoint $arg_tp;
}
location = /cx/metrics {
    cx_metrics;
}
--- init
redis_stop();
--- request
GET /?tp=a
--- check
get_many("/?tp=t$_", 1) for 1 .. 20;
sleep 0.3;
ok(metric('cx_counts_dropped_total') >= 20, "drops in the metric: " . metric('cx_counts_dropped_total'));
redis_start();
--- error_log eval
qr/cx redis: \d+ counts dropped: 10 distinct counters are waiting for 127\.0\.0\.1:\d+ \(cx_buffer\)/



=== TEST 14: keys expire after cx_retention
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
cx_retention 2d;
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count('home:view') == 1 }), "counted");
my $ttl = redis()->ttl("cx:localhost:tp:$::DAY");
ok($ttl > 172000 && $ttl <= 172800, "TTL is 2 days ($ttl)");



=== TEST 15: cx_retention 0 keeps keys forever
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
cx_retention 0;
--- redis
--- request
GET /
--- check
ok(wait_for(sub { ::tp_count('home:view') == 1 }), "counted");
is(redis()->ttl("cx:localhost:tp:$::DAY"), -1, "no TTL");



=== TEST 16: cx_site names the key space; the default is the first server_name
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name Shop.Example.COM www.shop.example.com;
    root $TEST_NGINX_HTML_DIR;
    location / { cx_touchpoint home; }
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name blog.example.com;
    cx_site blog;
    root $TEST_NGINX_HTML_DIR;
    location / { cx_touchpoint home; }
}
--- redis
--- request
GET /
--- check
http_request("GET / HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n");
http_request("GET / HTTP/1.1\r\nHost: blog.example.com\r\nConnection: close\r\n\r\n");
ok(wait_for(sub { ::tp_count('home:view', 'shop.example.com') == 1 }), "site from server_name, lower-cased");
ok(wait_for(sub { ::tp_count('home:view', 'blog') == 1 }), "site from cx_site");
ok(wait_for(sub { ::tp_count('home:view', 'localhost') == 1 }), "the default server");



=== TEST 17: cx_metrics speaks Prometheus text
--- redis
--- request eval
[ "GET /", "GET /cx/metrics", "POST /cx/metrics" ]
--- error_code eval
[ 200, 200, 405 ]
--- response_headers_like eval
[ "", "Content-Type: ^text/plain; version=0.0.4", "" ]
--- response_body_like eval
[ "hi", '# TYPE cx_counts_total counter\ncx_counts_total \d+\n.*# TYPE cx_redis_connected gauge\ncx_redis_connected \d+\n.*cx_flush_latency_seconds_bucket\{le="0\.001"\} \d+\n.*cx_flush_latency_seconds_count \d+\n', "" ]
--- check
ok(wait_for(sub { metric('cx_redis_connected') == 1 }), 'the worker is connected');



=== TEST 18: bad arguments fail nginx -t
--- http_config
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT colour=red;
--- must_die
--- error_log eval
qr/invalid parameter "colour=red" in "cx_redis": expected tls, user=name, password=\.\.\., db=0\.\.65535 or prefix=name in \S+:\d+/



=== TEST 19: an unresolvable Redis host fails nginx -t
--- http_config
cx_redis redis.invalid:6379;
--- must_die
--- error_log eval
qr/invalid address "redis.invalid:6379" in "cx_redis": host not found in \S+:\d+/



=== TEST 20: cx_retention, cx_site, cx_flush_interval and db= are checked
--- http_config
cx_redis 127.0.0.1:1 db=99999;
--- must_die
--- error_log eval
qr/invalid parameter "db=99999" in "cx_redis"/



=== TEST 21: cx_retention must be whole days
--- http_config
cx_retention 36h;
--- must_die
--- error_log eval
qr/invalid value "36h" in "cx_retention": a number of days, e.g. 400d, or 0 to keep keys forever in \S+:\d+/



=== TEST 22: cx_site must be a name
--- http_config
cx_site "My Site";
--- must_die
--- error_log eval
qr/invalid site "My Site" in "cx_site": a name is 1-64 of \[a-z0-9_.-\] in \S+:\d+/



=== TEST 23: cx_flush_interval 0 is refused
--- http_config
cx_flush_interval 0;
--- must_die
--- error_log eval
qr/"cx_flush_interval" and "cx_buffer" must be more than 0/



=== TEST 24: counts still flow with Debian's nchan (its own hiredis) loaded first
--- main_config
load_module $TEST_NGINX_MODULE_DIR/ngx_nchan_module.so;
--- redis
--- request eval
[ ("GET /") x 7 ]
--- check
ok(wait_for(sub { ::tp_count('home:view') == 7 }), "7 views counted")
    or diag(::tp_count('home:view'));



=== TEST 25: the module's own endpoints are not page views, nor injected
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
cx_inject_types *;
--- config
cx_touchpoint everywhere;
cx_survey s1 type=nps;
location / {
}
location = /cx/metrics {
    cx_metrics;
}
--- redis
--- request eval
[ "GET /", "GET /cx/metrics", "GET /cx/metrics" ]
--- response_body_unlike eval
[ "^\\z", "data-cx-survey", "data-cx-survey" ]
--- check
ok(wait_for(sub { ::tp_count('everywhere:view') == 1 }), "one page view, not three")
    or diag(::tp_count('everywhere:view'));
sleep 0.3;
is(::tp_count('everywhere:view'), 1, "still one");



=== TEST 26: the first failed connect is an error even at "error_log ... error"
--- log_level: error
--- init
redis()->flushall;
redis_stop();
--- request
GET /
--- wait: 0.3
--- check
redis_start();
--- error_log eval
qr/\[error\] .*cx redis: connect to 127\.0\.0\.1:\d+ failed: Connection refused/
