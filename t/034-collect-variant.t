# Question variants through the token: a rule's variant= is carried by
# the survey tag's token (DAY.NONCE.MAC.VARIANT, the MAC over "cx3|...|
# VARIANT"), every widget event of that token is counted for its variant
# too ("{touchpoint}:{event}@{variant}" in sv, "{touchpoint}:{score}@
# {variant}" in sc, and their rollups), and a token whose variant was
# changed, added or taken away is refused.  Tokens without a variant
# work as before.

use lib 't/lib';
use Test::CX;
use Digest::SHA ();
use MIME::Base64 ();

our $SECRET = '0123456789abcdef0123';
our $DAY = today();

sub send_event {
    my ($tag, $token, %f) = @_;
    my $body = join '&', map { "$_=$f{$_}" } sort keys %f;
    return post('/cx/collect', 'application/x-www-form-urlencoded',
                "survey=$tag->{survey}&touchpoint=$tag->{touchpoint}"
                . "&token=$token&$body");
}

# the MAC a token should have, computed here from the documented message

sub mac_of {
    my ($survey, $tp, $day, $nonce, $variant) = @_;
    my $msg = defined $variant
        ? "cx3|cx|localhost|$survey|$tp|$day|$nonce|$variant"
        : "cx2|cx|localhost|$survey|$tp|$day|$nonce";
    return MIME::Base64::encode_base64url(
        substr(Digest::SHA::hmac_sha256($msg, $SECRET), 0, 16));
}

sub flushed {
    my ($key, $field) = @_;
    return wait_for(sub { defined redis()->hget($key, $field) });
}

