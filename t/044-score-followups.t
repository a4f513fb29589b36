# GET /cx/score?report=followups: the latest follow-ups (low answers and
# their comments) from the capped stream {prefix}:{site}:followup, newest
# first, answered in the range, of one survey and one touchpoint when
# asked; visitors' text through the JSON writer.  And report=surveys:
# the configured surveys, from the configuration alone.
#
# Most blocks XADD entries as the flush writes them (stream ids are the
# milliseconds they reached Redis; "time" is when the visitor answered);
# one posts through /cx/collect with a real token.

use lib 't/lib';
use Test::CX;
use JSON::PP ();
use Time::Local qw(timegm);

our $STREAM = 'cx:localhost:followup';

sub get {
    my ($uri, $headers, $method) = @_;
    $method //= 'GET';

    return http_request("$method $uri HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

# GET /cx/score?$query once the worker is connected (at most 5 s)

sub report {
    my ($query, $headers) = @_;
    my $r;

    wait_for(sub {
        $r = get("/cx/score?$query", $headers);
        ($r->{status} // 0) != 503;
    });

    $r->{json} = eval { JSON::PP::decode_json($r->{body}) };
    diag("$query: $r->{status} $r->{body}") if ($r->{status} // 0) != 200;

    return $r;
}

# "2024-03-01T10:00:00Z" -> epoch milliseconds

sub ms {
    my ($t) = @_;
    my ($y, $m, $d, $H, $M, $S) = $t =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/
        or die "not a time: $t";
    return timegm($S, $M, $H, $d, $m - 1, $y) * 1000;
}

# one follow-up as the flush writes it; id: when it reached Redis
# (default: its time), seq to keep ids apart

my $seq = 0;

sub followup {
    my (%f) = @_;
    my $id = ms($f{id_time} // $f{time}) . '-' . $seq++;
    my @fields = map { defined $f{$_} ? ($_ => $f{$_}) : () }
                 qw(survey type touchpoint score comment page time);
    push @fields, @{ $f{extra} } if $f{extra};
    redis()->xadd($STREAM, $id, @fields);
    return $id;
}

sub ids {
    my ($r) = @_;
    return join ' ', map { $_->{comment} // '-' } @{ $r->{json}{followups} || [] };
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<'EOF') unless defined $block->http_config;
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
EOF

    $block->set_value('config', <<'EOF') unless defined $block->config;
location / {
    cx_touchpoint thanks;
    cx_survey s1 type=nps "question=How likely is it that you'd recommend <Demo & Co> to a \"friend\"?";
}
location /c/ {
    cx_touchpoint checkout;
    cx_survey c1 type=csat;
}
location /e/ {
    cx_survey e1 type=ces;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>thanks</body>\n" ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;
});

run_tests();

__DATA__

=== TEST 1: newest first; the range is the answer's own time, not when it reached Redis
--- check
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 3,
         comment => 'first', page => '/thanks.html', time => '2024-03-01T00:00:00Z');
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 3,
         comment => 'before', page => '/thanks.html',
         time => '2024-02-29T23:59:59Z', id_time => '2024-03-01T00:00:02Z');
my $id = ::followup(survey => 'c1', type => 'csat', touchpoint => 'checkout', score => 1,
         comment => 'second', page => '/checkout.html', time => '2024-03-02T09:30:00Z');
::followup(survey => 's1', type => 'nps', touchpoint => 'home', score => 0,
         comment => 'late flush', page => '/', time => '2024-03-03T23:59:59Z',
         id_time => '2024-03-04T00:00:03Z');
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 6,
         comment => 'after', page => '/thanks.html', time => '2024-03-04T00:00:00Z',
         id_time => '2024-03-04T00:00:05Z');
my $r = ::report('report=followups&from=2024-03-01&to=2024-03-03');
is($r->{status}, 200, 'status 200');
is($r->{headers}{'content-type'}, 'application/json', 'JSON');
is($r->{headers}{'cache-control'}, 'no-store', 'no-store');
is(::ids($r), 'late flush second first', 'in the range, newest first');
my $f = $r->{json}{followups}[1];
is_deeply($f, { id => $id, time => '2024-03-02T09:30:00Z',
                survey => 'c1', type => 'csat', touchpoint => 'checkout', score => 1,
                comment => 'second', page => '/checkout.html' }, 'every field of an entry');
like($r->{body}, qr/^\{"report":"followups","site":"localhost","from":"2024-03-01","to":"2024-03-03","followups":\[\{"id":"\d+-\d+","time":"2024-03-03T23:59:59Z","survey":"s1","type":"nps","touchpoint":"home","score":0,"comment":"late flush","page":"\/"\},/,
     'the document: report, range, then the entries (id, time, survey, type, touchpoint, score, comment, page)');
$r = ::report('report=followups&from=2024-03-04&to=2024-03-04');
is(::ids($r), 'after', 'one day');
$r = ::report('report=followups&from=2024-02-01&to=2024-02-29');
is(::ids($r), 'before', 'the day before, though it reached Redis on the next');
$r = ::report('report=followups&from=2023-03-01&to=2023-03-31');
is_deeply($r->{json}{followups}, [], 'nothing a year before: []');



=== TEST 2: survey, touchpoint and count; a survey's entry behind 450 of another's
--- check
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 2,
         comment => 'old s1', page => '/', time => '2024-03-01T08:00:00Z');
for my $i (1 .. 450) {
    ::followup(survey => 'c1', type => 'csat', touchpoint => ($i % 2 ? 'checkout' : 'cart'),
             score => 1, comment => "c1 $i", page => '/c/', time => sprintf('2024-03-02T%02d:%02d:%02dZ', $i / 3600, ($i / 60) % 60, $i % 60));
}
::followup(survey => 's1', type => 'nps', touchpoint => 'home', score => 5,
         comment => 'new s1', page => '/', time => '2024-03-03T08:00:00Z');
my $q = 'report=followups&from=2024-03-01&to=2024-03-03';
my $r = ::report($q);
is(scalar @{ $r->{json}{followups} }, 20, 'at most 20 by default');
is($r->{json}{followups}[0]{comment}, 'new s1', 'the newest first');
is($r->{json}{followups}[1]{comment}, 'c1 450', 'then the next');
$r = ::report("$q&survey=s1");
is(::ids($r), 'new s1 old s1', 'survey=s1: past 450 entries of another survey');
is($r->{json}{survey}, 's1', 'the survey is in the answer');
$r = ::report("$q&survey=s1&touchpoint=thanks");
is(::ids($r), 'old s1', 'and touchpoint=thanks');
is($r->{json}{touchpoint}, 'thanks', 'the touchpoint is in the answer');
$r = ::report("$q&touchpoint=cart&count=3");
is(::ids($r), 'c1 450 c1 448 c1 446', 'touchpoint=cart, count=3');
$r = ::report("$q&survey=c1&count=100");
is(scalar @{ $r->{json}{followups} }, 100, 'count=100');
$r = ::report("$q&survey=c1&count=1");
is(::ids($r), 'c1 450', 'count=1');
$r = ::report("$q&survey=e1");
is_deeply($r->{json}{followups}, [], 'a survey without follow-ups: []');



=== TEST 3: visitors' text is escaped by the JSON writer, whatever it holds
--- check
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 1,
         comment => qq{</script><script>alert("x")</script> \\ back\tslash\nnew line \x01 \xe2\x80\xa8 caf\xc3\xa9 bad \xff end},
         page => '/a"b<c>', time => '2024-03-01T12:00:00Z');
my $r = ::report('report=followups&from=2024-03-01&to=2024-03-01');
is($r->{status}, 200, 'status 200');
like($r->{body},
     qr/"comment":"<\/script><script>alert\(\\"x\\"\)<\/script> \\\\ back\\tslash\\nnew line \\u0001 \\u2028 caf\xc3\xa9 bad \\ufffd end","page":"\/a\\"b<c>"/,
     'quotes, backslash, controls and U+2028 escaped; invalid UTF-8 as U+FFFD');
is($r->{json}{followups}[0]{comment},
   qq{</script><script>alert("x")</script> \\ back\tslash\nnew line \x01 \x{2028} caf\x{e9} bad \x{fffd} end},
   'valid JSON that gives the text back');



=== TEST 4: entries the module did not write: what is missing is null, other fields are skipped
--- check
my $id1 = ::followup(survey => 's1', time => '2024-03-01T12:00:00Z', score => 'abc',
         extra => [ colour => 'red', comment => 'second comment' ]);
my $id2 = ::followup(survey => 's1', type => 'nps', time => '2024-03-01T13:00:00Z', score => '100', comment => '');
redis()->xadd($::STREAM, ::ms('2024-03-01T14:00:00Z') . '-0', 'note', 'no time at all');
my $r = ::report('report=followups&from=2024-03-01&to=2024-03-01');
is(scalar @{ $r->{json}{followups} }, 2, 'an entry without a time is not in any range');
is_deeply($r->{json}{followups}[0], { id => $id2,
    time => '2024-03-01T13:00:00Z', survey => 's1', type => 'nps', touchpoint => undef,
    score => undef, comment => '', page => undef }, 'a score off every scale: null; an empty comment stays ""');
is_deeply($r->{json}{followups}[1], { id => $id1,
    time => '2024-03-01T12:00:00Z', survey => 's1', type => undef, touchpoint => undef,
    score => undef, comment => 'second comment', page => undef }, 'unknown fields skipped, missing ones null');



=== TEST 5: through the front door: a detractor's comment, posted with a real token, is the latest follow-up
--- check
my $tag = survey_tag('/');
is($tag->{survey}, 's1', 'the page carries the survey');
my $body = "survey=s1&touchpoint=thanks&token=$tag->{token}&event=answered&score=4"
           . '&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E+too+slow&page=/thanks.html';
is(post('/cx/collect', 'application/x-www-form-urlencoded', $body)->{status}, 204, 'answered: 204');
my $tag2 = survey_tag('/');
$body = "survey=s1&touchpoint=thanks&token=$tag2->{token}&event=answered&score=10&comment=great";
is(post('/cx/collect', 'application/x-www-form-urlencoded', $body)->{status}, 204, 'a promoter: 204');
ok(wait_for(sub { redis()->exists($::STREAM) }), 'flushed');
my $r = ::report('report=followups&survey=s1');
is(scalar @{ $r->{json}{followups} }, 1, 'one follow-up (the promoter is none)');
my $f = $r->{json}{followups}[0];
is($f->{comment}, '<script>alert(1)</script> too slow', 'the comment, as text');
is($f->{score}, 4, 'its score');
is($f->{touchpoint}, 'thanks', 'its touchpoint');
is($f->{page}, '/thanks.html', 'its page');
like($f->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'its time');
is(substr($f->{time}, 0, 10), $r->{json}{to}, 'today: in the default range');



=== TEST 6: the 400 catalogue of report=followups and report=surveys; nothing is read from Redis
--- check
::report('survey=s1');
redis()->config('resetstat');
my @cases = (
    [ 'report=bogus', 'report: must be touchpoints, followups, surveys or rules' ],
    [ 'report=followups&count=0', 'count: must be a number from 1 to 100' ],
    [ 'report=followups&count=101', 'count: must be a number from 1 to 100' ],
    [ 'report=followups&count=abc', 'count: must be a number from 1 to 100' ],
    [ 'report=followups&count=', 'count: must be a number from 1 to 100' ],
    [ 'report=followups&count=-1', 'count: must be a number from 1 to 100' ],
    [ 'report=followups&count=1&count=2', 'count: duplicate parameter' ],
    [ 'report=followups&by=day', 'by: not with report=followups' ],
    [ 'report=followups&survey=nope', 'survey: not configured' ],
    [ 'report=followups&survey=S1', 'survey: not a name ([a-z0-9_.-], 1-64)' ],
    [ 'report=followups&touchpoint=a:b', 'touchpoint: not a name ([a-z0-9_.-], 1-64)' ],
    [ 'report=followups&site=..%2F', 'site: not a name ([a-z0-9_.-], 1-64)' ],
    [ 'report=followups&from=2024-03-02&to=2024-03-01', 'from: after to' ],
    [ 'report=followups&from=2024-02-30', 'from: not a date (YYYY-MM-DD)' ],
    [ 'survey=s1&count=5', 'count: only with report=followups' ],
    [ 'report=touchpoints&count=5', 'count: only with report=followups' ],
    [ 'report=touchpoints&survey=s1', 'survey: not with report' ],
    [ 'report=surveys&survey=s1', 'survey: not with report=surveys' ],
    [ 'report=surveys&from=2024-03-01', 'from: not with report=surveys' ],
    [ 'report=surveys&by=day', 'by: not with report=surveys' ],
    [ 'report=surveys&count=1', 'count: not with report=surveys' ],
);
for my $c (@cases) {
    my $r = ::get("/cx/score?$c->[0]");
    is($r->{status}, 400, "'$c->[0]': 400");
    is($r->{body}, "{\"error\":\"$c->[1]\"}\n", "'$c->[0]': $c->[1]");
}
my $stats = redis()->info('commandstats');
is($stats->{cmdstat_eval}, undef, 'no EVAL for any of them');
is($stats->{cmdstat_xrevrange}, undef, 'no XREVRANGE');



=== TEST 7: no stream yet: an empty list; a key of another type: 502, logged
--- check
my $r = ::report('report=followups');
is($r->{status}, 200, 'no stream: 200');
is_deeply($r->{json}{followups}, [], 'no stream: []');
redis()->set($::STREAM, 'not a stream');
$r = ::get('/cx/score?report=followups');
is($r->{status}, 502, 'a string: 502');
is($r->{body}, "{\"error\":\"redis error\"}\n", 'JSON error');
--- error_log
cx score: reading the follow-ups failed: WRONGTYPE



=== TEST 8: another site's stream with site= (listed in cx_score_sites); another prefix
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT prefix=acme;
cx_score_sites shop.example.com;
--- check
redis()->xadd('acme:shop.example.com:followup', ::ms('2024-03-01T12:00:00Z') . '-0',
              survey => 's1', time => '2024-03-01T12:00:00Z', comment => 'theirs');
redis()->xadd($::STREAM, ::ms('2024-03-01T12:00:00Z') . '-0',
              survey => 's1', time => '2024-03-01T12:00:00Z', comment => 'not ours');
my $r = ::report('report=followups&from=2024-03-01&to=2024-03-01&site=shop.example.com');
is(::ids($r), 'theirs', 'acme:shop.example.com:followup');
is($r->{json}{site}, 'shop.example.com', 'the site in the answer');
$r = ::report('report=followups&from=2024-03-01&to=2024-03-01');
is_deeply($r->{json}{followups}, [], 'acme:localhost:followup: nothing');



=== TEST 9: report=surveys: every configured survey once, in order, with its question as configured
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_followup_threshold nps=5;
--- config
location / {
    cx_touchpoint thanks;
    cx_survey s1 type=nps "question=How likely is it that you'd recommend <Demo & Co> to a \"friend\"? &amp;";
}
location /c/ {
    cx_survey c1 type=csat "question=Was it easy? Ça va?";
    cx_survey s1 type=nps;
}
location /e/ {
    cx_survey e1 type=ces;
}
location = /cx/score {
    cx_score;
}
--- check
my $r = ::get('/cx/score?report=surveys');
is($r->{status}, 200, 'status 200');
is($r->{headers}{'content-type'}, 'application/json', 'JSON');
is($r->{headers}{'cache-control'}, 'no-store', 'no-store');
is($r->{body}, '{"report":"surveys","surveys":['
    . '{"id":"s1","type":"nps","question":"How likely is it that you\'d recommend <Demo & Co> to a \"friend\"? &amp;","scale":[0,10],"low":5},'
    . qq{{"id":"c1","type":"csat","question":"Was it easy? \xc3\x87a va?","scale":[1,5],"low":2},}
    . '{"id":"e1","type":"ces","question":null,"scale":[1,7],"low":3}]}' . "\n",
    'ids, types, questions as configured (not HTML-escaped), scales, follow-up thresholds');
$r = ::get('/cx/score?report=surveys&_=123');
is($r->{status}, 200, 'a cache buster is fine');
$r = ::get('/cx/score?report=surveys', '', 'HEAD');
is($r->{status}, 200, 'HEAD: 200');
is($r->{body}, '', 'HEAD: no body');
redis_stop();
ok(wait_for(sub { ::get('/cx/score?survey=s1')->{status} == 503 }), 'Redis down: scores 503');
$r = ::get('/cx/score?report=surveys');
is($r->{status}, 200, 'Redis down: the surveys still 200');
is(::get('/cx/score?report=followups')->{status}, 503, 'Redis down: the follow-ups 503');
redis_start();
ok(wait_for(sub { ::get('/cx/score?report=followups')->{status} == 200 }, 15), 'Redis back: 200');



=== TEST 10: cx_score_token guards the reports too
--- config
location / {
    cx_survey s1 type=nps;
}
location = /cx/score {
    cx_score;
    cx_score_token s3cret-Token_0123456789;
}
--- check
for my $q ('report=followups', 'report=surveys') {
    my $r = ::get("/cx/score?$q");
    is($r->{status}, 401, "$q without the token: 401");
    $r = ::report($q, "Authorization: Bearer s3cret-Token_0123456789\r\n");
    is($r->{status}, 200, "$q with it: 200");
}



=== TEST 11: cursor: 250 follow-ups, 100 at a time, each exactly once, newest first; next null at the end
--- check
my @want;
for my $i (1 .. 250) {
    ::followup(survey => ($i % 3 ? 's1' : 'c1'), type => 'nps', touchpoint => 'thanks',
             score => 1, comment => "n$i", page => '/',
             time => sprintf('2024-03-02T%02d:%02d:%02dZ', $i / 3600, ($i / 60) % 60, $i % 60));
    unshift @want, "n$i";
}
my $q = 'report=followups&from=2024-03-01&to=2024-03-03&count=100';
my (@got, @sizes, $r);
my $cursor = '';
for my $page (1 .. 5) {
    $r = ::report($q . $cursor);
    is($r->{status}, 200, "page $page: 200");
    push @got, map { $_->{comment} } @{ $r->{json}{followups} };
    push @sizes, scalar @{ $r->{json}{followups} };
    last unless defined $r->{json}{next};
    like($r->{json}{next}, qr/^\d+-\d+$/, "page $page: next is a stream id");
    $cursor = "&cursor=$r->{json}{next}";
}
is("@sizes", '100 100 50', 'three pages: 100, 100, 50');
is_deeply(\@got, \@want, 'all 250, each once, in order');
like($r->{body}, qr/\],"next":null\}$/, 'the last page: "next":null, after the list');
# exactly at the end of a full page: next is already null
$r = ::report("$q&survey=c1");
is(scalar @{ $r->{json}{followups} }, 83, 'survey=c1: its 83');
is($r->{json}{next}, undef, 'and no next');
$r = ::report('report=followups&from=2024-03-01&to=2024-03-03&survey=s1&count=83');
is($r->{json}{followups}[0]{comment}, 'n250', 'survey=s1: from the newest');
my $next = $r->{json}{next};
ok(defined $next, 'survey=s1, 83 of 167: a next');
$r = ::report("report=followups&from=2024-03-01&to=2024-03-03&survey=s1&count=84&cursor=$next");
is(scalar @{ $r->{json}{followups} }, 84, 'the other 84');
is($r->{json}{followups}[-1]{comment}, 'n1', 'down to the oldest');
is($r->{json}{next}, undef, 'a full last page: next null');
$r = ::report("report=followups&from=2024-03-01&to=2024-03-03&survey=s1&count=100&cursor=$next");
is(scalar @{ $r->{json}{followups} }, 84, 'the same with room to spare');



