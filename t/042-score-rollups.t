# The rollups the flush script keeps (docs/redis.md): what the
# module writes into them, and /cx/score answers the same whether it
# reads them or the day hashes (every rollup marked incomplete, "#" 0,
# makes it read the days): whole months and cut ones, February, old data
# written before the rollups, a rollup of the wrong type.  And the reads
# they save.
use lib 't/lib';
use Test::CX;
use Test::CX::Flush;
use JSON::PP ();
use POSIX qw(strftime);
use Time::Local ();

our $DAY = today();
our @TPS = qw(home cart checkout);
our $SEQ = 0;
our $SHA;

# days 2026-01-20 .. 2026-04-05 through the flush script, as the module
# writes them; $old->(day): written directly instead (before the rollups)
sub seed {
    my ($old) = @_;
    my $r = redis();
    $SHA //= $r->script_load(do { local (@ARGV, $/) = ('lua/redis/flush.lua'); <> });
    srand(42);

    for my $i (0 .. 75) {
        my $day = strftime('%Y%m%d', gmtime(Time::Local::timegm(0, 0, 0, 20, 0, 2026) + 86400 * $i));
        my %h;

        for my $tp (@TPS) {
            for (1 .. 5 + int rand 20) {
                my $s = int rand 11;
                my $hh = sprintf '%02d', int rand 24;
                $h{"cx:localhost:sc:s1:$day"}{"$tp:$s"}++;
                $h{"cx:localhost:sch:s1:$day"}{"$tp:$s:$hh"}++;
                $h{"cx:localhost:sv:s1:$day"}{"$tp:answered"}++;
                $h{"cx:localhost:svh:s1:$day"}{"$tp:answered:$hh"}++;
                $h{"cx:localhost:tp:$day"}{"$tp:answered"}++;
                $h{"cx:localhost:tph:$day"}{"$tp:answered:$hh"}++;
                $h{"cx:localhost:tp:$day"}{"$tp:view"} += 7;
                $h{"cx:localhost:tph:$day"}{"$tp:view:$hh"} += 7;
            }
        }

        if ($old && $old->($day)) {
            for my $k (keys %h) {
                $r->hincrby($k, $_, $h{$k}{$_}) for keys %{ $h{$k} };
            }
            next;
        }

        $r->evalsha($SHA, Test::CX::Flush::flush_args('cx:batch:t', ++$SEQ, 0, \%h));
    }
}

sub hgetalls {
    my ($v) = (redis()->info('commandstats')->{cmdstat_hgetall} // 'calls=0') =~ /calls=(\d+)/;
    return $v;
}

my $json = JSON::PP->new->canonical;

sub answer {
    my ($q) = @_;
    my $r;
    wait_for(sub {
        $r = http_request("GET /cx/score?$q HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        ($r->{status} // 0) != 503;
    });
    return "$r->{status} $r->{body}";
}

our @QUERIES = map { "$_&from=2026-01-25&to=2026-04-02" } (
    'survey=s1', 'survey=s1&by=day', 'survey=s1&by=touchpoint',
    'survey=s1&by=hour', 'survey=s1&by=wday', 'survey=s1&compare=previous',
    'survey=s1&by=day&compare=previous', 'survey=s1&by=hour&touchpoint=cart',
    'survey=s1&by=day&touchpoint=cart', 'report=touchpoints',
    'report=touchpoints&by=hour', 'report=touchpoints&by=day',
);
push @QUERIES, 'survey=s1&by=day&from=2026-02-01&to=2026-02-28',
               'survey=s1&by=hour&from=2026-02-01&to=2026-03-31&compare=previous';

# every query's answer: with the rollups as they are, and read from the
# day hashes only; the HGETALLs each way
sub both_ways {
    my (%with, %without);
    my $h0 = hgetalls();
    $with{$_} = answer($_) for @QUERIES;
    my $h1 = hgetalls();
    my $r = redis();
    for my $k ($r->keys('cx:localhost:*')) {
        $r->hset($k, '#', '0') if $k =~ /:\d{6}(:all)?$/ && $r->type($k) eq 'hash';
    }
    $without{$_} = answer($_) for @QUERIES;
    my $h2 = hgetalls();
    return (\%with, \%without, $h1 - $h0, $h2 - $h1);
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
    cx_touchpoint home;
    cx_survey s1 type=nps;
}
location = /cx/collect {
    cx_collect;
}
location = /cx/score {
    cx_score;
}
EOF

    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]])
        unless defined $block->user_files;
    $block->set_value('redis', '') unless defined $block->redis;
    $block->set_value('request', "GET /\n") unless defined $block->request;
});

run_tests();

