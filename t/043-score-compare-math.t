# The comparison statistics alone: ngx_http_cx_scoring.c compiled with a
# small C driver against the nginx headers of the build tree (as
# t/043-score-math.t does), and every figure it prints checked against
#
#  - an independent computation here, in Perl, on fixed histograms: the
#    formulas written again from docs/statistics.md, with p-values and
#    t quantiles from numerical integration of the normal and Student
#    densities (Simpson's rule), not from the incomplete beta function
#    the module uses;
#  - closed forms (Student's t for 1 and 2 degrees of freedom, the
#    incomplete beta function where it is a polynomial);
#  - published worked examples (docs/statistics.md cites them):
#    Agresti-Caffo on Perondi et al. (2004) as worked in Fagerland,
#    Lydersen and Laake, "Statistical Analysis of Contingency Tables"
#    (2017), chapter 4; Welch's t on Student's sleep data (1908) as R's
#    t.test() reports it, and on ClickHouse's welchTTest example; the
#    answers MeasuringU gives for comparing two NPS (40% promoters, 30%
#    detractors, a change of 10 points: about 1,080 per period).
#
# Edge cases: n = 0, 1 and 2 on either side, all promoters, identical
# periods, no spread at all (CES), huge n.

use strict;
use warnings;
use Test::More;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use POSIX qw(ceil floor);
use List::Util qw(sum0 max min);

my $root = abs_path(dirname(__FILE__) . '/..');
my $tree = $ENV{CX_NGINX_TREE} || "$root/build/nginx";
my $src = "$root/ngx_cx_module";

plan skip_all => "no configured nginx tree in $tree (run make first)"
    unless -f "$tree/objs/ngx_auto_config.h";

my $dir = tempdir(CLEANUP => 1);

# ------------------------------------------------------------ the driver
#
# One command a line on stdin, one answer a line on stdout, numbers as
# %.12g, undefined values as "null":
#
#   hist TYPE SPEC | SPEC [MARGIN DETECT DAYS]  two histograms ("9:5 10:2")
#   welch N1 MEAN1 SD1 N2 MEAN2 SD2
#   beta A B X                                  I_x(a, b)
#   tp T DF                                     two-sided p of Student's t
#   q975 DF                                     t(0.975, df)

open my $fh, '>', "$dir/driver.c" or die $!;
print $fh <<'EOF';
#include "ngx_http_cx_module.h"
#include "ngx_http_cx_scoring.h"
#include <stdio.h>

static ngx_http_cx_survey_type_t  types[] = {
    { ngx_string("nps"), 0, 10, 6, 0 },
    { ngx_string("csat"), 1, 5, 2, 1 },
    { ngx_string("ces"), 1, 7, 3, 2 }
};

/* " key=value"; with an empty key, "=value" after a key printed before */

static void
num(const char *key, unsigned has, double v)
{
    printf("%s%s=", *key ? " " : "", key);

    if (has) {
        printf("%.12g", v);

    } else {
        printf("null");
    }
}

static void
score(const char *name, ngx_http_cx_score_t *s)
{
    printf(" %s.n=%llu", name, (unsigned long long) s->n);
    printf(" %s.score", name);
    num("", s->has_score, s->score);
}

static void
compare(ngx_http_cx_compare_t *c)
{
    num("diff", c->has_diff, c->diff);
    num("lo", c->has_test, c->lo);
    num("hi", c->has_test, c->hi);
    num("p", c->has_test, c->p);
    num("stat", c->has_test, c->stat);
    num("df", c->has_test && c->df > 0, c->df);
    printf(" sig=%d", c->significant ? 1 : 0);
}

static void
sample(const char *name, ngx_http_cx_sample_t *s)
{
    printf(" %s.needed", name);
    num("", s->has_needed, (double) s->needed);
    printf(" %s.more", name);
    num("", s->has_needed, (double) s->more);
    printf(" %s.days", name);
    num("", s->has_days, (double) s->days);
}

