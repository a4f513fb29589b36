# A poisoned key (a key of the wrong type, a field that is not a number)
# costs only the counts of the commands that touch it: the rest of the
# batch is applied, the loss is counted in cx_counts_lost_total and logged
# (rate-limited) with the key.  One block per key kind the flush script
# writes.
use lib 't/lib';
use Test::CX;
use Test::CX::Collect qw(answer);

our $SECRET = '0123456789abcdef0123';
our $DAY = today();

# the lost counts since the block began (the metrics outlive a block)
our $LOST0 = 0;
sub lost { (metric('cx_counts_lost_total') // 0) - $LOST0 }

# every count of a hash
sub hsum {
    my %h = redis()->hgetall($_[0]);
    my $n = 0;
    $n += $_ for values %h;
    return $n;
}

sub hour_field {
    my ($key, $prefix) = @_;
    my %h = redis()->hgetall($key);
    my ($f) = grep { /^\Q$prefix\E:\d\d$/ } keys %h;
    return $f ? $h{$f} : 0;
}

# the answer of a page's survey, planted with $plant->() before the page
# view (whose own survey event is counted in sv and svh)
sub answer_poisoned {
    my ($plant, %f) = @_;
    $plant->();
    my $tag = survey_tag('/');
    my $r = answer($tag, %f);
    return $r->{status};
}

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
location = /cx/collect {
    cx_collect;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]])
        unless defined $block->user_files;

    $block->set_value('redis', '') unless defined $block->redis;
    $block->set_value('request', "GET /cx/metrics\n")
        unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: tp (page views by day) a string: the hourly counts still arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->set("cx:localhost:tp:$::DAY", 'x');
get_many('/', 3);
ok(wait_for(sub { ::hour_field("cx:localhost:tph:$::DAY", 'home:view') == 3 }), 'tph counted') or diag(explain({ redis()->hgetall("cx:localhost:tph:$::DAY") }));
ok(wait_for(sub { ::lost() == ::hsum("cx:localhost:tph:$::DAY") }), 'as many lost as counted by hour') or diag(::lost());
is(redis()->get("cx:localhost:tp:$::DAY"), 'x', 'the poisoned key untouched');
--- error_log eval
qr/cx redis: \d+ counts? lost on 127\.0\.0\.1:\d+ in "cx:localhost:tp:\d{8}": .*WRONGTYPE/
--- no_error_log
dropped



