# Static pages keep sendfile: on a view of a page whose </body> offset is
# remembered, a file larger than NGX_HTTP_CX_SENDFILE_MIN (32 KB) is not
# read; it is sent as two ranges of the same file with the tag in memory
# between, with a Content-Length (page plus tag), not chunked.  Six bytes
# of the file are read at the offset first (a tail of up to 4 KB after it
# is read with them and sent with the tag): a file changed in place (same
# size, same second, so the same ETag) never gets the tag at a stale
# offset.  A smaller file is read in one buffer, checked there, and goes
# out with the headers and the tag in one write (cheaper than the split's
# second write for such a page); its marker split across small
# output_buffers is checked across them.

use lib 't/lib';
use Test::CX;

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';
our $PAGE = '<html><body><script>var s="</body>";</script><p>x</p></body></html>';
our $BIG = '<!DOCTYPE html><html><body>'
         . join('', map { "<p>paragraph $_ <!-- </body> --></p>\n" } 1 .. 9000)
         . '</body></html>';
our $MID = '<!DOCTYPE html><html><body>'
         . join('', map { "<p>paragraph $_ <!-- </body> --></p>\n" } 1 .. 1200)
         . '</body></html>';
our $MID_AT = length($MID) - 14;
our $LONG = '<html><body>' . ('<p>filler</p>' x 3000) . '</body>'
          . ('<!-- footer -->' x 400) . '</html>';
our $MTIME = 1700000000;
our $H2PORT = Test::TCP::empty_port();

sub put_file {
    my ($name, $content) = @_;
    my $f = html_dir() . "/$name";
    File::Path::make_path(html_dir());
    my $fh;
    open $fh, '+<', $f or open $fh, '>', $f or die "$f: $!";
    seek $fh, 0, 0;
    print $fh $content;
    truncate $fh, length $content;
    close $fh;
    utime $MTIME, $MTIME, $f;
}

# the second view, alone in the log
sub second_view {
    my ($uri, $more) = @_;
    my $pos = -s servroot() . '/logs/error.log';
    my $r = http_request("GET $uri HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         . ($more // '') . "\r\n");
    select undef, undef, undef, 0.1;
    return ($r, error_log_since($pos));
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', "sendfile on;\nlocation / {\n"
                      . "    cx_survey s1 type=nps;\n}\n")
        unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the second view of a page over 32 KB is sent by sendfile, split around the tag, the file unread
--- init
main::put_file('mid.html', $::MID);
--- request
GET /mid.html
--- response_body_like eval
qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z}
--- check
my ($r, $log) = main::second_view('/mid.html');
die "body" unless $r->{body} =~ qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z};
my $size = length $::MID;
die "not placed from the file: $log"
    unless $log =~ /cx place file: $size bytes, remembered offset $::MID_AT\b/;
die "no sendfile of the page up to the tag: $log"
    unless $log =~ /sendfile: \@0 $::MID_AT\b/;
die "the short tail is sent with the tag, not by a second sendfile: $log"
    if $log =~ /sendfile: \@$::MID_AT/;
