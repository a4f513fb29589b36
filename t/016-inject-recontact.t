# Recontact by default: the module reads the visitor's cx_v cookie before
# it injects, and a visitor who answered a survey (90 days, or its
# cooldown, or recontact=), dismissed it (7 days, or dismissed=), or was
# shown another survey of the site (cx_survey_gap, 14 days) gets no tag
# and no token.  The widget keeps the same rules (t/063).

use lib 't/lib';
use Test::CX;
use Test::CX::Rules qw(get day);

# a cookie with these surveys: [id, shown, answered, dismissed] days ago
sub cookie {
    my @s = map {
        my ($id, @d) = @$_;
        join '!', $id, map { defined $_ ? day($_) : 0 } @d
    } @_;
    return 'Cookie: cx_s=1; cx_v=2~Abc_def-0123456789~5~1~'
           . join('*', @s) . '~~!!!';
}

sub tagged {
    my ($r) = @_;
    return ($r->{body} // '') =~ /data-cx-survey="([^"]*)"/ ? $1 : '';
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;

    my $files = $block->user_files // '';
    $block->set_value('user_files', "$files>>> index.html\n"
                      . "<html><body>hi</body></html>\n");
});

run_tests();

__DATA__

=== TEST 1: defaults: 90 days after an answer, 7 after a dismiss, nothing else holds back
--- config
location / {
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
is(::tagged(::get('/')), 's1', 'a new visitor');
is(::tagged(::get('/', ::cookie(['s1', 0, 0, undef]))), '',
   'answered today: no tag');
is(::tagged(::get('/', ::cookie(['s1', 89, 89, undef]))), '',
   'answered 89 days ago: no tag');
is(::tagged(::get('/', ::cookie(['s1', 90, 90, undef]))), 's1',
   'answered 90 days ago: asked again');
is(::tagged(::get('/', ::cookie(['s1', 6, undef, 6]))), '',
   'dismissed 6 days ago: no tag');
is(::tagged(::get('/', ::cookie(['s1', 7, undef, 7]))), 's1',
   'dismissed 7 days ago: asked again');
is(::tagged(::get('/', ::cookie(['s1', 0, undef, undef]))), 's1',
   'only shown (no cooldown): shown again');
my $future = strftime('%Y%m%d', gmtime(time + 3 * 86400));
is(::tagged(::get('/', 'Cookie: cx_v=2~Abc_def-0123456789~5~1~s1!'
                  . "$future!$future!0~~!!!")), '',
   'a day in the future counts as today');
my $r = ::get('/', ::cookie(['s1', 0, 0, undef]));
unlike($r->{body}, qr/data-cx-token/, 'no token either');
is($r->{body}, "<html><body>hi</body></html>\n", 'the page as it was');



=== TEST 2: recontact=, dismissed=, cooldown= per survey
--- config
location /a { default_type text/html; cx_survey a type=nps recontact=10d dismissed=1d; }
location /b { default_type text/html; cx_survey b type=csat cooldown=30d; }
location /c { default_type text/html; cx_survey c type=ces recontact=0 dismissed=0; }
location / { return 404; }
--- user_files
>>> a
<html><body>a</body></html>
>>> b
<html><body>b</body></html>
>>> c
<html><body>c</body></html>
--- request
GET /a
--- check
is(::tagged(::get('/a', ::cookie(['a', 9, 9, undef]))), '', 'a: 9 < 10');
is(::tagged(::get('/a', ::cookie(['a', 10, 10, undef]))), 'a', 'a: 10');
is(::tagged(::get('/a', ::cookie(['a', 0, undef, 0]))), '', 'a: dismissed today');
is(::tagged(::get('/a', ::cookie(['a', 1, undef, 1]))), 'a', 'a: dismissed 1 day ago');
is(::tagged(::get('/b', ::cookie(['b', 40, 40, undef]))), 'b',
   'b: the cooldown is the recontact: 40 >= 30');
is(::tagged(::get('/b', ::cookie(['b', 29, undef, undef]))), '',
   'b: shown within the cooldown');
is(::tagged(::get('/c', ::cookie(['c', 0, 0, 0]))), 'c',
   'c: recontact=0 dismissed=0: always');
my $r = ::get('/a');
like($r->{body}, qr/ data-cx-recontact="10" data-cx-dismissed="1" /,
     'the widget is told what differs from its defaults');
$r = ::get('/b');
unlike($r->{body}, qr/data-cx-recontact|data-cx-dismissed|data-cx-gap/,
       'nothing when it is the default');



=== TEST 3: cx_survey_gap: another survey shown within the gap holds back
--- http_config
cx_secret 0123456789abcdef0123;
cx_survey_gap 14d;
--- config
location / {
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
is(::tagged(::get('/', ::cookie(['other', 13, undef, undef]))), '',
   'another survey shown 13 days ago');
is(::tagged(::get('/', ::cookie(['other', 14, undef, undef]))), 's1',
   'another survey shown 14 days ago');
is(::tagged(::get('/', ::cookie(['x', 40, undef, undef],
                                ['other', 2, 2, undef]))), '',
   'any of them');



=== TEST 4: cx_survey_gap 0 turns the gap off; the tag says so
--- http_config
cx_secret 0123456789abcdef0123;
cx_survey_gap 0;
--- config
location / {
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
is(::tagged(::get('/', ::cookie(['other', 0, 0, undef]))), 's1',
   'another survey shown today');
like(::get('/')->{body}, qr/ data-cx-gap="0" /, 'the widget knows');



=== TEST 5: rules choose, recontact still holds
--- config
location / {
    cx_survey s1 type=nps;
    cx_rules_lua $TEST_NGINX_HTML_DIR/r.lua;
}
--- user_files
>>> r.lua
return { trigger = function(r) return "s1" end }
--- request
GET /
--- check
is(::tagged(::get('/', ::cookie(['s1', 1, 1, undef]))), '', 'answered');
is(::tagged(::get('/')), 's1', 'new');



=== TEST 6: bad recontact parameters fail nginx -t
--- config
location / {
    cx_survey s1 type=nps recontact=forever;
}
--- must_die
--- error_log_like
invalid "recontact=forever" in "cx_survey": a recontact is a number of days up to 3650, e.g. 30d in \S+nginx\.conf:\d+



=== TEST 7: a bad gap fails nginx -t
--- http_config
cx_secret 0123456789abcdef0123;
cx_survey_gap 11y;
--- config
location / {
    cx_survey s1 type=nps;
}
--- must_die
--- error_log_like
invalid "11y" in "cx_survey_gap": a gap is a number of days up to 3650



=== TEST 8: followup= takes low, all or none
--- config
location / {
    cx_survey s1 type=nps followup=some;
}
--- must_die
--- error_log_like
invalid "followup=some" in "cx_survey": use followup=low \(low scores are asked for a comment\), all or none



=== TEST 9: followup=all with its own question for high scores goes into the tag
--- config
location / {
    cx_survey s1 type=nps followup=all "followup_question=What did you <like>?";
}
--- request
GET /
--- response_body_like
 data-cx-followup-scores="all" data-cx-followup-question="What did you &lt;like&gt;\?"



=== TEST 10: cx_visitor_cookie off: no Set-Cookie from the module (pages a shared cache may keep), the tag and recontact as before
--- config
location / {
    cx_survey s1 type=nps;
    cx_visitor_cookie off;
}
location /on/ {
    alias html/;
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
my $r = ::get('/');
is(::tagged($r), 's1', 'tagged');
is($r->{headers}{'set-cookie'}, undef, 'no Set-Cookie');
is(::tagged(::get('/', ::cookie(['s1', 0, 0, undef]))), '',
   'answered today: still no tag');
like(::get('/on/')->{headers}{'set-cookie'} // '', qr/\bcx_v=2~/,
     'on (the default): the journey cookie');



=== TEST 11: cx_visitor_cookie takes on or off
--- config
location / {
    cx_visitor_cookie maybe;
}
--- must_die
--- error_log_like
invalid value "maybe" in "cx_visitor_cookie" directive, it must be "on" or "off"



=== TEST 12: the visitor cookie goes back byte for byte but for the page view: the survey history as it came (a leap day, 0 for never), the touchpoint counted, the visit's source kept
--- config
location / {
    cx_touchpoint article;
    cx_survey s1 type=nps;
}
--- request
GET /
--- check
my $v = '2~Abc_def-0123456789~5~1~s2!20240229!0!20240301'
        . '*s1!20251231!20251231!0~article!3*home!1~email!!!';
my $r = ::get('/', "Cookie: cx_s=1; cx_v=$v");
(my $want = $v) =~ s/~5~/~6~/;
$want =~ s/article!3/article!4/;
is((split /, (?=cx_s=)/, $r->{headers}{'set-cookie'} // '')[0],
   "cx_v=$want; Path=/; Max-Age=31536000; SameSite=Lax",
   'cx_v: one more view, one more on the touchpoint, the rest as it came');
$r = ::get('/', 'Cookie: cx_v=' . $v, 'Cookie: a=1, CX_S = 1');
like($r->{headers}{'set-cookie'} // '', qr/^cx_v=2~Abc_def-0123456789~6~1~/,
     'cx_s in a second Cookie header, after a ",": the same visit');
$r = ::get('/', 'Cookie: cx_v=' . $v);
like($r->{headers}{'set-cookie'} // '', qr/^cx_v=2~Abc_def-0123456789~6~2~/,
     'no cx_s: a new visit');