=== TEST 2: tph (page views by hour) a list: the daily counts still arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->rpush("cx:localhost:tph:$::DAY", 'x');
get_many('/', 2);
ok(wait_for(sub { (redis()->hget("cx:localhost:tp:$::DAY", 'home:view') // 0) == 2 }), 'tp counted');
ok(wait_for(sub { ::lost() == ::hsum("cx:localhost:tp:$::DAY") }), 'as many lost as counted by day') or diag(::lost());
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:tph:\d{8}": .*WRONGTYPE/



=== TEST 3: one field that is not a number: only that field's counts lost
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->hset("cx:localhost:tp:$::DAY", 'home:view', 'abc');
get_many('/', 2);
ok(wait_for(sub { ::hour_field("cx:localhost:tph:$::DAY", 'home:view') == 2 }), 'tph counted');
ok(wait_for(sub { ::lost() == 2 }), '2 lost') or diag(::lost());
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:view'), 'abc', 'field untouched');
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:tp:\d{8}": .*not an integer/



=== TEST 4: sc (score histogram) a string: events, hours, journey, follow-up all arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
is(::answer_poisoned(sub { redis()->set("cx:localhost:sc:nps1:$::DAY", 'x') },
                     event => 'answered', score => 3), 204, 'answered');
ok(wait_for(sub { redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:answered') }), 'sv counted');
is(::hour_field("cx:localhost:svh:nps1:$::DAY", 'home:answered'), 1, 'svh counted');
is(::hour_field("cx:localhost:sch:nps1:$::DAY", 'home:3'), 1, 'sch counted');
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:answered'), 1, 'tp counted');
is(scalar @{ redis()->xrange('cx:localhost:followup', '-', '+') }, 1, 'follow-up');
ok(wait_for(sub { ::lost() == 1 }), '1 lost') or diag(::lost());
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:sc:nps1:\d{8}": .*WRONGTYPE/



=== TEST 5: sv, svh, sch each a set: the other kinds arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
for my $kind (qw(sv svh sch)) {
    redis()->flushall;
    sleep 1.1;
    my $before = ::lost();
    is(::answer_poisoned(sub { redis()->sadd("cx:localhost:$kind:nps1:$::DAY", 'x') },
                         event => 'answered', score => 9), 204, "$kind: answered");
    # sv and svh also hold the page view's own survey event
    my $n = $kind eq 'sch' ? 1 : 2;
    ok(wait_for(sub { ::lost() == $before + $n }), "$kind: $n lost") or diag(::lost() - $before);
    is(redis()->hget("cx:localhost:tp:$::DAY", 'home:answered'), 1, "$kind: tp counted");
    is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:9'), 1, "$kind: sc counted");
}
--- error_log eval
[ qr/in "cx:localhost:sv:nps1:\d{8}": .*WRONGTYPE/,
  qr/in "cx:localhost:svh:nps1:\d{8}": .*WRONGTYPE/,
  qr/in "cx:localhost:sch:nps1:\d{8}": .*WRONGTYPE/ ]



=== TEST 6: the token key a string: that answer is lost, the page views of the batch arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
my $tag = survey_tag('/');
my ($nonce) = $tag->{token} =~ /^\d+\.([^.]+)\./;
redis()->set('cx:localhost:tok:' . substr($nonce, 0, 16), 'x');
get_many('/', 2);
is(::answer($tag, event => 'answered', score => 10)->{status}, 204, 'answered');
ok(wait_for(sub { ::lost() >= 1 }), 'lost counted');
ok(wait_for(sub { (redis()->hget("cx:localhost:tp:$::DAY", 'home:view') // 0) == 3 }), 'views counted');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:10'), undef, 'the answer not counted');
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:tok:[^"]+": .*WRONGTYPE/



=== TEST 7: the day's custom names a string: the custom event is lost, the answer arrives
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->set("cx:localhost:names:$::DAY", 'x');
my $tag = survey_tag('/');
is(::answer($tag, event => 'clicked_help')->{status}, 204, 'custom');
is(::answer($tag, event => 'answered', score => 8)->{status}, 204, 'answered');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:8') }), 'answer counted');
ok(wait_for(sub { ::lost() >= 1 }), 'lost counted');
is(redis()->hget("cx:localhost:sv:nps1:$::DAY", 'home:clicked_help'), undef, 'custom not counted');
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:names:\d{8}": .*WRONGTYPE/



=== TEST 8: the follow-up stream a hash: the entry is lost, the counts arrive
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->hset('cx:localhost:followup', 'a', 'b');
is(::answer_poisoned(sub {}, event => 'answered', score => 2), 204, 'answered');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:2') }), 'counted');
ok(wait_for(sub { ::lost() == 1 }), '1 lost') or diag(::lost());
--- error_log eval
qr/lost on 127\.0\.0\.1:\d+ in "cx:localhost:followup": .*WRONGTYPE/



=== TEST 9: logged at most about once a second however many batches fail
--- check
sleep 1.1; $::LOST0 = 0; $::LOST0 = ::lost();
redis()->set("cx:localhost:tp:$::DAY", 'x');
for (1 .. 15) { get_many('/', 1); select undef, undef, undef, 0.1; }
ok(wait_for(sub { ::hour_field("cx:localhost:tph:$::DAY", 'home:view') == 15 }), '15 views by hour');
ok(wait_for(sub { ::lost() == ::hsum("cx:localhost:tph:$::DAY") }), 'as many lost') or diag(::lost());
my $n = () = Test::CX::block_log() =~ /counts? lost on/g;
ok($n >= 1 && $n <= 4, "$n lines for 15 failed batches");
is(::hour_field("cx:localhost:tph:$::DAY", 'home:view'), 15, 'tph exact');



=== TEST 10: a month rollup of each kind of the wrong type: nothing lost, the day hashes counted
--- check
my $m = substr($::DAY, 0, 6);
for my $k ('tp', 'tph', 'sv:nps1', 'svh:nps1', 'sc:nps1', 'sch:nps1') {
    redis()->set("cx:localhost:$k:$m", 'x');
    redis()->set("cx:localhost:$k:$m:all", 'x');
}
is(::answer_poisoned(sub {}, event => 'answered', score => 6), 204, 'answered');
ok(wait_for(sub { redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:6') }), 'sc counted');
is(::hour_field("cx:localhost:sch:nps1:$::DAY", 'home:6'), 1, 'sch counted');
is(redis()->hget("cx:localhost:tp:$::DAY", 'home:answered'), 1, 'tp counted');
my $lost = ::lost();
get_many('/', 3);
ok(wait_for(sub { ::hour_field("cx:localhost:tph:$::DAY", 'home:view') == 4 }), 'views counted');
is(::lost(), $lost, 'nothing lost');
--- no_error_log
lost on