die "the file was read" if $log =~ /\*\d+ read: /;
die "length: " . join(' ', %{ $r->{headers} })
    unless ($r->{headers}{'content-length'} // '') eq length $r->{body}
        && !$r->{headers}{'transfer-encoding'};



=== TEST 2: a 300 KB page: the same, and the bytes are right
--- init
main::put_file('big.html', $::BIG);
--- request
GET /big.html
--- response_body_like eval
qr{^\Q${\ substr $::BIG, 0, -14}\E$::TAG</body></html>\z}
--- check
my ($r, $log) = main::second_view('/big.html');
die "body" unless $r->{body} =~ qr{^\Q${\ substr $::BIG, 0, -14}\E$::TAG</body></html>\z};
die "not placed from the file" unless $log =~ /cx place file:/;
die "no sendfile" unless $log =~ /sendfile: \@/;
die "the file was read" if $log =~ /\*\d+ read: /;



=== TEST 3: a page up to 32 KB is read once and sent in one write with the headers, no sendfile
--- init
main::put_file('page.html', $::PAGE);
--- request
GET /page.html
--- response_body_like eval
qr{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z}
--- check
my ($r, $log) = main::second_view('/page.html');
die "body: $r->{body}" unless $r->{body}
    =~ m{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z};
die "not placed from memory: $log" unless $log =~ /cx place: 67 bytes, remembered offset 53/;
die "not read once: $log" unless (() = $log =~ /\*\d+ read: /g) == 1;
die "sendfile: $log" if $log =~ /sendfile: \@/;
die "not one write: $log" unless (() = $log =~ /\*\d+ writev: /g) == 1;
die "length: " . join(' ', %{ $r->{headers} })
    unless ($r->{headers}{'content-length'} // '') eq length $r->{body}
        && !$r->{headers}{'transfer-encoding'};



=== TEST 4: a file changed in place (same size, same second): never the tag at the stale offset, read or sent by sendfile
--- init
main::put_file('same.html', '<html><body><p>aaaaaaaaaaaa</p></body></html>');
main::put_file('samebig.html', $::MID);
--- request eval
[ "GET /same.html", "GET /samebig.html" ]
--- response_body_like eval
[ qr{^<html><body><p>aaaaaaaaaaaa</p>$::TAG</body></html>\z},
  qr{$::TAG</body></html>\z} ]
--- check
main::put_file('same.html', '<html><body><p>aaaaaa</p></body></html>aaaaaa');
my ($r, $log) = main::second_view('/same.html');
die "changed: $r->{body}"
    unless $r->{body} =~ m{^<html><body><p>aaaaaa</p></body></html>aaaaaa$::TAG\z};
die "not caught: $log" unless $log =~ /changed under the same ETag/;
($r, $log) = main::second_view('/same.html');
die "third view: $r->{body}"
    unless $r->{body} =~ m{^<html><body><p>aaaaaa</p>$::TAG</body></html>aaaaaa\z};
# the big one: "</body>" 7 bytes earlier, the same size
my $moved = substr($::MID, 7, $::MID_AT - 7) . "</body></html>\n\n\n\n\n\n\n";
die "not the same size" unless length $moved == length $::MID;
main::put_file('samebig.html', $moved);
($r, $log) = main::second_view('/samebig.html');
my ($tag) = $r->{body} =~ m{($::TAG)};
die "big changed: " . substr($r->{body}, -300) unless $r->{body} eq $moved . $tag;
die "big not caught: $log" unless $log =~ /cx place file: .*changed under the same ETag/s;
($r, $log) = main::second_view('/samebig.html');
($tag) = $r->{body} =~ m{($::TAG)};
die "big third view: " . substr($r->{body}, -300)
    unless $r->{body} eq substr($moved, 0, $::MID_AT - 7) . $tag . substr($moved, $::MID_AT - 7);



=== TEST 5: a remembered page without </body>: the tag after the file
--- init
main::put_file('nobody.html', '<p>hello</p>');
main::put_file('nobodybig.html', substr $::MID, 0, -14);
--- request eval
[ "GET /nobody.html", "GET /nobodybig.html" ]
--- response_body_like eval
[ qr{^<p>hello</p>$::TAG\z}, qr{</p>\n$::TAG\z} ]
--- check
my ($r, $log) = main::second_view('/nobody.html');
die "body: $r->{body}" unless $r->{body} =~ m{^<p>hello</p>$::TAG\z};
die "not placed from memory: $log" unless $log =~ /cx place: 12 bytes, remembered offset -1/;
($r, $log) = main::second_view('/nobodybig.html');
die "big body" unless $r->{body} eq substr($::MID, 0, -14) . ($r->{body} =~ m{($::TAG)\z})[0];
die "big not placed from the file: $log" unless $log =~ /cx place file: \d+ bytes, remembered offset -1/;



=== TEST 6: gzip on to a client that accepts it: the memory path, same page
--- config
sendfile on;
gzip on;
gzip_min_length 1;
location / {
    cx_survey s1 type=nps;
}
--- init
main::put_file('mid.html', $::MID);
--- request
GET /mid.html
--- more_headers
Accept-Encoding: gzip
--- response_headers
Content-Encoding: gzip
--- check
use IO::Uncompress::Gunzip;
my ($r, $log) = main::second_view('/mid.html', "Accept-Encoding: gzip\r\n");
my $plain;
IO::Uncompress::Gunzip::gunzip(\$r->{body}, \$plain) or die 'not gzip';
die "body" unless $plain =~ qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z};
die "not placed from memory: $log" unless $log =~ /cx place: /;



=== TEST 7: HEAD, a range and a revalidation of remembered pages
--- init
main::put_file('page.html', $::PAGE);
main::put_file('mid.html', $::MID);
--- request eval
[ "GET /page.html", "HEAD /page.html", "GET /mid.html", "HEAD /mid.html" ]
--- response_body_like eval
[ qr{$::TAG</body></html>\z}, qr{^\z}, qr{$::TAG</body></html>\z}, qr{^\z} ]
--- check
for my $uri ('/page.html', '/mid.html') {
    my ($r, $log) = main::second_view($uri, "Range: bytes=0-5\r\n");
    die "range $uri: $r->{status} $r->{body}"
        unless $r->{status} == 206 && $r->{body} =~ /^(<html>|<!DOCT)\z/;
    ($r, $log) = main::second_view($uri);
    my $etag = $r->{headers}{etag} // '';
    die "ETag of $uri: $etag" unless $etag =~ m{^W/"};
    ($r, $log) = main::second_view($uri, "If-None-Match: $etag\r\n");
    die "revalidation of $uri: $r->{status}" unless $r->{status} == 304 && $r->{body} eq '';
}



=== TEST 8: a long tail after </body>: two ranges of the file, the tag between
--- init
main::put_file('long.html', $::LONG);
--- request
GET /long.html
--- response_body_like eval
qr{^<html><body>(<p>filler</p>){3000}$::TAG</body>(<!-- footer -->){400}</html>\z}
--- check
my ($r, $log) = main::second_view('/long.html');
die "body" unless $r->{body} =~ qr{^<html><body>(<p>filler</p>){3000}$::TAG</body>(<!-- footer -->){400}</html>\z};
die "no two ranges: $log"
    unless $log =~ /sendfile: \@0 39012\b/ && $log =~ /sendfile: \@39012 6014\b/;



=== TEST 9: HTTP/2 to the client: the second view split around the tag too
--- config eval
"listen 127.0.0.1:$::H2PORT" . ($ENV{TEST_NGINX_ASAN} ? "" : " http2") . ";\nsendfile on;\nlocation / {\n    cx_survey s1 type=nps;\n}\n"
--- init
main::put_file('h2.html', $::MID);
--- request
GET /h2.html
--- response_body_like eval
qr{$::TAG</body></html>\z}
--- check
# nginx 1.22's own HTTP/2 code trips UBSan (a misaligned store in
# ngx_http_v2.c): under make test-asan the same requests go over HTTP/1.1
my $h2 = $ENV{TEST_NGINX_ASAN} ? '' : '--http2-prior-knowledge';
for (1 .. 2) {
    my $out = `curl -s $h2 -D - 'http://127.0.0.1:$::H2PORT/h2.html'`;
    die "curl: $?" if $?;
    my ($head, $body) = split /\r\n\r\n/, $out, 2;
    die "not HTTP/2: $head" unless $head =~ m{^HTTP/2 200} || !$h2;
    die "body" unless $body =~ qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z};
}
--- error_log eval
qr/cx place file: ${\ length $::MID} bytes, remembered offset $::MID_AT\b/



=== TEST 10: "</body" split across small output buffers: checked across them, placed before it; a change past a buffer's end is caught in the next one
--- config
sendfile off;
output_buffers 1 2;
location / {
    cx_survey s1 type=nps;
}
--- init
main::put_file('tiny.html', '<p>helloo</p></body></html>');
--- request
GET /tiny.html
--- response_body_like eval
qr{^<p>helloo</p>$::TAG</body></html>\z}
--- check
my ($r, $log) = main::second_view('/tiny.html');
die "body: $r->{body}" unless $r->{body} =~ m{^<p>helloo</p>$::TAG</body></html>\z};
die "not placed from memory: $log" unless $log =~ /cx place: 2 bytes, remembered offset 13/;
die "changed? $log" if $log =~ /changed under/;
main::put_file('tiny.html', '<p>helloo</p></bodx></html>');
($r, $log) = main::second_view('/tiny.html');
die "changed body: $r->{body}" unless $r->{body} =~ m{^<p>helloo</p></bodx></html>$::TAG\z};
die "not caught: $log" unless $log =~ /changed under the same ETag/;
main::put_file('tiny.html', '<p>helloo</p></bo' . ('.' x 10));
($r, $log) = main::second_view('/tiny.html');
die "other size: $r->{body}" unless $r->{body} =~ m{^<p>helloo</p></bo\.{10}$::TAG\z};



=== TEST 11: a file that grows or shrinks between views: a new ETag, scanned again, whichever way it is sent
--- init
main::put_file('grow.html', $::PAGE);
--- request
GET /grow.html
--- response_body_like eval
qr{<p>x</p>$::TAG</body></html>\z}
--- check
main::put_file('grow.html', $::MID);
my ($r, $log) = main::second_view('/grow.html');
die "grown" unless $r->{body} =~ qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z};
die "grown not scanned: $log" unless $log =~ /cx scan: / && $log !~ /cx place/;
($r, $log) = main::second_view('/grow.html');
die "grown again" unless $r->{body} =~ qr{^\Q${\ substr $::MID, 0, -14}\E$::TAG</body></html>\z};
die "grown not placed by sendfile: $log" unless $log =~ /cx place file: /;
main::put_file('grow.html', '<html><body><p>short</p></body></html>');
($r, $log) = main::second_view('/grow.html');
die "shrunk: $r->{body}" unless $r->{body} =~ m{^<html><body><p>short</p>$::TAG</body></html>\z};
die "shrunk not scanned: $log" unless $log =~ /cx scan: / && $log !~ /cx place/;



=== TEST 12: aio or directio in the location: a small page is split for sendfile too, never read whole
--- config
sendfile on;
location /aio/ {
    alias html/;
    aio threads;
    cx_survey s1 type=nps;
}
location /dio/ {
    alias html/;
    directio 1m;
    cx_survey s1 type=nps;
}
--- init
main::put_file('page.html', $::PAGE);
--- request eval
[ "GET /aio/page.html", "GET /dio/page.html" ]
--- response_body_like eval
[ ( qr{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z} ) x 2 ]
--- check
for my $uri ('/aio/page.html', '/dio/page.html') {
    my ($r, $log) = main::second_view($uri);
    die "$uri body: $r->{body}" unless $r->{body}
        =~ m{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z};
    die "$uri not split for sendfile: $log"
        unless $log =~ /cx place file: 67 bytes, remembered offset 53/;
    die "$uri read whole: $log" if $log =~ /\*\d+ read: /;
}
