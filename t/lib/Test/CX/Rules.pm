package Test::CX::Rules;

# Test::CX::Rules: what the trigger-rule tests (t/047-059, t/083) share
# (get() and day() serve t/016's page views with a visitor cookie too).
#
#     use Test::CX;
#     use Test::CX::Rules;
#
#     add_block_preprocessor(\&rule_block);
#
# rule_block($block): a block with a `--- rule` section gets it as the
# rule file r<N>.lua of `location /` (survey s1, the block's
# `--- location_config` lines, the block's `--- http_config` after the
# secret), a page (index.html: $Test::CX::Rules::PAGE), GET / and that
# page as the expected body unless the block says otherwise (a
# `--- must_die` block expects none), and `--- fails reason=count`
# checked against cx_rules_failures_total in /cx/metrics.  Returns
# false for a block without a rule.
#
# get($uri, @header_lines): a GET on a fresh connection.
# question($body): the data-cx-question of the injected tag, unescaped:
# what a rule read, put there by the rule; "(no survey)" without one.
# day($days_ago): that day, YYYYMMDD (UTC).

use strict;
use warnings;

use Exporter qw(import);
use POSIX qw(strftime);
use Test::CX ();

our @EXPORT = qw(rule_block get question day);

our $PAGE = "<html><body>hi</body></html>\n";


sub rule_block {
    my ($block) = @_;

    my $rule = $block->rule;
    return 0 unless defined $rule;

    my $n = $block->seq_num;
    my $http = $block->http_config // '';
    my $loc = $block->location_config // '';

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n$http");

    $block->set_value('config', <<"EOF");
location / {
    cx_survey s1 type=nps;
    cx_rules_lua \$TEST_NGINX_HTML_DIR/r$n.lua;
    $loc
}
location = /cx/metrics {
    cx_metrics;
}
EOF

    $block->set_value('user_files', [ [ "r$n.lua", $rule ],
                                      [ 'index.html', $PAGE ] ]);

    $block->set_value('request', "GET /") unless defined $block->request;

    $block->set_value('response_body', $PAGE)
        unless defined $block->response_body
               || defined $block->response_body_like
               || defined $block->must_die;

    my $fails = $block->fails;

    if (defined $fails) {
        $fails =~ s/\s+//g;
        my ($reason, $count) = split /=/, $fails;
        $count //= 1;
        $block->set_value('check', ($block->check // '') . <<"EOF");
like(metrics(), qr/^cx_rules_failures_total\\{reason="$reason"\\} $count\$/m,
     "metric: $count failure(s) for $reason");
EOF
    }

    return 1;
}


sub get {
    my ($uri, @headers) = @_;
    my $h = join '', map { "$_\r\n" } @headers;
    return Test::CX::http_request("GET $uri HTTP/1.1\r\nHost: localhost\r\n"
                                  . "${h}Connection: close\r\n\r\n");
}


sub question {
    my ($body) = @_;
    my ($q) = ($body // '') =~ /data-cx-question="([^"]*)"/;
    return defined $q ? $q =~ s/&#34;/"/gr =~ s/&amp;/&/gr =~ s/&lt;/</gr
                          =~ s/&gt;/>/gr =~ s/&#39;/'/gr
                      : '(no survey)';
}


sub day {
    my ($days_ago) = @_;
    return strftime('%Y%m%d', gmtime(time - $days_ago * 86400));
}


1;
