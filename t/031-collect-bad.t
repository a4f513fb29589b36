# /cx/collect faces the internet: a catalogue of bad input.  Each case
# asserts the status, the reason named in {"error": ...}, and that Redis
# got nothing but the page view the token came from.

use lib 't/lib';
use Test::CX;
use Test::CX::Collect qw(counts_settled);

our $SECRET = '0123456789abcdef0123';
our $DAY = today();
our $OLD = do { my @t = gmtime(time - 3 * 86400); sprintf '%04d%02d%02d', $t[5] + 1900, $t[4] + 1, $t[3] };

# TOKEN in a request is replaced by a fresh one from the home page

set_request_filter(sub {
    my ($text) = @_;
    if ($text =~ /TOKEN/) {
        my $tag = survey_tag('/');
        $text =~ s/TOKEN/$tag->{token}/g;
        my ($head, $body) = split /\n/, $text, 2;
        $text = "$head\n$body";
    }
    $text =~ s/FORGED/sign_token('x' x 20, 'nps1', 'home', $::DAY)/ge;
    $text =~ s/STALE/sign_token($::SECRET, 'nps1', 'home', $::OLD)/ge;
    $text =~ s/SIGN\((\w+),(\w+)\)/sign_token($::SECRET, $1, $2, $::DAY)/ge;
    $text =~ s/BIG\((\d+)\)/'x' x $1/ge;
    $text =~ s/NEST\((\d+)\)/('[' x $1) . (']' x $1)/ge;
    return $text;
});

# nothing an invalid post sends may reach Redis: looked at once every
# count made so far is there (with cx_metrics; else after a pause)

sub nothing_stored {
    if (defined metric('cx_counts_total')) {
        ok(wait_for(sub { defined counts_settled() }, 5),
           "every count made reached Redis");
    } else {
        sleep 0.3;
    }
    my @bad = grep { /:(sc|sch|tok):|:followup$/ } redis()->keys('*');
    is_deeply(\@bad, [], "no answer, token or follow-up key in Redis");
    my @events;
    for my $k (sort grep { /:(sv|tp):/ } redis()->keys('*')) {
        push @events, map { "$k $_" }
                      grep { $_ ne '#' && !/(^|:)(view|triggered)$/ }
                      redis()->hkeys($k);
    }
    is_deeply(\@events, [], "no event counted");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"EOF") unless defined $block->http_config;
cx_secret $SECRET;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps;
}
location /c/ {
    cx_touchpoint checkout;
    cx_survey csat1 type=csat;
    cx_survey ces1 type=ces;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ],
                                     [ 'c/index.html', "<body>c</body>\n" ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;

    $block->set_value('more_headers',
                      "Content-Type: application/x-www-form-urlencoded\n")
        unless defined $block->more_headers;

    $block->set_value('check', "main::nothing_stored();\n")
        unless defined $block->check;

    if (defined $block->reason) {
        (my $r = $block->reason) =~ s/\n\z//;
        $block->set_value('response_body', "{\"error\":\"$r\"}\n");
    }
});

run_tests();

__DATA__

=== TEST 1: GET is not allowed
--- request
GET /cx/collect
--- error_code: 405
--- response_headers
Allow: POST
--- reason
method: only POST is accepted



=== TEST 2: PUT is not allowed
--- request
PUT /cx/collect
survey=nps1
--- error_code: 405
--- reason
method: only POST is accepted



=== TEST 3: OPTIONS (a CORS preflight) is not allowed
--- request
OPTIONS /cx/collect
--- error_code: 405
--- reason
method: only POST is accepted



=== TEST 4: no Content-Type
--- request
POST /cx/collect
survey=nps1
--- more_headers
X-Nothing: 1
--- error_code: 415
--- reason
body: the type must be application/x-www-form-urlencoded or application/json



=== TEST 5: text/plain (sendBeacon with a string)
--- request
POST /cx/collect
survey=nps1
--- more_headers
Content-Type: text/plain;charset=UTF-8
--- error_code: 415
--- reason
body: the type must be application/x-www-form-urlencoded or application/json



=== TEST 6: multipart/form-data
--- request
POST /cx/collect
survey=nps1
--- more_headers
Content-Type: multipart/form-data; boundary=x
--- error_code: 415
--- reason
body: the type must be application/x-www-form-urlencoded or application/json



=== TEST 7: a body over 4 KB announced by Content-Length
--- request
POST /cx/collect
survey=nps1&comment=BIG(5000)
--- error_code: 413
--- reason
body: larger than 4096 bytes



=== TEST 8: a chunked body over 4 KB
--- raw_request eval
my $chunk = "survey=nps1&c=" . ("x" x 5000);
"POST /cx/collect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
. sprintf("%x\r\n%s\r\n0\r\n\r\n", length $chunk, $chunk)
--- error_code: 413
--- reason
body: larger than 4096 bytes



=== TEST 9: an empty body
--- raw_request eval
"POST /cx/collect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n"
--- error_code: 400
--- reason
body: empty



