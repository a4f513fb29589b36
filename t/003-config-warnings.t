# nginx -t warns, and still succeeds, when a configuration cannot work as
# meant, naming file:line and what to add: a tag whose src no location of
# its server serves with cx_widget (looked up as nginx looks up a request),
# surveys without a cx_collect location, counting without cx_redis.
#
# Each block's check calls nginx_t_warns(regex, ...): nginx -t succeeds
# and prints exactly those warnings (none when no regex is given).

use lib 't/lib';
use Test::CX;

our $CONF = qr/\S+nginx\.conf/;

# "FILE:LINE" of the first line of the block's nginx.conf matching $re
sub at {
    my ($re) = @_;

    my $file = servroot() . '/conf/nginx.conf';
    open my $fh, '<', $file or die "$file: $!";

    while (<$fh>) {
        return "$file:$." if $_ =~ $re;
    }

    die "no $re in $file";
}

sub nginx_t_warns {
    my (@want) = @_;

    my ($rc, $out) = Test::CX::run_nginx('-t');
    is($rc, 0, 'nginx -t succeeds') or diag($out);

    my @warn = $out =~ /\[warn\] \d+#\d+: (.*)$/mg;

    for my $re (@want) {
        is(scalar(grep { $_ =~ $re } @warn), 1, "nginx -t warns: $re")
            or diag($out);
    }

    is(scalar @warn, scalar @want, 'and nothing else') or diag($out);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
EOF
    $block->set_value('redis', '') unless defined $block->redis;
});

run_tests();

__DATA__

