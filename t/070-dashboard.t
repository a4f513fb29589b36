# cx_dashboard: the marketers' page built into the module (dashboard/),
# served from memory by one location -- the page, its script (?js) and
# its stylesheet (?css) byte for byte, strong ETags, revalidated on every
# use, 304 to If-None-Match, a strict Content-Security-Policy on the
# page, HEAD, 405 for other methods; score=URI names the endpoint the
# page reads, and only a path on this site is accepted.  The browser
# half is t/071-dashboard-browser.t.

use lib 't/lib';
use Test::CX;
use FindBin;
use Digest::MD5 qw(md5_hex);

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', "$FindBin::Bin/../$f" or die "$f: $!";
    local $/;
    return <$fh>;
}

our $HTML = slurp('dashboard/index.html');
our $JS = slurp('dashboard/dashboard.js');
our $CSS = slurp('dashboard/dashboard.css');

our $CSP = "default-src 'none'; script-src 'self'; style-src 'self'; "
         . "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
         . "form-action 'self'; frame-ancestors 'none'";

# the page as served for a score endpoint
sub page {
    my ($score) = @_;
    (my $p = $::HTML) =~ s/\@CX_SCORE\@/$score/;
    return $p;
}

sub etag {
    return '"cx-dash-' . substr(md5_hex($_[0]), 0, 16) . '"';
}