=== TEST 10: survey missing
--- request
POST /cx/collect
touchpoint=home&event=shown&token=TOKEN
--- error_code: 400
--- reason
survey: missing



=== TEST 11: touchpoint missing
--- request
POST /cx/collect
survey=nps1&event=shown&token=TOKEN
--- error_code: 400
--- reason
touchpoint: missing



=== TEST 12: event missing
--- request
POST /cx/collect
survey=nps1&touchpoint=home&token=TOKEN
--- error_code: 400
--- reason
event: missing



=== TEST 13: token missing
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown
--- error_code: 400
--- reason
token: missing



=== TEST 14: a field given twice (form)
--- request
POST /cx/collect
survey=nps1&survey=nps1&touchpoint=home&event=shown&token=TOKEN
--- error_code: 400
--- reason
survey: given more than once



=== TEST 15: a field given twice (JSON)
--- request
POST /cx/collect
{"survey":"nps1","touchpoint":"home","event":"answered","score":9,"score":10,"token":"TOKEN"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
score: given more than once



=== TEST 16: a survey name in upper case
--- request
POST /cx/collect
survey=NPS1&touchpoint=home&event=shown&token=TOKEN
--- error_code: 400
--- reason
survey: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 17: a name with a space
--- request
POST /cx/collect
survey=nps1&touchpoint=home%20page&event=shown&token=TOKEN
--- error_code: 400
--- reason
touchpoint: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 18: a name with CRLF
--- request
POST /cx/collect
survey=nps1&touchpoint=home%0D%0AX:1&event=shown&token=TOKEN
--- error_code: 400
--- reason
touchpoint: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 19: a name with ":" (a Redis key separator)
--- request
POST /cx/collect
survey=nps1&touchpoint=home:x&event=shown&token=TOKEN
--- error_code: 400
--- reason
touchpoint: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 20: a name with "*" (a Redis pattern)
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=*&token=TOKEN
--- error_code: 400
--- reason
event: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 21: a name longer than 64 bytes
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=BIG(65)&token=TOKEN
--- error_code: 400
--- reason
event: not a valid name ([a-z0-9_.-], 1 to 64 bytes)



=== TEST 22: a survey this nginx does not have
--- request
POST /cx/collect
survey=nps2&touchpoint=home&event=shown&token=TOKEN
--- error_code: 400
--- reason
survey: not a survey of this site



=== TEST 23: the event "view" is the module's own
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=view&token=TOKEN
--- error_code: 400
--- reason
event: reserved for the module



=== TEST 24: the event "triggered" is the module's own
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=triggered&token=TOKEN
--- error_code: 400
--- reason
event: reserved for the module



=== TEST 25: an answer without a score
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&token=TOKEN
--- error_code: 400
--- reason
score: missing (event=answered)



=== TEST 26: score 11 on the NPS scale
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=11&token=TOKEN
--- error_code: 400
--- reason
score: out of range 0-10 for nps



=== TEST 27: a negative score
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=-1&token=TOKEN
--- error_code: 400
--- reason
score: not an integer



=== TEST 28: a fractional score
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=7.5&token=TOKEN
--- error_code: 400
--- reason
score: not an integer



=== TEST 29: a score that is a word
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=nine&token=TOKEN
--- error_code: 400
--- reason
score: not an integer



=== TEST 30: a zero-padded score
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=07&token=TOKEN
--- error_code: 400
--- reason
score: not an integer



=== TEST 31: score 0 on the CSAT scale
--- request
POST /cx/collect
survey=csat1&touchpoint=checkout&event=answered&score=0&token=SIGN(csat1,checkout)
--- error_code: 400
--- reason
score: out of range 1-5 for csat



=== TEST 32: score 8 on the CES scale
--- request
POST /cx/collect
survey=ces1&touchpoint=checkout&event=answered&score=8&token=SIGN(ces1,checkout)
--- error_code: 400
--- reason
score: out of range 1-7 for ces



=== TEST 33: a score with another event
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&score=9&token=TOKEN
--- error_code: 400
--- reason
score: only with event=answered



=== TEST 34: a comment with another event
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=dismissed&comment=hi&token=TOKEN
--- error_code: 400
--- reason
comment: only with event=answered



=== TEST 35: a comment over 1000 bytes
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=3&comment=BIG(1001)&token=TOKEN
--- error_code: 400
--- reason
comment: longer than 1000 bytes



=== TEST 36: a comment that is not UTF-8
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=3&comment=caf%E9%28&token=TOKEN
--- error_code: 400
--- reason
comment: not valid UTF-8 text



=== TEST 37: a comment with a NUL byte
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=3&comment=a%00b&token=TOKEN
--- error_code: 400
--- reason
comment: a control character (only tab and newline are allowed)



=== TEST 38: an overlong UTF-8 encoding in a comment
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=3&comment=%C0%AF&token=TOKEN
--- error_code: 400
--- reason
comment: not valid UTF-8 text



=== TEST 39: JSON score as a string
--- request
POST /cx/collect
{"survey":"nps1","touchpoint":"home","event":"answered","score":"9","token":"TOKEN"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
score: not an integer



=== TEST 40: JSON score with an exponent
--- request
POST /cx/collect
{"survey":"nps1","touchpoint":"home","event":"answered","score":9e0,"token":"TOKEN"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
score: not an integer



=== TEST 41: JSON with a nested object
--- request
POST /cx/collect
{"survey":"nps1","touchpoint":{"a":1},"event":"shown","token":"TOKEN"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: nested JSON values are not accepted



=== TEST 42: a JSON nesting bomb
--- request
POST /cx/collect
NEST(2000)
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: a JSON object is expected



=== TEST 43: a nesting bomb inside a field
--- request
POST /cx/collect
{"survey":NEST(1500)}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: nested JSON values are not accepted



=== TEST 44: JSON with a bad escape
--- request
POST /cx/collect
{"survey":"nps\x31"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: invalid JSON string



=== TEST 45: JSON with a lone surrogate
--- request
POST /cx/collect
{"comment":"\ud800"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: invalid JSON string



=== TEST 46: JSON with data after the object
--- request
POST /cx/collect
{"survey":"nps1"} {"survey":"nps1"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: invalid JSON (data after the object)



=== TEST 47: JSON with a field that is not a string
--- request
POST /cx/collect
{"survey":1,"touchpoint":"home","event":"shown","token":"TOKEN"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
survey: must be a string



=== TEST 48: truncated JSON
--- request
POST /cx/collect
{"survey":"nps1","touch
--- more_headers
Content-Type: application/json
--- error_code: 400
--- reason
body: invalid JSON string



=== TEST 49: a bad percent-encoding
--- request
POST /cx/collect
survey=nps%zz1&touchpoint=home
--- error_code: 400
--- reason
body: malformed form encoding



=== TEST 50: too many fields
--- request eval
"POST /cx/collect\n" . CORE::join('&', map { "f$_=1" } 1 .. 40)
--- error_code: 400
--- reason
body: too many fields



=== TEST 51: a malformed token
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=abc
--- error_code: 400
--- reason
token: malformed



=== TEST 52: a forged token (another key)
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=FORGED
--- error_code: 400
--- reason
token: invalid for this site, survey and touchpoint



=== TEST 53: a token of another survey
--- request
POST /cx/collect
survey=csat1&touchpoint=home&event=shown&token=TOKEN
--- error_code: 400
--- reason
token: invalid for this site, survey and touchpoint



=== TEST 54: a token of another touchpoint
--- request
POST /cx/collect
survey=nps1&touchpoint=checkout&event=shown&token=TOKEN
--- error_code: 400
--- reason
token: invalid for this site, survey and touchpoint



=== TEST 55: a token from another day
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=STALE
--- error_code: 400
--- reason
token: expired (not of today)



=== TEST 56: a post from another site (Origin)
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=TOKEN
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://evil.example
--- error_code: 403
--- reason
origin: cross-origin posts are not accepted



=== TEST 57: a post from a sandboxed frame (Origin: null)
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=TOKEN
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: null
--- error_code: 403
--- reason
origin: cross-origin posts are not accepted



=== TEST 58: a post from another site (Referer only)
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=shown&token=TOKEN
--- more_headers
Content-Type: application/x-www-form-urlencoded
Referer: http://localhost.evil.example/page
--- error_code: 403
--- reason
referer: cross-origin posts are not accepted



=== TEST 59: a page that is not a path
--- request
POST /cx/collect
survey=nps1&touchpoint=home&event=answered&score=2&page=http://x/&token=TOKEN
--- error_code: 400
--- reason
page: not a path (/ then printable ASCII but \" < >, at most 256 bytes)



=== TEST 60: cx_collect without cx_redis fails nginx -t
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location = /cx/collect {
    cx_collect;
}
--- must_die
--- check
--- error_log eval
qr/"cx_collect" in \S+nginx\.conf:\d+ needs "cx_redis"/



=== TEST 61: 32 fields are read (the limit is 32: make mutants body-fields-32)
--- request eval
"POST /cx/collect\n" . CORE::join('&', map { "f$_=1" } 1 .. 32)
--- error_code: 400
--- reason
survey: missing



=== TEST 62: 33 fields are too many
--- request eval
"POST /cx/collect\n" . CORE::join('&', map { "f$_=1" } 1 .. 33)
--- error_code: 400
--- reason
body: too many fields



=== TEST 63: JSON with a raw control byte (0x1f, 0x01) in a string (body-json-control)
--- request eval
["POST /cx/collect\n{\"survey\":\"nps1\",\"comment\":\"a\x1fb\"}",
 "POST /cx/collect\n{\"survey\":\"nps1\",\"comment\":\"a\x01b\"}"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400]
--- reason
body: invalid JSON string
