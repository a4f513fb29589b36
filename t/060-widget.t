# cx_widget: the survey widget built into the module (widget/dist/),
# served from memory -- exact bytes, a strong ETag from the content, a
# day of caching, 304 to If-None-Match, the gzip'd copy to clients that
# take it, HEAD, 405 for other methods.  The words of every language but
# English (widget/dist/cx-widget-lang.pack) the same way, as JSON, at
# /cx/widget.js?lang=xx.

use lib 't/lib';
use Test::CX;
use FindBin;
use Digest::MD5 qw(md5_hex);
use IO::Uncompress::Gunzip ();
use JSON::PP ();

sub slurp {
    my ($f) = @_;
    open my $fh, '<:raw', "$FindBin::Bin/../$f" or die "$f: $!";
    local $/;
    return <$fh>;
}

our $JS = slurp('widget/dist/cx-widget.js');
our $GZ = slurp('widget/dist/cx-widget.js.gz');
our $HASH = substr md5_hex($JS), 0, 16;
our $ETAG = qq{"cx-$HASH"};
our $ETAG_GZ = qq{"cx-$HASH-gz"};

# the pack as widget/build.js writes it: lang => { json, gz }
our %LANG;
{
    my ($index, $bytes) = split /\n\n/, slurp('widget/dist/cx-widget-lang.pack'), 2;
    my ($magic, @lines) = split /\n/, $index;
    my $at = 0;
    die "not a language pack\n" unless $magic eq 'cx-lang 1';
    for (@lines) {
        my ($lang, $json, $gz) = split / /;
        $LANG{$lang} = { json => substr($bytes, $at, $json),
                         gz => substr($bytes, $at + $json, $gz) };
        $at += $json + $gz;
    }
    die "the pack's index does not match its bytes\n" unless $at == length $bytes;
}
our $AR = $LANG{ar}{json};
our $AR_ETAG = '"cx-' . substr(md5_hex($AR), 0, 16) . '"';
our $AR_ETAG_GZ = '"cx-' . substr(md5_hex($AR), 0, 16) . '-gz"';