__DATA__

=== TEST 1: what the module writes: each day hash's month rollup, and the touchpoints added up, complete
--- check
my $tag = survey_tag('/');
my $r = post('/cx/collect', 'application/x-www-form-urlencoded',
             "survey=s1&touchpoint=home&token=$tag->{token}&event=answered&score=7");
is($r->{status}, 204, 'answered');
my $m = substr($::DAY, 0, 6);
my $dd = substr($::DAY, 6, 2);
ok(wait_for(sub { redis()->hget("cx:localhost:sc:s1:$m", 'home:7') }), 'sc month rollup');
for my $k (qw(tp tph sv svh sc sch)) {
    my $base = $k =~ /^t/ ? "cx:localhost:$k" : "cx:localhost:$k:s1";
    is(redis()->hget("$base:$m", '#'), '1', "$k: complete month");
    if ($k =~ /^s/) {
        is(redis()->hget("$base:$m:all", '#'), '1', "$k: complete touchpoints rollup");
        is(redis()->hget("$base:$::DAY:all", '#'), '1', "$k: complete touchpoints rollup of the day");
    } else {
        ok(!redis()->exists("$base:$m:all"), "$k: the journey's touchpoints are not added up");
    }
    my %day = redis()->hgetall("$base:$::DAY");
    my %mon = redis()->hgetall("$base:$m");
    delete $mon{'#'};
    is_deeply(\%mon, \%day, "$k: the month holds the day's fields");
}
is(redis()->hget("cx:localhost:sv:s1:$m:all", "$dd:answered"), 1, 'sv:all keeps the day');
is(redis()->hget("cx:localhost:sc:s1:$m:all", "$dd:7"), 1, 'sc:all: the score of the day');
is(redis()->hget("cx:localhost:sc:s1:$::DAY:all", "7"), 1, 'the day\'s sc:all: the score');
my %sch = redis()->hgetall("cx:localhost:sch:s1:$m:all");
is(scalar(grep { /^7:\d\d$/ } keys %sch), 1, 'sch:all: score:hour');
my $ttl = redis()->ttl("cx:localhost:sc:s1:$m");
ok($ttl > redis()->ttl("cx:localhost:sc:s1:$::DAY"), "the rollup outlives its days ($ttl s)");



=== TEST 2: the same answers from the rollups as from the days, with fewer reads
--- check
::seed();
is(redis()->hget('cx:localhost:sc:s1:202602', '#'), '1', 'February complete');
is(redis()->hget('cx:localhost:sc:s1:202601', '#'), '1', 'January complete (no older data)');
my ($with, $without, $n1, $n2) = ::both_ways();
for my $q (@::QUERIES) {
    like($with->{$q}, qr/^200 /, "$q: 200");
    is($with->{$q}, $without->{$q}, "$q: the same answer");
}
ok($n1 < $n2 / 2, "HGETALLs: $n1 with the rollups, $n2 without");



=== TEST 3: old data: months that began before the rollups are read from their days
--- check
::seed(sub { $_[0] lt '20260210' });
is(redis()->hget('cx:localhost:sc:s1:202602', '#'), '0', 'February: not complete');
is(redis()->hget('cx:localhost:sc:s1:202603', '#'), '1', 'March complete');
ok(!redis()->exists('cx:localhost:sc:s1:202601'), 'January: no rollup');
my ($with, $without) = ::both_ways();
is($with->{$_}, $without->{$_}, "$_: the same answer") for @::QUERIES;



=== TEST 4: a rollup of the wrong type, a rollup with a field that is not a number: the days are read
--- check
::seed();
my $before = ::answer($::QUERIES[0]);
like($before, qr/^200 /, 'answered');
redis()->del('cx:localhost:sc:s1:202602');
redis()->set('cx:localhost:sc:s1:202602', 'x');
redis()->hset('cx:localhost:sv:s1:202603', 'home:answered', 'abc');
redis()->hset('cx:localhost:sv:s1:202603', '#', '1');
is(::answer($::QUERIES[0]), $before, 'the same answer');



=== TEST 5: a rollup write that fails marks the rollup incomplete; the day counts arrive
--- check
my $m = substr($::DAY, 0, 6);
ok(wait_for(sub { redis()->hget("cx:localhost:tp:$m", 'home:view') }), 'first view in the rollup');
redis()->hset("cx:localhost:tp:$m", 'home:view', 'abc');
get_many('/', 2);
ok(wait_for(sub { redis()->hget("cx:localhost:tp:$::DAY", 'home:view') == 3 }), 'the day counts');
is(redis()->hget("cx:localhost:tp:$m", '#'), '0', 'the rollup: not complete any more');
