# Directives: what a valid configuration looks like, and how every bad
# argument fails `nginx -t` with the directive, the value and file:line.

use lib 't/lib';
use Test::CX;

run_tests();

__DATA__

=== TEST 1: a full, valid configuration passes nginx -t without a warning and serves
--- http_config
cx_secret 0123456789abcdef0123;
cx_inject_types application/xhtml+xml;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
cx_touchpoint site;
cx_survey site_nps type=nps sample=5%;
location /checkout {
    cx_touchpoint checkout;
    cx_survey checkout_csat type=csat "question=How was checkout?" sample=12.5% delay=3s cooldown=30d;
    cx_survey checkout_ces type=ces "question=How easy was it?" sample=0.01% delay=0 cooldown=14;
    cx_survey checkout_nps type=nps sample=.5% cooldown=2w;
}
location /thanks {
    cx_survey checkout_csat type=csat sample=100%;
    cx_inject off;
}
location = /cx/widget.js { cx_widget; }
location = /cx/collect { cx_collect; }
--- redis
--- request
GET /checkout
--- error_code: 404
--- check
my ($rc, $out) = Test::CX::run_nginx('-t');
is($rc, 0, 'nginx -t passes');
unlike($out, qr/\[warn\]/, 'without a warning');
--- no_error_log
[warn]



=== TEST 2: unknown survey type
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=promoter;
}
--- must_die
--- error_log eval
qr/unknown survey type "promoter" in "cx_survey": use nps, csat or ces in \S+nginx\.conf:\d+/



=== TEST 3: sample above 100%
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps sample=101%;
}
--- must_die
--- error_log eval
qr/invalid "sample=101%" in "cx_survey": a sample is a percentage from 0% to 100%, e.g. 12.5% in \S+nginx\.conf:\d+/



=== TEST 4: sample with three decimals
--- config
location / {
    cx_survey s1 type=nps sample=1.125%;
}
--- must_die
--- error_log eval
qr/invalid "sample=1.125%" in "cx_survey".* in \S+nginx\.conf:\d+/



=== TEST 5: sample that is not a number
--- config
location / {
    cx_survey s1 type=nps sample=ten%;
}
--- must_die
--- error_log eval
qr/invalid "sample=ten%" in "cx_survey"/



=== TEST 6: negative delay
--- config
location / {
    cx_survey s1 type=ces delay=-5s;
}
--- must_die
--- error_log eval
qr/invalid "delay=-5s" in "cx_survey": a delay is a time from 0s to 1h, e.g. 5s in \S+nginx\.conf:\d+/



=== TEST 7: delay above an hour
--- config
location / {
    cx_survey s1 type=ces delay=2h;
}
--- must_die
--- error_log eval
qr/invalid "delay=2h" in "cx_survey"/



=== TEST 8: cooldown that is not a duration
--- config
location / {
    cx_survey s1 type=csat cooldown=often;
}
--- must_die
--- error_log eval
qr/invalid "cooldown=often" in "cx_survey": a cooldown is a number of days up to 3650, e.g. 30d in \S+nginx\.conf:\d+/



=== TEST 9: survey id with upper case and punctuation
--- config
location / {
    cx_survey NPS! type=nps;
}
--- must_die
--- error_log eval
qr/invalid survey id "NPS!" in "cx_survey": a name is 1-64 of \[a-z0-9_.-\] in \S+nginx\.conf:\d+/



=== TEST 10: survey id with a colon (a Redis key separator)
--- config
location / {
    cx_survey a:b type=nps;
}
--- must_die
--- error_log eval
qr/invalid survey id "a:b" in "cx_survey"/



=== TEST 11: survey id longer than 64 bytes
--- config
location / {
    cx_survey aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa type=nps;
}
--- must_die
--- error_log eval
qr/invalid survey id "a{65}" in "cx_survey"/



=== TEST 12: duplicate survey id in one location
--- config
location / {
    cx_survey s1 type=nps;
    cx_survey s1 type=nps sample=50%;
}
--- must_die
--- error_log eval
qr/duplicate survey id "s1" in "cx_survey", first defined in \S+nginx\.conf:\d+ in \S+nginx\.conf:\d+/



=== TEST 13: one id with two types in two locations
--- config
location /a {
    cx_survey s1 type=nps;
}
location /b {
    cx_survey s1 type=csat;
}
--- must_die
--- error_log eval
qr/survey id "s1" in "cx_survey" is already defined with type=nps in \S+nginx\.conf:\d+ in \S+nginx\.conf:\d+/



=== TEST 14: survey without a type
--- config
location / {
    cx_survey s1 sample=10%;
}
--- must_die
--- error_log eval
qr/survey "s1" in "cx_survey" has no "type=" \(nps, csat or ces\) in \S+nginx\.conf:\d+/



=== TEST 15: unknown survey parameter
--- config
location / {
    cx_survey s1 type=nps colour=red;
}
--- must_die
--- error_log eval
qr/invalid parameter "colour=red" in "cx_survey": expected type=, question=, sample=, delay=, cooldown=, recontact=, dismissed=, followup=, followup_question= or variant= in \S+nginx\.conf:\d+/



=== TEST 16: a question that is not UTF-8
--- config eval
"location / {\n    cx_survey s1 type=nps \"question=Caf\xe9?\";\n}\n"
--- must_die
--- error_log eval
qr/invalid "question=Caf.\?" in "cx_survey": a question is 1-512 bytes of UTF-8 text/



