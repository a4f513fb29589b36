# /cx/collect: widget events and answers in, 204 at once, and in Redis
# exactly once per token -- histograms, events, follow-ups.

use lib 't/lib';
use Test::CX;
use Test::CX::Collect qw(answer);

our $SECRET = '0123456789abcdef0123';
our $DAY = today();

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
}
location /c/ {
    cx_touchpoint checkout;
    cx_survey csat1 type=csat;
}
location /e/ {
    cx_touchpoint support;
    cx_survey ces1 type=ces;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ],
                                     [ 'c/index.html', "<body>c</body>\n" ],
                                     [ 'e/index.html', "<body>e</body>\n" ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;
    $block->set_value('request', "GET /\n") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: a detractor's answer: 204, histogram, events, a follow-up
--- check
my $tag = survey_tag('/thanks.html?x=1');
$tag = survey_tag('/') unless $tag;
is($tag->{survey}, 'nps1', 'the page carries the survey');
my $r = ::answer($tag, event => 'shown');
is($r->{status}, 204, 'shown: 204');
is($r->{body}, '', 'no body');
$r = ::answer($tag, event => 'answered', score => 3, comment => 'Too+slow+%E2%80%94+sorry', page => '/thanks');
is($r->{status}, 204, 'answered: 204');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:3') }), 'in the histogram');
is(redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:shown'), 1, 'shown counted for the survey');
is(redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:answered'), 1, 'answered counted for the survey');
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:answered'), 1, 'answered in the journey');
my %h = redis()->hgetall("cx:localhost:sch:nps1:$::DAY");
is(scalar(grep { /^home:3:\d\d$/ } keys %h), 1, 'by hour');
my $x = redis()->xrange('cx:localhost:followup', '-', '+');
is(scalar @$x, 1, 'one follow-up');
my %e = @{ $x->[0][1] };
is($e{survey}, 'nps1', 'follow-up survey');
is($e{type}, 'nps', 'follow-up type');
is($e{touchpoint}, 'home', 'follow-up touchpoint');
is($e{score}, 3, 'follow-up score');
is($e{comment}, "Too slow \xe2\x80\x94 sorry", 'follow-up comment, UTF-8 intact');
is($e{page}, '/thanks', 'follow-up page');
like($e{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'follow-up time');



=== TEST 2: a promoter's answer in JSON: no follow-up
--- check
my $tag = survey_tag('/');
my $r = post('/cx/collect', 'application/json; charset=utf-8',
             qq({"survey":"nps1","touchpoint":"home","event":"answered","score":10,"token":"$tag->{token}","extra":[1,2]}));
is($r->{status}, 400, 'a nested unknown field is still nested');
$r = post('/cx/collect', 'application/json',
          qq({ "survey": "nps1", "touchpoint": "home", "event": "answered",
               "score": 10, "token": "$tag->{token}", "unknown": true }));
is($r->{status}, 204, 'unknown fields are ignored');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:10') }), 'counted');
is(redis()->exists('cx:localhost:followup'), 0, 'no follow-up for a promoter');



=== TEST 3: a token is good for one answer: a replay is refused at the door, not counted
--- check
my $tag = survey_tag('/');
my $before = metric('cx_collect_refused_total{reason="replay"}');
is(::answer($tag, event => 'answered', score => 0)->{status}, 204, 'first');
is(::answer($tag, event => 'answered', score => 0)->{status}, 429, 'replay refused at the door');
is(::answer($tag, event => 'answered', score => 10)->{status}, 429, 'another score, same token');
is(metric('cx_collect_refused_total{reason="replay"}') - $before, 2, 'replays counted in the metric');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:0') }), 'flushed');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:0'), 1, 'counted once');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:10'), undef, 'the other score never');
is(redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:answered'), 1, 'answered once');
is(redis()->xlen('cx:localhost:followup'), 1, 'one follow-up');



=== TEST 4: shown, dismissed and a custom event
--- check
my $tag = survey_tag('/c/');
is($tag->{type}, 'csat', 'a CSAT survey');
is(::answer($tag, event => 'shown')->{status}, 204, 'shown');
is(::answer($tag, event => 'dismissed')->{status}, 204, 'dismissed');
is(::answer($tag, event => 'dismissed')->{status}, 429, 'dismissed twice: 429');
is(::answer($tag, event => 'clicked_help')->{status}, 204, 'custom');
ok(wait_for(sub { redis()->hget("cx:localhost:sv:csat1:$::DAY", 'checkout:clicked_help') }), 'custom counted');
is(redis()->hget("cx:localhost:sv:csat1:$::DAY", 'checkout:shown'), 1, 'shown');
is(redis()->hget("cx:localhost:sv:csat1:$::DAY", 'checkout:dismissed'), 1, 'dismissed once per token');
is(redis()->hget("cx:localhost:tp:$::DAY", 'checkout:dismissed'), 1, 'in the journey');



=== TEST 5: CSAT and CES scales and their follow-up thresholds
--- check
my $c = survey_tag('/c/');
is(::answer($c, event => 'answered', score => 2, comment => 'meh')->{status}, 204, 'csat 2');
my $e = survey_tag('/e/');
is(::answer($e, event => 'answered', score => 4)->{status}, 204, 'ces 4');
my $e2 = survey_tag('/e/');
is(::answer($e2, event => 'answered', score => 3)->{status}, 204, 'ces 3');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:ces1:$::DAY", 'support:3') }), 'ces counted');
is(redis()->hget("cx:localhost:sc:csat1:$::DAY", 'checkout:2'), 1, 'csat histogram');
is(redis()->hget("cx:localhost:sc:ces1:$::DAY", 'support:4'), 1, 'ces histogram');
my @s = map { { @{ $_->[1] } }->{survey} } @{ redis()->xrange('cx:localhost:followup', '-', '+') };
is_deeply(\@s, ['csat1', 'ces1'], 'CSAT 2 and CES 3 are followed up, CES 4 is not');



=== TEST 6: cx_followup_threshold moves the line
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_followup_threshold nps=8 csat=0;
--- check
my $t = survey_tag('/');
is(::answer($t, event => 'answered', score => 8)->{status}, 204, 'nps 8');
my $c = survey_tag('/c/');
is(::answer($c, event => 'answered', score => 1)->{status}, 204, 'csat 1');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:csat1:$::DAY", 'checkout:1') }), 'counted');
my @s = map { { @{ $_->[1] } }->{score} } @{ redis()->xrange('cx:localhost:followup', '-', '+') };
is_deeply(\@s, [8], 'nps 8 followed up; csat=0 turns CSAT follow-ups off');



=== TEST 7: the follow-up stream is capped (MAXLEN ~) and a CRM reads it with XREADGROUP
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_followup_maxlen 10;
--- check
redis()->xgroup('CREATE', 'cx:localhost:followup', 'crm', '$', 'MKSTREAM');
for (1 .. 300) {
    my $t = survey_tag('/');
    ::answer($t, event => 'answered', score => 1);
}
ok(wait_for(sub { (redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:1') // 0) == 300 }), '300 answers');
ok(redis()->xlen('cx:localhost:followup') < 300, 'the stream is capped: ' . redis()->xlen('cx:localhost:followup'));
my $got = redis()->xreadgroup('GROUP', 'crm', 'agent-1', 'COUNT', 5, 'STREAMS', 'cx:localhost:followup', '>');
is(scalar @{ $got->[0][1] }, 5, 'a consumer group reads follow-ups');



=== TEST 8: the follow-up page defaults to the Referer's path
--- check
my $t = survey_tag('/');
my $r = post('/cx/collect', 'application/x-www-form-urlencoded',
             "survey=nps1&touchpoint=home&event=answered&score=2&token=$t->{token}",
             "Referer: http://localhost/shop/cart?id=7#top\r\nOrigin: http://localhost\r\n");
is($r->{status}, 204, 'same-origin post');
ok(wait_for(sub { redis()->exists('cx:localhost:followup') }), 'followed up');
my %e = @{ redis()->xrange('cx:localhost:followup', '-', '+')->[0][1] };
is($e{page}, '/shop/cart', 'page from the Referer, without query or fragment');



=== TEST 9: Redis down: 204 all the same, the answer arrives later, once
--- check
my $t = survey_tag('/');
redis_stop();
is(::answer($t, event => 'answered', score => 6)->{status}, 204, 'answer while Redis is down');
is(::answer($t, event => 'answered', score => 6)->{status}, 429, 'its replay is refused at the door');
sleep 0.3;
redis_start();
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:6') }, 10), 'arrives');
sleep 0.3;
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:6'), 1, 'once');
--- error_log eval
qr/cx redis: connection to 127\.0\.0\.1:\d+ lost|connect to 127\.0\.0\.1:\d+ failed/



=== TEST 10: collected events in the metrics
--- check
my $before = metric('cx_collected_total');
my $t = survey_tag('/');
::answer($t, event => 'shown');
post('/cx/collect', 'application/x-www-form-urlencoded', 'survey=nope');
is(metric('cx_collected_total') - $before, 1, 'one accepted, one refused');



=== TEST 11: a changed follow-up threshold travels in the tag, for the widget
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_followup_threshold nps=8;
--- check
my $t = survey_tag('/');
is($t->{followup}, 8, 'data-cx-followup="8" for NPS');
my $c = survey_tag('/c/');
is($c->{followup}, undef, 'CSAT keeps its default: no attribute');



=== TEST 12: an answer whose batch reply is lost is applied once (a batch of answers only)
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PROXY_PORT;
cx_flush_interval 50ms;
--- check
my $t = survey_tag('/');
ok(wait_for(sub { redis()->hget("cx:localhost:tp:$::DAY", 'home:view') }), 'the page view is flushed');
cut_next_reply();
is(::answer($t, event => 'answered', score => 4)->{status}, 204, 'answer');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:4') }, 10), 'arrives after the retry');
sleep 0.5;
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:4'), 1, 'once');
is(redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:answered'), 1, 'answered once');
--- error_log eval
qr/cx redis: connection to 127\.0\.0\.1:\d+ lost/