=== TEST 1: survey, widget, collect, Redis: nothing to warn about
--- config
location / {
    cx_touchpoint home;
    cx_survey s1 type=nps;
}
location = /cx/widget.js { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 2: no location serves the widget: the warning names the survey, the server and the fix
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/collect { cx_collect; }
--- check
my $survey = ::at(qr/cx_survey s1/);
my $server = ::at(qr/^\s*server \{/);
::nginx_t_warns(qr/^the tag of "cx_survey s1" in \Q$survey\E loads the widget from "\/cx\/widget\.js", which no location of the server in \Q$server\E serves with "cx_widget": add "location = \/cx\/widget\.js \{ cx_widget; \}" to that server, or set "cx_widget_src" to where the widget is served$/);



=== TEST 3: the widget under a prefix location serves the default src
--- config
location / {
    cx_survey s1 type=nps;
}
location /cx/ { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 4: a regex location for scripts takes /cx/widget.js before the prefix location
--- config
location / {
    cx_survey s1 type=nps;
}
location ~ \.js$ { expires 1d; }
location /cx/ { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns(qr/^the tag of "cx_survey s1" .* loads the widget from "\/cx\/widget\.js", which no location/);



=== TEST 5: ... unless the prefix location says ^~
--- config
location / {
    cx_survey s1 type=nps;
}
location ~ \.js$ { expires 1d; }
location ^~ /cx/ { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 6: the widget in a nested location, or in a regex location
--- config
location / {
    cx_survey s1 type=nps;
}
location /a/ {
    cx_survey s2 type=nps;
    cx_widget_src /a/cx.js;
}
location /cx/ {
    location = /cx/widget.js { cx_widget; }
}
location ~* /A/CX\.JS$ { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 7: a nested location that is not the widget takes its src
--- config
location / {
    cx_survey s1 type=nps;
}
location /cx/ {
    cx_widget;
    location ~ widget { }
}
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns(qr/^the tag of "cx_survey s1" .* "\/cx\/widget\.js", which no location/);



=== TEST 8: an internal widget location, a location that redirects, another handler
--- config
location /a/ {
    cx_survey s1 type=nps;
    cx_widget_src /w1.js;
}
location /b/ {
    cx_survey s2 type=nps;
    cx_widget_src /w2;
}
location /c/ {
    cx_survey s3 type=nps;
    cx_widget_src /w3.js;
}
location = /w1.js { cx_widget; internal; }
location /w2/ { cx_widget; }
location = /w3.js { cx_widget; proxy_pass http://127.0.0.1:9; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns(qr/^the tag of "cx_survey s1" .* from "\/w1\.js"/,
                qr/^the tag of "cx_survey s2" .* from "\/w2"/,
                qr/^the tag of "cx_survey s3" .* from "\/w3\.js"/);



=== TEST 9: srcs on another site, relative, or with escapes are not checked
--- config
location /a/ {
    cx_survey s1 type=nps;
    cx_widget_src https://cdn.example.com/cx/widget.js;
}
location /b/ {
    cx_survey s2 type=nps;
    cx_widget_src //cdn.example.com/cx/widget.js;
}
location /c/ {
    cx_survey s3 type=nps;
    cx_widget_src widget.js;
}
location /d/ {
    cx_survey s4 type=nps;
    cx_widget_src /cx/widget%2Ejs;
}
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 10: the query string of the src is not part of the lookup
--- config
location / {
    cx_survey s1 type=nps;
    cx_widget_src /cx/widget.js?v=2&lang=de;
}
location = /cx/widget.js { cx_widget; }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 11: cx_inject off: no tag, no warning; endpoints never inject
--- config
cx_survey s1 type=nps;
location / {
    cx_inject off;
}
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns();



=== TEST 12: server-level surveys reach the locations without their own; one warning per server and src
--- config
cx_survey s1 type=nps;
location /a/ { }
location /b/ { }
location @fallback { }
location = /cx/collect { cx_collect; }
--- check
::nginx_t_warns(qr/^the tag of "cx_survey s1" .* the server in $::CONF:\d+ serves/);



=== TEST 13: a widget in another server does not serve this one
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/collect { cx_collect; }
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name other.example.com;
    cx_survey s2 type=nps;
    location = /cx/widget.js { cx_widget; }
}
--- check
# the default server: "server {", "listen ...;", "server_name localhost;"
my $server = ::at(qr/^\s*server_name localhost;/);
$server =~ s/(\d+)$/$1 - 2/e;
::nginx_t_warns(qr/^the tag of "cx_survey s1" .* no location of the server in \Q$server\E serves/);



=== TEST 14: a rules-only location: the warning names cx_rules_lua
--- config
location / {
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
location = /cx/collect { cx_collect; }
--- user_files
>>> r.lua
return { trigger = function(r) return nil end }
--- check
my $rules = ::at(qr/cx_rules_lua/);
::nginx_t_warns(qr/^the tag of "cx_rules_lua" in \Q$rules\E loads the widget from "\/cx\/widget\.js"/);



=== TEST 15: surveys without a cx_collect location
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/widget.js { cx_widget; }
--- check
my $survey = ::at(qr/cx_survey s1/);
::nginx_t_warns(qr/^no location has "cx_collect": the answers to "cx_survey s1" in \Q$survey\E have nowhere to go; add "location = \/cx\/collect \{ cx_collect; \}" to the servers with surveys$/);



=== TEST 16: surveys without cx_redis (and so without cx_collect, which needs it)
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/widget.js { cx_widget; }
--- check
my $survey = ::at(qr/cx_survey s1/);
::nginx_t_warns(qr/^nothing is counted: "cx_survey s1" in \Q$survey\E needs "cx_redis" in the http block, e.g. "cx_redis 127\.0\.0\.1:6379;"$/,
                qr/^no location has "cx_collect"/);



=== TEST 17: touchpoints without cx_redis
--- http_config
cx_secret 0123456789abcdef0123;
--- config
location / {
    cx_touchpoint home;
}
--- check
my $tp = ::at(qr/cx_touchpoint home/);
::nginx_t_warns(qr/^nothing is counted: "cx_touchpoint" in \Q$tp\E needs "cx_redis" in the http block/);



=== TEST 18: touchpoints with cx_redis
--- config
location / {
    cx_touchpoint home;
}
--- check
::nginx_t_warns();
