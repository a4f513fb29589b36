# Lua trigger rules in the error log: what a rule says (its errors, what
# it returns, print()) is escaped -- control bytes, DEL, C1 controls,
# line separators, bidi overrides, backslash and bytes that are not UTF-8
# as \xNN, printable UTF-8 as it is -- and bounded in length, so a rule
# cannot forge a line; and every rule log path is rate-limited per rule
# file: at most 10 lines a second of failures and 10 of print(), the
# lines left out counted in the next line and in a metric.
#
# A block's "rule" is the rule file r<N>.lua, run at the largest budget
# (a print() costs 1,000 instructions: the loops below must not end on
# the budget before the rate limit is shown).

use lib 't/lib';
use Test::CX;

our $PAGE = "<html><body>hi</body></html>\n";

# a line nginx itself wrote at that level (not text inside another line)
our $REAL_ALERT = qr{^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(alert|emerg|crit)\]}m;

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n"
                                     . ($block->http_config // ''));
    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    cx_rules_budget 100000000;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      [ 'index.html', $PAGE ] ]);
    $block->set_value('request', "GET /")
        unless defined $block->request || defined $block->must_die;
});

# the lines of the error log that mention rule file N
sub lines_of {
    my ($n) = @_;
    return grep { m{/r$n\.lua} } split /\n/, error_log_since(0);
}