=== TEST 12: cursor is hostile input: a stream id of the range or a 400, and nothing read from Redis
--- check
::report('survey=s1');
redis()->config('resetstat');
my $q = 'report=followups&from=2024-03-01&to=2024-03-03';
my $not = 'cursor: not a cursor (the \"next\" of a previous answer)';
my @cases = (
    [ "$q&cursor=", $not ],
    [ "$q&cursor=abc", $not ],
    [ "$q&cursor=1709251200000", $not ],
    [ "$q&cursor=1709251200000-", $not ],
    [ "$q&cursor=-1", $not ],
    [ "$q&cursor=1709251200000-1-2", $not ],
    [ "$q&cursor=%2B1709251200000-1", $not ],
    [ "$q&cursor=1709251200000-%2B1", $not ],
    [ "$q&cursor=%201709251200000-1", $not ],
    [ "$q&cursor=1709251200000-1%00", $not ],
    [ "$q&cursor=0x1709251200000-1", $not ],
    [ "$q&cursor=1709251200000.5-1", $not ],
    [ "$q&cursor=0000000000000001-0", $not ],
    [ "$q&cursor=1709251200000-10000000000000000000", $not ],
    [ "$q&cursor=(1709251200000-1", $not ],
    [ "$q&cursor=1-0", 'cursor: a cursor of another range' ],
    [ "$q&cursor=1709164799999-0", 'cursor: a cursor of another range' ],
    [ "$q&cursor=1709596800000-0", 'cursor: a cursor of another range' ],
    [ "$q&cursor=999999999999999-0", 'cursor: a cursor of another range' ],
    [ 'report=followups&from=1970-01-01&to=1970-01-01&cursor=0-0', 'cursor: a cursor of another range' ],
    [ "$q&cursor=1709251200000-1&cursor=1709251200000-2", 'cursor: duplicate parameter' ],
    [ 'survey=s1&cursor=1709251200000-1', 'cursor: only with report=followups' ],
    [ 'report=touchpoints&cursor=1709251200000-1', 'cursor: only with report=followups' ],
    [ 'report=surveys&cursor=1709251200000-1', 'cursor: not with report=surveys' ],
);
for my $c (@cases) {
    my $r = ::get("/cx/score?$c->[0]");
    is($r->{status}, 400, "'$c->[0]': 400");
    is($r->{body}, "{\"error\":\"$c->[1]\"}\n", "'$c->[0]': $c->[1]");
}
my $stats = redis()->info('commandstats');
is($stats->{cmdstat_eval}, undef, 'no EVAL for any of them');
# the bounds themselves are cursors: the first and last ids the range reads
for my $c ('1709164800000-0', '1709596799999-9999999999999999999', '1709251200000-9999999999999999999') {
    my $r = ::report("$q&cursor=$c");
    is($r->{status}, 200, "cursor=$c: 200");
    is_deeply($r->{json}{followups}, [], "cursor=$c: []");
}



