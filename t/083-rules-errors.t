# Rule errors where marketers look, not only in the error log: cx_metrics
# counts failures per rule file and reason, and /cx/score?report=rules
# gives each file's last errors -- file:line, the message (escaped as in
# the log), how often, since when -- from shared memory, so every worker
# answers the same, and across reloads.

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get);
use JSON::PP ();

sub report {
    my $r = get('/cx/score?report=rules');
    die "report=rules: $r->{status} $r->{body}" unless $r->{status} == 200;
    return JSON::PP::decode_json($r->{body});
}

# the entry of a file in the report, by the end of its path
sub file_of {
    my ($report, $name) = @_;
    my ($f) = grep { $_->{file} =~ m{/\Q$name\E$} } @{ $report->{files} };
    return $f;
}

sub failures {
    my ($file, $reason) = @_;
    my ($v) = Test::CX::metrics()
        =~ /^cx_rules_file_failures_total\{file="[^"]*\/\Q$file\E",reason="$reason"\} (\d+)$/m;
    return $v;
}

add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n"
                      . "cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;\n$http");

    my $config = $block->config // '';
    $block->set_value('config', <<"EOF" . $config);
location = /cx/score { cx_score; }
location = /cx/metrics { cx_metrics; }
location = /cx/collect { cx_collect; }
location = /cx/widget.js { cx_widget; }
EOF

    $block->set_value('redis', '') unless defined $block->redis;
});

run_tests();

__DATA__

=== TEST 1: failures counted per rule file and reason; a file that does not fail has its zeros
--- http_config
cx_rules_check off;
--- config
location /bad/ {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/bad.lua;
    cx_rules_budget 1000;
    alias $TEST_NGINX_HTML_DIR/;
}
location /good/ {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/good.lua;
    alias $TEST_NGINX_HTML_DIR/;
}
--- user_files
>>> bad.lua
return {
    trigger = function(r)
        local w = r.args.w
        if w == "error" then error("broken on purpose") end
        if w == "result" then return "nosuch" end
        if w == "budget" then while true do end end
        return nil
    end
}
>>> good.lua
return { trigger = function(r) return "s1" end }
>>> index.html
<html><body>hi</body></html>
--- request eval
["GET /bad/?w=error", "GET /bad/?w=error", "GET /bad/?w=result",
 "GET /bad/?w=budget", "GET /good/"]
--- response_body_like eval
["^<html><body>hi</body></html>", "^<html><body>hi</body></html>",
 "^<html><body>hi</body></html>", "^<html><body>hi</body></html>",
 'data-cx-survey="s1"']
--- check
is(::failures('bad.lua', 'error'), 2, 'bad.lua: 2 errors');
is(::failures('bad.lua', 'result'), 1, 'bad.lua: 1 result');
is(::failures('bad.lua', 'budget'), 1, 'bad.lua: 1 budget');
is(::failures('bad.lua', 'memory'), 0, 'bad.lua: no memory');
is(::failures('good.lua', $_), 0, "good.lua: no $_") for qw(error result budget memory);
like(Test::CX::metrics(), qr{^# TYPE cx_rules_file_failures_total counter$}m, 'a counter');



=== TEST 2: report=rules: each file's last errors, file:line, how often, since when, the latest first
--- http_config
cx_rules_check off;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return {
    touchpoint = function(r)
        if r.args.tp then return "Not A Name" end
    end,
    trigger = function(r)
        local w = r.args.w
        if w == "nil" then return r.args.missing:lower() end
        if w == "forged" then error("first\nFORGED [error] line \27[31m") end
        return "s1"
    end
}
>>> index.html
<html><body>hi</body></html>
--- request eval
["GET /?w=nil", "GET /?w=nil", "GET /?w=nil", "GET /?w=forged", "GET /?tp=1"]
--- response_body_like eval
[("^<html><body>hi</body></html>") x 4, 'data-cx-survey="s1"']
--- check
my $rep = ::report();
is($rep->{report}, 'rules', 'the report');
is(scalar @{ $rep->{files} }, 1, 'one file');
my $f = $rep->{files}[0];
like($f->{file}, qr{/html/r\.lua$}, 'its path');
like($f->{since}, qr{^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$}, 'counted since');
is_deeply($f->{failures}, { error => 4, result => 1, budget => 0, memory => 0 },
          'failures by reason');
is(scalar @{ $f->{errors} }, 3, 'three distinct errors');
my ($tp, $forged, $nil) = @{ $f->{errors} };
is($tp->{function}, 'touchpoint', 'the latest first: touchpoint()');
is($tp->{reason}, 'result', 'a result not allowed');
is($tp->{line}, 2, 'at the line touchpoint() is defined');
like($tp->{message}, qr{^touchpoint\(\) returned "Not A Name", which is not a touchpoint name}, 'its message');
is($forged->{line}, 8, 'error(): its line');
is($forged->{message}, 'first\x0AFORGED [error] line \x1B[31m',
   'the message escaped as in the log: no line of its own, no terminal codes');
is($nil->{count}, 3, 'the same message thrice: one entry');
is($nil->{line}, 7, 'its line');
like($nil->{message}, qr{^attempt to index field 'missing' \(a nil value\)$}, 'its message');
is($nil->{function}, 'trigger', 'in trigger()');
like($nil->{first}, qr{^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$}, 'first seen');
ok($nil->{first} le $nil->{last}, 'first <= last');
like(::get('/cx/score?report=rules')->{headers}{'content-type'} // '',
     qr{^application/json}, 'JSON');



=== TEST 3: every worker answers the same: the counts are in shared memory
--- workers: 3
--- http_config
cx_rules_check off;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return { trigger = function(r) return r.nope end }
>>> index.html
<html><body>hi</body></html>
--- request
GET /
--- check
::get('/') for 1 .. 29;
my %counts;
for (1 .. 12) {
    my $f = ::report()->{files}[0];
    $counts{ $f->{errors}[0]{count} . '/' . $f->{failures}{error} }++;
}
is_deeply([ keys %counts ], [ '30/30' ], 'thirty failures, whichever worker answers');



=== TEST 4: at most 8 errors a file, the least recent making room; and a reload keeps the counts
--- http_config
cx_rules_check off;
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return { trigger = function(r) error("number " .. r.args.n) end }
>>> index.html
<html><body>hi</body></html>
--- request
GET /?n=0
--- check
::get("/?n=$_") for 1 .. 10;
my $f = ::report()->{files}[0];
is(scalar @{ $f->{errors} }, 8, 'eight kept');
my %kept = map { $_->{message} => 1 } @{ $f->{errors} };
ok($kept{'number 10'} && $kept{'number 3'}, 'the latest kept');
ok(!$kept{'number 0'} && !$kept{'number 1'} && !$kept{'number 2'},
   'the three least recent made room');
is($f->{failures}{error}, 11, 'all counted');
Test::CX::nginx_reload();
select(undef, undef, undef, 1);
::get('/?n=1');
$f = ::report()->{files}[0];
is($f->{failures}{error}, 12, 'counts go on after a reload');
ok((grep { $_->{message} eq 'number 10' } @{ $f->{errors} }), 'errors kept too');



=== TEST 5: report=rules takes nothing else, and needs no rule file
--- request eval
["GET /cx/score?report=rules&site=localhost", "GET /cx/score?report=rules",
 "GET /cx/score?report=bogus"]
--- error_code eval
[400, 200, 400]
--- response_body eval
['{"error":"site: not with report=rules"}' . "\n",
 '{"report":"rules","files":[]}' . "\n",
 '{"error":"report: must be touchpoints, followups, surveys or rules"}' . "\n"]
