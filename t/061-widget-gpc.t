# cx_respect_gpc: visitors who send Global Privacy Control (Sec-GPC: 1)
# or Do Not Track (DNT: 1) get the page as without the module -- no
# survey tag, so no widget and no visitor cookie -- and the skip is
# counted.  Off by default; inherited like any location setting.

use lib 't/lib';
use Test::CX;

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';
our $PAGE = "<html><body><p>hello</p></body></html>\n";

sub page {
    my ($header) = @_;
    return http_request("GET / HTTP/1.1\r\nHost: localhost\r\n$header\r\n"
                        . "Connection: close\r\n\r\n");
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_survey s1 type=nps;
    cx_respect_gpc on;
}
location = /cx/metrics {
    cx_metrics;
}
EOF
    $block->set_value('user_files', [[ 'index.html', $PAGE ]])
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: Sec-GPC: 1 -- the page as on disk, no tag; the skip is logged and counted
--- request
GET /
--- more_headers
Sec-GPC: 1
--- response_body eval
$::PAGE
--- response_headers eval
"Content-Length: " . length($::PAGE)
--- error_log
cx skip: Sec-GPC or DNT
--- check
like(metrics(), qr/^cx_injection_skips_total\{reason="privacy"\} 1$/m, 'counted');



=== TEST 2: DNT: 1 -- no tag either
--- request
GET /
--- more_headers
DNT: 1
--- response_body eval
$::PAGE



=== TEST 3: header names in any case
--- request
GET /
--- check
for my $h ("sec-gpc: 1", "dnt: 1", "SEC-GPC: 1") {
    is(::page($h)->{body}, $::PAGE, "$h: no tag");
}



=== TEST 4: no signal, or a signal that is not "1": the tag as usual
--- request
GET /
--- response_body_like eval
"$::TAG</body>"
--- check
for my $h ("Sec-GPC: 0", "DNT: 0", "Sec-GPC: 1x", "DNT: yes", "X-Sec-GPC: 1") {
    like(::page($h)->{body}, qr/$::TAG<\/body>/, "$h: the tag");
}
--- no_error_log
cx skip: Sec-GPC or DNT



=== TEST 5: off by default: GPC visitors still get the tag
--- config
location / {
    cx_survey s1 type=nps;
}
--- request
GET /
--- more_headers
Sec-GPC: 1
--- response_body_like eval
"$::TAG</body>"



=== TEST 6: set at http level, turned off in one location
--- http_config
cx_secret 0123456789abcdef0123;
cx_respect_gpc on;
--- config
location / {
    cx_survey s1 type=nps;
}
location /always/ {
    cx_survey s1 type=nps;
    cx_respect_gpc off;
}
--- user_files eval
[[ 'index.html', $::PAGE ], [ 'always/index.html', $::PAGE ]]
--- request eval
["GET /", "GET /always/"]
--- more_headers
Sec-GPC: 1
--- response_body_like eval
["^\Q$::PAGE\E\$", "$::TAG</body>"]



=== TEST 7: HEAD with Sec-GPC: the headers of a page that is not injected
--- request
HEAD /
--- more_headers
Sec-GPC: 1
--- response_headers eval
"Content-Length: " . length($::PAGE)
--- response_headers_like
ETag: ^"



=== TEST 8: not a flag
--- config
location / {
    cx_respect_gpc maybe;
}
--- must_die
--- error_log eval
qr/invalid value "maybe" in "cx_respect_gpc" directive, it must be "on" or "off" in \S+nginx\.conf:\d+/
