# The README's first configuration ("A first configuration", after its
# <!-- first-config --> mark), run as a user pastes it: the page gets the
# survey tag, the widget is served at the tag's src, an answer is
# accepted, counted in Redis and in the scores the README's curl line
# reads, and nginx -t has nothing to warn about.  Only what a test cannot
# share with a real server is changed (@CHANGES below, each of which must
# match exactly once): nothing is added to the server.

use lib 't/lib';
use Test::CX;
use File::Basename qw(dirname);
use JSON::PP ();

my $readme = dirname(__FILE__) . '/../README.md';
open my $fh, '<', $readme or die "$readme: $!";
my $text = do { local $/; <$fh> };

our ($CONF) = $text =~ /^<!-- first-config\b[^\n]*-->\n```nginx\n(.*?)^```$/ms
    or die "README.md: no <!-- first-config --> mark before an nginx fence\n";

# what the README's prose around it tells the user to do
our ($PAGE_HTML) = $text =~ /^echo '([^']*)'.*\n.*tee \S+thanks\.html$/m
    or die "README.md: no echo of the page after the first configuration\n";
our ($SCORE_URI) = $text =~ m{^curl -s 'http://127\.0\.0\.1(/cx/score\?[^']+)'$}m
    or die "README.md: no curl of the scores after the first configuration\n";

our ($SITE) = $CONF =~ /^\s*server_name\s+([^\s;]+)/m;
our ($TOUCHPOINT) = $CONF =~ /^\s*cx_touchpoint\s+([^\s;]+);/m;
our ($SURVEY) = $CONF =~ /^\s*cx_survey\s+(\S+)/m;
our ($PAGE) = $CONF =~ /location\s+=\s+(\S+)\s+\{\s*cx_touchpoint/;

my @CHANGES = (
    [ qr{^load_module \S+;}m, sub { 'load_module $TEST_NGINX_MODULE;' } ],
    [ qr{^user \S+;}m, sub { $> == 0 ? 'user root;' : '' } ],
    [ qr{^pid \S+;}m, sub { 'pid $TEST_NGINX_SERVROOT/logs/nginx.pid;' } ],
    [ qr{^error_log \S+;}m,
      sub { 'error_log $TEST_NGINX_SERVROOT/logs/error.log;' } ],
    [ qr{^(\s+)access_log \S+;}m,
      sub { "$1access_log \$TEST_NGINX_SERVROOT/logs/access.log;" } ],
    [ qr{^(\s+)listen 80;}m,
      sub { "$1listen 127.0.0.1:\$TEST_NGINX_SERVER_PORT;" } ],
    [ qr{^(\s+)root \S+;}m, sub { "$1root \$TEST_NGINX_HTML_DIR;" } ],
    [ qr{(cx_redis 127\.0\.0\.1:)6379;}, sub { "$1\$TEST_NGINX_REDIS_PORT;" } ],
    # Debian's temporary directories are /var/lib/nginx/*
    [ qr{^http \{\n}m, sub {
        "http {\n" . join '', map { "    ${_}_temp_path \$TEST_NGINX_SERVROOT/tmp/$_;\n" }
                             qw(client_body proxy fastcgi uwsgi scgi) } ],
);

for my $c (@CHANGES) {
    my ($re, $to) = @$c;
    my $n = ($CONF =~ s/$re/$to->()/ge);
    die "README.md's first configuration: $re matched $n times, not once\n"
        unless $n == 1;
}

sub get {
    my ($uri) = @_;
    return http_request("GET $uri HTTP/1.1\r\nHost: $SITE\r\n"
                        . "Connection: close\r\n\r\n");
}

run_tests();

__DATA__

=== TEST 1: the README's first configuration works as pasted
--- nginx_conf eval
$::CONF
--- user_files eval
[[ 'thanks.html', "$::PAGE_HTML\n" ]]
--- redis
--- check
ok($::SITE && $::TOUCHPOINT && $::SURVEY && $::PAGE, "found the site, touchpoint, survey and page");

my ($rc, $out) = Test::CX::run_nginx('-t');
is($rc, 0, 'nginx -t passes');
unlike($out, qr/\[(warn|error|emerg)\]/, 'nginx -t has nothing to say');

my $r = ::get($::PAGE);
is($r->{status}, 200, 'the page');
my ($tag) = ($r->{body} // '') =~ m{(<script src="[^"]*" async [^>]*>)</script></body>}
    or diag($r->{body});
ok($tag, 'the page got the survey tag before its </body>');
my %a;
$a{$1} = $2 while ($tag // '') =~ /data-cx-([a-z]+)="([^"]*)"/g;
is($a{survey}, $::SURVEY, 'the survey');
is($a{touchpoint}, $::TOUCHPOINT, 'the touchpoint');
my ($src) = ($tag // '') =~ /src="([^"]*)"/;

$r = ::get($src // '/');
is($r->{status}, 200, "the widget at the tag's src ($src)");
like($r->{headers}{'content-type'} // '', qr{^text/javascript}, 'as a script');
cmp_ok(length($r->{body} // ''), '>', 1000, 'the widget itself');

my $form = "survey=$a{survey}&touchpoint=$a{touchpoint}&token=$a{token}";
$r = post('/cx/collect', 'application/x-www-form-urlencoded', "$form&event=shown");
is($r->{status}, 204, 'the widget was shown: 204');
$r = post('/cx/collect', 'application/x-www-form-urlencoded', "$form&event=answered&score=9");
is($r->{status}, 204, 'the answer: 204');

my $key = "cx:$::SITE:sc:$::SURVEY:" . today();
ok(wait_for(sub { (redis()->hget($key, "$::TOUCHPOINT:9") // 0) == 1 }),
   "the answer in Redis ($key)");

$r = ::get($::SCORE_URI);
is($r->{status}, 200, "the README's curl of the scores ($::SCORE_URI)");
note("the scores: $r->{body}");
my $score = eval { JSON::PP::decode_json($r->{body}) } // {};
is($score->{survey}, $::SURVEY, 'the scores of the survey');
is($score->{n}, 1, 'one answer (n = 1)');
is($score->{nps}, 100, 'a promoter: NPS 100');
--- no_error_log
[error]
[warn]