static void
parse(ngx_http_cx_survey_type_t *type, char *spec, uint64_t *h)
{
    int   score, used;
    long long  count;

    memset(h, 0, NGX_HTTP_CX_SCALE_MAX * sizeof(uint64_t));

    while (sscanf(spec, " %d:%lld%n", &score, &count, &used) == 2) {
        h[score - type->min] = (uint64_t) count;
        spec += used;
    }
}

static void
hist(char *line)
{
    char                       *bar, *opts, name[8];
    double                      margin, detect;
    unsigned                    days;
    uint64_t                    h1[NGX_HTTP_CX_SCALE_MAX];
    uint64_t                    h2[NGX_HTTP_CX_SCALE_MAX];
    ngx_uint_t                  i;
    ngx_http_cx_score_t         a, b, low, rest;
    ngx_http_cx_sample_t        prec, det;
    ngx_http_cx_compare_t       c;
    ngx_http_cx_scoring_e       kind;
    ngx_http_cx_survey_type_t  *type;

    sscanf(line, "%7s", name);
    type = NULL;

    for (i = 0; i < 3; i++) {
        if (strcmp(name, (char *) types[i].name.data) == 0) {
            type = &types[i];
        }
    }

    line += strlen(name);
    bar = strchr(line, '|');
    *bar++ = '\0';
    opts = strchr(bar, '[');

    margin = 5;
    detect = 10;
    days = 30;

    if (opts) {
        *opts++ = '\0';
        sscanf(opts, "%lf %lf %u", &margin, &detect, &days);
    }

    parse(type, line, h1);
    parse(type, bar, h2);

    kind = ngx_http_cx_scoring_kind(type);

    ngx_http_cx_scoring(type, type->followup, h1, &a);
    ngx_http_cx_scoring(type, type->followup, h2, &b);
    ngx_http_cx_compare(kind, &a, &b, &c);
    ngx_http_cx_precision(kind, &a, margin, days, &prec);
    ngx_http_cx_detectable(kind, &a, &b, detect, days, &det);
    ngx_http_cx_low_rate(a.low, a.n, &low);

    /* b as the rest of a + b: the answers of a taken out again */

    for (i = 0; i < NGX_HTTP_CX_SCALE_MAX; i++) {
        h2[i] += h1[i];
    }

    ngx_http_cx_rest(type, type->followup, h2, h1, &rest);

    printf("%s", name);
    score("a", &a);
    score("b", &b);
    compare(&c);
    sample("prec", &prec);
    sample("det", &det);
    printf(" low.rate");
    num("", low.has_score, low.score);
    printf(" low.lo");
    num("", low.has_ci, low.lo);
    printf(" low.hi");
    num("", low.has_ci, low.hi);
    score("rest", &rest);
    printf("\n");
}

int
main(void)
{
    char                   line[1024];
    double                 x[6];
    ngx_http_cx_compare_t  c;

    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';

        if (strncmp(line, "hist ", 5) == 0) {
            hist(line + 5);

        } else if (sscanf(line, "welch %lf %lf %lf %lf %lf %lf", &x[0],
                          &x[1], &x[2], &x[3], &x[4], &x[5]) == 6)
        {
            ngx_http_cx_welch(x[0], x[1], x[2], x[3], x[4], x[5], &c);
            printf("welch");
            compare(&c);
            printf("\n");

        } else if (sscanf(line, "beta %lf %lf %lf", &x[0], &x[1], &x[2])
                   == 3)
        {
            printf("beta I=%.12g\n", ngx_http_cx_beta_reg(x[0], x[1], x[2]));

        } else if (sscanf(line, "tp %lf %lf", &x[0], &x[1]) == 2) {
            printf("tp p=%.12g\n", ngx_http_cx_student_p(x[0], x[1]));

        } else if (sscanf(line, "q975 %lf", &x[0]) == 1) {
            printf("q975 q=%.12g\n", ngx_http_cx_student_q975(x[0]));

        } else {
            printf("bad command: %s\n", line);
        }

        fflush(stdout);
    }

    return 0;
}
EOF
close $fh;

my @incs = map { "-I$tree/$_" } qw(src/core src/event src/event/modules
                                   src/os/unix objs src/http
                                   src/http/modules src/http/v2);
