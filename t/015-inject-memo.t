# A representation with a strong ETag is the same bytes every time: the
# offset of its real </body> is remembered per worker, and the next views
# are injected there without scanning -- after checking the bytes.

use lib 't/lib';
use Test::CX;

our $TAG = '<script src="/cx/widget.js"[^>]*></script>';
our $PAGE = '<html><body><script>var s="</body>";</script><p>x</p></body></html>';

sub old_file {
    my ($name, $content) = @_;
    my $f = html_dir() . "/$name";
    File::Path::make_path(html_dir());
    open my $fh, '>', $f or die;
    print $fh $content;
    close $fh;
    my $t = time - 3600;
    utime $t, $t, $f;
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', "cx_secret 0123456789abcdef0123;\n")
        unless defined $block->http_config;
    $block->set_value('config', "location / {\n    cx_survey s1 type=nps;\n}\n")
        unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the second view of a static page is placed from memory
--- init
main::old_file('page.html', $::PAGE);
--- request eval
[ "GET /page.html", "GET /page.html" ]
--- response_body_like eval
[ qr{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z},
  qr{^<html><body><script>var s="</body>";</script><p>x</p>$::TAG</body></html>\z} ]
--- error_log eval
[ qr/cx scan: 67 bytes, rc 0/, qr/cx place: 67 bytes, remembered offset 53/ ]



=== TEST 2: a page without </body> is remembered as such
--- init
main::old_file('nobody.html', '<p>no end');
--- request eval
[ "GET /nobody.html", "GET /nobody.html" ]
--- response_body_like eval
[ qr{^<p>no end$::TAG\z}, qr{^<p>no end$::TAG\z} ]
--- error_log
cx place: 9 bytes, remembered offset -1



=== TEST 3: a file changed under the same ETag is caught by the check
--- init
main::old_file('same.html', '<body>aaaa</body>');
--- request
GET /same.html
--- check
main::old_file('same.html', '<body>aa</body>aa');
my $r = http_request("GET /same.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
like($r->{body}, qr{^<body>aa</body>aa$::TAG\z}, 'the tag goes at the end, never inside text');
--- error_log
changed under the same ETag, the tag goes at its end



=== TEST 4: a freshly written file is not remembered (its ETag has one-second resolution)
--- user_files eval
[[ 'fresh.html', $::PAGE ]]
--- request eval
[ "GET /fresh.html", "GET /fresh.html" ]
--- response_body_like eval
[ qr{$::TAG</body></html>\z}, qr{$::TAG</body></html>\z} ]
--- no_error_log
cx place



=== TEST 5: an upstream's strong ETag is remembered, a weak one is not
--- config
location /strong {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/100000/up.html?header=ETag:%22v1%22;
}
location /weak {
    cx_survey s1 type=nps;
    proxy_pass http://127.0.0.1:$TEST_NGINX_UPSTREAM_PORT/split/100000/up.html?header=ETag:W/%22v1%22;
}
--- init
main::old_file('up.html', $::PAGE);
--- request eval
[ "GET /strong", "GET /strong", "GET /weak", "GET /weak" ]
--- response_body_like eval
[ ( qr{$::TAG</body></html>\z} ) x 4 ]
--- check
my $log = Test::CX::block_log();
my @place = $log =~ /cx place:/g;
is(scalar @place, 1, 'one placement from memory: the second strong view');



=== TEST 6: cx_inject_memo off scans every view
--- config
location / {
    cx_survey s1 type=nps;
    cx_inject_memo off;
}
--- init
main::old_file('off.html', $::PAGE);
--- request eval
[ "GET /off.html", "GET /off.html" ]
--- response_body_like eval
[ ( qr{$::TAG</body></html>\z} ) x 2 ]
--- no_error_log
cx place