sub get {
    my ($uri, $headers, $method) = @_;
    return http_request(($method // 'GET') . " $uri HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('config', <<'EOF') unless defined $block->config;
location = /cx/dashboard {
    cx_dashboard;
}
location /admin/ {
    cx_dashboard score=/api/cx/score;
}
EOF
});

run_tests();

__DATA__

=== TEST 1: the page: HTML with the scores endpoint in it, revalidated every time, a strict CSP
--- request
GET /cx/dashboard
--- response_headers eval
"Content-Type: text/html; charset=utf-8
Content-Length: " . length(::page('/cx/score')) . "
Cache-Control: no-cache
ETag: " . ::etag(::page('/cx/score')) . "
X-Content-Type-Options: nosniff
Content-Security-Policy: $::CSP
Referrer-Policy: no-referrer
!Last-Modified
!Content-Encoding"
--- response_body eval
::page('/cx/score')



=== TEST 2: what the page is made of: its own script and stylesheet, no inline code or style, nothing from elsewhere
--- check
my $r = ::get('/cx/dashboard');
my $b = $r->{body};
like($b, qr/<body data-cx-score="\/cx\/score">/, 'the scores endpoint on <body>');
like($b, qr/<script src="\?js" defer><\/script>/, 'the script: ?js of the same URL');
like($b, qr/<link rel="stylesheet" href="\?css">/, 'the stylesheet: ?css of the same URL');
is(scalar(() = $b =~ /<script\b/g), 1, 'one <script>, and it has a src');
unlike($b, qr/<style\b/i, 'no <style>');
unlike($b, qr/\sstyle=/i, 'no style attributes');
unlike($b, qr/\son[a-z]+=/i, 'no inline event handlers');
unlike($b, qr{(src|href|action)="(https?:)?//}i, 'nothing loaded from another host');
unlike($b, qr/\@CX_SCORE\@/, 'no mark left');
unlike($::JS, qr{https?://(?!www\.w3\.org/2000/svg)}, 'the script names no other host');
unlike($::JS, qr/\.innerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
       'the script never parses HTML or code');
unlike($::CSS, qr/\@import|url\(\s*["']?(https?:)?\/\//i, 'the stylesheet loads nothing');



=== TEST 3: ?js and ?css: the script and the stylesheet, byte for byte
--- request eval
["GET /cx/dashboard?js", "GET /cx/dashboard?css", "GET /admin/?js"]
--- response_headers eval
["Content-Type: text/javascript; charset=utf-8
Content-Length: " . length($::JS) . "
Cache-Control: no-cache
ETag: " . ::etag($::JS) . "
X-Content-Type-Options: nosniff
!Content-Security-Policy",
"Content-Type: text/css; charset=utf-8
Content-Length: " . length($::CSS) . "
Cache-Control: no-cache
ETag: " . ::etag($::CSS) . "
X-Content-Type-Options: nosniff",
"Content-Type: text/javascript; charset=utf-8
ETag: " . ::etag($::JS)]
--- response_body eval
[$::JS, $::CSS, $::JS]



=== TEST 4: any other query is the page; so is any URI of a prefix location
--- check
for my $uri ('/cx/dashboard?JS', '/cx/dashboard?js=1', '/cx/dashboard?css&x',
             '/cx/dashboard?survey=s1', '/admin/', '/admin/anything?js=2') {
    my $r = ::get($uri);
    is($r->{status}, 200, "$uri: 200");
    is($r->{headers}{'content-type'}, 'text/html; charset=utf-8', "$uri: the page");
}



=== TEST 5: 304 to If-None-Match, for each of the three
--- check
for my $c (['/cx/dashboard', ::page('/cx/score')], ['/cx/dashboard?js', $::JS],
           ['/cx/dashboard?css', $::CSS]) {
    my ($uri, $body) = @$c;
    my $r = ::get($uri, 'If-None-Match: ' . ::etag($body) . "\r\n");
    is($r->{status}, 304, "$uri: 304 Not Modified");
    is($r->{body}, '', "$uri: no body");
    is($r->{headers}{etag}, ::etag($body), "$uri: the same ETag");
    $r = ::get($uri, "If-None-Match: \"cx-dash-0000000000000000\"\r\n");
    is($r->{status}, 200, "$uri: another ETag: 200");
}



=== TEST 6: HEAD: the headers of GET; other methods: 405 with Allow
--- check
my $r = ::get('/cx/dashboard', '', 'HEAD');
is($r->{status}, 200, 'HEAD: 200');
is($r->{headers}{'content-length'}, length(::page('/cx/score')), 'HEAD: the length of GET');
is($r->{body}, '', 'HEAD: no body');
for my $m ('POST', 'PUT', 'DELETE', 'OPTIONS') {
    $r = ::get('/cx/dashboard?js', "Content-Length: 0\r\n", $m);
    is($r->{status}, 405, "$m: 405");
    is($r->{headers}{allow}, 'GET, HEAD', "$m: Allow: GET, HEAD");
}
$r = http_request("POST /cx/dashboard HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                  . "Connection: close\r\n\r\nhello");
is($r->{status}, 405, 'POST with a body: 405');



=== TEST 7: score=URI: each location's page names its endpoint (and has its own ETag)
--- config
location = /cx/dashboard {
    cx_dashboard score=/api/cx/score;
}
location = /b/dashboard {
    cx_dashboard score=../cx/score;
}
location = /c/dashboard {
    cx_dashboard score=/a%20b/~x_y.z-1;
}
--- request eval
["GET /cx/dashboard", "GET /b/dashboard", "GET /c/dashboard"]
--- response_headers eval
["ETag: " . ::etag(::page('/api/cx/score')),
 "ETag: " . ::etag(::page('../cx/score')),
 "ETag: " . ::etag(::page('/a%20b/~x_y.z-1'))]
--- response_body eval
[::page('/api/cx/score'), ::page('../cx/score'), ::page('/a%20b/~x_y.z-1')]



=== TEST 8: "expires" replaces the Cache-Control; gzip compresses the script where configured
--- config
location = /cx/dashboard {
    cx_dashboard;
    expires 1h;
    gzip on;
    gzip_types text/javascript text/css;
    gzip_min_length 1;
}
--- check
my $r = ::get('/cx/dashboard?js');
like($r->{headers}{'cache-control'}, qr/^max-age=3600$/, 'expires: Cache-Control: max-age=3600');
is(scalar(() = $r->{header_text} =~ /^Cache-Control:/mgi), 1, 'one Cache-Control');
$r = ::get('/cx/dashboard?js', "Accept-Encoding: gzip\r\n");
is($r->{headers}{'content-encoding'}, 'gzip', 'gzip on: the script is compressed');



=== TEST 9: an endpoint of the module: never injected nor counted, in a location with a survey; no Redis needed
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;

    location = /cx/dashboard {
        cx_dashboard;
    }
}
--- user_files
>>> index.html
<html><body>home</body></html>
--- redis
--- check
my $r = ::get('/cx/dashboard');
is($r->{body}, ::page('/cx/score'), 'the page as built: no survey tag');
::get('/cx/dashboard?js');
::get('/cx/dashboard?css');
like(::get('/')->{body}, qr/data-cx-survey="s1"/, 'while the location\'s pages get one');
ok(wait_for(sub { redis()->hget('cx:localhost:tp:' . today(), 'home:view') }, 15),
   'a page of the location is counted');
sleep 0.2;
my %tp = redis()->hgetall('cx:localhost:tp:' . today());
is_deeply(\%tp, { 'home:view' => 1, 'home:triggered' => 1 },
          'the dashboard is not: one view, of the page');
redis_stop();
$r = ::get('/cx/dashboard?css');
is($r->{status}, 200, 'Redis down: 200');
redis_start();



=== TEST 10: score= must be a path on this site
--- config
location = /cx/dashboard {
    cx_dashboard score=https://evil.example/cx/score;
}
--- must_die
--- error_log eval
qr/invalid "score=https:\/\/evil\.example\/cx\/score" in "cx_dashboard": the scores endpoint is a path on this site .* in \S+nginx\.conf:\d+/



=== TEST 11: score= with another host and no scheme
--- config
location = /cx/dashboard {
    cx_dashboard score=//evil.example/cx/score;
}
--- must_die
--- error_log eval
qr/invalid "score=\/\/evil\.example\/cx\/score" in "cx_dashboard"/



=== TEST 12: score= with a quote
--- config
location = /a {
    cx_dashboard "score=/a\"><script>";
}
--- must_die
--- error_log eval
qr/invalid "score=\/a"><script>" in "cx_dashboard"/



=== TEST 13: score= with a query
--- config
location = /b {
    cx_dashboard score=/cx/score?x=1;
}
--- must_die
--- error_log eval
qr/invalid "score=\/cx\/score\?x=1" in "cx_dashboard"/



=== TEST 14: score= empty
--- config
location = /b {
    cx_dashboard score=;
}
--- must_die
--- error_log eval
qr/invalid parameter "score=" in "cx_dashboard": expected score=URI in \S+nginx\.conf:\d+/



=== TEST 15: another parameter
--- config
location = /b {
    cx_dashboard token=abc;
}
--- must_die
--- error_log eval
qr/invalid parameter "token=abc" in "cx_dashboard": expected score=URI/



=== TEST 16: twice in a location
--- config
location = /b {
    cx_dashboard;
    cx_dashboard;
}
--- must_die
--- error_log eval
qr/"cx_dashboard" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 17: at server level
--- config
cx_dashboard;
--- must_die
--- error_log eval
qr/"cx_dashboard" directive is not allowed here in \S+nginx\.conf:\d+/



=== TEST 18: two arguments
--- config
location = /b {
    cx_dashboard score=/a score=/b;
}
--- must_die
--- error_log eval
qr/invalid number of arguments in "cx_dashboard" directive in \S+nginx\.conf:\d+/



=== TEST 19: survey titles: title= is what report=surveys names a survey (as text); none without one
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- redis
--- config
location / {
    cx_survey s1 type=nps "title=Post-purchase NPS <b>\"&\"</b>";
    cx_survey s2 type=csat "question=Fine?";
}
location = /cx/score {
    cx_score;
}
--- request
GET /cx/score?report=surveys
--- response_body_like eval
qr/\{"id":"s1","type":"nps","question":null,"title":"Post-purchase NPS <b>\\"&\\"<\/b>",.*\{"id":"s2","type":"csat","question":"Fine\?","scale"/



=== TEST 20: survey titles: an empty title
--- config
location / {
    cx_survey s1 type=nps title=;
}
--- must_die
--- error_log eval
qr/invalid "title=" in "cx_survey": a title is 1-128 bytes of UTF-8 text in \S+nginx\.conf:\d+/



=== TEST 21: survey titles: one longer than 128 bytes
--- config eval
"location / {\n    cx_survey s1 type=nps \"title=" . ('x' x 129) . "\";\n}\n"
--- must_die
--- error_log eval
qr/invalid "title=x{129}" in "cx_survey": a title is 1-128 bytes/



=== TEST 22: survey titles: not UTF-8
--- config eval
"location / {\n    cx_survey s1 type=nps \"title=caf\xe9\";\n}\n"
--- must_die
--- error_log eval
qr/invalid "title=caf\S*" in "cx_survey": a title is 1-128 bytes of UTF-8 text/