=== TEST 13: cursor: when 10000 entries of others are looked at first, an empty page with a next leads on to the match
--- check
::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 2,
         comment => 'behind', page => '/', time => '2024-03-02T00:00:00Z');
my $base = ::ms('2024-03-02T01:00:00Z');
redis()->eval(<<'LUA', 1, $::STREAM, $base);
for i = 1, 10050 do
    redis.call('XADD', KEYS[1], ARGV[1] + i .. '-0', 'survey', 'c1',
               'time', '2024-03-02T01:00:00Z', 'comment', 'c1')
end
LUA
my $q = 'report=followups&from=2024-03-01&to=2024-03-03&survey=s1';
my $r = ::report($q);
is_deeply($r->{json}{followups}, [], '10000 looked at, none of s1');
is($r->{json}{next}, ($base + 51) . '-0', 'next: the last one looked at');
$r = ::report("$q&cursor=$r->{json}{next}");
is(::ids($r), 'behind', 'the next page has it');
is($r->{json}{next}, undef, 'and ends');



=== TEST 14: format=csv: a header row, RFC 4180 quoting, no cell a formula, invalid UTF-8 as U+FFFD; a download, never sniffed
--- check
my $a = ::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 3,
         comment => '=HYPERLINK("http://evil","x")', page => '/a,b', time => '2024-03-01T10:00:00Z');