# the largest number of matching lines one process wrote in one second
sub per_second {
    my ($re, @lines) = @_;
    my %n;
    for (grep { /$re/ } @lines) {
        my ($when, $pid) = m{^(\S+ \S+) \[\w+\] (\d+)#} or next;
        $n{"$when $pid"}++;
    }
    my ($max) = sort { $b <=> $a } values %n;
    return $max // 0;
}

sub get {
    my ($uri) = @_;
    return http_request("GET $uri HTTP/1.1\r\nHost: localhost\r\n"
                        . "Connection: close\r\n\r\n");
}

run_tests();

__DATA__

=== TEST 1: error() cannot start a line of its own
--- rule
return {
    trigger = function(r)
        error("line1\nFORGED [alert] 1#1: *1 forged line\r\n")
    end
}
--- allow_alerts
--- error_log eval
qr{cx rules: trigger\(\) failed, no survey: \S+/r1\.lua:3: line1\\x0AFORGED \[alert\] 1#1: \*1 forged line\\x0D\\x0A while }
--- no_error_log eval
[qr{^FORGED}m, $::REAL_ALERT]



=== TEST 2: ESC, NUL, DEL and the other control bytes are escaped, all of the message is there
--- rule
return {
    trigger = function(r)
        error("a\27[31mred\0after-nul\127del\ttab\1one\31end")
    end
}
--- error_log eval
qr{r2\.lua:3: a\\x1B\[31mred\\x00after-nul\\x7Fdel\\x09tab\\x01one\\x1Fend while }
--- no_error_log eval
qr{\x1b|\x00|\x7f}



=== TEST 3: printable UTF-8 stays; bytes that are not UTF-8, C1 controls, separators and bidi overrides are escaped
--- rule
return {
    trigger = function(r)
        error("caf\195\169 \226\156\147 bad\255\254 cut\195 overlong\192\175 "
              .. "surrogate\237\160\128 c1\194\133 ls\226\128\168 "
              .. "rlo\226\128\174 back\\slash end")
    end
}
--- error_log eval
qr{r3\.lua:3: caf\xc3\xa9 \xe2\x9c\x93 bad\\xFF\\xFE cut\\xC3 overlong\\xC0\\xAF surrogate\\xED\\xA0\\x80 c1\\xC2\\x85 ls\\xE2\\x80\\xA8 rlo\\xE2\\x80\\xAE back\\x5Cslash end while }
--- no_error_log eval
qr{\xff|\xe2\x80\xae|\xc2\x85}



=== TEST 4: error() with a table: its type, never its text
--- rule
local forged = setmetatable({}, { __tostring = function() return "x\nFORGED" end })
return {
    trigger = function(r)
        error(setmetatable({}, { __tostring = function() return "x\nFORGED" end }))
    end
}
--- error_log eval
qr{no survey: \S+/r4\.lua: error object is a table value}
--- no_error_log
FORGED



=== TEST 5: what a rule returns is escaped in the message that names it
--- http_config
cx_rules_check off;
--- rule
return {
    touchpoint = function(r)
        return "tp\nFORGED-tp"
    end,
    trigger = function(r)
        if r.args.t then
            return { survey = "s1", ["key\nFORGED-key"] = 1 }
        end
        return "id\n\27FORGED-id"
    end
}
--- request eval
["GET /", "GET /?t=1"]
--- response_body eval
[$::PAGE, $::PAGE]
--- error_log eval
[qr{trigger\(\) returned "id\\x0A\\x1BFORGED-id", which is not a survey id},
 qr{trigger\(\) returned a table with the unknown field "key\\x0AFORGED-key"},
 qr{touchpoint\(\) returned "tp\\x0AFORGED-tp", which is not a touchpoint name}]
--- no_error_log eval
qr{^FORGED}m



=== TEST 6: print() is escaped the same way; its arguments are separated by tabs
--- rule
return {
    trigger = function(r)
        print("a\nFORGED [alert] x", "\27[0m", "nul\0", "caf\195\169", "bad\255")
        return "s1"
    end
}
--- allow_alerts
--- error_log eval
qr{\[notice\] .*cx rules: print: \S+/r6\.lua:3: a\\x0AFORGED \[alert\] x\t\\x1B\[0m\tnul\\x00\tcaf\xc3\xa9\tbad\\xFF while }
--- no_error_log eval
[qr{^FORGED}m, $::REAL_ALERT]



=== TEST 7: messages are bounded: an error at 511 bytes, a print() at 1024, cut with "..."
--- rule
return {
    trigger = function(r)
        print("p" .. string.rep("\1", 2000))
        error("e" .. string.rep("\2", 2000))
    end
}
--- check
my ($p) = grep { /print:/ } ::lines_of(7);
my ($e) = grep { /failed/ } ::lines_of(7);
my ($ptext) = $p =~ /r7\.lua:3: (p\S*) while/;
my ($etext) = $e =~ /r7\.lua:4: (e\S*) while/;
ok(defined $ptext && $ptext =~ /^p(\\x01)+\.\.\.$/, 'print cut, escaped') or diag($p);
ok(length($ptext) > 1000 && length($ptext) <= 1024,
   'print: at most 1024 bytes of text') or diag(length $ptext);
ok(defined $etext && $etext =~ /^e(\\x02)+\.\.\.$/, 'error cut, escaped') or diag($e);
my ($emsg) = $e =~ /no survey: (.+?) while/;
ok(length($emsg) > 490 && length($emsg) <= 511,
   'error: at most 511 bytes of message') or diag(length $emsg);



=== TEST 8: a print() loop in one page view: at most 10 lines a second, then a line says how many were left out
--- rule
return {
    trigger = function(r)
        local n = tonumber(r.args.n) or 1
        for i = 1, n do
            print("spam", i)
        end
        return "s1"
    end
}
--- request
GET /?n=5000
--- response_body_like
data-cx-survey="s1"
--- check
my @spam = grep { /print: \S+: spam\t/ } ::lines_of(8);
ok(@spam >= 10 && @spam <= 20, '10 lines a second (the loop may straddle one)')
    or diag(scalar @spam);
is(::per_second(qr/print: \S+: spam\t/, ::lines_of(8)), 10,
   'never more than 10 in a second');
my $left = 5000 - @spam;
select undef, undef, undef, 1.1;
::get('/?n=1');
select undef, undef, undef, 0.1;
my @notice = map { /print: (\d+) lines of \S+\/r8\.lua left out \(at most 10 a second\)/ ? $1 : () }
             ::lines_of(8);
my $said = 0;
$said += $_ for @notice;
is($said, $left, 'the lines left out are said');
is(metric('cx_rules_log_lines_suppressed_total'), $left, 'and counted');
my @after = grep { /print: \S+: spam\t1 while/ } ::lines_of(8);
ok(@after >= 2, 'the next second prints again');



=== TEST 9: failures likewise: at most 10 lines a second per rule file, the rest counted
--- rule
return { trigger = function(r) error("always\nFORGED") end }
--- request eval
[("GET /") x 60]
--- response_body eval
[($::PAGE) x 60]
--- check
my @lines = grep { /r9\.lua:1: always\\x0AFORGED/ } ::lines_of(9);
ok(@lines >= 10 && @lines <= 30, 'at most 10 a second') or diag(scalar @lines);
is(::per_second(qr/r9\.lua:1: always/, ::lines_of(9)), 10,
   'never more than 10 in a second');
is(metric('cx_rules_log_lines_suppressed_total'), 60 - @lines,
   'the lines left out are counted');
select undef, undef, undef, 1.1;
::get('/');
select undef, undef, undef, 0.1;
like(error_log_since(0), qr/r9\.lua:1: always\\x0AFORGED \(and \d+ more failures since the last line\)/,
     'the next line says how many were left out');
--- no_error_log eval
qr{^FORGED}m



=== TEST 10: print() at a file's top level is rate-limited too
--- rule
for i = 1, 500 do
    print("loading", i)
end
return { trigger = function(r) return "s1" end }
--- response_body_like
data-cx-survey="s1"
--- check
my @lines = grep { /print: \S+r10\.lua:2: loading\t/ } ::lines_of(10);
ok(@lines >= 10 && @lines < 100, 'the top level prints at most 10 lines a second')
    or diag(scalar @lines);
ok(::per_second(qr/loading\t/, ::lines_of(10)) <= 10,
   'never more than 10 in a second');



=== TEST 11: a top level that fails with a forged line: nginx -t says it escaped
--- rule
error("x\nFORGED [emerg] y\27")
return { trigger = function(r) return "s1" end }
--- must_die
--- error_log eval
qr{cx_rules_lua "\S+/r11\.lua": \S+/r11\.lua:1: x\\x0AFORGED \[emerg\] y\\x1B in }
--- no_error_log eval
qr{^FORGED}m