=== TEST 17: a question longer than 512 bytes
--- config eval
"location / {\n    cx_survey s1 type=nps \"question=" . ("x" x 513) . "\";\n}\n"
--- must_die
--- error_log eval
qr/a question is 1-512 bytes of UTF-8 text/



=== TEST 18: cx_survey is not allowed at http level
--- http_config
cx_survey s1 type=nps;
--- must_die
--- error_log eval
qr/"cx_survey" directive is not allowed here in \S+nginx\.conf:\d+/



=== TEST 19: touchpoint with bad characters
--- config
location / {
    cx_touchpoint "Check Out";
}
--- must_die
--- error_log eval
qr/invalid touchpoint "Check Out" in "cx_touchpoint": a name is 1-64 of \[a-z0-9_.-\] in \S+nginx\.conf:\d+/



=== TEST 20: touchpoint given twice
--- config
location / {
    cx_touchpoint a;
    cx_touchpoint b;
}
--- must_die
--- error_log eval
qr/"cx_touchpoint" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 21: cx_secret shorter than 16 bytes
--- http_config
cx_secret short;
--- must_die
--- error_log eval
qr/"cx_secret" is too short: use at least 16 random characters in \S+nginx\.conf:\d+/



=== TEST 22: cx_secret in a server block
--- config
cx_secret 0123456789abcdef0123;
--- must_die
--- error_log eval
qr/"cx_secret" directive is not allowed here/



=== TEST 23: cx_inject takes on or off
--- config
cx_inject maybe;
--- must_die
--- error_log eval
qr/invalid value "maybe" in "cx_inject" directive, it must be "on" or "off" in \S+nginx\.conf:\d+/



=== TEST 24: widget URL with a space
--- config
cx_widget_src "/cx/my widget.js";
--- must_die
--- error_log eval
qr/invalid URL "\/cx\/my widget.js" in "cx_widget_src": printable ASCII without spaces, at most 1024 bytes in \S+nginx\.conf:\d+/



=== TEST 25: cx_survey without arguments beyond the id
--- config
location / {
    cx_survey s1;
}
--- must_die
--- error_log eval
qr/invalid number of arguments in "cx_survey" directive/



=== TEST 26: no cx_secret: a warning, and pages are still served
--- config
location / {
    cx_survey s1 type=nps;
}
--- user_files
>>> index.html
<body></body>
--- request
GET /
--- response_body_like
^<body><script src="/cx/widget.js" async data-cx-survey="s1".*></script></body>
--- check
my ($rc, $out) = Test::CX::run_nginx('-t');
like($out, qr/\[warn\].*"cx_secret" is not set: survey tokens use a random key/,
     "nginx -t warns about the missing cx_secret");



=== TEST 27: sample with three decimals says two at most
--- config
location / {
    cx_survey s1 type=nps sample=0.125%;
}
--- must_die
--- error_log eval
qr/invalid "sample=0.125%" in "cx_survey": a sample has two decimals at most, e\.g\. 0\.13% in \S+nginx\.conf:\d+/



=== TEST 28: sample without % is refused with the percentage to write
--- config
location / {
    cx_survey s1 type=nps sample=20;
}
--- must_die
--- error_log eval
qr/invalid "sample=20" in "cx_survey": write a percentage, e\.g\. "sample=20%" in \S+nginx\.conf:\d+/



=== TEST 29: a sample that may be a fraction: both readings are offered
--- config
location / {
    cx_survey s1 type=nps sample=0.2;
}
--- must_die
--- error_log eval
qr/invalid "sample=0.2" in "cx_survey": write a percentage, "sample=0.2%", or "sample=20%" if 0.2 is a fraction in \S+nginx\.conf:\d+/



=== TEST 30: a bare number above 100 is out of range first
--- config
location / {
    cx_survey s1 type=nps sample=150;
}
--- must_die
--- error_log eval
qr/invalid "sample=150" in "cx_survey": a sample is a percentage from 0% to 100%, e\.g\. 12\.5% in \S+nginx\.conf:\d+/



=== TEST 31: a question without quotes: the error shows it quoted
--- config
location / {
    cx_survey s1 type=nps question=How likely are you to recommend us? sample=5%;
}
--- must_die
--- error_log eval
qr/invalid parameter "likely" in "cx_survey": a question with spaces is one parameter in quotes, e\.g\. "question=How likely are you to recommend us\?" in \S+nginx\.conf:\d+/



=== TEST 32: a long unquoted question is shortened in the message
--- config eval
"location / {\n    cx_survey s1 type=nps question=" . CORE::join(' ', ('word') x 40) . ";\n}\n"
--- must_die
--- error_log eval
qr/a question with spaces is one parameter in quotes, e\.g\. "question=(word ){13}wor\.\.\." in \S+nginx\.conf:\d+/



=== TEST 33: a stray word after a quoted question is just an invalid parameter
--- config
location / {
    cx_survey s1 type=nps "question=How likely?" please;
}
--- must_die
--- error_log eval
qr/invalid parameter "please" in "cx_survey": expected type=, question=, sample=, delay=, cooldown=, recontact=, dismissed=, followup=, followup_question= or variant= in \S+nginx\.conf:\d+/