my $b = ::followup(survey => 's1', touchpoint => '@t', score => 'abc',
         comment => "+1\nsecond line", page => '-x', time => '2024-03-01T10:00:01Z');
my $c = ::followup(survey => 's1', type => 'nps', touchpoint => 'thanks', score => 10,
         comment => "\tTab \xff caf\xc3\xa9", page => "\rCR", time => '2024-03-01T10:00:02Z');
my $d = ::followup(survey => 's1', score => 0, comment => 'plain "quoted"',
         time => '2024-03-01T10:00:03Z');
my $q = 'report=followups&from=2024-03-01&to=2024-03-01';
my $r = ::report("$q&format=csv");
is($r->{status}, 200, 'status 200');
is($r->{headers}{'content-type'}, 'text/csv; charset=utf-8', 'text/csv; charset=utf-8');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
is($r->{headers}{'cache-control'}, 'no-store', 'no-store');
is($r->{headers}{'content-disposition'},
   'attachment; filename="followups-localhost-2024-03-01-2024-03-01.csv"', 'a download, named after the site and period');
is($r->{headers}{'cx-next'}, undef, 'all of them: no CX-Next');
is($r->{body}, join('', map { "$_\r\n" }
    'id,time,survey,type,touchpoint,score,comment,page',
    qq{$d,2024-03-01T10:00:03Z,s1,,,0,"plain ""quoted""",},
    qq{$c,2024-03-01T10:00:02Z,s1,nps,thanks,10,'\tTab \xef\xbf\xbd caf\xc3\xa9,"'\rCR"},
    qq{$b,2024-03-01T10:00:01Z,s1,,'\@t,,"'+1\nsecond line",'-x},
    qq{$a,2024-03-01T10:00:00Z,s1,nps,thanks,3,"'=HYPERLINK(""http://evil"",""x"")","/a,b"}),
   'every entry, newest first: quotes doubled, a cell with a comma, quote, CR or LF quoted, = + - @ TAB CR behind a \'');
is($r->{headers}{'content-length'}, length $r->{body}, 'Content-Length');
$r = ::report("$q&format=csv&count=3");
is(scalar(() = $r->{body} =~ /\r\n(?=\d)/g), 3, 'count=3: three rows after the header');
is($r->{headers}{'cx-next'}, $b, 'CX-Next: the cursor of the next page');
$r = ::report("$q&format=csv&count=3&cursor=$b");
like($r->{body}, qr/\A[^\r]*\r\n\Q$a\E,[^\r]*\r\n\z/, 'the next page: the header and the oldest');
is($r->{headers}{'cx-next'}, undef, 'the end: no CX-Next');
$r = ::report("report=followups&format=csv&from=2023-03-01&to=2023-03-01");
is($r->{body}, "id,time,survey,type,touchpoint,score,comment,page\r\n", 'none: the header row alone');
$r = ::report("$q&format=json");
is($r->{headers}{'content-type'}, 'application/json', 'format=json: JSON');
is(scalar @{ $r->{json}{followups} }, 4, 'format=json: the same 4');
for my $c ([ "$q&format=xml", 'format: must be json or csv' ],
           [ "$q&format=CSV", 'format: must be json or csv' ],
           [ "$q&format=", 'format: must be json or csv' ],
           [ "$q&format=csv&format=csv", 'format: duplicate parameter' ],
           [ 'survey=s1&format=csv', 'format: csv only with report=followups' ],
           [ 'report=touchpoints&format=csv', 'format: csv only with report=followups' ],
           [ 'report=surveys&format=csv', 'format: not with report=surveys' ],
           [ "$q&format=csv&cursor=x", 'cursor: not a cursor (the \"next\" of a previous answer)' ]) {
    $r = ::get("/cx/score?$c->[0]");
    is($r->{status}, 400, "'$c->[0]': 400");
    is($r->{headers}{'content-type'}, 'application/json', "'$c->[0]': a JSON error");
    is($r->{body}, "{\"error\":\"$c->[1]\"}\n", "'$c->[0]': $c->[1]");
}
