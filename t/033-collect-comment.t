# Partial answers kept: the widget sends the score the moment it is
# chosen (event=answered) and the comment after it as its own event
# (event=commented, the same token, the answer's score).  The comment
# counts as "commented" (answers with a comment), never in the score
# histogram again, and joins the answer's follow-up stream entry, in
# either order.  followup=low|all|none says which scores may have one.

use lib 't/lib';
use Test::CX;
use Test::CX::Collect qw(answer reason);
use JSON::PP ();

our $DAY = today();
our $STREAM = 'cx:localhost:followup';

sub entries {
    my $x = redis()->xrange($STREAM, '-', '+');
    return map { { @{ $_->[1] } } } @$x;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_score_open on;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps;
}
location /all/ {
    cx_touchpoint product;
    cx_survey nps2 type=nps followup=all "followup_question=What did you like?";
}
location /none/ {
    cx_touchpoint help;
    cx_survey ces1 type=ces followup=none;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ],
                                     [ 'all/index.html', "<body>a</body>\n" ],
                                     [ 'none/index.html', "<body>n</body>\n" ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;
    $block->set_value('request', "GET /\n") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: the score counts at once; the comment joins the same follow-up entry
--- check
my $tag = survey_tag('/');
is(::answer($tag, event => 'shown')->{status}, 204, 'shown');
is(::answer($tag, event => 'answered', score => 3, page => '/x')->{status}, 204,
   'the score, at once');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:3') }),
   'in the histogram');
ok(wait_for(sub { scalar ::entries() }), 'a follow-up entry without comment');
is((::entries())[0]{comment}, '', 'no comment yet');

is(::answer($tag, event => 'commented', score => 3,
            comment => 'Too+slow')->{status}, 204, 'the comment, later');
ok(wait_for(sub { redis()->hget("cx:localhost:sv:nps1:$::DAY",
                                'home:commented') }), 'commented counted');
my @e = ::entries();
is(scalar @e, 1, 'still one entry');
is($e[0]{comment}, 'Too slow', 'with the comment');
is($e[0]{score}, 3, 'and the score');
is($e[0]{page}, '/x', "the answer's page kept");
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:3'), 1,
   'the score counted once');
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:commented'), 1,
   'in the journey');
is(::answer($tag, event => 'commented', score => 3,
            comment => 'again')->{status}, 429, 'once per token');

my $r = http_request("GET /cx/score?survey=nps1 HTTP/1.1\r\nHost: localhost\r\n"
                     . "Connection: close\r\n\r\n");
my $j = JSON::PP::decode_json($r->{body});
is($j->{answers}, 1, 'answers');
is($j->{commented}, 1, 'answers with a comment (the rest have none)');

# the tab closed at the comment step: the score is there anyway
my $t2 = survey_tag('/');
is(::answer($t2, event => 'answered', score => 0)->{status}, 204,
   'a score, then nothing');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:0') }),
   'counted');
ok(wait_for(sub { ::entries() == 2 }), 'followed up without a comment');



=== TEST 2: a comment before its answer (another worker's batch first): one entry still
--- check
my $tag = survey_tag('/');
is(::answer($tag, event => 'commented', score => 2,
            comment => 'first')->{status}, 204, 'the comment first');
ok(wait_for(sub { scalar ::entries() }), 'an entry');
is(::answer($tag, event => 'answered', score => 2, page => '/p')->{status}, 204,
   'the answer after');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:2') }),
   'the score counted');
sleep 0.3;
my @e = ::entries();
is(scalar @e, 1, 'one entry');
is($e[0]{comment}, 'first', 'the comment kept');
is($e[0]{page}, '/p', 'the page joined');



=== TEST 3: followup=all: a promoter may comment; the tag has the question; followup=none and low refuse
--- check
my $tag = survey_tag('/all/');
is(::answer($tag, event => 'answered', score => 10)->{status}, 204, 'a promoter');
is(::answer($tag, event => 'commented', score => 10,
            comment => 'Fast')->{status}, 204, 'comments');
ok(wait_for(sub { scalar ::entries() }), 'a follow-up entry');
my @e = ::entries();
is($e[0]{score}, 10, 'its score');
is($e[0]{comment}, 'Fast', 'its comment');

my $r = http_request("GET /all/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
like($r->{body}, qr/ data-cx-followup-scores="all" data-cx-followup-question="What did you like\?"/,
     'the widget is told');

my $low = survey_tag('/');
$r = ::answer($low, event => 'commented', score => 9, comment => 'x');
is($r->{status}, 400, 'followup=low: not after a 9');
is(::reason($r), 'comment: the survey asks for none at this score (followup=)',
   'the reason');

my $none = survey_tag('/none/');
$r = ::answer($none, event => 'commented', score => 1, comment => 'x');
is($r->{status}, 400, 'followup=none: never');

$r = ::answer($low, event => 'commented', score => 3);
is(::reason($r), 'comment: missing (event=commented)', 'no comment');
$r = ::answer($low, event => 'commented', comment => 'x');
is(::reason($r), 'score: missing (event=answered)', 'no score');
