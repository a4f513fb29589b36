# Injection basics: one tag, right before the real </body>, with the
# survey's attributes; and when the module leaves a response alone.

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
--- error_log
cx inject: survey "nps1" touchpoint "home"

