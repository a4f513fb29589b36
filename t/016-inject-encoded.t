# Injection into gzip'd and deflate'd upstream pages: the module inflates
# the body as it streams, puts the tag before the real </body>, passes
# identity bytes on (nginx's gzip compresses them again for clients that
# accept it), and ends the response as failed -- never as a complete page
# -- when the stream is a bomb (cx_inflate_max) or broken.

use lib 't/lib';
use Test::CX;
use IO::Compress::Gzip qw(gzip $GzipError);
use IO::Compress::Deflate qw(deflate);
use IO::Compress::RawDeflate qw(rawdeflate);
use IO::Uncompress::Gunzip qw(gunzip);

our $PAGE = '<!DOCTYPE html><html><head><title>t</title>'
          . '<script>var s = "</body>"; if (a < b) c = "<!--";</script>'
          . '</head><body><!-- </body> --><p>a < b</p>'
          . '<textarea></body></textarea></BODY ><p>after</p></html>';
our $NOBODY = '<!DOCTYPE html><p>no body end here';

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';

(our $EXPECTED = quotemeta $PAGE) =~ s/(?=\\<\\\/BODY)/$TAG/;
$EXPECTED = "^$EXPECTED\\z";

sub z { my ($how, $in) = @_; my $out; $how->(\$in, \$out) or die; $out }

our $GZ = z(\&gzip, $PAGE);

# the page in brotli (quality 5, made with libbrotli's encoder)
use MIME::Base64;
our $BR = decode_base64('G8QAAMTqVqrrmmBMtzZ1ONn4C2+zIwgDktaW1JK2QNpe6OXg4QWf325ImQyTU39ZJCdDQIu8fGxBr7gUljxK4orQ70OHrdq2tZ/9tgFiZizpm0qxxKFVQpoDU9dCJl7BC/UT/ocDKRC6WazdFNDhE/6i2gw=');
our $BIG = join '', '<!DOCTYPE html><html><body>',
    map({ "<p id=\"p$_\">" . ('lorem ipsum <script>"</body>"</script> <!-- </body> --> '
          x 20) . "</p>\n" } 1 .. 5000), '</body></html>';

our @FILES = (
    [ 'page.gz', $GZ ],
    [ 'page.zlib', z(\&deflate, $PAGE) ],
    [ 'page.raw', z(\&rawdeflate, $PAGE) ],
    [ 'nobody.gz', z(\&gzip, $NOBODY) ],
    [ 'bomb.gz', z(\&gzip, '<html><body>' . ('<p>' . 'x' x 1000) x 20000) ],
    [ 'cut.gz', substr($GZ, 0, int(length($GZ) / 2)) ],
    [ 'crc.gz', substr($GZ, 0, -8) . pack('V', 12345) . substr($GZ, -4) ],
    [ 'garbage.gz', 'this is not a gzip stream at all' x 10 ],
    [ 'big.gz', z(\&gzip, $BIG) ],
    [ 'page.html', $PAGE ],
    [ 'page.br', $BR ],
    [ 'cut.br', substr($BR, 0, int(length($BR) / 2)) ],
);

our $PROXY = <<'EOF';
location /split/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT;
    proxy_buffering off;
    proxy_http_version 1.1;
}
location /buffered/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/;
    proxy_buffers 4 1k;
    proxy_buffer_size 1k;
    proxy_busy_buffers_size 1k;
    proxy_http_version 1.1;
}
location /small/ {
    cx_survey s1 type=nps;
    cx_inflate_max 100k;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/;
}
location /gzip/ {
    cx_survey s1 type=nps;
    gzip on;
    gzip_min_length 1;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/;
}
location = /cx/metrics { cx_metrics; }
EOF