push @incs, "-I$src", '-I/usr/include/hiredis', '-I/usr/include/luajit-2.1';

my $cmd = join ' ', 'cc -O2 -Wall -Werror', @incs, '-o', "$dir/driver",
          "$dir/driver.c", "$src/ngx_http_cx_scoring.c", '-lm 2>&1';
my $out = `$cmd`;
is($?, 0, 'the driver compiles') or diag($out);

# all commands through one run of the driver

sub run_driver {
    my @cmds = @_;
    open my $in, '>', "$dir/in" or die $!;
    print $in map { "$_\n" } @cmds;
    close $in;
    my @lines = split /\n/, `$dir/driver < $dir/in`;
    is(scalar @lines, scalar @cmds, 'one answer per command');
    return map { parse_line($_) } @lines;
}

sub parse_line {
    my ($line) = @_;
    my %f;
    ($f{_}) = $line =~ /^(\S+)/;
    $f{$1} = $2 eq 'null' ? undef : $2 while $line =~ /\s([\w.]+)=(\S+)/g;
    return \%f;
}

# ------------------------------------------ the statistics, again
#
# Written from the formulas, not from the C: p-values by integrating the
# densities numerically.

use constant PI => 4 * atan2(1, 1);
my $Z = 1.96;

# composite Simpson's rule, $n even

sub simpson {
    my ($f, $a, $b, $n) = @_;
    $n //= 4000;
    my $h = ($b - $a) / $n;
    my $s = $f->($a) + $f->($b);
    $s += ($_ % 2 ? 4 : 2) * $f->($a + $_ * $h) for 1 .. $n - 1;
    return $s * $h / 3;
}

sub t_density {
    my ($df) = @_;
    my $c = exp(POSIX::lgamma(($df + 1) / 2) - POSIX::lgamma($df / 2))
            / sqrt($df * PI);
    return sub { $c * (1 + $_[0] ** 2 / $df) ** (-($df + 1) / 2) };
}

# two-sided p: the tail beyond |x| (u = |x| / s maps it onto (0, 1]),
# or 1 - the middle for a small |x| or heavy tails

sub tail_p {
    my ($x, $f, $heavy) = @_;
    $x = abs $x;
    return 1 if $x == 0;
    if ($x < 1 || $heavy) {
        return 1 - 2 * simpson($f, 0, $x);
    }
    my $g = sub { my $s = shift; $s == 0 ? 0 : $f->($x / $s) * $x / ($s * $s) };
    return 2 * simpson($g, 0, 1);
}

sub normal_p {
    my ($z) = @_;
    return tail_p($z, sub { exp(-$_[0] ** 2 / 2) / sqrt(2 * PI) });
}

sub student_p {
    my ($t, $df) = @_;
    return tail_p($t, t_density($df), $df < 3);
}

my %q975;

sub student_q975 {
    my ($df) = @_;
    return $q975{$df} //= do {
        my ($lo, $hi) = (1.9, 13);
        for (1 .. 50) {
            my $m = ($lo + $hi) / 2;
            (student_p($m, $df) > 0.05 ? $lo : $hi) = $m;
        }
        ($lo + $hi) / 2;
    };
}

sub clip { my ($v, $lo, $hi) = @_; $v < $lo ? $lo : $v > $hi ? $hi : $v }

sub parse_hist {
    my ($spec) = @_;
    return { map { split /:/ } split ' ', $spec };
}

my %TYPE = (nps => [0, 10, 6], csat => [1, 5, 2], ces => [1, 7, 3]);

