# Question variants chosen by a rule: trigger(r) returns
# { survey = ..., variant = ..., question = ... }.  The variant (cx.pick)
# is the same for a visitor on every page view, the visitors spread over
# the variants, and the tag's token carries it.  A variant that is not a
# name ([a-z0-9_.-], 1 to 32 bytes) is a failure of the rule at run time
# -- no survey, the page served, a log line that says what was returned,
# the metric -- and a literal one fails nginx -t (t/080-rules-check.t).
# A variant never leaks into another page view.

use lib 't/lib';
use Test::CX;

our $PAGE = "<html><body>hi</body></html>\n";

sub get {
    my ($uri, @headers) = @_;
    my $h = join '', map { "$_\r\n" } @headers;
    return http_request("GET $uri HTTP/1.1\r\nHost: localhost\r\n$h"
                        . "Connection: close\r\n\r\n");
}

sub visitor { "Cookie: cx_v=1.$_[0].3.1.0.0" }

# what the tag says: "variant|question", or "(no survey)"
sub asked {
    my ($r) = @_;
    my ($tag) = ($r->{body} // '') =~ /(<script [^>]*>)/ or return '(no survey)';
    my ($token) = $tag =~ /data-cx-token="([^"]*)"/;
    my ($q) = $tag =~ /data-cx-question="([^"]*)"/;
    my $v = length($token) > 48 ? substr($token, 49) : '';
    return "$v|" . ($q // '');
}

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n");
    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/v$n.lua;
}
location = /cx/metrics {
    cx_metrics;
}
EOF
    $block->set_value('user_files', [ [ "v$n.lua", $rule ],
                                      [ 'index.html', $PAGE ] ]);
    $block->set_value('request', "GET /") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: cx.pick: one variant per visitor, kept on every page view; visitors spread over them
--- rule
local VARIANTS = { "a", "b", "c" }
local QUESTIONS = { a = "First?", b = "Second?", c = "Third?" }
return {
    trigger = function(r)
        local v = cx.pick(VARIANTS, "wording")
        return { survey = "s1", variant = v, question = QUESTIONS[v] }
    end
}
--- check
my (%n, $moved);
for my $i (1 .. 120) {
    my $id = sprintf 'visitor-%012d', $i;
    my $first = ::asked(::get('/', ::visitor($id)));
    like($first, qr/^(a\|First\?|b\|Second\?|c\|Third\?)$/, "$id: a variant and its question")
        or last;
    $n{$first}++;
    for my $page ('/', '/index.html', '/?x=1') {
        $moved++ if ::asked(::get($page, ::visitor($id))) ne $first;
    }
}
ok(!$moved, 'every visitor keeps their variant');
is(scalar(keys %n), 3, 'the three in use');
ok(!grep({ $_ < 20 } values %n), 'spread over the three') or diag(join ' ', %n);



=== TEST 2: a variant that is not a name: no survey, the page as it was, a clear log line, the metric
--- rule
local HOSTILE = {
    upper = "B", space = "b c", tag = "<script>", long = ("v"):rep(33),
    empty = "", colon = "a:b", at = "a@b", nl = "a\nb", number = 2,
    bool = true,
}
return {
    trigger = function(r)
        local w = r.args.w
        if w == "ok" then return { survey = "s1", variant = ("v"):rep(32) } end
        if w == "table" then return { survey = "s1", variant = {} } end
        return { survey = "s1", variant = HOSTILE[w] or r.args.v }
    end
}
--- check
for my $w (qw(upper space tag long empty colon at nl number table bool)) {
    my $r = ::get("/?w=$w");
    is($r->{status}, 200, "$w: served");
    is($r->{body}, $::PAGE, "$w: untouched, no survey");
}
is(::asked(::get('/?w=ok')), ('v' x 32) . '|', '32 bytes is fine');
is(::asked(::get('/?v=%3Cimg%20src%3Dx%3E')), '(no survey)', 'from the query: refused too');
# (bool's line, the eleventh within a second, is held back by the log's
# rate limit; the metric counts it)
my $log = error_log_since(0);
like($log, qr/v2\.lua:7: trigger\(\) returned the variant "B", which is not a name \(\[a-z0-9_\.-\]\{1,32\}\)/,
     'the log says what was returned, with the file and line');
like($log, qr/returned the variant "<script>", which is not a name/, 'a tag, as text');
like($log, qr/returned the variant "\(too long\)"|returned the variant "v{33}"/, 'too long');
like($log, qr/returned the variant "a\\x0Ab"/, 'a new line escaped: no forged log line');
like($log, qr/returned a variant that is a number, not a name/, 'a number');
like($log, qr/returned a variant that is a table, not a name/, 'a table');
unlike($log, qr/^b$/m, 'nothing on a line of its own');
like(metrics(), qr/^cx_rules_failures_total\{reason="result"\} 12$/m, 'counted as failures');



=== TEST 3: a variant is the page view's own: the next page view without one has none
--- rule
return {
    trigger = function(r)
        if r.args.v then return { survey = "s1", variant = r.args.v } end
        return { survey = "s1" }
    end
}
--- check
is(::asked(::get('/?v=b')), 'b|', 'b');
is(::asked(::get('/')), '|', 'then none');
is(length((::get('/')->{body} =~ /data-cx-token="([^"]*)"/)[0]), 48, 'a token without a variant');