our $RULE = <<'LUA';
-- the variant from the query (the tests choose), none without one
return {
    trigger = function(r)
        local v = r.args.v
        if v == nil then return "nps1" end
        return { survey = "nps1", variant = v,
                 question = v == "b" and "Would you tell a friend?" or nil }
    end
}
LUA

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"EOF") unless defined $block->http_config;
cx_secret $SECRET;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/ab.lua;
}
location = /cx/collect {
    cx_collect;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ],
                                     [ 'ab.lua', $RULE ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;
    $block->set_value('request', "GET /\n") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: the tag's token carries the variant, signed over it; its events are counted per variant
--- check
my $tag = survey_tag('/?v=b');
is($tag->{survey}, 'nps1', 'the page carries the survey');
is($tag->{question}, 'Would you tell a friend?', "the variant's question");
my ($day, $nonce, $mac, $v) = split /\./, $tag->{token}, 4;
is($v, 'b', 'the token ends with .b');
is($mac, ::mac_of('nps1', 'home', $day, $nonce, 'b'), 'the MAC covers the variant ("cx3")');
is(::send_event($tag, $tag->{token}, event => 'shown')->{status}, 204, 'shown: 204');
is(::send_event($tag, $tag->{token}, event => 'answered', score => 3)->{status}, 204,
   'answered: 204');
ok(::flushed("cx:localhost:sc:nps1:$::DAY", 'home:3@b'), 'the score of variant b');
my %sv = redis()->hgetall("cx:localhost:sv:nps1:$::DAY");
is($sv{'home:shown@b'}, 1, 'shown by variant b');
is($sv{'home:answered@b'}, 1, 'answered by variant b');
is($sv{'home:shown'}, 1, 'and shown as before');
is($sv{'home:answered'}, 1, 'and answered as before');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:3'), 1, 'the score as before');
my %all = redis()->hgetall("cx:localhost:sc:nps1:$::DAY:all");
is($all{'3@b'}, 1, "the day's rollup: 3\@b");
my ($month, $dd) = $::DAY =~ /^(\d{6})(\d\d)$/;
is(redis()->hget("cx:localhost:sc:nps1:$month:all", "$dd:3\@b"), 1,
   "the month's rollup: DD:3\@b");
is(redis()->hget("cx:localhost:sc:nps1:$month", "home:3\@b"), 1,
   "the month's: home:3\@b");
my %sch = redis()->hgetall("cx:localhost:sch:nps1:$::DAY");
is(scalar(grep { /\@/ } keys %sch), 0, 'nothing by variant in the hourly hashes');
my %tp = redis()->hgetall("cx:localhost:tp:$::DAY");
is(scalar(grep { /\@/ } keys %tp), 0, 'nor in the journey');
my $x = redis()->xrange('cx:localhost:followup', '-', '+');
is(scalar @$x, 1, 'the low score followed up once');
is({ @{ $x->[0][1] } }->{variant}, 'b', 'its entry names the variant');



=== TEST 2: a changed, added or removed variant fails the MAC; a bad one is malformed
--- check
my $tag = survey_tag('/?v=b');
my $t = $tag->{token};
my $plain = survey_tag('/')->{token};
is(length $plain, 48, 'no variant: a token as before');
my $invalid = qr/"token: invalid for this site, survey and touchpoint"/;
my $malformed = qr/"token: malformed"/;
for my $case (
    [ ($t =~ s/\.b$/.a/r), $invalid, 'another variant' ],
    [ ($t =~ s/\.b$//r), $invalid, 'the variant taken away' ],
    [ "$plain.b", $invalid, 'a variant added to a plain token' ],
    [ ($t =~ s/\.b$/.B/r), $malformed, 'not a name (upper case)' ],
    [ ($t =~ s/\.b$/.b%3Cx%3E/r), $malformed, 'not a name (<x>)' ],
    [ $t . ('x' x 32), $malformed, 'a variant longer than 32 bytes' ],
    [ ($t =~ s/\.b$/./r), $malformed, 'an empty variant' ],
    [ ($t =~ s/\.b$/:b/r), $malformed, 'no dot before the variant' ],
    [ "$t.b", $invalid, 'a dot is a name character: variant "b.b"' ] )
{
    my $r = ::send_event($tag, $case->[0], event => 'answered', score => 0);
    is($r->{status}, 400, "$case->[2]: 400");
    like($r->{body}, $case->[1], "$case->[2]: why");
}
is(::send_event($tag, $t, event => 'answered', score => 9)->{status}, 204,
   'the token as issued is good');
ok(::flushed("cx:localhost:sc:nps1:$::DAY", 'home:9@b'), 'counted for b');
my %sc = redis()->hgetall("cx:localhost:sc:nps1:$::DAY");
is(join(',', sort keys %sc), 'home:9,home:9@b', 'nothing else counted');



=== TEST 3: a variant of 32 bytes with every kind of name character
--- check
my $v = 'a-b_c.d0123456789' . ('z' x 15);
is(length $v, 32, '32 bytes');
my $tag = survey_tag("/?v=$v");
like($tag->{token}, qr/\.\Q$v\E$/, 'carried');
is(::send_event($tag, $tag->{token}, event => 'dismissed')->{status}, 204, 'dismissed: 204');
ok(::flushed("cx:localhost:sv:nps1:$::DAY", "home:dismissed\@$v"), 'dismissed by that variant');



=== TEST 4: tokens without a variant (older tags, rules without one) count as before
--- check
my $tag = survey_tag('/');
is(::send_event($tag, $tag->{token}, event => 'answered', score => 10)->{status}, 204, 'a tag of today');
my $old = sign_token($::SECRET, 'nps1', 'home', $::DAY);
is(::send_event($tag, $old, event => 'answered', score => 8)->{status}, 204,
   'a token signed as before variants ("cx2")');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:8') }), 'counted');
my %sc = redis()->hgetall("cx:localhost:sc:nps1:$::DAY");
is(join(',', sort keys %sc), 'home:10,home:8', 'no variant fields');



=== TEST 5: a comment after its answer is counted for the answer's variant; the score once
--- config
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps followup=all;
    cx_rules_lua $TEST_NGINX_HTML_DIR/ab.lua;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/score {
    cx_score;
}
--- check
my $tag = survey_tag('/?v=long-variant.2');
is(::send_event($tag, $tag->{token}, event => 'answered', score => 10)->{status}, 204, 'answered');
is(::send_event($tag, $tag->{token}, event => 'commented', score => 10, comment => 'great')->{status},
   204, 'commented');
ok(::flushed("cx:localhost:sv:nps1:$::DAY", 'home:commented@long-variant.2'), 'commented by variant');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:10@long-variant.2'), 1,
   'the score counted once for the variant');
my $x = redis()->xrange('cx:localhost:followup', '-', '+');
is(scalar @$x, 1, 'one follow-up entry, the answer and its comment');
my %e = @{ $x->[0][1] };
is("$e{score} $e{comment} $e{variant}", '10 great long-variant.2', 'with the variant');
my $r = http_request("GET /cx/score?report=followups HTTP/1.0\r\nHost: localhost\r\n\r\n");
like($r->{body}, qr/"comment":"great","page":"","variant":"long-variant\.2"\}/,
     'report=followups: the variant after the page');
$r = http_request("GET /cx/score?report=followups&format=csv HTTP/1.0\r\nHost: localhost\r\n\r\n");
like($r->{body}, qr/^id,time,survey,type,touchpoint,score,comment,page\r\n[^\r]*,great,\r\n\z/,
     'the CSV as before: no variant column');
