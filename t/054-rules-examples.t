# The recipes in lua/examples/, each doing what its comment says, with
# the configuration its comment shows.  Visitors are simulated with cx_v
# cookies (README "The visitor cookie").

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get day);

sub cookie {
    my (%v) = @_;
    my $day = sub { defined $_[0] ? day($_[0]) : '0' };
    return sprintf 'Cookie: cx_v=1.%s.%d.%d.%s.%s',
        $v{id} // 'visitor-000000000000', $v{views} // 0,
        $v{sessions} // 1, $day->($v{shown}), $day->($v{answered});
}

sub survey {
    my ($r) = @_;
    my ($s) = ($r->{body} // '') =~ /data-cx-survey="([^"]+)"/;
    return $s // '';
}

sub id { sprintf 'visitor-%012d', shift }

add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n$http");

    my $files = $block->user_files // '';
    $block->set_value('user_files', <<"EOF" . $files);
>>> index.html
<html><body>home</body></html>
>>> thanks.html
<html><body>thanks</body></html>
>>> help/index.html
<html><body>help</body></html>
>>> help/shipping/returns.html
<html><body>returns</body></html>
>>> products/shoe.html
<html><body>shoe</body></html>
>>> page.html
<html><body>page</body></html>
EOF
});

run_tests();

__DATA__

=== TEST 1: thanks_nps.lua: NPS on the thank-you page for 10% of visitors
--- config
location = /thanks.html {
    cx_touchpoint thanks;
    cx_survey post_purchase type=nps "question=How likely are you to recommend us?";
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/thanks_nps.lua;
}
--- request
GET /thanks.html
--- check
my ($asked, %first) = (0);
for my $i (1 .. 400) {
    my $s = ::survey(::get('/thanks.html', ::cookie(id => ::id($i))));
    $asked++ if $s eq 'post_purchase';
    $first{$i} = $s if $i <= 30;
}
ok($asked >= 24 && $asked <= 56, "about 10% of 400 visitors asked")
    or diag($asked);
my $same = grep {
    ::survey(::get('/thanks.html', ::cookie(id => ::id($_)))) eq $first{$_}
} 1 .. 30;
is($same, 30, "a visitor coming back gets the same answer");



=== TEST 2: support_ces.lua: CES after reading a support article
--- config
location /help/ {
    cx_survey help_ces type=ces "question=How easy was it to solve your issue?";
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/support_ces.lua;
}
--- request eval
["GET /help/shipping/returns.html", "GET /help/"]
--- response_body_like eval
['data-cx-survey="help_ces" data-cx-type="ces" data-cx-question="How easy was it to solve your issue\?" data-cx-delay="20" data-cx-touchpoint="support"',
 '^<html><body>help</body></html>\n$']
--- check
is(::survey(::get('/help/shipping/returns.html', ::cookie(answered => 3))), '',
   "not who answered 3 days ago");
is(::survey(::get('/help/shipping/returns.html', ::cookie(answered => 45))),
   'help_ces', "again 45 days later");
is(::survey(::get('/help/shipping/returns.html', ::cookie(shown => 1))),
   'help_ces', "being shown a survey yesterday does not matter here");



=== TEST 3: checkout_csat.lua: CSAT when X-Order-Value is high
--- config
location = /checkout/done {
    cx_touchpoint checkout;
    cx_survey big_order_csat type=csat "question=How satisfied are you with your order?";
    cx_survey checkout_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/checkout_csat.lua;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/4096/page.html?header=X-Order-Value:$arg_value;
}
--- request
GET /checkout/done?value=1%2C250.00
--- response_body_like
data-cx-survey="big_order_csat" data-cx-type="csat" data-cx-question="How satisfied are you with your order\?" data-cx-delay="0" data-cx-touchpoint="checkout"
--- check
my %n;
for my $i (1 .. 200) {
    $n{ ::survey(::get('/checkout/done?value=%2419.90', ::cookie(id => ::id($i)))) }++;
}
ok(!$n{big_order_csat}, "no CSAT for small orders");
ok($n{checkout_nps} >= 20 && $n{checkout_nps} <= 60,
   "NPS for about 20% of the others") or diag($n{checkout_nps});
is(::survey(::get('/checkout/done?value=500%20EUR')), 'big_order_csat',
   "500 EUR is big");



=== TEST 4: product_nps_weekdays.lua: from the third page view, Monday to Friday
--- http_config
cx_rules_time_zone utc;
--- config
location /products/ {
    cx_survey product_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/product_nps_weekdays.lua;
}
--- request
GET /products/shoe.html
--- response_body_like
^<html><body>shoe</body></html>
--- check
my $wday = (gmtime)[6];
my $weekday = $wday >= 1 && $wday <= 5;
my $r = ::get('/products/shoe.html', ::cookie(views => 2));
is(::survey($r), $weekday ? 'product_nps' : '', "third view, "
   . ($weekday ? "a weekday" : "the weekend"));
like($r->{body}, qr/data-cx-touchpoint="product"/) if $weekday;
is(::survey(::get('/products/shoe.html', ::cookie(views => 1))), '',
   "not on the second view");



=== TEST 5: cooldown.lua: never twice in 30 days
--- config
location / {
    cx_survey site_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/cooldown.lua;
}
--- request
GET /page.html
--- response_body_like
data-cx-survey="site_nps"
--- check
is(::survey(::get('/page.html', ::cookie(shown => 10))), '', "shown 10 days ago");
is(::survey(::get('/page.html', ::cookie(shown => 29))), '', "shown 29 days ago");
is(::survey(::get('/page.html', ::cookie(shown => 30))), 'site_nps',
   "shown 30 days ago");
