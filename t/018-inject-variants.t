# cx_survey ... "variant=NAME:QUESTION" ...: the module asks each visitor
# one of the survey's wordings, the same on every page view (the draw of
# cx.pick(VARIANTS, "<survey id>")), and the tag's token carries the
# variant's name (t/034-collect-variant.t: how it is counted).  A rule's
# variant= wins; a rule's question alone means no variant.  Every mistake
# in the directive fails nginx -t with the file and line.

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

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('user_files', [ [ 'index.html', $PAGE ] ])
        unless defined $block->user_files;
    $block->set_value('request', "GET /nothing.html")
        unless defined $block->request;
    $block->set_value('error_code', 404)
        unless defined $block->error_code || defined $block->must_die;
});

run_tests();

__DATA__

=== TEST 1: one variant per visitor, kept on every page view, its question escaped; the visitors spread
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- redis
--- config
location / {
    cx_survey s1 type=nps "variant=a:How likely are you to recommend us?"
                          "variant=b-tell:Would you tell a friend about \"us\" & <them>?"
                          "variant=c.own:";
}
location = /cx/score { cx_score; }
--- check
my (%n, $moved);
for my $i (1 .. 120) {
    my $id = sprintf 'visitor-%012d', $i;
    my $first = ::asked(::get('/', ::visitor($id)));
    like($first, qr/^(a\|How likely are you to recommend us\?|b-tell\|Would you tell a friend about &#34;us&#34; &amp; &lt;them&gt;\?|c\.own\|)$/,
         "$id: a variant and its question (none: the widget's own)") or last;
    $n{(split /\|/, $first)[0]}++;
    $moved++ if ::asked(::get('/index.html', ::visitor($id))) ne $first;
}
ok(!$moved, 'every visitor keeps their variant');
ok(!grep({ $_ < 20 } @n{qw(a b-tell c.own)}), 'spread over the three') or diag(join ' ', %n);
like(::asked(::get('/')), qr/^(a|b-tell|c\.own)\|/, 'without a cookie: one of them');
my $r = http_request("GET /cx/score?report=surveys HTTP/1.0\r\nHost: localhost\r\n\r\n");
like($r->{body}, qr/"low":6,"variants":\[\{"variant":"a","question":"How likely are you to recommend us\?"\},\{"variant":"b-tell","question":"Would you tell a friend about \\"us\\" & <them>\?"\},\{"variant":"c\.own","question":null\}\]\}/,
     'report=surveys lists the variants, their questions as text');



=== TEST 2: the same draw as cx.pick(VARIANTS, "<survey id>") in a rule
--- config
location / {
    cx_survey s1 type=nps "variant=a:A?" "variant=b:B?" "variant=c:C?";
}
location /rule/ {
    alias $TEST_NGINX_HTML_DIR/;
    cx_rules_lua $TEST_NGINX_HTML_DIR/pick.lua;
}
--- user_files
>>> index.html
<html><body>hi</body></html>
>>> pick.lua
return {
    trigger = function(r)
        return { survey = "s1", question = cx.pick({ "a", "b", "c" }, "s1") }
    end
}
--- check
my $same = 0;
for my $i (1 .. 40) {
    my $id = sprintf 'visitor-%012d', $i;
    my ($v) = split /\|/, ::asked(::get('/', ::visitor($id)));
    my (undef, $q) = split /\|/, ::asked(::get('/rule/', ::visitor($id)));
    $same++ if $q eq $v;
}
is($same, 40, 'the same variant for every visitor');



