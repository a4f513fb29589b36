# When the module injects and when it leaves a response alone: only 200
# responses of the configured types to GET, main requests only; never
# HEAD bodies, ranges, 304, errors, encoded bodies or subrequests.

use lib 't/lib';
use Test::CX;
use IO::Compress::Gzip qw(gzip);
use IO::Uncompress::Gunzip qw(gunzip);

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';
our $PAGE = "<html><body><p>" . ("hello world " x 100) . "</p></body></html>\n";
our $GZ;
gzip(\$PAGE => \$GZ);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', "location / {\n    cx_survey s1 type=nps;\n}\n")
        unless defined $block->config;
    $block->set_value('user_files', [[ 'index.html', $PAGE ],
                                     [ 'page.html.gz', $GZ ]])
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: GET of a static page is injected
--- request
GET /
--- response_body_like eval
"$::TAG</body>"



=== TEST 2: HEAD: no body, and the headers an injected GET would get
--- request
HEAD /
--- response_headers
!Content-Length
!Last-Modified
!Accept-Ranges
--- response_headers_like
ETag: ^W/
--- response_body eval
""



=== TEST 3: a Range request gets the original bytes as 206
--- request
GET /
--- more_headers
Range: bytes=0-12
--- error_code: 206
--- response_body eval
"<html><body><"
--- response_headers
Content-Length: 13
--- error_log
cx skip: range request



=== TEST 4: a conditional GET answered 304 is left alone
--- config
location / {
    cx_survey s1 type=nps;
    if_modified_since before;
}
--- request
GET /
--- more_headers
If-Modified-Since: Thu, 31 Dec 2099 23:59:59 GMT
--- error_code: 304
--- response_body eval
""
--- no_error_log
cx inject:



=== TEST 5: a 304 to an If-None-Match with the weak ETag the page was given
--- request
GET /
--- check
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my $etag = $r->{headers}{etag};
like($etag, qr{^W/"}, "injected page has a weak ETag");
my $r2 = http_request("GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: $etag\r\nConnection: close\r\n\r\n");
is($r2->{status}, 304, "revalidation with the weak ETag gives 304");



=== TEST 6: 404 error pages are left alone
--- request
GET /missing.html
--- error_code: 404
--- response_body_unlike eval
"data-cx-survey"



=== TEST 7: other statuses (return 403 with an HTML body) are left alone
--- config
location / {
    cx_survey s1 type=nps;
    default_type text/html;
    return 403 "<body>forbidden</body>";
}
--- request
GET /
--- error_code: 403
--- response_body eval
"<body>forbidden</body>"



=== TEST 8: a 200 from return is injected
--- config
location / {
    cx_survey s1 type=nps;
    default_type text/html;
    return 200 "<body>ok</body>";
}
--- request
GET /
--- response_body_like eval
"^<body>ok$::TAG</body>\\z"



=== TEST 9: POST is never injected
--- config
location / {
    cx_survey s1 type=nps;
    default_type text/html;
    return 200 "<body>ok</body>";
}
--- request
POST /
a=1
--- response_body eval
"<body>ok</body>"



=== TEST 10: non-HTML types are left alone
--- user_files eval
[[ 'style.css', "body { x: '</body>' }" ], [ 'app.js', "x='</body>'" ]]
--- request eval
["GET /style.css", "GET /app.js"]
--- response_body eval
["body { x: '</body>' }", "x='</body>'"]



=== TEST 11: an upstream's zstd body is skipped and counted (gzip, deflate, br: t/016)
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
}
--- request
GET /split/100000/page.html.gz?enc=zstd
--- more_headers
Accept-Encoding: gzip, br
--- response_headers
Content-Encoding: zstd
--- check
my $r = http_request("GET /split/100000/page.html.gz?enc=zstd HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, br\r\nConnection: close\r\n\r\n");
ok($r->{body} eq $::GZ, "encoded body passed through byte for byte");
--- error_log
cx skip: encoded response "zstd"



=== TEST 12: with gzip on, nginx compresses the injected page
--- http_config
cx_secret 0123456789abcdef0123;
gzip on;
gzip_min_length 10;
--- request
GET /
--- more_headers
Accept-Encoding: gzip
--- response_headers
Content-Encoding: gzip
--- check
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
my $plain;
IO::Uncompress::Gunzip::gunzip(\$r->{body} => \$plain);
like($plain, qr{^<html><body><p>(hello world ){100}</p>$::TAG</body></html>\n\z}, "decompressed page has the tag");



=== TEST 13: a proxied page, with Content-Length from the upstream
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
}
--- request
GET /split/100000/index.html
--- response_headers
!Content-Length
--- response_body_like eval
"$::TAG</body></html>\n\\z"



=== TEST 14: SSI: the main page gets one tag, subrequests none
--- config
location / {
    ssi on;
    cx_survey s1 type=nps;
}
--- user_files eval
[[ 'main.html', '<html><body><!--# include virtual="/part.html" --><p>main</p></body></html>' ],
 [ 'part.html', '<div>part</div></body>' ]]
--- request
GET /main.html
--- response_body_like eval
"^<html><body><div>part</div></body><p>main</p>$::TAG</body></html>\\z"



=== TEST 15: a subrequest's own page is not injected (SSI include of a surveyed location)
--- config
location / {
    ssi on;
}
location /surveyed/ {
    cx_survey s1 type=nps;
}
--- user_files eval
[[ 'main.html', '<html><body><!--# include virtual="/surveyed/part.html" --></body></html>' ],
 [ 'surveyed/part.html', '<div>part</div></body>' ]]
--- request
GET /main.html
--- response_body eval
'<html><body><div>part</div></body></body></html>'



=== TEST 16: cx_inject off in a location inside a surveyed server
--- config
cx_survey s1 type=nps;
location /plain/ {
    cx_inject off;
}
--- user_files eval
[[ 'plain/index.html', '<body></body>' ]]
--- request
GET /plain/
--- response_body eval
'<body></body>'



=== TEST 17: an internal redirect to a surveyed location is injected once
--- config
location / {
    cx_survey s1 type=nps;
    error_page 404 = /index.html;
}
--- request
GET /nowhere
--- check
my $r = http_request("GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my @n = $r->{body} =~ /data-cx-token/g;
is(scalar @n, 1, "one tag after the internal redirect");
