# The statistics alone: ngx_http_cx_score_math.c (and the JSON string
# escaping of ngx_http_cx_json.c) compiled with a small C driver against
# the nginx headers of the build tree, checked to 6 decimals against
# values worked out by hand (see t/040-score.t for the working).

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use File::Basename qw(dirname);

my $root = abs_path(dirname(__FILE__) . '/..');
my $tree = $ENV{CX_NGINX_TREE} || "$root/build/nginx";
my $src = "$root/ngx_cx_module";

plan skip_all => "no configured nginx tree in $tree (run make first)"
    unless -f "$tree/objs/ngx_auto_config.h";

my $dir = tempdir(CLEANUP => 1);

open my $fh, '>', "$dir/driver.c" or die $!;
print $fh <<'EOF';
#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score_math.h"
#include "ngx_http_cx_json.h"
#include <stdio.h>

/* what ngx_http_cx_json.c links against: never called by the escaping */

void *ngx_pnalloc(ngx_pool_t *pool, size_t size) { abort(); }
void *ngx_pcalloc(ngx_pool_t *pool, size_t size) { abort(); }
u_char *ngx_cdecl ngx_sprintf(u_char *buf, const char *fmt, ...) { abort(); }
ngx_buf_t *ngx_create_temp_buf(ngx_pool_t *pool, size_t size) { abort(); }
ngx_table_elt_t *ngx_http_cx_header_add(ngx_list_t *headers, char *key,
    ngx_str_t *value)
{
    abort();
}
ngx_int_t ngx_http_cx_send(ngx_http_request_t *r, ngx_buf_t *b) { abort(); }
ngx_int_t ngx_http_cx_grow_init(ngx_http_cx_grow_t *g, ngx_pool_t *pool,
    size_t size)
{
    abort();
}
ngx_int_t ngx_http_cx_grow_reserve(ngx_http_cx_grow_t *g, size_t n)
{
    abort();
}

static ngx_http_cx_survey_type_t  nps = { ngx_string("nps"), 0, 10, 6, 0 };
static ngx_http_cx_survey_type_t  csat = { ngx_string("csat"), 1, 5, 2, 1 };
static ngx_http_cx_survey_type_t  ces = { ngx_string("ces"), 1, 7, 3, 2 };

static void
show(const char *name, ngx_http_cx_score_t *s)
{
    printf("%s n=%llu top=%llu middle=%llu bottom=%llu low=%llu", name,
           (unsigned long long) s->n, (unsigned long long) s->top,
           (unsigned long long) s->middle, (unsigned long long) s->bottom,
           (unsigned long long) s->low);
    printf(s->has_score ? " score=%.6f" : " score=null", s->score);
    printf(s->has_sd ? " sd=%.6f" : " sd=null", s->sd);

    if (s->has_ci) {
        printf(" ci=[%.6f,%.6f]\n", s->lo, s->hi);

    } else {
        printf(" ci=null\n");
    }
}

static void
hist(const char *name, ngx_http_cx_survey_type_t *type, const char *spec)
{
    int                   score, count, used;
    uint64_t              h[NGX_HTTP_CX_SCALE_MAX];
    ngx_http_cx_score_t   s;

    memset(h, 0, sizeof(h));

    while (sscanf(spec, "%d:%d%n", &score, &count, &used) == 2) {
        h[score - type->min] = count;
        spec += used;
        while (*spec == ' ') {
            spec++;
        }
    }

    ngx_http_cx_scoring(type, type->followup, h, &s);
    show(name, &s);
}

static void
escape(const char *name, const char *in, size_t len)
{
    u_char  out[256], *last;
    size_t  n;

    n = ngx_http_cx_json_escape_len((u_char *) in, len);
    last = ngx_http_cx_json_escape(out, (u_char *) in, len);
    printf("%s len=%zu %s=%.*s\n", name, n,
           (size_t) (last - out) == n ? "ok" : "MISMATCH", (int) n, out);
}