=== TEST 3: a rule's variant wins, with its configured question; a rule's question alone: no variant
--- config
location / {
    cx_survey s1 type=nps "variant=a:A?" "variant=b:B?";
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> index.html
<html><body>hi</body></html>
>>> r.lua
return {
    trigger = function(r)
        local w = r.args.w
        if w == "b" then return { survey = "s1", variant = "b" } end
        if w == "bq" then return { survey = "s1", variant = "b", question = "Mine?" } end
        if w == "x" then return { survey = "s1", variant = "x" } end
        if w == "q" then return { survey = "s1", question = "Mine?" } end
        return "s1"
    end
}
--- check
is(::asked(::get('/?w=b')), 'b|B?', 'variant b: its question');
is(::asked(::get('/?w=bq')), 'b|Mine?', "variant b with the rule's question");
is(::asked(::get('/?w=x')), 'x|', 'a variant not configured: the rule knows best');
is(::asked(::get('/?w=q')), '|Mine?', 'a question alone: no variant');
like(::asked(::get('/', ::visitor('visitor-000000000001'))), qr/^[ab]\|[AB]\?$/,
     'an id: the module picks');



=== TEST 4: not a name
--- config
location / {
    cx_survey s1 type=nps "variant=Version B:Hello?";
}
--- must_die
--- error_log eval
qr/invalid "variant=Version B:Hello\?" in "cx_survey": a variant is "variant=NAME:QUESTION", its NAME 1-32 of \[a-z0-9_.-\] in \S+nginx\.conf:3/



=== TEST 5: no question part
--- config
location / {
    cx_survey s1 type=nps variant=a;
}
--- must_die
--- error_log eval
qr/invalid "variant=a" in "cx_survey": a variant is "variant=NAME:QUESTION"/



=== TEST 6: a name of 33 bytes
--- config
location / {
    cx_survey s1 type=nps "variant=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv:Q?";
}
--- must_die
--- error_log eval
qr/invalid "variant=v{33}:Q\?" in "cx_survey": a variant is/



=== TEST 7: the same name twice
--- config
location / {
    cx_survey s1 type=nps "variant=a:A?" "variant=a:B?";
}
--- must_die
--- error_log eval
qr/duplicate variant "a" in "cx_survey" in \S+nginx\.conf:3/



=== TEST 8: more than 10
--- config
location / {
    cx_survey s1 type=nps variant=v1: variant=v2: variant=v3: variant=v4:
        variant=v5: variant=v6: variant=v7: variant=v8: variant=v9:
        variant=v10: variant=v11:;
}
--- must_die
--- error_log eval
qr/too many variants in "cx_survey": at most 10/



=== TEST 9: question= and variant= both
--- config
location / {
    cx_survey s1 type=nps "question=Q?" "variant=a:A?";
}
--- must_die
--- error_log eval
qr/survey "s1" in "cx_survey" has both "question=" and "variant=": each variant has its question/



=== TEST 10: a question that is not UTF-8 text
--- config
location / {
    cx_survey s1 type=nps "variant=a:ÿ?";
}
--- must_die
--- error_log eval
qr/invalid "variant=a:.*" in "cx_survey": a question is 1-512 bytes of UTF-8 text/



=== TEST 11: a variant's question without quotes: shown as it should be written
--- config
location / {
    cx_survey s1 type=nps variant=a:How likely are you?;
}
--- must_die
--- error_log eval
qr/invalid parameter "likely" in "cx_survey": a question with spaces is one parameter in quotes, e.g. "variant=a:How likely are you\?"/



=== TEST 12: $cx_variant: the variant asked, for the access log; empty without one
--- http_config
cx_secret 0123456789abcdef0123;
log_format variant '$request_uri [$cx_survey] [$cx_variant]';
--- config
access_log logs/variant.log variant;
location / {
    cx_survey s1 type=nps "variant=a:A?" "variant=b:B?";
}
location /plain/ {
    alias $TEST_NGINX_HTML_DIR/;
    cx_survey s2 type=nps;
}
--- check
my $asked = ::asked(::get('/?x=1', ::visitor('visitor-000000000001')));
::get('/plain/?x=2');
my ($v) = split /\|/, $asked;
my $log;
wait_for(sub {
    $log = do { local (@ARGV, $/) = (servroot() . '/logs/variant.log'); <> } // '';
    $log =~ /x=2/;
});
like($log, qr{^/\?x=1 \[s1\] \[\Q$v\E\]$}m, "the variant asked ($v)");
like($log, qr{^/plain/\?x=2 \[s2\] \[-\]$}m, "none: \"-\" in the log");