# a raw GET: status, headers, the de-chunked body, and whether the
# response ended as complete (its last chunk came)
sub get_raw {
    my ($uri, $more) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . server_port(),
                                     Timeout => 20) or die "connect: $!";
    binmode $sock;
    print $sock "GET $uri HTTP/1.1\r\nHost: localhost\r\n"
                . "Connection: close\r\n" . ($more // '') . "\r\n";
    local $/;
    my $data = <$sock> // '';
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    ($head, $body) = ($head // '', $body // '');
    my ($status) = $head =~ m{^HTTP/1.1 (\d+)};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } split /\r\n/, $head;
    my ($out, $complete) = ('', 0);
    if (($h{'transfer-encoding'} // '') eq 'chunked') {
        while ($body =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $len = hex $1;
            if ($len == 0) { $complete = 1; last }
            $out .= substr $body, 0, $len;
            substr($body, 0, $len + 2) = '';
        }
    } else {
        $out = $body;
        $complete = defined $h{'content-length'}
                    && $h{'content-length'} == length $body;
    }
    return { status => $status, headers => \%h, body => $out,
             complete => $complete };
}

our $H2PORT = Test::TCP::empty_port();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('user_files', [ @::FILES ])
        unless defined $block->user_files;
    $block->set_value('config', $::PROXY) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: gzip, chunked, random pieces of 1 to 97 bytes and fixed sizes
--- request eval
[ map { "GET /split/$_/chunked/page.gz?enc=gzip" } 0, 0, 0, 0, 0, 1, 2, 7, 4096 ]
--- response_body_like eval
[ ($::EXPECTED) x 9 ]
--- response_headers
!Content-Encoding
!Content-Length



=== TEST 2: gzip with a Content-Length, x-gzip, buffered with small buffers
--- request eval
[ "GET /split/0/page.gz?enc=gzip", "GET /split/3/page.gz?enc=x-gzip",
  "GET /buffered/0/page.gz?enc=gzip", "GET /buffered/1/chunked/page.gz?enc=gzip" ]
--- response_body_like eval
[ ($::EXPECTED) x 4 ]
--- response_headers
!Content-Encoding
!Content-Length



=== TEST 3: deflate, in the zlib format and raw, split anywhere
--- request eval
[ map { ("GET /split/$_/chunked/page.zlib?enc=deflate",
         "GET /split/$_/chunked/page.raw?enc=deflate") } 0, 0, 1, 5 ]
--- response_body_like eval
[ ($::EXPECTED) x 8 ]
--- response_headers
!Content-Encoding



=== TEST 4: no </body>: the tag goes at the end of the inflated page
--- request eval
[ "GET /split/0/chunked/nobody.gz?enc=gzip", "GET /split/1/nobody.gz?enc=gzip" ]
--- response_body_like eval
[ ("^\Q$::NOBODY\E$::TAG\\z") x 2 ]



=== TEST 5: gzip on towards a client that accepts it: compressed once more, by nginx
--- request
GET /gzip/0/chunked/page.gz?enc=gzip
--- more_headers
Accept-Encoding: gzip
--- response_headers
Content-Encoding: gzip
--- check
my $r = http_request("GET /gzip/0/chunked/page.gz?enc=gzip HTTP/1.1\r\n"
    . "Host: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
my $plain;
IO::Uncompress::Gunzip::gunzip(\$r->{body}, \$plain) or die "not gzip: $r->{body}";
die "no tag before </BODY: $plain" unless $plain =~ $::EXPECTED;



=== TEST 6: gzip on, a client that does not accept gzip gets identity bytes
--- request
GET /gzip/0/chunked/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- response_headers
!Content-Encoding



=== TEST 7: HEAD: headers as a GET gets them, no body
--- request
HEAD /split/0/page.gz?enc=gzip
--- response_headers
!Content-Encoding
!Content-Length
--- response_body



=== TEST 8: a range request is not injected: the encoded bytes pass unchanged
--- request
GET /split/0/page.gz?enc=gzip
--- more_headers
Range: bytes=0-10
--- response_headers
Content-Encoding: gzip
--- response_body eval: $::GZ



=== TEST 9: an encoding we do not inflate passes unchanged and is counted
--- request eval
[ "GET /split/0/page.gz?enc=zstd", "GET /cx/metrics" ]
--- response_body_like eval
[ "^\Q$::GZ\E\\z", 'cx_injection_skips_total\{reason="encoded"\} 1\b' ]



=== TEST 10: a bomb: cut at cx_inflate_max, the response ends as failed
--- request
GET /split/0/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- check
my $r = ::get_raw('/small/4096/bomb.gz?enc=gzip');
die "status $r->{status}" unless ($r->{status} // '') eq '200';
die "no identity bytes" unless $r->{body} =~ /^<html><body><p>x/;
die "more than cx_inflate_max: " . length $r->{body}
    if length $r->{body} > 100 * 1024;
die "ended as complete" if $r->{complete};
die "not counted" unless metrics() =~ /^cx_inflate_failures_total\{reason="limit"\} 1$/m;
--- error_log
compressed body inflates to more than cx_inflate_max 102400 bytes, not injected



=== TEST 11: truncated, bad CRC, garbage: logged, counted, ended as failed
--- request
GET /split/0/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- check
for my $f (qw(cut crc garbage)) {
    my $r = ::get_raw("/split/0/chunked/$f.gz?enc=gzip");
    die "$f: ended as complete" if $r->{complete};
    die "$f: not a prefix of the page: $r->{body}"
        unless index($::PAGE, $r->{body}) == 0 || $f eq 'crc';
    die "crc: $r->{body}" if $f eq 'crc' && $r->{body} !~ $::EXPECTED;
}
die "not counted" unless metrics() =~ /^cx_inflate_failures_total\{reason="broken"\} 3$/m;
--- error_log eval
[ qr/compressed body is truncated.*cut.gz/,
  qr/compressed body is broken: -3 incorrect data check.*crc.gz/,
  qr/compressed body is broken.*garbage.gz/ ]



=== TEST 12: a 5 MB page: tag before the real </body>, memory flat
--- timeout: 60
--- request
GET /split/65536/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- check
my ($pid) = worker_pids();
my $hwm = sub {
    open my $fh, '<', "/proc/$pid/status" or die;
    local $/;
    my ($kb) = <$fh> =~ /VmHWM:\s*(\d+)/;
    $kb;
};
my $before = $hwm->();
my $r = ::get_raw('/split/65536/big.gz?enc=gzip');
(my $want = $::BIG) =~ s{</body></html>\z}{};
my $got = $r->{body};
die "big page: prefix differs at " . (grep { substr($got, $_, 1) ne substr($want, $_, 1) } 0 .. length($want) - 1)[0]
    unless substr($got, 0, length $want) eq $want;
die "big page: tail " . substr($got, length $want)
    unless substr($got, length $want) =~ /^$::TAG<\/body><\/html>\z/;
my $grew = $hwm->() - $before;
die "worker peak memory grew by $grew KB for a 5 MB page" if $grew > 2048;



=== TEST 13: the memo works for an encoded representation (its ETag)
--- request eval
[ map { 'GET /split/0/page.gz?enc=gzip&header=ETag:%22v1%22' } 1 .. 3 ]
--- response_body_like eval
[ ($::EXPECTED) x 3 ]
--- response_headers
ETag: W/"v1"
--- error_log
cx place:



=== TEST 14: HTTP/2 to the client (curl --http2-prior-knowledge), with and without gzip
--- config eval
"listen 127.0.0.1:$::H2PORT" . ($ENV{TEST_NGINX_ASAN} ? "" : " http2") . ";\n$::PROXY"
--- request
GET /split/0/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- check
# nginx 1.22's own HTTP/2 code trips UBSan (a misaligned store in
# ngx_http_v2.c): under make test-asan the same requests go over HTTP/1.1
my $h2 = $ENV{TEST_NGINX_ASAN} ? '' : '--http2-prior-knowledge';
for my $uri ('/split/0/chunked/page.gz?enc=gzip', '/gzip/1/page.gz?enc=gzip') {
    for my $compressed ('', '--compressed') {
        my $out = `curl -s $h2 $compressed -D - 'http://127.0.0.1:$::H2PORT$uri'`;
        die "curl failed for $uri: $?" if $?;
        my ($head, $body) = split /\r\n\r\n/, $out, 2;
        die "not HTTP/2: $head" unless $head =~ m{^HTTP/2 200} || !$h2;
        die "$uri $compressed: $body" unless $body =~ $::EXPECTED;
        die "$uri: gzip expected" if $compressed && $uri =~ /gzip\//
            && $head !~ /content-encoding: gzip/i;
    }
}



=== TEST 15: gzip_static: a .gz file is inflated too; a 304 has no body
--- config
location / {
    cx_survey s1 type=nps;
    gzip_static on;
}
--- user_files eval
[ [ 'page.html', 'x' ], [ 'page.html.gz', $::GZ ] ]
--- request
GET /page.html
--- more_headers
Accept-Encoding: gzip
--- response_body_like eval: $::EXPECTED
--- check
my $r = ::get_raw('/page.html', "Accept-Encoding: gzip\r\n");
my $etag = $r->{headers}{etag} or die 'no etag';
$r = ::get_raw('/page.html', "Accept-Encoding: gzip\r\nIf-None-Match: $etag\r\n");
die "conditional: $r->{status}" unless $r->{status} eq '304';
die "a 304 with a body" if length $r->{body};



=== TEST 16: cx_inject_upstream_identity: the upstream is asked for identity, the client still gets gzip
--- config
location /ae/ {
    cx_survey s1 type=nps;
    cx_inject_upstream_identity on;
    gzip on;
    gzip_min_length 1;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
}
location /plain/ {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo/;
}
location /echo/ {
    default_type text/html;
    return 200 "<html><body>ae=$http_accept_encoding</body></html>";
}
--- request
GET /plain/
--- more_headers
Accept-Encoding: gzip, br
--- response_body_like eval
"^<html><body>ae=gzip, br$::TAG</body></html>\\z"
--- check
my $r = ::get_raw('/ae/', "Accept-Encoding: gzip, br\r\n");
die "not gzip to the client" unless ($r->{headers}{'content-encoding'} // '') eq 'gzip';
my $plain;
IO::Uncompress::Gunzip::gunzip(\$r->{body}, \$plain) or die "not gzip";
die "upstream asked: $plain"
    unless $plain =~ m{^<html><body>ae=identity$::TAG</body></html>\z};



=== TEST 17: a slow client: the inflate buffers wait downstream, memory stays flat
--- timeout: 60
--- config
location /slow/ {
    cx_survey s1 type=nps;
    limit_rate 4m;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/;
}
--- request
GET /slow/65536/page.gz?enc=gzip
--- response_body_like eval: $::EXPECTED
--- check
my ($pid) = worker_pids();
my $hwm = sub {
    open my $fh, '<', "/proc/$pid/status" or die;
    local $/;
    my ($kb) = <$fh> =~ /VmHWM:\s*(\d+)/;
    $kb;
};
my $before = $hwm->();
my $r = ::get_raw('/slow/65536/big.gz?enc=gzip');
(my $want = $::BIG) =~ s{</body></html>\z}{};
die "slow big page" unless $r->{complete}
    && substr($r->{body}, 0, length $want) eq $want
    && substr($r->{body}, length $want) =~ /^$::TAG<\/body><\/html>\z/;
my $grew = $hwm->() - $before;
die "worker peak memory grew by $grew KB" if $grew > 2048;
--- error_log
cx inflate: all buffers downstream, input waits



=== TEST 18: nginx -t: cx_inflate_max takes a size
--- config
location / {
    cx_survey s1 type=nps;
    cx_inflate_max ten;
}
--- must_die
--- error_log eval
qr/"cx_inflate_max" directive invalid value in \S+nginx\.conf:\d+/



=== TEST 19: nginx -t: cx_inject_upstream_identity is on or off
--- config
location / {
    cx_survey s1 type=nps;
    cx_inject_upstream_identity yes;
}
--- must_die
--- error_log eval
qr/invalid value "yes" in "cx_inject_upstream_identity" directive, it must be "on" or "off" in \S+nginx\.conf:\d+/



=== TEST 20: brotli, split anywhere; a truncated one ends as failed
--- request eval
[ map { "GET /split/$_/chunked/page.br?enc=br" } 0, 0, 0, 1, 7 ]
--- response_body_like eval
[ ($::EXPECTED) x 5 ]
--- response_headers
!Content-Encoding
--- check
my $r = ::get_raw('/split/0/chunked/cut.br?enc=br');
die "cut.br: ended as complete" if $r->{complete};
die "cut.br: not a prefix: $r->{body}" unless index($::PAGE, $r->{body}) == 0;
--- error_log eval
[ qr/compressed body is truncated.*cut.br/ ]
