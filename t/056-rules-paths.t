# Lua trigger rules: touchpoint(r) answers remembered per path.  A call
# that read nothing but r.path (no other field of r, no clock, no
# chance, no print) gives the same answer for the same path, so the next
# page view of that path takes it without a call; everything else is
# called every time.

use lib 't/lib';
use Test::CX;

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n");
    $block->set_value('config', <<"EOF");
location / {
    cx_touchpoint fallback;
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    add_header X-TP \$cx_touchpoint;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    my $page = "<html><body>hi</body></html>\n";
    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      map { [ $_, $page ] }
                                      qw(index.html a.html b.html),
                                      "caf\xc3\xa9.html",
                                      ('x' x 150) . '.html' ]);
});

sub tps {
    my (@uris) = @_;
    my @h = map { "GET $_ HTTP/1.1\r\nHost: localhost\r\n"
                  . "Connection: close\r\n\r\n" } @uris;
    return join ' ', map { http_request($_)->{headers}{'x-tp'} // '-' } @h;
}

run_tests();

__DATA__

=== TEST 1: a touchpoint of the path alone: called once per path
--- rule
local TPS = { { "/a.html", "page-a" }, { "/*.html", "page" } }
return {
    touchpoint = function(r) return (cx.route(r.path, TPS)) end,
    trigger = function(r) return "s1" end,
}
--- request
GET /a.html
--- check
is(::tps('/a.html', '/b.html', '/b.html', '/', '/'),
   'page-a page page fallback fallback', 'the touchpoints');
# 6 page views: 6 trigger calls, touchpoint called for /a.html, /b.html, /
is(metric('cx_rules_evaluations_total'), 9, 'calls');
is(metric('cx_rules_touchpoints_remembered_total'), 3, 'remembered');



=== TEST 2: a touchpoint that reads more than the path is called every time
--- rule
return {
    touchpoint = function(r)
        return r.path == "/a.html" and r.header["X-Seg"] or nil
    end,
    trigger = function(r) return "s1" end,
}
--- request
GET /a.html
--- more_headers
X-Seg: first
--- check
my @r = map { http_request("GET /a.html HTTP/1.1\r\nHost: localhost\r\n"
                           . "X-Seg: $_\r\nConnection: close\r\n\r\n") }
        qw(second third);
is(join(' ', map { $_->{headers}{'x-tp'} } @r), 'second third',
   'each page view its own touchpoint');
is(metric('cx_rules_evaluations_total'), 6, 'calls');
is(metric('cx_rules_touchpoints_remembered_total'), 0, 'none remembered');



=== TEST 3: clocks, chance, the time, the visitor and print are never remembered
--- rule
return {
    touchpoint = function(r)
        local what = r.path:match("^/(%w+)")
        if what == "a" then return os.time() > 0 and "clock" or nil end
        if what == "b" then return os.date("%Y") and "date" or nil end
        if what == "index" then return math.random() < 2 and "random" or nil end
        if what == "caf" then return r.time.hour >= 0 and "time" or nil end
        if r.path:sub(2, 6) == "xxxxx" then print("x") return "print" end
        return r.visitor.new and "visitor" or nil
    end,
    trigger = function(r) return "s1" end,
}
--- request
GET /a.html
--- check
is(::tps(('/a.html') x 2, ('/b.html') x 2, ('/index.html') x 2,
         ('/caf%C3%A9.html') x 2, ('/' . 'x' x 150 . '.html') x 2, ('/') x 2),
   'clock clock date date random random time time print print visitor visitor',
   'the touchpoints');
is(metric('cx_rules_touchpoints_remembered_total'), 0, 'none remembered');
is(metric('cx_rules_evaluations_total'), 26, 'every page view called');



=== TEST 4: the decoded path is the key; long paths are not kept
--- rule
return {
    touchpoint = function(r)
        if #r.path > 100 then return "long" end
        return r.path == "/caf\195\169.html" and "cafe" or "other"
    end,
    trigger = function(r) return "s1" end,
}
--- request
GET /caf%C3%A9.html
--- check
is(::tps("/caf\xc3\xa9.html", '/caf%c3%a9.html', '/caf%C3%A9.html?x=1',
         ('/' . 'x' x 150 . '.html') x 2),
   'cafe cafe cafe long long', 'the touchpoints');
# remembered for the first request, then taken three times; long: never
is(metric('cx_rules_touchpoints_remembered_total'), 3, 'remembered');



=== TEST 5: a failing touchpoint is not remembered
--- rule
return {
    touchpoint = function(r)
        if r.path == "/a.html" then error("no touchpoint here") end
        return "Not A Name"
    end,
    trigger = function(r) return "s1" end,
}
--- request
GET /a.html
--- check
is(::tps('/a.html', '/b.html', '/b.html'), 'fallback fallback fallback',
   'the touchpoints');
is(metric('cx_rules_touchpoints_remembered_total'), 0, 'none remembered');
my @f = error_log_since(0) =~ /touchpoint\(\) failed/g;
is(scalar @f, 4, 'every failure logged');