is(::survey(::get('/page.html', ::cookie(answered => 5))), '', "answered 5 days ago");
is(::survey(::get('/page.html', ::cookie(shown => 31, answered => 31))),
   'site_nps', "both a month ago");



=== TEST 6: ab_question.lua: two wordings, one per visitor, for 5%
--- config
location = /index.html {
    cx_touchpoint home;
    cx_survey home_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/ab_question.lua;
}
--- request
GET /
--- check
my (%q, %v, @asked);
for my $i (1 .. 600) {
    my $r = ::get('/', ::cookie(id => ::id($i)));
    next unless ::survey($r) eq 'home_nps';
    my ($q) = $r->{body} =~ /data-cx-question="([^"]+)"/;
    my ($v) = $r->{body} =~ /data-cx-token="[^"]{48}\.([^"]+)"/;
    $q{$q}++;
    $v{"$v: $q"}++;
    push @asked, [ $i, $q ];
}
ok(@asked >= 12 && @asked <= 60, "about 5% of 600 visitors")
    or diag(scalar @asked);
is_deeply([ sort keys %q ],
          [ 'How likely are you to recommend us to a friend or colleague?',
            'Would you tell a friend about us?' ], "both wordings in use");
is_deeply([ sort keys %v ],
          [ 'a-recommend: How likely are you to recommend us to a friend or colleague?',
            'b-tell-a-friend: Would you tell a friend about us?' ],
          "each wording's token carries its variant");
my $kept = grep {
    my $r = ::get('/', ::cookie(id => ::id($_->[0])));
    $r->{body} =~ /data-cx-question="\Q$_->[1]\E"/
} @asked;
is($kept, scalar @asked, "each visitor keeps their wording");



=== TEST 7: shop.lua: touchpoints from the URL and a survey per page type
--- http_config
cx_rules_time_zone utc;
--- config
location / {
    cx_survey big_order_csat type=csat;
    cx_survey checkout_nps type=nps;
    cx_survey help_ces type=ces;
    cx_survey product_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/shop.lua;
    add_header X-TP $cx_touchpoint;
}
location /checkout/ {
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/shop.lua;
    add_header X-TP $cx_touchpoint;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/4096/page.html?header=X-Order-Value:900;
}
--- request eval
["GET /", "GET /help/shipping/returns.html", "GET /checkout/done", "GET /page.html"]
--- response_headers eval
["X-TP: home", "X-TP: support", "X-TP: checkout", "!X-TP"]
--- response_body_like eval
['^<html><body>home</body></html>',
 'data-cx-survey="help_ces" data-cx-type="ces" data-cx-delay="20" data-cx-touchpoint="support"',
 'data-cx-survey="big_order_csat"',
 '^<html><body>page</body></html>']
--- check
is(::survey(::get('/help/shipping/returns.html', 'DNT: 1')), '', "DNT: 1");
is(::survey(::get('/checkout/done', ::cookie(shown => 2))), '', "cooling down");



=== TEST 8: third_product_page.lua: NPS on the third product page, the views counted by the module in cx_v
--- config
location /products/ {
    cx_touchpoint product;
    cx_survey product_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/third_product_page.lua;
}
location / {
    cx_touchpoint home;
    cx_survey product_nps type=nps sample=0%;
}
--- request
GET /products/shoe.html
--- response_body_like
^<html><body>shoe</body></html>
--- check
# a browser's cookie jar, no widget: only what the module sets
my %jar;
my $browse = sub {
    my ($uri) = @_;
    my $c = join '; ', map { "$_=$jar{$_}" } sort keys %jar;
    my $r = ::get($uri, $c ? ("Cookie: $c") : ());
    for (($r->{header_text} // '') =~ /^Set-Cookie: ([^;\r\n]*)/mgi) {
        my ($k, $v) = split /=/, $_, 2;
        $jar{$k} = $v;
    }
    return ::survey($r);
};
is($browse->('/products/shoe.html'), '', "first product page");
is($browse->('/index.html'), '', "the home page between");
is($browse->('/products/shoe.html'), '', "second product page");
is($browse->('/products/shoe.html'), 'product_nps', "third product page");
like($jar{cx_v}, qr/~product!3\*home!1~/, "the journey in the cookie");



=== TEST 9: no_email_campaigns.lua: never on a visit from an email, the landing page or any later one
--- config
location / {
    cx_survey site_nps type=nps;
    cx_rules_lua $TEST_NGINX_ROOT/lua/examples/no_email_campaigns.lua;
}
--- request
GET /page.html
--- response_body_like
data-cx-survey="site_nps"
--- check
my %jar;
my $browse = sub {
    my ($uri, @h) = @_;
    my $c = join '; ', map { "$_=$jar{$_}" } sort keys %jar;
    my $r = ::get($uri, ($c ? ("Cookie: $c") : ()), @h);
    for (($r->{header_text} // '') =~ /^Set-Cookie: ([^;\r\n]*)/mgi) {
        my ($k, $v) = split /=/, $_, 2;
        $jar{$k} = $v;
    }
    return ::survey($r);
};
is($browse->('/page.html?utm_source=Email&utm_campaign=Spring'), '',
   "the landing page of a newsletter click");
is($browse->('/index.html'), '', "the next page: the source is remembered");
is($browse->('/page.html'), '', "and the one after");
delete $jar{cx_s};      # 30 minutes later: a new visit
is($browse->('/index.html', 'Referer: https://search.example/?q=x'),
   'site_nps', "a new visit from a search engine");
like($jar{cx_v}, qr/~!!!search\.example$/, "its source in the cookie");