sub summary {
    my ($type, $h) = @_;
    my ($min, $max, $low) = @{ $TYPE{$type} };
    my $count = sub { my ($a, $b) = @_; sum0 map { $h->{$_} // 0 } $a .. $b };
    my %s = (n => $count->($min, $max), low => $count->($min, $low));
    if ($type eq 'nps') {
        @s{qw(p d)} = ($count->(9, 10), $count->(0, 6));
        $s{score} = $s{n} ? 100 * ($s{p} - $s{d}) / $s{n} : undef;
    } elsif ($type eq 'csat') {
        $s{k} = $count->(4, 5);
        $s{score} = $s{n} ? 100 * $s{k} / $s{n} : undef;
    } else {
        $s{score} = $s{n} ? sum0(map { $_ * ($h->{$_} // 0) } $min .. $max) / $s{n}
                          : undef;
        if ($s{n} > 1) {
            my $ss = sum0 map { ($h->{$_} // 0) * ($_ - $s{score}) ** 2 } $min .. $max;
            $s{sd} = sqrt($ss / ($s{n} - 1));
        }
    }
    return \%s;
}

sub nps_adjusted {
    my ($s) = @_;
    my $nn = $s->{n} + 3;
    my ($p, $d) = (($s->{p} + 0.75) / $nn, ($s->{d} + 0.75) / $nn);
    return ($p - $d, $p + $d - ($p - $d) ** 2, $nn);
}

sub welch {
    my ($n1, $m1, $s1, $n2, $m2, $s2) = @_;
    my %c = (diff => $m1 - $m2);
    return \%c if $n1 < 2 || $n2 < 2;
    my ($v1, $v2) = ($s1 ** 2 / $n1, $s2 ** 2 / $n2);
    return \%c if $v1 + $v2 == 0;
    my $se = sqrt($v1 + $v2);
    $c{df} = ($v1 + $v2) ** 2 / ($v1 ** 2 / ($n1 - 1) + $v2 ** 2 / ($n2 - 1));
    $c{stat} = $c{diff} / $se;
    $c{p} = student_p($c{stat}, $c{df});
    my $q = student_q975($c{df});
    @c{qw(lo hi)} = ($c{diff} - $q * $se, $c{diff} + $q * $se);
    return \%c;
}

sub compare {
    my ($type, $a, $b) = @_;
    return {} unless $a->{n} && $b->{n};
    my %c = (diff => $a->{score} - $b->{score});
    my ($est, $se, $lim);

    if ($type eq 'nps') {
        my ($a1, $v1, $n1) = nps_adjusted($a);
        my ($a2, $v2, $n2) = nps_adjusted($b);
        ($est, $se, $lim) = ($a1 - $a2, sqrt($v1 / $n1 + $v2 / $n2), 200);
    } elsif ($type eq 'csat') {
        my ($q1, $q2) = (($a->{k} + 1) / ($a->{n} + 2), ($b->{k} + 1) / ($b->{n} + 2));
        ($est, $se, $lim) = ($q1 - $q2, sqrt($q1 * (1 - $q1) / ($a->{n} + 2)
                                              + $q2 * (1 - $q2) / ($b->{n} + 2)), 100);
    } else {
        return welch($a->{n}, $a->{score}, $a->{sd} // 0, $b->{n}, $b->{score}, $b->{sd} // 0);
    }

    $c{stat} = $est / $se;
    $c{p} = normal_p($c{stat});
    @c{qw(lo hi)} = (clip(100 * ($est - $Z * $se), -$lim, $lim),
                     clip(100 * ($est + $Z * $se), -$lim, $lim));
    return \%c;
}

sub t975_table {
    my ($df) = @_;
    # the module's interval uses the exact quantile for df <= 30 and is
    # within 1e-4 above; the least n below is checked to +-1 for that
    return student_q975($df);
}

sub needed {
    my ($need, $least, $n, $days) = @_;
    $need = ceil($need - 1e-9);
    $need = $least if $need < $least;
    my $more = $need > $n ? $need - $n : 0;
    return { needed => $need, more => $more,
             days => $n ? ceil($more * $days / $n - 1e-9) : undef };
}

sub precision {
    my ($type, $s, $margin, $days) = @_;
    return {} unless $s->{n};
    my $e = $margin / 100;
    if ($type eq 'nps') {
        my (undef, $v) = nps_adjusted($s);
        return needed($Z ** 2 * $v / $e ** 2 - 3, 1, $s->{n}, $days);
    }
    if ($type eq 'csat') {
        my $q = ($s->{k} + $Z ** 2 / 2) / ($s->{n} + $Z ** 2);
        return needed($Z ** 2 * $q * (1 - $q) / $e ** 2 - $Z ** 2, 1, $s->{n}, $days);
    }
    return {} unless defined $s->{sd};
    return needed(2, 2, $s->{n}, $days) if $s->{sd} == 0;
    # the least n whose t interval is narrow enough, counted up
    my $n = max(2, floor(($Z * $s->{sd} / $margin) ** 2));
    $n++ while (t975_table($n - 1) * $s->{sd} / $margin) ** 2 > $n;
    return needed($n, 2, $s->{n}, $days);
}

sub detectable {
    my ($type, $s, $o, $change, $days) = @_;
    return {} unless $s->{n};
    $o = undef unless $o && $o->{n};
    my $k = (1.96 + 0.84) ** 2;
    my $d = $change / 100;
    if ($type eq 'nps') {
        my (undef, $v1) = nps_adjusted($s);
        my (undef, $v2) = $o ? nps_adjusted($o) : (undef, $v1);
        return needed(($v1 + $v2) * $k / $d ** 2 - 3, 1, $s->{n}, $days);
    }
    if ($type eq 'csat') {
        my $v = sub { my $q = ($_[0]{k} + 1) / ($_[0]{n} + 2); $q * (1 - $q) };
        my $v1 = $v->($s);
        my $v2 = $o ? $v->($o) : $v1;
        return needed(($v1 + $v2) * $k / $d ** 2 - 2, 1, $s->{n}, $days);
    }
    return {} unless defined $s->{sd};
    my $v2 = $o && defined $o->{sd} ? $o->{sd} ** 2 : $s->{sd} ** 2;
    return needed(($s->{sd} ** 2 + $v2) * $k / $change ** 2, 2, $s->{n}, $days);
}

sub wilson {
    my ($k, $n) = @_;
    return (undef, undef, undef) unless $n;
    my $p = $k / $n;
    my $den = 1 + $Z ** 2 / $n;
    my $c = ($p + $Z ** 2 / (2 * $n)) / $den;
    my $h = $Z * sqrt($p * (1 - $p) / $n + $Z ** 2 / (4 * $n ** 2)) / $den;
    return (100 * $p, clip(100 * ($c - $h), 0, 100), clip(100 * ($c + $h), 0, 100));
}

# ------------------------------------------------------------ comparing

sub near {
    my ($got, $want, $tol, $name) = @_;
    if (!defined $want) {
        ok(!defined $got, "$name is null") or diag('got ' . ($got // 'null'));
        return;
    }
    ok(defined $got && abs($got - $want) <= $tol, "$name = $want")
        or diag('got ' . ($got // 'null') . ", want $want");
}

# ------------------------------------------------------------ the cases

# [type, this period, the other, margin, detect, days]
my @hist = (
    # n = 0 on either side, and on both
    [ 'nps', '', '' ],
    [ 'nps', '', '10:3' ],
    [ 'nps', '9:2 0:1', '' ],
    # n = 1, n = 2
    [ 'nps', '10:1', '0:1' ],
    [ 'nps', '10:1', '10:1' ],
    [ 'nps', '10:1 0:1', '9:1 7:1' ],
    # all promoters; against all detractors; identical periods
    [ 'nps', '9:5 10:5', '9:5 10:5' ],
    [ 'nps', '9:5 10:5', '0:4 6:6' ],
    [ 'nps', '10:30 8:20 3:10', '10:30 8:20 3:10' ],
    # the README's example, and a significant change
    [ 'nps', '0:10 1:4 2:2 3:4 4:4 5:10 6:12 7:16 8:20 9:26 10:36', '0:3 6:10 8:20 10:40' ],
    [ 'nps', '10:300 8:200 3:100', '10:200 8:200 3:200' ],
    # large n; another margin and change
    [ 'nps', '10:5000 8:3000 2:2000', '10:4800 8:3000 2:2200', 2, 3, 7 ],
    [ 'nps', '10:400 8:300 0:300', '10:400 8:300 0:300', 5, 10, 30 ],
    # huge n: counts held near 2^53
    [ 'nps', '10:4000000000000000 0:1000000000000000', '10:1 0:1' ],
    # CSAT
    [ 'csat', '', '5:1' ],
    [ 'csat', '5:1', '1:1' ],
    [ 'csat', '5:1 4:1', '5:1 2:1' ],
    [ 'csat', '5:10', '5:10' ],
    [ 'csat', '5:10 4:5 3:2 2:2 1:1', '5:8 4:4 3:4 2:2 1:2' ],
    [ 'csat', '5:7 1:27', '5:1 1:33' ],
    [ 'csat', '5:600 4:200 2:200', '5:500 4:200 2:300', 2, 5, 14 ],
    # CES
    [ 'ces', '', '7:2' ],
    [ 'ces', '6:1', '3:1 4:1 5:1 6:1 7:1' ],
    [ 'ces', '5:1 7:1', '4:1 6:1' ],
    [ 'ces', '3:1 4:1 5:1 6:1 7:1', '3:1 4:1 5:1 6:1 7:1' ],
    [ 'ces', '7:3', '7:3' ],
    [ 'ces', '7:3', '5:4' ],
    [ 'ces', '7:3', '5:2 6:2' ],
    [ 'ces', '7:40 6:30 5:20 2:10', '7:20 6:30 5:30 2:20' ],
    [ 'ces', '5:500 7:500', '4:300 6:700', 0.05, 0.1, 10 ],
    [ 'ces', '1:1 7:1', '1:1 7:1', 0.25, 0.5, 1 ],
);

my @cmds = map {
    my ($t, $a, $b, @o) = @$_;
    "hist $t $a | $b" . (@o ? " [@o]" : '');
} @hist;

my @got = run_driver(@cmds);

for my $i (0 .. $#hist) {
    my ($type, $sa, $sb, $margin, $detect, $days) = @{ $hist[$i] };
    ($margin, $detect, $days) = (5, 10, 30) unless defined $margin;
    my $g = $got[$i];
    my $name = "$type [$sa] vs [$sb]";
    my ($a, $b) = (summary($type, parse_hist($sa)), summary($type, parse_hist($sb)));
    my $dec = $type eq 'ces' ? 1e-9 : 1e-7;

    is($g->{'a.n'}, $a->{n}, "$name: n");
    near($g->{'a.score'}, $a->{score}, $dec, "$name: score");
    near($g->{'b.score'}, $b->{score}, $dec, "$name: the other's score");

    my $c = compare($type, $a, $b);
    near($g->{diff}, $c->{diff}, 1e-7, "$name: diff");
    near($g->{lo}, $c->{lo}, 1e-6, "$name: diff_ci95 low");
    near($g->{hi}, $c->{hi}, 1e-6, "$name: diff_ci95 high");
    near($g->{p}, $c->{p}, 1e-8, "$name: p");
    near($g->{df}, $c->{df}, 1e-7, "$name: df") if $type eq 'ces';
    is($g->{sig}, (defined $c->{p} && $c->{p} < 0.05) ? 1 : 0, "$name: significant");

    my $p = precision($type, $a, $margin, $days);
    my $d = detectable($type, $a, $b, $detect, $days);
    my $tol = $type eq 'ces' ? 1 : 0;
    for my $k (qw(needed more)) {
        near($g->{"prec.$k"}, $p->{$k}, $tol, "$name: precision $k");
        near($g->{"det.$k"}, $d->{$k}, 0, "$name: detectable $k");
    }
    near($g->{'prec.days'}, $p->{days}, $tol ? 1 : 0, "$name: precision days");
    near($g->{'det.days'}, $d->{days}, 0, "$name: detectable days");

    my ($rate, $lo, $hi) = wilson($a->{low}, $a->{n});
    near($g->{'low.rate'}, $rate, 1e-9, "$name: low rate");
    near($g->{'low.lo'}, $lo, 1e-9, "$name: low rate low");
    near($g->{'low.hi'}, $hi, 1e-9, "$name: low rate high");

    is($g->{'rest.n'}, $b->{n}, "$name: the rest's n");
    near($g->{'rest.score'}, $b->{score}, $dec, "$name: the rest's score");
}

# what the edge cases return, spelled out (README.md "Scores", docs/statistics.md)

my %g = map { ($cmds[$_] => $got[$_]) } 0 .. $#cmds;
my $e = $g{'hist nps  | '};
ok(!defined $e->{diff} && !defined $e->{p} && !defined $e->{'prec.needed'}
   && !defined $e->{'det.needed'} && $e->{sig} == 0, 'n = 0: all null, not significant');
$e = $g{'hist nps 9:5 10:5 | 9:5 10:5'};
ok($e->{diff} == 0 && $e->{p} == 1 && $e->{sig} == 0
   && $e->{lo} == -$e->{hi}, 'identical periods: diff 0, p 1, a symmetric interval');
$e = $g{'hist ces 7:3 | 7:3'};
ok($e->{diff} == 0 && !defined $e->{p} && !defined $e->{lo}, 'CES without spread: diff 0, no test');
is($e->{'prec.needed'}, 2, 'CES without spread: 2 answers make an interval');
$e = $g{'hist ces 6:1 | 3:1 4:1 5:1 6:1 7:1'};
ok($e->{diff} == 1 && !defined $e->{p}, 'CES, one answer: diff, no test');
$e = $g{'hist nps 10:4000000000000000 0:1000000000000000 | 10:1 0:1'};
ok(defined $e->{p} && $e->{'prec.needed'} >= 1, 'huge n: still numbers');

# ---------------------------------------------- closed forms, published

my @pub = run_driver(
    'beta 1 1 0.3', 'beta 3 1 0.5', 'beta 1 4 0.25', 'beta 2.5 2.5 0.5',
    'beta 0.5 0.5 0.5', 'beta 2 3 0', 'beta 2 3 1',
    'tp 1 1', 'tp 3.5 1', 'tp 0.5 2', 'tp 10 2', 'tp 0 7',
    'q975 1', 'q975 2', 'q975 10', 'q975 30', 'q975 17.776',
    'q975 1000000',
    # Student's sleep data (R: t.test(extra ~ group, data = sleep))
    sprintf('welch 10 %.17g %.17g 10 %.17g %.17g',
            0.75, sd(0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0),
            2.33, sd(1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4)),
    # ClickHouse's welchTTest example: (20.3, 22.1, 21.9), (18.9, 20.3, 19)
    sprintf('welch 3 %.17g %.17g 3 %.17g %.17g',
            (20.3 + 22.1 + 21.9) / 3, sd(20.3, 22.1, 21.9),
            (18.9 + 20.3 + 19) / 3, sd(18.9, 20.3, 19)),
    # no spread, or one answer: no test
    'welch 3 7 0 3 5 0', 'welch 1 6 0 5 5 1.58',
);

sub sd {
    my @x = @_;
    my $m = sum0(@x) / @x;
    return sqrt(sum0(map { ($_ - $m) ** 2 } @x) / (@x - 1));
}

near($pub[0]{I}, 0.3, 1e-12, 'I_0.3(1, 1) = x');
near($pub[1]{I}, 0.125, 1e-12, 'I_0.5(3, 1) = x^3');
near($pub[2]{I}, 1 - 0.75 ** 4, 1e-12, 'I_0.25(1, 4) = 1 - (1 - x)^4');
near($pub[3]{I}, 0.5, 1e-12, 'I_0.5(a, a) = 1/2');
near($pub[4]{I}, 0.5, 1e-12, 'I_0.5(1/2, 1/2) = 1/2');
near($pub[5]{I}, 0, 0, 'I_0 = 0');
near($pub[6]{I}, 1, 0, 'I_1 = 1');
near($pub[7]{p}, 0.5, 1e-12, 't = 1, df = 1 (Cauchy): p = 1/2');
near($pub[8]{p}, 1 - 2 / PI * atan2(3.5, 1), 1e-12, 't = 3.5, df = 1: 1 - (2/pi) atan t');
near($pub[9]{p}, 1 - 0.5 / sqrt(2.25), 1e-12, 't = 0.5, df = 2: 1 - t / sqrt(2 + t^2)');
near($pub[10]{p}, 1 - 10 / sqrt(102), 1e-12, 't = 10, df = 2');
near($pub[11]{p}, 1, 0, 't = 0: p = 1');
near($pub[12]{q}, sin(0.475 * PI) / cos(0.475 * PI), 1e-9, 't(0.975, 1) = tan(0.475 pi)');
near($pub[13]{q}, sqrt(2 * 0.9025 / 0.0975), 1e-9, 't(0.975, 2) = 4.302653');
near($pub[14]{q}, 2.228139, 1e-6, 't(0.975, 10), the tables');
near($pub[15]{q}, 2.042272, 1e-6, 't(0.975, 30), the tables');
near($pub[16]{q}, student_q975(17.776), 1e-7, 't(0.975, 17.776): the integral');
near($pub[17]{q}, 1.959966, 1e-6, 't(0.975, 10^6): the normal 1.959964 and a bit');

my $w = $pub[18];
near($w->{stat}, -1.8608, 5e-5, 'sleep data: t = -1.8608 (R)');
near($w->{df}, 17.776, 5e-4, 'sleep data: df = 17.776 (R)');
near($w->{p}, 0.07939, 5e-6, 'sleep data: p = 0.07939 (R)');
near($w->{lo}, -3.3654832, 5e-8, 'sleep data: 95% interval from -3.3654832 (R)');
near($w->{hi}, 0.2054832, 5e-8, 'sleep data: to 0.2054832 (R)');
is($w->{sig}, 0, 'sleep data: not significant');

$w = $pub[19];
near($w->{stat}, 2.7988719532211235, 1e-9, 'ClickHouse: t = 2.79887');
near($w->{p}, 0.051807360348581945, 1e-9, 'ClickHouse: p = 0.0518074');
near($w->{lo}, -0.026294346671631885, 1e-8, 'ClickHouse: 95% interval from -0.0262943');
near($w->{hi}, 4.092961013338302, 1e-8, 'ClickHouse: to 4.0929610');
is($w->{sig}, 0, 'ClickHouse: not significant (0.0518 > 0.05)');

ok(!defined $pub[20]{p} && $pub[20]{diff} == 2, 'Welch without spread: diff only');
ok(!defined $pub[21]{p} && $pub[21]{diff} == 1, 'Welch with one answer: diff only');

# Agresti-Caffo, Perondi et al. (2004) in Fagerland et al. (2017):
# 7 of 34 against 1 of 34: 0.1765 (95% CI 0.0116 to 0.3217)
$e = $g{'hist csat 5:7 1:27 | 5:1 1:33'};
near($e->{diff}, 17.65, 5e-3, 'Perondi: diff 17.65 points');
near($e->{lo}, 1.16, 5e-3, 'Perondi: Agresti-Caffo from 1.16 points');
near($e->{hi}, 32.17, 5e-3, 'Perondi: to 32.17 points');
is($e->{sig}, 1, 'Perondi: significant (the interval excludes 0)');

# MeasuringU: 40% promoters, 30% detractors, a change of 10 points with
# 80% power: about 1,080 per period (n = s^2 Z^2 / d^2 - 3 with
# s^2 = 2 x 0.69, Z = 1.96 + 0.84: 1,078.9)
$e = $g{'hist nps 10:400 8:300 0:300 | 10:400 8:300 0:300 [5 10 30]'};
ok($e->{'det.needed'} >= 1075 && $e->{'det.needed'} <= 1085,
   "MeasuringU's 40%/30%, 10 points: about 1,080 per period ($e->{'det.needed'})");
is($e->{'det.needed'}, 1079, 'exactly 1,079 (the adjusted shares of n = 1000)');
is($e->{'det.more'}, 79, '79 more than the 1,000 there are');
is($e->{'det.days'}, 3, 'at 1,000 in 30 days: 3 days');

done_testing();
