# Every lua/examples/*.lua has its table of cases next to it
# (lua/examples/*.lua.test), and util/cx-rules-try finds every case as it
# expects: one private nginx per file, all its cases in it.

use lib 't/lib';
use Test::CX;

run_tests();

__DATA__

=== TEST 1: every example has a .test file, and every .test file passes
--- config
location / { return 204; }
--- check
local $ENV{ASAN_OPTIONS} = 'detect_leaks=0:abort_on_error=0:log_path='
                           . Test::CX::servroot() . '/logs/asan';
local $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:log_path='
                            . Test::CX::servroot() . '/logs/ubsan';
local $ENV{CX_NGINX} = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
local $ENV{CX_MODULE} = $ENV{TEST_NGINX_MODULE} || 'build/ngx_http_cx_module.so';

my @rules = glob 'lua/examples/*.lua';
my @tests = glob 'lua/examples/*.lua.test';
cmp_ok(scalar @rules, '>=', 7, 'the examples are there');
is_deeply([ map { "$_.test" } @rules ], \@tests, 'a .test file for each');

for my $t (@tests) {
    my $out = `util/cx-rules-try -q $t 2>&1`;
    is($? >> 8, 0, "$t: exit status") or diag($out);
    like($out, qr{^ok: ([3-9]|\d\d+) cases as expected \(\Q$t\E\)$}m,
         "$t: every case as expected");
}
