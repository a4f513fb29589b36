# /cx/collect against a visitor who means harm: one token replayed or
# stuffed with events, names invented by the thousand, a token carried to
# another site, control bytes and markup in the page and the comment,
# bodies that never end.  Each block checks the answer at the door and
# what reached Redis.

use lib 't/lib';
use Test::CX;
use Test::CX::Collect qw(form answer reason counts_settled);
use Time::HiRes qw(sleep time);
use JSON::PP ();

our $SECRET = '0123456789abcdef0123';
our $DAY = today();

sub refused { metric("cx_collect_refused_total{reason=\"$_[0]\"}") // 0 }
sub over_limit { metric("cx_collected_over_limit_total{limit=\"$_[0]\"}") // 0 }

# every count made so far has reached Redis (or was dropped): the
# metrics agree, and still agree a few flush intervals later (counts made
# since the last flush reach cx_counts_total at the next one)

sub settled {
    my $deadline = time + 10;
    while (time < $deadline) {
        my $a = counts_settled();
        sleep 0.2;
        my $b = counts_settled();
        return 1 if defined $a && defined $b && $a == $b;
    }
    return 0;
}

sub sv { redis()->hget("cx:localhost:sv:$_[0]:$::DAY", $_[1]) }

sub custom_fields {
    my ($key) = @_;
    my @f = sort grep { !/:(view|triggered|shown|dismissed|answered)$/ }
                 redis()->hkeys($key);
    return @f;
}

# a raw POST to another Host of the same nginx

sub post_host {
    my ($host, $body) = @_;
    return http_request("POST /cx/collect HTTP/1.1\r\nHost: $host\r\n"
                        . "Content-Type: application/x-www-form-urlencoded\r\n"
                        . "Content-Length: " . length($body) . "\r\n"
                        . "Connection: close\r\n\r\n$body");
}

sub tag_of_host {
    my ($host) = @_;
    my $r = http_request("GET / HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n");
    my ($tag) = ($r->{body} // '') =~ /(<script src="[^"]*" async [^>]*>)/ or return undef;
    my %a;
    $a{$1} = $2 while $tag =~ /data-cx-([a-z]+)="([^"]*)"/g;
    return \%a;
}

# a form body of exactly $len bytes (padded with an unknown field)

sub body_of {
    my ($tag, $len) = @_;
    my $b = form($tag, event => 'shown') . '&pad=';
    return $b . ('x' x ($len - length $b));
}

sub chunked {
    my ($body, $size, $last) = @_;
    my $out = '';
    for (my $i = 0; $i < length $body; $i += $size) {
        my $c = substr $body, $i, $size;
        $out .= sprintf("%x\r\n%s\r\n", length $c, $c);
    }
    return "POST /cx/collect HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "Content-Type: application/x-www-form-urlencoded\r\n"
           . "Transfer-Encoding: chunked\r\n\r\n$out"
           . ($last // "0\r\n\r\n");
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

=== TEST 1: a token replayed: the first post is counted, the replays stop at the door (429)
--- check
my $t = survey_tag('/');
ok(::settled(), 'the page view is in Redis');
my $counts = metric('cx_counts_total');
my $replays = ::refused('replay');
my $redis_replays = metric('cx_collected_replayed_total');
my $r = ::answer($t, event => 'shown');
is($r->{status}, 204, 'shown: 204');
my %st;
for (1 .. 200) {
    $r = ::answer($t, event => 'shown');
    $st{$r->{status}}++;
}
is_deeply(\%st, { 429 => 200 }, '200 replays: 429 each');
is(::reason($r), 'token: already used for this event', 'the reason');
like($r->{headers}{'content-type'}, qr{^application/json}, 'JSON');
is($r->{headers}{'x-content-type-options'}, 'nosniff', 'nosniff');
is(::refused('replay') - $replays, 200, 'cx_collect_refused_total{reason="replay"}');
ok(::settled(), 'flushed');
is(metric('cx_counts_total') - $counts, 1, 'one event queued: the replays never reached a batch');
is(::sv('nps1', 'home:shown'), 1, 'shown counted once');
is(metric('cx_collected_replayed_total') - $redis_replays, 0, 'Redis had no replay to refuse');



=== TEST 2: each of shown, dismissed, answered at most once per token; a custom name once
--- check
my $t = survey_tag('/');
my @seq = ([shown => 204], [dismissed => 204], [answered => 204, score => 9],
           [answered => 429, score => 10], [dismissed => 429], [shown => 429],
           [clicked => 204], [clicked => 429]);
for my $s (@seq) {
    my ($ev, $want, %f) = @$s;
    my $r = ::answer($t, event => $ev, %f);
    is($r->{status}, $want, "$ev: $want");
}
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:shown'), 1, 'shown once');
is(::sv('nps1', 'home:dismissed'), 1, 'dismissed once');
is(::sv('nps1', 'home:answered'), 1, 'answered once');
is(::sv('nps1', 'home:clicked'), 1, 'the custom event once');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:9'), 1, 'the first score');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:10'), undef, 'not the replayed one');



=== TEST 3: at most 4 custom events per token: the 5th name is refused at the door (429)
--- check
my $t = survey_tag('/');
my $before = ::refused('token_events');
for my $n (1 .. 4) {
    is(::answer($t, event => "custom$n")->{status}, 204, "custom$n: 204");
}
for my $n (5 .. 30) {
    my $r = ::answer($t, event => "custom$n");
    is($r->{status}, 429, "custom$n: 429") if $n <= 6 || $n == 30;
    is(::reason($r), 'event: at most 4 custom events per token', 'the reason') if $n == 5;
}
is(::refused('token_events') - $before, 26, 'cx_collect_refused_total{reason="token_events"}');
is(::answer($t, event => 'custom2')->{status}, 429, 'a name already used: a replay');
is(::answer($t, event => 'shown')->{status}, 204, 'shown is not a custom event');
ok(::settled(), 'flushed');
is_deeply([ ::custom_fields("cx:localhost:sv:nps1:$::DAY") ],
          [ map { "home:custom$_" } 1 .. 4 ], 'four custom names counted');
is(::sv('nps1', 'home:shown'), 1, 'and shown');
my @tok = redis()->keys('cx:localhost:tok:*');
is(scalar @tok, 1, 'one token key');
is(redis()->hget($tok[0], 'shown'), 1, 'it holds shown');
is(redis()->hget($tok[0], '#custom'), undef, 'not the custom events');
my @tokc = redis()->keys('cx:localhost:tokc:*');
is(scalar @tokc, 1, 'one key of its custom events');
is(redis()->hget($tokc[0], '#custom'), 4, 'the token holds 4 custom events');
is(redis()->hget($tokc[0], 'custom1'), 1, 'each by name');



=== TEST 4: 1,000 invented names from 250 tokens: at most cx_custom_event_names a site and day
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_custom_event_names 10;
--- check
my $before = ::over_limit('event_names');
my %st;
my $n = 0;
for my $i (1 .. 250) {
    my $t = survey_tag('/');
    for (1 .. 4) {
        $n++;
        $st{ ::answer($t, event => "name$n")->{status} }++;
    }
}
is_deeply(\%st, { 204 => 1000 }, 'the door cannot know the site cap: 204');
ok(::settled(), 'flushed');
my @names = redis()->smembers("cx:localhost:names:$::DAY");
is(scalar @names, 10, "the day's set of custom names holds 10");
my @f = ::custom_fields("cx:localhost:sv:nps1:$::DAY");
is(scalar @f, 10, '10 custom names counted for the survey');
is(scalar(my @tp = ::custom_fields("cx:localhost:tp:$::DAY")), 10, 'and in the journey');
is_deeply([ sort map { s/^home://r } @f ], [ sort @names ], 'the same names');
is(::over_limit('event_names') - $before, 990, 'cx_collected_over_limit_total{limit="event_names"}');
is(::sv('nps1', 'home:name1'), 1, 'a name admitted keeps counting');
my $t = survey_tag('/');
is(::answer($t, event => 'name1')->{status}, 204, 'a known name from a new token');
is(::answer($t, event => 'fresh')->{status}, 204, 'a new name past the cap');
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:name1'), 2, 'the known name counts');
is(::sv('nps1', 'home:fresh'), undef, 'the new one does not');
ok(redis()->ttl("cx:localhost:names:$::DAY") > 86400, 'the set expires (2 days)');
my $d = $::DAY =~ s/^(\d{4})(\d\d)(\d\d)$/$1-$2-$3/r;
my $r = http_request("GET /cx/score?report=touchpoints&by=day&from=$d&to=$d HTTP/1.1\r\n"
                     . "Host: localhost\r\nConnection: close\r\n\r\n");
is($r->{status}, 200, 'the journey report');
my $j = eval { JSON::PP::decode_json($r->{body}) } // {};
my ($home) = grep { $_->{touchpoint} eq 'home' } @{ $j->{touchpoints} // [] };
is(scalar keys %{ $home->{events} // {} }, 6 + 10, 'the journey: 6 events of its own and 10 custom names');
is(scalar keys %{ $home->{groups}[0]{events} // {} }, 6 + 10, 'the day: the same');



=== TEST 5: cx_custom_event_names 0 refuses custom events at the door
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_custom_event_names 0;
--- check
my $t = survey_tag('/');
my $r = ::answer($t, event => 'clicked');
is($r->{status}, 400, 'refused: 400');
is(::reason($r), 'event: custom events are off (cx_custom_event_names 0)', 'the reason');
is(::answer($t, event => 'shown')->{status}, 204, 'shown still counts');
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:clicked'), undef, 'nothing counted');



=== TEST 6: bad cx_custom_event_names values fail nginx -t
--- http_config
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_custom_event_names many;
--- must_die
--- check
--- error_log
"cx_custom_event_names" directive invalid number



=== TEST 7: two workers: the site cap and the token limit are exact across them
--- workers: 2
--- no_default_server
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
cx_custom_event_names 5;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT reuseport;
    server_name localhost;
    root $TEST_NGINX_HTML_DIR;
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
}
--- check
my $log = servroot() . '/logs/error.log';
my $from = -s $log;
my ($names_over, $token_over) = (::over_limit('event_names'), ::over_limit('token_events'));
my $refused = ::refused('token_events');
# one token, 8 names over many connections: each worker's door sees part
my $t = survey_tag('/');
my %st;
for my $n (1 .. 8) {
    $st{ ::answer($t, event => "a$n")->{status} }++;
}
# more tokens, more names, until both workers have queued events
my ($i, %pids) = (0);
while ($i < 200) {
    my $u = survey_tag('/');
    $i++;
    ::answer($u, event => "b$i");
    open my $fh, '<', $log or last;
    seek $fh, $from, 0;
    while (<$fh>) { $pids{$1} = 1 if /\[debug\] (\d+)#\d+: \*\d+ cx collect: queued/ }
    last if keys %pids >= 2 && $i >= 20;
}
is(scalar keys %pids, 2, 'both workers queued events');
ok(::settled(), 'flushed');
my @names = redis()->smembers("cx:localhost:names:$::DAY");
is(scalar @names, 5, "5 names in the day's set");
is(scalar(my @sv = ::custom_fields("cx:localhost:sv:nps1:$::DAY")), 5, '5 custom names counted');
my $key = 'cx:localhost:tokc:' . substr($t->{token}, 9, 16);
is(redis()->exists($key), 1, "the first token's key");
ok((redis()->hget($key, '#custom') // 0) <= 4, 'at most 4 custom events on it');
my $accepted = $st{204} // 0;
is(($st{429} // 0) + $accepted, 8, 'the 8 posts: 204 or 429');
is(::refused('token_events') - $refused, $st{429} // 0, 'door refusals counted');
is(::over_limit('event_names') - $names_over + ::over_limit('token_events') - $token_over
   + 5, $accepted + $i, 'every accepted custom event: counted (5) or refused by the script');



=== TEST 8: a token of one site is refused by another site of the same nginx
--- http_config
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name other.example;
    root $TEST_NGINX_HTML_DIR;
    location / {
        cx_touchpoint home;
        cx_survey nps1 type=nps;
    }
    location = /cx/collect {
        cx_collect;
    }
}
--- check
my $t = survey_tag('/');
my $o = ::tag_of_host('other.example');
ok($t && $o, 'both sites inject a tag');
my $r = ::post_host('other.example', ::form($t, event => 'answered', score => 1));
is($r->{status}, 400, "localhost's token at other.example: 400");
is(::reason($r), 'token: invalid for this site, survey and touchpoint', 'the reason');
$r = ::post_host('localhost', ::form($o, event => 'answered', score => 2));
is($r->{status}, 400, "other.example's token at localhost: 400");
is(::post_host('other.example', ::form($o, event => 'answered', score => 3))->{status}, 204,
   "other.example's token at home");
is(::post_host('localhost', ::form($t, event => 'answered', score => 4))->{status}, 204,
   "localhost's token at home");
ok(::settled(), 'flushed');
is_deeply({ redis()->hgetall("cx:other.example:sc:nps1:$::DAY") }, { 'home:3' => 1 },
          'other.example has its own answer only');
is_deeply({ redis()->hgetall("cx:localhost:sc:nps1:$::DAY") }, { 'home:4' => 1 },
          'localhost has its own answer only');



=== TEST 9: a token signed the old way (without the site) is refused
--- check
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
my $nonce = encode_base64url(join '', map { chr rand 256 } 1 .. 12);
my $mac = substr(hmac_sha256("cx1|nps1|home|$::DAY|$nonce", $::SECRET), 0, 16);
my $old = { survey => 'nps1', touchpoint => 'home', token => "$::DAY.$nonce." . encode_base64url($mac) };
my $r = ::answer($old, event => 'shown');
is($r->{status}, 400, 'refused: 400');
is(::reason($r), 'token: invalid for this site, survey and touchpoint', 'the reason');
my $new = { %$old, token => sign_token($::SECRET, 'nps1', 'home', $::DAY, $nonce) };
is(::answer($new, event => 'shown')->{status}, 204, 'the same nonce signed the new way');



=== TEST 10: a token with any one character changed is refused (first, middle, last of each part)
--- check
my $t = survey_tag('/');
my $tok = $t->{token};
is(length $tok, 48, 'a token is 48 characters');
my (%st, %why);
for my $i (0 .. 47) {
    next if $i == 8 || $i == 25;
    my $c = substr $tok, $i, 1;
    my $to = $i < 8 ? ($c eq '9' ? '8' : '9') : ($c eq 'A' ? 'B' : 'A');
    my $bad = $tok;
    substr($bad, $i, 1) = $to;
    my $r = ::answer({ %$t, token => $bad }, event => 'shown');
    $st{$r->{status}}++;
    $why{ ::reason($r) }++ if $i >= 26;
    is($r->{status}, 400, "position $i changed: 400") if $i == 26 || $i == 36 || $i == 47 || $i == 9 || $i == 24 || $i == 0 || $i == 7;
}
is_deeply(\%st, { 400 => 46 }, 'all 46 positions: 400');
is_deeply(\%why, { 'token: invalid for this site, survey and touchpoint' => 22 },
          'each of the 22 MAC characters is checked');
is(::answer($t, event => 'shown')->{status}, 204, 'the token itself: 204');
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:shown'), 1, 'only the real one counted');



=== TEST 11: the Referer's path with control bytes or markup is not stored as the page
--- check
my @bad = ("/a\x1b[31mred", "/<img/src=x/onerror=alert(1)>", "/a\x7fb", "/caf\xc3\xa9",
           "/q\"x", '/' . ('p' x 256), "/a b");
for my $path (@bad) {
    my $t = survey_tag('/');
    my $r = ::answer($t, event => 'answered', score => 1,
                         headers => "Referer: http://localhost$path\r\n");
    is($r->{status}, 204, 'the answer is accepted');
}
my $t = survey_tag('/');
is(::answer($t, event => 'answered', score => 2,
                headers => "Referer: http://localhost/it's/ok%3C?x=<\r\n")->{status}, 204,
   'a good path');
ok(wait_for(sub { (redis()->xlen('cx:localhost:followup') // 0) == @bad + 1 }), 'every answer followed up');
my @pages = map { { @{ $_->[1] } }->{page} } @{ redis()->xrange('cx:localhost:followup', '-', '+') };
is_deeply(\@pages, [ ('') x @bad, "/it's/ok%3C" ], 'no page from a bad Referer; the good one kept');



=== TEST 12: the page field: markup, quotes and control bytes are refused
--- check
my $t = survey_tag('/');
for my $p ('%2F%3Cimg%3E', '%2Fa%22b', '%2Fa%3Eb', '%2Fa%20b', '%2Fa%1Bb', '%2Fa%7Fb', '%2Fa%C3%A9') {
    my $r = ::answer($t, event => 'answered', score => 1, page => $p);
    is($r->{status}, 400, "page=$p: 400");
    is(::reason($r), 'page: not a path (/ then printable ASCII but \\" < >, at most 256 bytes)', 'the reason')
        if $p eq '%2F%3Cimg%3E';
}
is(::answer($t, event => 'answered', score => 1, page => '/' . ('x' x 255))->{status}, 204,
   '256 bytes: accepted');
ok(wait_for(sub { redis()->xlen('cx:localhost:followup') }), 'followed up');
my %e = @{ redis()->xrange('cx:localhost:followup', '-', '+')->[0][1] };
is(length $e{page}, 256, 'the page, whole');
my $u = survey_tag('/');
is(::answer($u, event => 'answered', score => 1, page => '/' . ('x' x 256))->{status}, 400,
   '257 bytes: 400');



=== TEST 13: comments: C0 and C1 controls, DEL, lone CR and bidi overrides/isolates are refused
--- check
my %cases = (
    'ESC'    => ['a%1B%5B2Jb', 'comment: a control character (only tab and newline are allowed)'],
    'BEL'    => ['a%07b', 'comment: a control character (only tab and newline are allowed)'],
    'lone CR'=> ['over%0Dwrite', 'comment: a control character (only tab and newline are allowed)'],
    'DEL'    => ['a%7Fb', 'comment: a control character (only tab and newline are allowed)'],
    'U+0085' => ['a%C2%85b', 'comment: a control character (only tab and newline are allowed)'],
    'U+009F' => ['a%C2%9Fb', 'comment: a control character (only tab and newline are allowed)'],
    'U+009B' => ['a%C2%9B2Jb', 'comment: a control character (only tab and newline are allowed)'],
    'U+202A' => ['a%E2%80%AAb', 'comment: a bidirectional control (U+202A-U+202E, U+2066-U+2069)'],
    'U+202E' => ['evil%E2%80%AEgnp.exe', 'comment: a bidirectional control (U+202A-U+202E, U+2066-U+2069)'],
    'U+2066' => ['a%E2%81%A6b', 'comment: a bidirectional control (U+202A-U+202E, U+2066-U+2069)'],
    'U+2069' => ['a%E2%81%A9b', 'comment: a bidirectional control (U+202A-U+202E, U+2066-U+2069)'],
);
my $t = survey_tag('/');
for my $k (sort keys %cases) {
    my $r = ::answer($t, event => 'answered', score => 1, comment => $cases{$k}[0]);
    is($r->{status}, 400, "$k: 400");
    is(::reason($r), $cases{$k}[1], "$k: the reason");
}
my $r = post('/cx/collect', 'application/json',
             qq({"survey":"nps1","touchpoint":"home","event":"answered","score":1,"comment":"x\\u202ey","token":"$t->{token}"}));
is($r->{status}, 400, 'JSON \u202e: 400');
ok(::settled(), 'flushed');
is(redis()->exists('cx:localhost:followup'), 0, 'nothing stored');



=== TEST 14: comments: tab, newline, CR LF, marks next to the refused ranges, and exactly 1000 bytes
--- check
my @ok = (['line1%0Aline2%09tab', "line1\nline2\ttab"],
          ['win%0D%0Aline', "win\r\nline"],
          ['rlm%E2%80%8F%E2%80%A9%E2%80%AF%E2%81%AA', "rlm\xe2\x80\x8f\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xaa"],
          ['%C2%A0nbsp%E2%81%A5', "\xc2\xa0nbsp\xe2\x81\xa5"],
          [('%C3%A9' x 500), "\xc3\xa9" x 500],
          [('y' x 1000), 'y' x 1000]);
for my $c (@ok) {
    my $t = survey_tag('/');
    is(::answer($t, event => 'answered', score => 1, comment => $c->[0])->{status}, 204,
       'accepted: ' . substr($c->[0], 0, 20));
}
ok(wait_for(sub { (redis()->xlen('cx:localhost:followup') // 0) == @ok }), 'all followed up');
my @got = map { { @{ $_->[1] } }->{comment} } @{ redis()->xrange('cx:localhost:followup', '-', '+') };
is_deeply(\@got, [ map { $_->[1] } @ok ], 'stored as sent');
my $t = survey_tag('/');
my $r = ::answer($t, event => 'answered', score => 1, comment => ('%C3%A9' x 500) . 'x');
is($r->{status}, 400, '1001 bytes: 400');
is(::reason($r), 'comment: longer than 1000 bytes', 'the reason');



=== TEST 15: a body of exactly 4096 bytes is accepted, 4097 refused (Content-Length)
--- check
my $t = survey_tag('/');
my $b = ::body_of($t, 4096);
is(length $b, 4096, '4096 bytes');
is(post('/cx/collect', 'application/x-www-form-urlencoded', $b)->{status}, 204, '4096: 204');
my $u = survey_tag('/');
my $r = post('/cx/collect', 'application/x-www-form-urlencoded', ::body_of($u, 4097));
is($r->{status}, 413, '4097: 413');
is(::reason($r), 'body: larger than 4096 bytes', 'the reason');
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:shown'), 1, 'the 4096-byte post counted');



=== TEST 16: chunked bodies: 4096 bytes in pieces accepted, 4097 refused
--- config
client_body_buffer_size 1k;
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
--- check
my $t = survey_tag('/');
my $r = http_request(::chunked(::body_of($t, 4096), 700));
is($r->{status}, 204, '4096 in chunks of 700 (client_body_buffer_size 1k): 204');
my $u = survey_tag('/');
$r = http_request(::chunked(::body_of($u, 4097), 4097));
is($r->{status}, 413, '4097 in one chunk: 413');
is(::reason($r), 'body: larger than 4096 bytes', 'the reason');
$r = http_request(::chunked(::body_of($u, 4097), 1));
is($r->{status}, 413, '4097 in chunks of 1 byte: 413');
my $v = survey_tag('/');
$r = http_request(::chunked(::body_of($v, 100), 10, "0\r\n\r\n"));
is($r->{status}, 204, 'a small chunked post');
$r = http_request(::chunked('survey=nps1', 5, "zz\r\n"));
is($r->{status}, 400, 'broken chunked encoding: 400');
like(::reason($r), qr/^body: /, 'the reason names the body');
ok(::settled(), 'flushed');
is(::sv('nps1', 'home:shown'), 2, 'the two good posts counted');
--- no_error_log
buffered to a temporary file



=== TEST 17: a huge chunked body is refused while it is read: 413 at once, no temporary file
--- config
client_max_body_size 100m;
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
--- check

my $before = ::refused('too_large');
# the body never ends: the answer must come before it does
my $start = time;
my $r = http_request(::chunked('survey=nps1&pad=' . ('x' x 65536), 65536 + 16, ''), 5);
my $took = time - $start;
is($r->{status}, 413, 'an endless body: 413');
ok($took < 2, "answered while the body was still coming ($took s)");
is(::reason($r), 'body: larger than 4096 bytes', 'the reason');
# 8 MB sent whole
$r = http_request(::chunked('pad=' . ('x' x (8 << 20)), 1 << 20), 10);
is($r->{status}, 413, '8 MB chunked: 413');
is(::refused('too_large') - $before, 2, 'cx_collect_refused_total{reason="too_large"}');
my @tmp = glob(servroot() . '/tmp/body/*');
is(scalar @tmp, 0, 'no temporary file');
--- no_error_log
buffered to a temporary file



=== TEST 18: a replay past the door (a new worker after a reload) is still refused by Redis
--- check
my $t = survey_tag('/');
is(::answer($t, event => 'answered', score => 5)->{status}, 204, 'answered');
ok(::settled(), 'flushed');
my $before = metric('cx_collected_replayed_total');
nginx_reload();
sleep 0.5;
is(::answer($t, event => 'answered', score => 0)->{status}, 204, "the new worker's door has not seen it");
ok(wait_for(sub { metric('cx_collected_replayed_total') > $before }), 'Redis refused it');
is(metric('cx_collected_replayed_total') - $before, 1, 'cx_collected_replayed_total');
is(::answer($t, event => 'answered', score => 0)->{status}, 429, 'and the door now knows it');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:0'), undef, 'the replay never counted');
is(redis()->hget("cx:localhost:sc:nps1:$::DAY", 'home:5'), 1, 'the answer once');



=== TEST 19: refusals at the door are counted by reason
--- check
my %before = map { $_ => ::refused($_) } qw(token comment page other);
my $t = survey_tag('/');
::answer({ %$t, token => 'x' }, event => 'shown');
::answer($t, event => 'answered', score => 1, comment => 'a%1Bb');
::answer($t, event => 'answered', score => 1, page => '%2F%3C');
::answer($t, event => 'NOPE');
is(::refused('token') - $before{token}, 1, 'token');
is(::refused('comment') - $before{comment}, 1, 'comment');
is(::refused('page') - $before{page}, 1, 'page');
is(::refused('other') - $before{other}, 1, 'other');
like(metrics(), qr/^# HELP cx_collect_refused_total /m, 'documented in the metrics');
like(metrics(), qr/^# HELP cx_collected_over_limit_total /m, 'documented in the metrics');



=== TEST 20: custom events of one token past the door (a new worker after a reload): Redis keeps 4
--- check
my $t = survey_tag('/');
for my $n (1 .. 4) {
    is(::answer($t, event => "old$n")->{status}, 204, "old$n: 204");
}
ok(::settled(), 'flushed');
my $before = ::over_limit('token_events');
nginx_reload();
sleep 0.5;
for my $n (1 .. 4) {
    is(::answer($t, event => "new$n")->{status}, 204, "new$n: 204 (the new worker has not seen the token)");
}
ok(wait_for(sub { ::over_limit('token_events') - $before >= 4 }), 'the flush script refused them');
is(::over_limit('token_events') - $before, 4, 'cx_collected_over_limit_total{limit="token_events"}');
ok(::settled(), 'flushed');
is_deeply([ ::custom_fields("cx:localhost:sv:nps1:$::DAY") ],
          [ map { "home:old$_" } 1 .. 4 ], 'the first four names only');
my @tok = redis()->keys('cx:localhost:tokc:*');
is(redis()->hget($tok[0], '#custom'), 4, 'the token holds 4 custom events');
