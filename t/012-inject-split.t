# Streaming: the page reaches the filter in pieces split anywhere -- in
# the middle of "</body>", of a fake one, of a comment -- and the tag still
# lands before the real </body>, every other byte unchanged, nothing held
# but a few bytes.

use lib 't/lib';
use Test::CX;

our $PAGE = '<!DOCTYPE html><html><head><title>t</title></head><body>'
          . '<script>var s="</body>";</script><!-- </body> -->'
          . '<p>a < b</p></BODY ><p>after</p></html>';

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';

(our $EXPECTED = quotemeta $PAGE) =~ s/(?=\\<\\\/BODY)/$TAG/;
$EXPECTED = "^$EXPECTED\\z";

# every way to cut the page in two, and every byte of the marker alone

sub echo_arg { my $s = shift; $s =~ s/(['\\])/\\$1/g; "-- '$s'" }

our $ECHO_CONFIG = join '', map {
    "location = /cut/$_ { default_type text/html; cx_survey s1 type=nps; "
    . "echo -n " . echo_arg(substr $PAGE, 0, $_) . "; "
    . "echo -n " . echo_arg(substr $PAGE, $_) . "; }\n"
} 1 .. length($PAGE) - 1;

our $BYTES_CONFIG = "location = /bytes { default_type text/html; "
    . "cx_survey s1 type=nps; "
    . join(' ', map { "echo -n " . echo_arg($_) . ";" } split //, $PAGE)
    . " }\n";

our $BIG = join '', '<!DOCTYPE html><html><head><title>big</title></head><body>',
    map({ "<article id=\"a$_\"><h2>Section $_</h2><p>" . ('lorem ipsum </bod ' x 40)
          . "</p><script>if (x < 1) y = '</body>';</script></article>\n" } 1 .. 6500),
    '</body></html>';

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: cut in two at every position (echo module, deterministic)
--- main_config
load_module $TEST_NGINX_MODULE_DIR/ngx_http_echo_module.so;
--- config eval: $::ECHO_CONFIG
--- request eval
[ map { "GET /cut/$_" } 1 .. length($::PAGE) - 1 ]
--- response_body_like eval
[ ($::EXPECTED) x (length($::PAGE) - 1) ]



=== TEST 2: one byte per buffer (echo module)
--- main_config
load_module $TEST_NGINX_MODULE_DIR/ngx_http_echo_module.so;
--- config eval: $::BYTES_CONFIG
--- request
GET /bytes
--- response_body_like eval: $::EXPECTED



=== TEST 3: an upstream sending 1, 2, 3 and 7 bytes at a time
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering off;
}
--- request eval
[ map { "GET /split/$_/page.html" } 1, 2, 3, 7 ]
--- response_body_like eval
[ ($::EXPECTED) x 4 ]



=== TEST 4: a chunked upstream sending 1, 2, 3 and 7 bytes per chunk
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering off;
    proxy_http_version 1.1;
}
--- request eval
[ map { "GET /split/$_/chunked/page.html" } 1, 2, 3, 7 ]
--- response_body_like eval
[ ($::EXPECTED) x 4 ]



=== TEST 5: a buffered upstream with small buffers
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering on;
    proxy_buffer_size 1k;
    proxy_buffers 4 1k;
    proxy_busy_buffers_size 1k;
}
--- request eval
[ map { "GET /split/$_/page.html" } 5, 50 ]
--- response_body_like eval
[ ($::EXPECTED) x 2 ]



=== TEST 6: a 5 MB static page: one tag before the real </body>, nothing else changed
--- user_files eval
[[ 'big.html', $::BIG ]]
--- config
location / {
    cx_survey s1 type=nps;
}
--- log_level: info
--- request
GET /big.html
--- check
my $r = http_request("GET /big.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 30);
ok(length($::BIG) > 5_000_000, "the page is over 5 MB");
(my $without = $r->{body}) =~ s{$::TAG}{};
ok($without eq $::BIG, "the page minus the tag is the original");
like(substr($r->{body}, -400), qr{$::TAG</body></html>\z}, "tag before the real </body>");
my @n = $r->{body} =~ /data-cx-token/g;
is(scalar @n, 1, "exactly one tag");



=== TEST 7: a 5 MB page through a proxy that spills to a temp file
--- user_files eval
[[ 'big.html', $::BIG ]]
--- config
location /up/ {
    alias $TEST_NGINX_HTML_DIR/;
}
location / {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up/;
    proxy_buffers 4 4k;
    proxy_max_temp_file_size 10m;
}
--- log_level: info
--- request
GET /big.html
--- check
my $r = http_request("GET /big.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 30);
(my $without = $r->{body}) =~ s{$::TAG}{};
ok($without eq $::BIG, "the page minus the tag is the original");
like(substr($r->{body}, -400), qr{$::TAG</body></html>\z}, "tag before the real </body>");



=== TEST 8: HTTP/1.0 client: no chunked encoding, the body ends at close
--- user_files eval
[[ 'page.html', $::PAGE ]]
--- config
location / {
    cx_survey s1 type=nps;
}
--- raw_request eval
"GET /page.html HTTP/1.0\r\nHost: x\r\n\r\n"
--- response_headers
!Content-Length
!Transfer-Encoding
--- response_body_like eval: $::EXPECTED