int
main(void)
{
    uint64_t  df[] = { 1, 2, 10, 29, 30, 31, 35, 40, 45, 100, 119, 120,
                       121, 240, 1000, 1000000 };
    size_t    i;

    for (i = 0; i < sizeof(df) / sizeof(df[0]); i++) {
        printf("t975 df=%llu %.6f\n", (unsigned long long) df[i],
               ngx_http_cx_t975(df[i]));
    }

    hist("nps0", &nps, "");
    hist("nps1p", &nps, "10:1");
    hist("nps1d", &nps, "0:1");
    hist("nps-allp", &nps, "9:5 10:5");
    hist("nps-alld", &nps, "0:2 1:1 2:1 3:1 4:1 5:2 6:2");
    hist("nps-mixed", &nps, "0:1 6:1 7:1 8:1 9:2 10:4");
    hist("nps-large", &nps, "2:2000 8:3000 10:5000");
    hist("csat0", &csat, "");
    hist("csat1", &csat, "5:1");
    hist("csat1low", &csat, "1:1");
    hist("csat20", &csat, "1:1 2:2 3:2 4:5 5:10");
    hist("ces0", &ces, "");
    hist("ces1", &ces, "6:1");
    hist("ces2", &ces, "5:1 7:1");
    hist("ces5", &ces, "3:1 4:1 5:1 6:1 7:1");
    hist("ces1000", &ces, "5:500 7:500");
    hist("ces-same", &ces, "7:3");

    escape("plain", "home", 4);
    escape("quotes", "a\"b\\c", 5);
    escape("controls", "\x00\x01\b\f\n\r\t\x1f\x7f", 9);
    escape("utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14);
    escape("ls-ps", "\xe2\x80\xa8\xe2\x80\xa9", 6);
    escape("stray", "\x80\xbf", 2);
    escape("overlong", "\xc0\xaf\xe0\x80\xaf", 5);
    escape("surrogate", "\xed\xa0\x80", 3);
    escape("too-big", "\xf4\x90\x80\x80", 4);
    escape("truncated", "\xe2\x82", 2);
    escape("truncated-then", "\xe2\x82" "a\xf0\x9f\x98", 6);
    escape("bad-bytes", "\xfe\xff\xc1\xbf", 4);

    return 0;
}
EOF
close $fh;

my @incs = map { "-I$tree/$_" } qw(src/core src/event src/event/modules
                                   src/os/unix objs src/http
                                   src/http/modules src/http/v2);
push @incs, "-I$src", '-I/usr/include/hiredis', '-I/usr/include/luajit-2.1';

my $cmd = join ' ', 'cc -O2 -Wall -Werror', @incs, '-o', "$dir/driver",
          "$dir/driver.c", "$src/ngx_http_cx_score_math.c",
          "$src/ngx_http_cx_json.c", '-lm 2>&1';
my $out = `$cmd`;
is($?, 0, 'the driver compiles') or diag($out);

my @lines = split /\n/, `$dir/driver`;

my @want = (
    # exact for 1-30; between rows linear in 1/df; past 120 towards 1.96
    't975 df=1 12.706205', 't975 df=2 4.302653', 't975 df=10 2.228139',
    't975 df=29 2.045230', 't975 df=30 2.042272',
    # 31: w = (1/31 - 1/40) / (1/30 - 1/40) = 0.870968
    # -> 2.021075 + 0.870968 * 0.021197 = 2.039537 (exact 2.039513)
    't975 df=31 2.039537',
    't975 df=35 2.030159',                  # exact 2.030108
    't975 df=40 2.021075',
    't975 df=45 2.014122',                  # exact 2.014103
    't975 df=100 1.983972',
    't975 df=119 1.980100',                 # exact 1.980100
    't975 df=120 1.979930',
    # 121: 1.96 + 0.019930 * 120/121 = 1.979765 (exact 1.979764)
    't975 df=121 1.979765',
    't975 df=240 1.969965',                 # exact 1.969898
    't975 df=1000 1.962392',                # exact 1.962339
    't975 df=1000000 1.960002',
    'nps0 n=0 top=0 middle=0 bottom=0 low=0 score=null sd=null ci=null',
    'nps1p n=1 top=1 middle=0 bottom=0 low=0 score=100.000000 sd=null ci=[-48.500000,98.500000]',
    'nps1d n=1 top=0 middle=0 bottom=1 low=1 score=-100.000000 sd=null ci=[-98.500000,48.500000]',
    'nps-allp n=10 top=10 middle=0 bottom=0 low=0 score=100.000000 sd=null ci=[47.503011,100.000000]',
    'nps-alld n=10 top=0 middle=0 bottom=10 low=10 score=-100.000000 sd=null ci=[-100.000000,-47.503011]',
    'nps-mixed n=10 top=6 middle=2 bottom=2 low=2 score=40.000000 sd=null ci=[-12.586377,74.124838]',
    'nps-large n=10000 top=5000 middle=3000 bottom=2000 low=2000 score=30.000000 sd=null ci=[28.460431,31.521575]',
    'csat0 n=0 top=0 middle=0 bottom=0 low=0 score=null sd=null ci=null',
    'csat1 n=1 top=1 middle=0 bottom=0 low=0 score=100.000000 sd=null ci=[20.654329,100.000000]',
    'csat1low n=1 top=0 middle=0 bottom=0 low=1 score=0.000000 sd=null ci=[0.000000,79.345671]',
    'csat20 n=20 top=15 middle=0 bottom=0 low=3 score=75.000000 sd=null ci=[53.129499,88.813995]',
    'ces0 n=0 top=0 middle=0 bottom=0 low=0 score=null sd=null ci=null',
    'ces1 n=1 top=0 middle=0 bottom=0 low=0 score=6.000000 sd=null ci=null',
    'ces2 n=2 top=0 middle=0 bottom=0 low=0 score=6.000000 sd=1.414214 ci=[1.000000,7.000000]',
    'ces5 n=5 top=0 middle=0 bottom=0 low=1 score=5.000000 sd=1.581139 ci=[3.036757,6.963243]',
    'ces1000 n=1000 top=0 middle=0 bottom=0 low=0 score=6.000000 sd=1.000500 ci=[5.937913,6.062087]',
    'ces-same n=3 top=0 middle=0 bottom=0 low=0 score=7.000000 sd=0.000000 ci=[7.000000,7.000000]',
    'plain len=4 ok=home',
    'quotes len=7 ok=a\"b\\\\c',
    'controls len=29 ok=\u0000\u0001\b\f\n\r\t\u001f' . "\x7f",
    "utf8 len=14 ok=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    'ls-ps len=12 ok=\u2028\u2029',
    'stray len=12 ok=\ufffd\ufffd',
    'overlong len=30 ok=\ufffd\ufffd\ufffd\ufffd\ufffd',
    'surrogate len=18 ok=\ufffd\ufffd\ufffd',
    'too-big len=24 ok=\ufffd\ufffd\ufffd\ufffd',
    'truncated len=6 ok=\ufffd',
    'truncated-then len=13 ok=\ufffda\ufffd',
    'bad-bytes len=24 ok=\ufffd\ufffd\ufffd\ufffd',
);

is(scalar @lines, scalar @want, 'one line per case');

for my $i (0 .. $#want) {
    my ($name) = $want[$i] =~ /^(\S+(?: df=\d+)?)/;
    is($lines[$i], $want[$i], $name);
}

done_testing();
