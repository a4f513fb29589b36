# Injection basics: exactly one tag, right before the real </body>, with
# the survey's attributes HTML-escaped and a fresh token per page view;
# and the response headers an injected page gets.

use lib 't/lib';
use Test::CX;

run_tests();

__DATA__

=== TEST 1: a static page gets one tag right before </body>
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps "question=How likely are you to recommend us?" delay=5s;
}
--- user_files
>>> index.html
<html><body><p>hello</p></body></html>
--- request
GET /
--- response_body_like
^<html><body><p>hello</p><script src="/cx/widget.js" async data-cx-survey="nps1" data-cx-type="nps" data-cx-question="How likely are you to recommend us\?" data-cx-delay="5" data-cx-touchpoint="home" data-cx-token="$TEST_NGINX_TODAY\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}"></script></body></html>
$
--- response_headers
!Content-Length
Content-Type: text/html
--- error_log
cx inject: survey "nps1"



=== TEST 2: every byte but the tag is passed through unchanged
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=csat;
}
--- user_files
>>> page.html
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Caf&eacute; — ünïcödé</title></head>
<body class="x">
  <p>Tabs	and  spaces,
  CRLF lines
</p>
</body>
</html>
--- request
GET /page.html
--- check
my $r = http_request("GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my $orig = do { local $/; open my $f, '<', html_dir() . '/page.html'; <$f> };
(my $without = $r->{body}) =~ s{<script src="/cx/widget\.js"[^>]*></script>}{};
is($without, $orig, "removing the tag gives the original bytes back");
my @tags = $r->{body} =~ /<script src="\/cx\/widget\.js"/g;
is(scalar @tags, 1, "exactly one tag");
like($r->{body}, qr{</script></body>\n</html>\n\z}, "tag right before </body>");



=== TEST 3: question, nonce and URL are HTML-escaped in attributes
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps "question=Would you recommend \"Bob's\" <Shop> & Co?";
    cx_csp_nonce $arg_n;
    cx_widget_src /static/cx.js?v=1&x=2;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /?n=a"b<c>
--- response_body_like
^<body><script src="/static/cx.js\?v=1&amp;x=2" async data-cx-survey="s1" data-cx-type="nps" data-cx-question="Would you recommend &#34;Bob&#39;s&#34; &lt;Shop&gt; &amp; Co\?" data-cx-delay="0" data-cx-touchpoint="other" data-cx-token="[^"]+" nonce="a&#34;b&lt;c&gt;"></script></body>



=== TEST 4: no question= means no question attribute; cooldown is passed on
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_touchpoint support;
    cx_survey help_ces type=ces delay=10s cooldown=2w;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body_like
^<body><script src="/cx/widget.js" async data-cx-survey="help_ces" data-cx-type="ces" data-cx-delay="10" data-cx-cooldown="14" data-cx-touchpoint="support" data-cx-token="[^"]+"></script></body>



=== TEST 5: every page view gets its own token
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- check
my %seen;
for (1 .. 20) {
    my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($t) = $r->{body} =~ /data-cx-token="([^"]+)"/;
    $seen{$t}++ if $t;
}
is(scalar keys %seen, 20, "20 page views, 20 different tokens");



=== TEST 6: the token is an HMAC of the prefix, site, survey, touchpoint, day and nonce
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- check
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my ($day, $nonce, $mac) = $r->{body} =~ /data-cx-token="(\d{8})\.([^.]+)\.([^"]+)"/;
my $want = substr(hmac_sha256("cx2|cx|localhost|s1|home|$day|$nonce", "0123456789abcdef0123"), 0, 16);
is($mac, encode_base64url($want), "MAC checks with the secret");
is($day, today(), "token carries the UTC day");



=== TEST 7: upper-case </BODY> with whitespace before >
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<HTML><BODY>x</BODY   
  >
</HTML>
--- request
GET /
--- response_body_like
^<HTML><BODY>x<script src="/cx/widget.js"[^>]*></script></BODY   \n  >\n</HTML>\n$



=== TEST 8: mixed case </BoDy/> with a slash
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body>x</BoDy/>
--- request
GET /
--- response_body_like
^<body>x<script src="/cx/widget.js"[^>]*></script></BoDy/>\n$



=== TEST 9: </bodyx> and </ body> are not the end of the body
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body>a</bodyx>b</ body>c</body>
--- request
GET /
--- response_body_like
^<body>a</bodyx>b</ body>c<script src="/cx/widget.js"[^>]*></script></body>\n$



=== TEST 10: two </body> tags: only the first gets the tag
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body>a</body><body>b</body>
--- request
GET /
--- response_body_like
^<body>a<script src="/cx/widget.js"[^>]*></script></body><body>b</body>\n$



=== TEST 11: a page without </body> gets the tag at its end
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<p>no body end tag here
--- request
GET /
--- response_body_like
^<p>no body end tag here\n<script src="/cx/widget.js"[^>]*></script>$



