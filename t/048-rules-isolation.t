# Lua trigger rules: nothing of one request reaches the next.  Every block
# is one way a value could cross: visitor A (a secret header and cookie)
# asks for a page, then visitor B (without them) asks for the same page
# twice.  B's responses (the tag, $cx_touchpoint) and what is counted in
# Redis must never show A's secret; where a block has "a_like", A's own
# response shows it, so the rule really did read it.
#
# A block's "rule" is the rule file, "path" the page (default /),
# "b_like" what B's body shows instead.

use lib 't/lib';
use Test::CX;

our $SECRET = 'alicesessiontoken123';
our $DAY = today();
our $PAGE = "<html><body>hi</body></html>\n";

add_block_preprocessor(sub {
    my $block = shift;

    my $rule = $block->rule;
    return unless defined $rule;

    my $n = $block->seq_num;
    my $http = $block->http_config // '';
    my $more = $block->config // '';

    $block->set_value('http_config', <<"EOF" . $http);
cx_secret 0123456789abcdef0123;
cx_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
cx_flush_interval 100ms;
EOF

    $block->set_value('config', <<"EOF" . $more);
location / {
    cx_touchpoint fallback;
    cx_survey s1 type=nps;
    cx_survey $SECRET type=csat;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    add_header X-TP \$cx_touchpoint;
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      [ 'index.html', $PAGE ],
                                      [ 'a.html', $PAGE ],
                                      [ 'a.txt', "text\n" ] ]);
    $block->set_value('redis', '');
    $block->set_value('check', '::ab($block);' . ($block->check // ''));
});

sub get {
    my ($path, $headers) = @_;
    return http_request("GET $path HTTP/1.1\r\nHost: localhost\r\n"
                        . ($headers // '') . "Connection: close\r\n\r\n");
}

sub text {
    my ($r) = @_;
    return ($r->{header_text} // '') . "\r\n\r\n" . ($r->{body} // '');
}

# every field of every key the module wrote, as one text
sub stored {
    my $redis = redis();
    my @out;

    for my $key (sort $redis->keys('cx:*')) {
        push @out, $key;
        push @out, $redis->hkeys($key) if $redis->type($key) eq 'hash';
    }

    return join "\n", @out;
}

sub views {
    my %h = redis()->hgetall("cx:localhost:tp:$DAY");
    my $n = 0;
    $n += $h{$_} for grep { /:view$/ } keys %h;
    return $n;
}

# A then B twice on the block's path; the checks every block makes
sub ab {
    my ($block) = @_;

    my $name = $block->name;
    my $path = $block->path // '/';
    $path =~ s/\s+$//;

    my $a = get($path, "X-Secret: $::SECRET\r\nCookie: sid=$::SECRET\r\n");
    my @b = map { get($path) } 1 .. 2;

    is($a->{status}, 200, "$name - A served");

    if (defined $block->a_like) {
        my $re = $block->a_like =~ s/\s+$//r;
        like(text($a), qr/$re/, "$name - A's response shows A's secret");
    }

    for my $i (0, 1) {
        is($b[$i]->{status}, 200, "$name - B served ($i)");
        unlike(text($b[$i]), qr/$::SECRET/, "$name - B sees nothing of A ($i)");

        if (defined $block->b_like) {
            my $re = $block->b_like =~ s/\s+$//r;
            like($b[$i]->{body}, qr/$re/, "$name - B's own answer ($i)");
        }
    }

    ok(wait_for(sub { views() == 3 }), "$name - the 3 page views counted")
        or diag(stored());
    unlike(stored(), qr/$::SECRET/, "$name - nothing of A in Redis");

    return ($a, @b);
}

run_tests();

__DATA__

=== TEST 1: the reproduction: trigger keeps a header in a file-level local, touchpoint (nested) uses it
--- rule
local secret
local M = {}
function M.trigger(r)
    secret = r.header.x_secret
    return "s1"
end
function M.touchpoint(r)
    if secret then
        return "tp-" .. secret
    end
    return "tp-none"
end
return M
--- b_like
data-cx-touchpoint="tp-none"
