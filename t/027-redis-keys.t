# docs/redis.md's key table is the schema: every key the module writes
# (page views, answers, a follow-up, a custom event, and their rollups)
# has its row there, with its type, and every row is written; the list
# in ngx_http_cx_keys.c names the same keys.
use lib 't/lib';
use Test::CX;

our $SECRET = '0123456789abcdef0123';

# the table's rows: pattern => type
sub documented {
    open my $f, '<', 'docs/redis.md' or die "docs/redis.md: $!";
    my %rows;
    while (<$f>) {
        $rows{$1} = $2 if /^\| `(\{prefix\}[^`]*)` \| (\w+) \|/;
    }
    return \%rows;
}

# a key as a pattern of the table
sub pattern {
    my ($k) = @_;
    $k =~ s/^cx:batch:[0-9a-f]{16}$/{prefix}:batch:{id}/;
    $k =~ s/^cx:localhost:/{prefix}:{site}:/;
    $k =~ s/:nps1:/:{survey}:/;
    $k =~ s/:tok:[A-Za-z0-9_-]{16}$/:tok:{nonce}/;
    $k =~ s/:\d{8}((?::all)?)$/:{YYYYMMDD}$1/;
    $k =~ s/:\d{6}((?::all)?)$/:{YYYYMM}$1/;
    return $k;
}

sub answer {
    my ($tag, $body) = @_;
    return post('/cx/collect', 'application/x-www-form-urlencoded',
                "survey=$tag->{survey}&touchpoint=$tag->{touchpoint}&token=$tag->{token}&$body");
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', <<"EOF");
cx_secret $SECRET;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 50ms;
EOF
    $block->set_value('config', <<'EOF');
location / {
    cx_touchpoint home;
    cx_survey nps1 type=nps;
}
location = /cx/collect {
    cx_collect;
}
EOF
    $block->set_value('user_files', [[ 'index.html', "<body>hi</body>\n" ]]);
    $block->set_value('redis', '');
    $block->set_value('request', "GET /\n");
});

run_tests();

__DATA__

=== TEST 1: the keys the module writes are the table's, of its types
--- check
my $tag = survey_tag('/');
is(::answer($tag, 'event=shown')->{status}, 204, 'shown');
is(::answer($tag, 'event=clicked_help')->{status}, 204, 'a custom event');
is(::answer($tag, 'event=answered&score=2&comment=slow')->{status}, 204, 'a low answer');
ok(wait_for(sub { redis()->exists('cx:localhost:followup') }), 'the follow-up arrived');
ok(wait_for(sub { redis()->exists('cx:localhost:names:' . today()) }), 'the names arrived');

my $doc = ::documented();
ok(keys %$doc >= 20, scalar(keys %$doc) . ' rows in docs/redis.md');

my %seen;
for my $k (redis()->keys('*')) {
    my $p = ::pattern($k);
    $seen{$p} = 1;
    ok(exists $doc->{$p}, "$k: documented as $p");
    is(redis()->type($k), $doc->{$p}, "$p: a $doc->{$p}") if exists $doc->{$p};
}
ok($seen{$_}, "$_: written") for sort keys %$doc;



=== TEST 2: the list in ngx_http_cx_keys.c names the table's keys
--- check
my $doc = ::documented();
open my $f, '<', 'ngx_cx_module/ngx_http_cx_keys.c' or die $!;
my @listed = map { /^ \*\s+(\{prefix\}:\S+)/ ? $1 : () } <$f>;
ok(@listed >= 10, scalar(@listed) . ' keys listed in ngx_http_cx_keys.c');
for my $k (@listed) {
    ok(exists $doc->{$k}, "$k: in docs/redis.md");
}