sub get {
    my ($method, $headers, $proto, $uri) = @_;
    return http_request("$method " . ($uri // '/cx/widget.js') . ' '
                        . ($proto // 'HTTP/1.1')
                        . "\r\nHost: localhost\r\n" . ($headers // '')
                        . "Connection: close\r\n\r\n");
}

# how many times a header appears
sub count {
    my ($r, $name) = @_;
    return scalar(() = $r->{header_text} =~ /^\Q$name\E:/mgi);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('config', "location = /cx/widget.js {\n    cx_widget;\n}\n")
        unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: GET: the built widget, byte for byte, cacheable for a day
--- request
GET /cx/widget.js
--- response_headers eval
"Content-Type: text/javascript; charset=utf-8
Content-Length: " . length($::JS) . "
Cache-Control: public, max-age=86400
ETag: $::ETAG
Vary: Accept-Encoding
X-Content-Type-Options: nosniff
!Content-Encoding
!Last-Modified
!Accept-Ranges
!Set-Cookie"
--- response_body eval
$::JS



=== TEST 2: the ETag is the script's MD5 (its first 8 bytes), so it changes with the widget and only then
--- request
GET /cx/widget.js
--- response_headers_like
ETag: ^"cx-[0-9a-f]{16}"$
--- check
is(::get('GET')->{headers}{etag}, $::ETAG, 'the same ETag every time');



=== TEST 3: a client that accepts gzip gets the pre-gzip'd copy, with its own ETag
--- request
GET /cx/widget.js
--- more_headers
Accept-Encoding: gzip, deflate, br
--- response_headers eval
"Content-Encoding: gzip
Content-Length: " . length($::GZ) . "
ETag: $::ETAG_GZ
Vary: Accept-Encoding
Content-Type: text/javascript; charset=utf-8"
--- response_body eval
$::GZ
--- check
my $r = ::get('GET', "Accept-Encoding: gzip\r\n");
my $plain;
IO::Uncompress::Gunzip::gunzip(\$r->{body} => \$plain);
is($plain, $::JS, 'the gzip\'d copy holds the script');
ok(length($r->{body}) < length($::JS) / 1.5, 'and is much smaller');



=== TEST 4: gzip refused with q=0, or not offered: the script as is
--- request eval
["GET /cx/widget.js", "GET /cx/widget.js"]
--- more_headers
Accept-Encoding: gzip;q=0, identity
--- response_headers eval
["!Content-Encoding\nETag: $::ETAG", "!Content-Encoding\nETag: $::ETAG"]



=== TEST 5: nginx's gzip rules apply, as for gzip_static: HTTP/1.0 and proxied requests get the script as is
--- request
GET /cx/widget.js
--- check
my $r = ::get('GET', "Accept-Encoding: gzip\r\n", 'HTTP/1.0');
is($r->{status}, 200, 'HTTP/1.0: 200');
ok(!exists $r->{headers}{'content-encoding'}, 'HTTP/1.0: not gzip\'d (gzip_http_version 1.1)');
is($r->{body}, $::JS, 'HTTP/1.0: the script');
$r = ::get('GET', "Accept-Encoding: gzip\r\nVia: 1.1 proxy\r\n");
ok(!exists $r->{headers}{'content-encoding'}, 'via a proxy: not gzip\'d (gzip_proxied off)');
is($r->{headers}{vary}, 'Accept-Encoding', 'Vary either way');



=== TEST 6: gzip_proxied any: proxied requests get the gzip'd copy too
--- config
location = /cx/widget.js {
    cx_widget;
    gzip_proxied any;
}
--- request
GET /cx/widget.js
--- more_headers
Accept-Encoding: gzip
Via: 1.1 proxy
--- response_headers eval
"Content-Encoding: gzip\nETag: $::ETAG_GZ"



=== TEST 7: If-None-Match with the ETag: 304, no body, the validators and caching headers kept
--- request
GET /cx/widget.js
--- more_headers eval
"If-None-Match: $::ETAG"
--- error_code: 304
--- response_headers eval
"ETag: $::ETAG
Cache-Control: public, max-age=86400
!Content-Length
!Content-Type"
--- response_body eval
""



=== TEST 8: If-None-Match: the gzip'd copy's ETag, a list, a weak form, and *
--- request eval
["GET /cx/widget.js", "GET /cx/widget.js", "GET /cx/widget.js", "GET /cx/widget.js"]
--- check
my $gz = "Accept-Encoding: gzip\r\n";
my $r = ::get('GET', "${gz}If-None-Match: $::ETAG_GZ\r\n");
is($r->{status}, 304, 'gzip\'d copy revalidated');
is($r->{headers}{etag}, $::ETAG_GZ, 'with its ETag');
ok(!exists $r->{headers}{'content-encoding'}, 'a 304 has no Content-Encoding');
is(::get('GET', "If-None-Match: \"x\", $::ETAG\r\n")->{status}, 304, 'one of a list');
is(::get('GET', "If-None-Match: W/$::ETAG\r\n")->{status}, 304, 'weak comparison, as RFC 9110 says for If-None-Match');
is(::get('GET', "If-None-Match: *\r\n")->{status}, 304, '*');



=== TEST 9: If-None-Match with another version's ETag, or the other copy's: 200
--- request eval
["GET /cx/widget.js", "GET /cx/widget.js"]
--- more_headers eval
"If-None-Match: \"cx-0000000000000000\""
--- check
my $r = ::get('GET', "If-None-Match: $::ETAG_GZ\r\n");
is($r->{status}, 200, 'the gzip\'d ETag does not validate the plain copy');
is($r->{body}, $::JS, 'the script');



=== TEST 10: If-Match that does not match: 412 (nginx's not_modified filter)
--- request
GET /cx/widget.js
--- more_headers
If-Match: "cx-0000000000000000"
--- error_code: 412



=== TEST 11: HEAD: the headers of a GET, no body
--- request
HEAD /cx/widget.js
--- response_headers eval
"Content-Length: " . length($::JS) . "
ETag: $::ETAG
Cache-Control: public, max-age=86400
Content-Type: text/javascript; charset=utf-8"
--- response_body eval
""
--- check
my $r = ::get('HEAD', "Accept-Encoding: gzip\r\n");
is($r->{headers}{'content-length'}, length($::GZ), 'HEAD gzip: the gzip\'d length');
is($r->{headers}{'content-encoding'}, 'gzip', 'HEAD gzip: encoding');
is($r->{body}, '', 'HEAD gzip: no body');
is(::get('HEAD', "If-None-Match: $::ETAG\r\n")->{status}, 304, 'HEAD revalidated: 304');



=== TEST 12: other methods: 405 with Allow
--- request eval
["POST /cx/widget.js\nx=1", "PUT /cx/widget.js\nx", "DELETE /cx/widget.js", "OPTIONS /cx/widget.js"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD", "Allow: GET, HEAD"]



=== TEST 13: "expires" replaces the caching header rather than adding one
--- config
location = /cx/widget.js {
    cx_widget;
    expires 7d;
}
--- request
GET /cx/widget.js
--- response_headers
Cache-Control: max-age=604800
--- check
my $r = ::get('GET');
is(::count($r, 'Cache-Control'), 1, 'one Cache-Control');
ok(exists $r->{headers}{expires}, 'and Expires');



=== TEST 14: with gzip_vary on and nginx's gzip for scripts, one Vary, and the body is not compressed twice
--- config
location = /cx/widget.js {
    cx_widget;
    gzip on;
    gzip_vary on;
    gzip_types text/javascript;
}
--- request
GET /cx/widget.js
--- check
for my $ae ('', "Accept-Encoding: gzip\r\n") {
    my $r = ::get('GET', $ae);
    is(::count($r, 'Vary'), 1, "one Vary header ($ae)");
    is($r->{headers}{vary}, 'Accept-Encoding', 'Vary: Accept-Encoding');
    is($r->{body}, $ae ? $::GZ : $::JS, 'the embedded bytes');
}



=== TEST 15: "cx_widget" takes no arguments and only goes in a location
--- config
location = /cx/widget.js {
    cx_widget on;
}
--- must_die
--- error_log eval
qr/invalid number of arguments in "cx_widget" directive in \S+nginx\.conf:\d+/



=== TEST 16: "cx_widget" at server level
--- config
cx_widget;
--- must_die
--- error_log eval
qr/"cx_widget" directive is not allowed here in \S+nginx\.conf:\d+/



=== TEST 17: ?lang=ar: the Arabic words, as JSON, from memory, cacheable for a day, readable from any origin
--- request
GET /cx/widget.js?lang=ar
--- response_headers eval
"Content-Type: application/json
Content-Length: " . length($::AR) . "
Cache-Control: public, max-age=86400
ETag: $::AR_ETAG
Vary: Accept-Encoding
X-Content-Type-Options: nosniff
Access-Control-Allow-Origin: *
!Content-Encoding
!Set-Cookie"
--- response_body eval
$::AR
--- check
my $w = JSON::PP->new->utf8->decode(::get('GET', '', undef, '/cx/widget.js?lang=ar')->{body});
is($w->{close}, "\x{625}\x{63a}\x{644}\x{627}\x{642} \x{627}\x{644}\x{627}\x{633}\x{62a}\x{628}\x{64a}\x{627}\x{646}",
   'the close button\'s name in Arabic');
ok(!exists ::get('GET')->{headers}{'access-control-allow-origin'}, 'the script itself: no CORS header');



=== TEST 18: every language of widget/src/lang/ but English is served, with every word English has and no other
--- request
GET /cx/widget.js?lang=he
--- check
my $json = JSON::PP->new->utf8;
my $dir = "$FindBin::Bin/../widget/src/lang";
my $en = $json->decode(::slurp('widget/src/lang/en.json'));
opendir my $dh, $dir or die "$dir: $!";
my @langs = sort grep { $_ ne 'en' } map { /^([a-z]{2,3})\.json$/ ? $1 : () } readdir $dh;
is(join(' ', sort keys %::LANG), join(' ', @langs), "the module has @langs");
ok((grep { $_ eq 'ar' } @langs) && (grep { $_ eq 'he' } @langs), 'Arabic and Hebrew among them');
for my $lang (@langs) {
    my $r = ::get('GET', '', undef, "/cx/widget.js?lang=$lang");
    is($r->{status}, 200, "$lang: 200");
    my $w = eval { $json->decode($r->{body}) } || {};
    is_deeply([sort keys %$w], [sort keys %$en], "$lang: the words of en.json, no more, no less");
    is(scalar(grep { !defined $w->{$_} || ref $w->{$_} || $w->{$_} !~ /\S/ } keys %$en), 0,
       "$lang: none empty");
    is_deeply($w, $json->decode(::slurp("widget/src/lang/$lang.json")), "$lang: as widget/src/lang/$lang.json says");
    isnt($w->{nps}, $en->{nps}, "$lang: its own words");
}
is(::get('GET', '', undef, '/cx/widget.js?lang=he')->{headers}{etag} eq $::AR_ETAG, '',
   'each language has its own ETag');



=== TEST 19: a language's gzip'd copy, 304 to its ETag, HEAD
--- request
GET /cx/widget.js?lang=ar
--- more_headers
Accept-Encoding: gzip
--- response_headers eval
"Content-Encoding: gzip
Content-Length: " . length($::LANG{ar}{gz}) . "
ETag: $::AR_ETAG_GZ
Content-Type: application/json"
--- response_body eval
$::LANG{ar}{gz}
--- check
my $plain;
IO::Uncompress::Gunzip::gunzip(\$::LANG{ar}{gz} => \$plain);
is($plain, $::AR, 'the gzip\'d copy holds the words');
my $r = ::get('GET', "If-None-Match: $::AR_ETAG\r\n", undef, '/cx/widget.js?lang=ar');
is($r->{status}, 304, 'revalidated: 304');
$r = ::get('GET', "If-None-Match: $::ETAG\r\n", undef, '/cx/widget.js?lang=ar');
is($r->{status}, 200, 'the script\'s ETag does not validate the words');
$r = ::get('HEAD', '', undef, '/cx/widget.js?lang=ar');
is($r->{headers}{'content-length'}, length($::AR), 'HEAD: the length');
is($r->{body}, '', 'HEAD: no body');
is(::get('POST', "Content-Length: 0\r\n", undef, '/cx/widget.js?lang=ar')->{status}, 405, 'POST: 405');



=== TEST 20: the widget's cache-busting "v" and other arguments change nothing: the words, or the script
--- request eval
["GET /cx/widget.js?lang=ar&v=0123abcd", "GET /cx/widget.js?v=0123abcd&lang=ar", "GET /cx/widget.js?v=2", "GET /cx/widget.js?language=ar"]
--- response_body eval
[$::AR, $::AR, $::JS, $::JS]



=== TEST 21: no words for that language (English is in the script; unknown, empty, upper case, encoded, too long): 404
--- request eval
[map { "GET /cx/widget.js?lang=$_" } 'en', 'de', '', 'AR', 'a', 'ar-EG', '%61r', 'arr', 'ar%00', 'x' x 5000]
--- error_code eval
[(404) x 10]
--- response_headers eval
[("!ETag\n!Access-Control-Allow-Origin") x 10]