=== TEST 12: a page that ends in the middle of "</bod" keeps those bytes
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files eval
[[ "index.html", "<p>cut</bod" ]]
--- request
GET /
--- response_body_like
^<p>cut</bod<script src="/cx/widget.js"[^>]*></script>$



=== TEST 13: an empty page is left alone
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files eval
[[ "empty.html", "" ]]
--- request
GET /empty.html
--- response_body eval
""
--- response_headers
Content-Length: 0



=== TEST 14: cx_inject off leaves pages alone, with Content-Length
--- http_config
cx_secret 0123456789abcdef0123;
--- config
cx_survey s1 type=nps;
location / {
    cx_inject off;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body
<body></body>
--- response_headers
Content-Length: 14



=== TEST 15: a location without a survey is left alone
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location /a {
    cx_survey s1 type=nps;
}
location / {
    cx_touchpoint home;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body
<body></body>



=== TEST 16: surveys are inherited from the server level
--- http_config
cx_secret 0123456789abcdef0123;
--- config
cx_survey srv_nps type=nps;
location / {
    cx_touchpoint home;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body_like
data-cx-survey="srv_nps".*data-cx-touchpoint="home"



=== TEST 17: a location's own surveys replace the server's
--- http_config
cx_secret 0123456789abcdef0123;
--- config
cx_survey srv_nps type=nps;
location / {
    cx_survey loc_csat type=csat;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body_like
data-cx-survey="loc_csat" data-cx-type="csat"



=== TEST 18: sample=0% never triggers
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps sample=0%;
}
--- user_files
>>> index.html
<body></body>
--- request eval
[ ("GET /") x 10 ]
--- response_body eval
[ ("<body></body>\n") x 10 ]



=== TEST 19: several surveys share page views by their samples
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey a type=nps sample=30%;
    cx_survey b type=csat sample=20%;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- check
my %n;
for (1 .. 1000) {
    my $r = http_request("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($s) = $r->{body} =~ /data-cx-survey="([^"]+)"/;
    $n{$s // 'none'}++;
}
# binomial 3-sigma bounds for n=1000
ok($n{a} > 250 && $n{a} < 350, "about 30% get a ($n{a})");
ok($n{b} > 160 && $n{b} < 240, "about 20% get b ($n{b})");
ok($n{none} > 450 && $n{none} < 550, "about half get none ($n{none})");



=== TEST 20: $cx_survey and $cx_touchpoint in log_format
--- http_config
cx_secret 0123456789abcdef0123;
log_format cx "cx survey=$cx_survey tp=$cx_touchpoint uri=$uri";
--- config
access_log $TEST_NGINX_SERVROOT/logs/cx.log cx;
location /s {
    cx_touchpoint checkout;
    cx_survey s1 type=csat;
}
location /n {
    cx_touchpoint news;
}
--- user_files
>>> s/index.html
<body></body>
>>> n/index.html
<body></body>
--- request eval
["GET /s/", "GET /n/"]
--- wait: 0.1
--- check
open my $f, '<', servroot() . '/logs/cx.log';
my @l = <$f>;
like($l[0], qr{^cx survey=s1 tp=checkout uri=/s/index.html$}, "survey and touchpoint logged");
like($l[1], qr{^cx survey=- tp=news uri=/n/index.html$}, "no survey, touchpoint logged");



=== TEST 21: a touchpoint from a variable is validated per request
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_touchpoint $arg_tp;
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body></body>
--- request eval
["GET /?tp=product.espresso", "GET /?tp=Bad%20Name", "GET /?tp=a:b"]
--- response_body_like eval
[ 'data-cx-touchpoint="product.espresso"',
  'data-cx-touchpoint="other"',
  'data-cx-touchpoint="other"' ]
--- error_log
touchpoint "Bad%20Name" is not a valid name
touchpoint "a:b" is not a valid name



=== TEST 22: a strong ETag is made weak, Last-Modified is removed
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_headers_like
ETag: ^W/"[0-9a-f]+-[0-9a-f]+"$
--- response_headers
!Last-Modified
!Accept-Ranges



=== TEST 23: cx_last_modified on keeps Last-Modified
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
    cx_last_modified on;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_headers_like
Last-Modified: GMT$
ETag: ^W/



=== TEST 24: cx_inject_types adds other types; text/plain is not injected by default
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location /x {
    cx_survey s1 type=nps;
    cx_inject_types application/xhtml+xml;
}
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> x/page.xhtml
<body></body>
>>> x/page.html
<body></body>
>>> plain.txt
<body></body>
--- request eval
["GET /x/page.xhtml", "GET /x/page.html", "GET /plain.txt"]
--- response_body_like eval
[ '^<body><script src', '^<body><script src', '^<body></body>\n$' ]
