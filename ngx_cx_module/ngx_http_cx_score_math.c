
/*
 * ngx_http_cx_score_math.c: NPS, CSAT and CES with 95% intervals, from a
 * histogram of scores (see the header; the formulas and a worked example
 * are in README.md "Scores").
 *
 *   NPS   % promoters (9-10) - % detractors (0-6); adjusted-Wald interval
 *         (Rocks 2016): 3/4 added to promoters and to detractors, 3 to n.
 *   CSAT  % of 4-5 answers on 1-5 (top-2-box); Wilson score interval.
 *   CES   mean on 1-7; Student's t interval (t for n - 1 degrees of
 *         freedom, from a table, normal for large n).
 *
 * Intervals are clipped to the scale; none without answers (nor for CES
 * with one answer).
 *
 * Two sets of answers compared (this period and another, a touchpoint
 * and the rest), the difference with its 95% interval and p-value:
 *
 *   NPS   adjusted Wald per set as above (MeasuringU after Rocks 2016);
 *         z-test on the adjusted difference.
 *   CSAT  Agresti-Caffo: one satisfied and one not added to each set;
 *         z-test on the adjusted difference.
 *   CES   Welch's t, Welch-Satterthwaite degrees of freedom; the
 *         p-value from the regularized incomplete beta function (its
 *         continued fraction), the quantile by bisection on it.
 *
 * And the answers needed for a margin of the interval, or per period to
 * detect a change with 80% power.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score_math.h"

#include <math.h>


typedef struct {
    uint64_t                     df;
    double                       t;
} ngx_http_cx_t_quantile_t;


/* the 0.975 quantile of Student's t distribution */

static ngx_http_cx_t_quantile_t  ngx_http_cx_t_table[] = {
    { 1, 12.706205 }, { 2, 4.302653 }, { 3, 3.182446 }, { 4, 2.776445 },
    { 5, 2.570582 }, { 6, 2.446912 }, { 7, 2.364624 }, { 8, 2.306004 },
    { 9, 2.262157 }, { 10, 2.228139 }, { 11, 2.200985 }, { 12, 2.178813 },
    { 13, 2.160369 }, { 14, 2.144787 }, { 15, 2.131450 },
    { 16, 2.119905 }, { 17, 2.109816 }, { 18, 2.100922 },
    { 19, 2.093024 }, { 20, 2.085963 }, { 21, 2.079614 },
    { 22, 2.073873 }, { 23, 2.068658 }, { 24, 2.063899 },
    { 25, 2.059539 }, { 26, 2.055529 }, { 27, 2.051831 },
    { 28, 2.048407 }, { 29, 2.045230 }, { 30, 2.042272 },
    { 40, 2.021075 }, { 50, 2.008559 }, { 60, 2.000298 },
    { 80, 1.990063 }, { 100, 1.983972 }, { 120, 1.979930 },
    { 0, NGX_HTTP_CX_Z95 }                  /* df = infinity */
};


static double ngx_http_cx_clip(double v, double min, double max);
static double ngx_http_cx_nps_var(uint64_t promoters, uint64_t detractors,
    uint64_t n, double *adjusted);
static double ngx_http_cx_beta_cf(double a, double b, double x);
static double ngx_http_cx_ces_needed(double sd, double margin);
static ngx_uint_t ngx_http_cx_ces_enough(double n, double sd, double margin);
static void ngx_http_cx_sample(double need, double least, uint64_t n,
    ngx_uint_t days, ngx_http_cx_sample_t *out);


ngx_http_cx_scoring_e
ngx_http_cx_scoring_kind(ngx_http_cx_survey_type_t *type)
{
    if (type->name.len == 4
        && ngx_strncmp(type->name.data, "csat", 4) == 0)
    {
        return ngx_http_cx_scoring_csat;
    }

    if (type->name.len == 3
        && ngx_strncmp(type->name.data, "ces", 3) == 0)
    {
        return ngx_http_cx_scoring_ces;
    }

    return ngx_http_cx_scoring_nps;
}


/*
 * hist[i] is the number of answers with score type->min + i, at most
 * NGX_HTTP_CX_COUNT_MAX; so are the sums.
 */

void
ngx_http_cx_scoring(ngx_http_cx_survey_type_t *type, ngx_int_t threshold,
    uint64_t *hist, ngx_http_cx_score_t *s)
{
    ngx_int_t              score;
    ngx_uint_t             i, scores;
    ngx_http_cx_scoring_e  kind;

    ngx_memzero(s, sizeof(ngx_http_cx_score_t));

    kind = ngx_http_cx_scoring_kind(type);
    scores = type->max - type->min + 1;

    for (i = 0; i < scores; i++) {
        score = type->min + (ngx_int_t) i;

        s->n = ngx_http_cx_count_sum(s->n, hist[i]);

        if (score <= threshold) {
            s->low = ngx_http_cx_count_sum(s->low, hist[i]);
        }

        switch (kind) {

        case ngx_http_cx_scoring_nps:
            if (score >= NGX_HTTP_CX_NPS_PROMOTER) {
                s->top = ngx_http_cx_count_sum(s->top, hist[i]);

            } else if (score <= NGX_HTTP_CX_NPS_DETRACTOR) {
                s->bottom = ngx_http_cx_count_sum(s->bottom, hist[i]);

            } else {
                s->middle = ngx_http_cx_count_sum(s->middle, hist[i]);
            }

            break;

        case ngx_http_cx_scoring_csat:
            if (score >= NGX_HTTP_CX_CSAT_SATISFIED) {
                s->top = ngx_http_cx_count_sum(s->top, hist[i]);
            }

            break;

        default:
            break;
        }
    }

    switch (kind) {

    case ngx_http_cx_scoring_nps:
        ngx_http_cx_nps(s->top, s->bottom, s->n, s);
        break;

    case ngx_http_cx_scoring_csat:
        ngx_http_cx_csat(s->top, s->n, s);
        break;

    default:
        ngx_http_cx_ces(hist, type->min, type->max, s);
    }
}


/*
 * NPS = 100 (P - D) / n.  Adjusted Wald: n' = n + 3,
 * p = (P + 3/4) / n', d = (D + 3/4) / n',
 * NPS' +- 1.96 sqrt([p + d - (p - d)^2] / n'), in points of 100.
 */

void
ngx_http_cx_nps(uint64_t promoters, uint64_t detractors, uint64_t n,
    ngx_http_cx_score_t *s)
{
    double  nn, p, d, var, half;

    s->has_score = 0;
    s->has_ci = 0;

    if (n == 0) {
        return;
    }

    s->score = 100.0 * ((double) promoters - (double) detractors)
               / (double) n;
    s->has_score = 1;

    nn = (double) n + 3.0;
    p = ((double) promoters + 0.75) / nn;
    d = ((double) detractors + 0.75) / nn;

    var = (p + d - (p - d) * (p - d)) / nn;
    half = NGX_HTTP_CX_Z95 * sqrt(var);

    s->lo = ngx_http_cx_clip(100.0 * (p - d - half), -100.0, 100.0);
    s->hi = ngx_http_cx_clip(100.0 * (p - d + half), -100.0, 100.0);
    s->has_ci = 1;
}


/*
 * CSAT = 100 k / n.  Wilson: with p = k / n and z = 1.96,
 * (p + z^2/2n +- z sqrt(p (1 - p) / n + z^2/4n^2)) / (1 + z^2/n).
 */

void
ngx_http_cx_csat(uint64_t satisfied, uint64_t n, ngx_http_cx_score_t *s)
{
    double  nn, p, z2, center, half, denom;

    s->has_score = 0;
    s->has_ci = 0;

    if (n == 0) {
        return;
    }

    nn = (double) n;
    p = (double) satisfied / nn;
    z2 = NGX_HTTP_CX_Z95 * NGX_HTTP_CX_Z95;

    s->score = 100.0 * p;
    s->has_score = 1;

    denom = 1.0 + z2 / nn;
    center = (p + z2 / (2.0 * nn)) / denom;
    half = NGX_HTTP_CX_Z95 * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn))
           / denom;

    s->lo = ngx_http_cx_clip(100.0 * (center - half), 0.0, 100.0);
    s->hi = ngx_http_cx_clip(100.0 * (center + half), 0.0, 100.0);
    s->has_ci = 1;
}


/*
 * CES = the mean; s the sample standard deviation (n - 1); the interval
 * mean +- t(0.975, n - 1) s / sqrt(n), clipped to the scale.
 */

void
ngx_http_cx_ces(uint64_t *hist, ngx_int_t min, ngx_int_t max,
    ngx_http_cx_score_t *s)
{
    double      n, sum, mean, dev, ss, half;
    ngx_int_t   i;

    s->has_score = 0;
    s->has_sd = 0;
    s->has_ci = 0;

    n = 0;
    sum = 0;

    for (i = 0; i <= max - min; i++) {
        n += (double) hist[i];
        sum += (double) hist[i] * (double) (min + i);
    }

    if (n == 0) {
        return;
    }

    mean = sum / n;

    s->score = mean;
    s->has_score = 1;

    if (n < 2) {
        return;
    }

    ss = 0;

    for (i = 0; i <= max - min; i++) {
        dev = (double) (min + i) - mean;
        ss += (double) hist[i] * dev * dev;
    }

    s->sd = sqrt(ss / (n - 1));
    s->has_sd = 1;

    half = ngx_http_cx_t975((uint64_t) n - 1) * s->sd / sqrt(n);

    s->lo = ngx_http_cx_clip(mean - half, (double) min, (double) max);
    s->hi = ngx_http_cx_clip(mean + half, (double) min, (double) max);
    s->has_ci = 1;
}


/*
 * Exact for 1-30 degrees of freedom; between the table's rows (and from
 * 120 towards the normal 1.96) linear in 1/df, which is within 1e-4.
 */

double
ngx_http_cx_t975(uint64_t df)
{
    double                     w;
    ngx_http_cx_t_quantile_t  *a, *b;

    if (df == 0) {
        return 0;
    }

    if (df <= 30) {
        return ngx_http_cx_t_table[df - 1].t;
    }

    for (a = &ngx_http_cx_t_table[29]; a[1].df; a++) {
        if (df < a[1].df) {
            break;
        }
    }

    b = a + 1;

    if (df == a->df) {
        return a->t;
    }

    /* w = (1/df - 1/b) / (1/a - 1/b); 1/b is 0 past the last row */

    if (b->df == 0) {
        w = (double) a->df / (double) df;

    } else {
        w = (1.0 / df - 1.0 / b->df) / (1.0 / a->df - 1.0 / b->df);
    }

    return b->t + w * (a->t - b->t);
}


/* this set minus the other, by the survey type's own test */

void
ngx_http_cx_compare(ngx_http_cx_scoring_e kind, ngx_http_cx_score_t *a,
    ngx_http_cx_score_t *b, ngx_http_cx_compare_t *c)
{
    switch (kind) {

    case ngx_http_cx_scoring_nps:
        ngx_http_cx_compare_nps(a->top, a->bottom, a->n, b->top, b->bottom,
                                b->n, c);
        return;

    case ngx_http_cx_scoring_csat:
        ngx_http_cx_compare_csat(a->top, a->n, b->top, b->n, c);
        return;

    default:
        ngx_memzero(c, sizeof(ngx_http_cx_compare_t));

        if (!a->has_score || !b->has_score) {
            return;
        }

        ngx_http_cx_welch((double) a->n, a->score, a->has_sd ? a->sd : 0,
                          (double) b->n, b->score, b->has_sd ? b->sd : 0, c);
    }
}


/*
 * NPS: diff = NPS1 - NPS2 (plain).  Adjusted Wald per set (n' = n + 3,
 * 3/4 added to promoters and detractors, V' = p' + d' - (p' - d')^2),
 * then z = (NPS'1 - NPS'2) / sqrt(V'1/n'1 + V'2/n'2) and the interval
 * (NPS'1 - NPS'2) +- 1.96 sqrt(...), in points of 100, within +-200.
 */

void
ngx_http_cx_compare_nps(uint64_t p1, uint64_t d1, uint64_t n1, uint64_t p2,
    uint64_t d2, uint64_t n2, ngx_http_cx_compare_t *c)
{
    double  v1, v2, a1, a2, se;

    ngx_memzero(c, sizeof(ngx_http_cx_compare_t));

    if (n1 == 0 || n2 == 0) {
        return;
    }

    c->diff = 100.0 * (((double) p1 - (double) d1) / (double) n1
                       - ((double) p2 - (double) d2) / (double) n2);
    c->has_diff = 1;

    v1 = ngx_http_cx_nps_var(p1, d1, n1, &a1);
    v2 = ngx_http_cx_nps_var(p2, d2, n2, &a2);

    /* V' > 0: both adjusted shares are above 0 and below 1 */

    se = sqrt(v1 / ((double) n1 + 3.0) + v2 / ((double) n2 + 3.0));

    c->stat = (a1 - a2) / se;
    c->p = ngx_http_cx_normal_p(c->stat);
    c->lo = ngx_http_cx_clip(100.0 * (a1 - a2 - NGX_HTTP_CX_Z95 * se),
                             -200.0, 200.0);
    c->hi = ngx_http_cx_clip(100.0 * (a1 - a2 + NGX_HTTP_CX_Z95 * se),
                             -200.0, 200.0);
    c->has_test = 1;
    c->significant = (c->p < 0.05);
}


/*
 * CSAT: diff = CSAT1 - CSAT2 (plain, in points).  Agresti-Caffo:
 * q = (k + 1) / (n + 2) per set, z = (q1 - q2) / se with
 * se = sqrt(q1 (1 - q1) / (n1 + 2) + q2 (1 - q2) / (n2 + 2)), the
 * interval (q1 - q2) +- 1.96 se, within +-100.
 */

void
ngx_http_cx_compare_csat(uint64_t k1, uint64_t n1, uint64_t k2, uint64_t n2,
    ngx_http_cx_compare_t *c)
{
    double  q1, q2, se;

    ngx_memzero(c, sizeof(ngx_http_cx_compare_t));

    if (n1 == 0 || n2 == 0) {
        return;
    }

    c->diff = 100.0 * ((double) k1 / (double) n1 - (double) k2 / (double) n2);
    c->has_diff = 1;

    q1 = ((double) k1 + 1.0) / ((double) n1 + 2.0);
    q2 = ((double) k2 + 1.0) / ((double) n2 + 2.0);

    se = sqrt(q1 * (1.0 - q1) / ((double) n1 + 2.0)
              + q2 * (1.0 - q2) / ((double) n2 + 2.0));

    c->stat = (q1 - q2) / se;
    c->p = ngx_http_cx_normal_p(c->stat);
    c->lo = ngx_http_cx_clip(100.0 * (q1 - q2 - NGX_HTTP_CX_Z95 * se),
                             -100.0, 100.0);
    c->hi = ngx_http_cx_clip(100.0 * (q1 - q2 + NGX_HTTP_CX_Z95 * se),
                             -100.0, 100.0);
    c->has_test = 1;
    c->significant = (c->p < 0.05);
}


/*
 * Welch's t on two means: se^2 = s1^2/n1 + s2^2/n2, t = diff / se,
 * df = se^4 / [(s1^2/n1)^2 / (n1 - 1) + (s2^2/n2)^2 / (n2 - 1)]
 * (Welch-Satterthwaite), p = 2 P(T_df > |t|), the interval
 * diff +- t(0.975, df) se.  No test below 2 answers on a side, nor when
 * neither side has any spread (se = 0: t is 0/0 or infinite).
 */

void
ngx_http_cx_welch(double n1, double mean1, double sd1, double n2,
    double mean2, double sd2, ngx_http_cx_compare_t *c)
{
    double  v1, v2, se2, se, q;

    ngx_memzero(c, sizeof(ngx_http_cx_compare_t));

    if (n1 < 1 || n2 < 1) {
        return;
    }

    c->diff = mean1 - mean2;
    c->has_diff = 1;

    if (n1 < 2 || n2 < 2) {
        return;
    }

    v1 = sd1 * sd1 / n1;
    v2 = sd2 * sd2 / n2;
    se2 = v1 + v2;

    if (!(se2 > 0)) {
        return;
    }

    se = sqrt(se2);

    c->df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
    c->stat = c->diff / se;
    c->p = ngx_http_cx_student_p(c->stat, c->df);

    q = ngx_http_cx_student_q975(c->df);

    c->lo = c->diff - q * se;
    c->hi = c->diff + q * se;
    c->has_test = 1;
    c->significant = (c->p < 0.05);
}


/*
 * The answers needed for a 95% interval of half-width "margin" (points
 * of the score), at the spread observed in s:
 *
 *   NPS   n = z^2 V' / E^2 - 3 (the adjusted-Wald interval solved for n)
 *   CSAT  n = z^2 q (1 - q) / E^2 - z^2, q = (k + z^2/2) / (n + z^2): the
 *         centre of Wilson's interval, the adjusted-Wald form again
 *   CES   the least n with t(0.975, n - 1) s / sqrt(n) <= E
 *
 * at least 1 (CES: 2), rounded up.
 */

void
ngx_http_cx_precision(ngx_http_cx_scoring_e kind, ngx_http_cx_score_t *s,
    double margin, ngx_uint_t days, ngx_http_cx_sample_t *out)
{
    double  z2, e, v, q, nn;

    ngx_memzero(out, sizeof(ngx_http_cx_sample_t));
    out->target = margin;

    if (s->n == 0 || !(margin > 0)) {
        return;
    }

    z2 = NGX_HTTP_CX_Z95 * NGX_HTTP_CX_Z95;
    e = margin / 100.0;
    nn = (double) s->n;

    switch (kind) {

    case ngx_http_cx_scoring_nps:
        v = ngx_http_cx_nps_var(s->top, s->bottom, s->n, NULL);
        ngx_http_cx_sample(z2 * v / (e * e) - 3.0, 1, s->n, days, out);
        return;

    case ngx_http_cx_scoring_csat:
        q = ((double) s->top + z2 / 2.0) / (nn + z2);
        ngx_http_cx_sample(z2 * q * (1.0 - q) / (e * e) - z2, 1, s->n, days,
                           out);
        return;

    default:
        if (!s->has_sd) {
            return;
        }

        ngx_http_cx_sample(ngx_http_cx_ces_needed(s->sd, margin), 2, s->n,
                           days, out);
    }
}


/*
 * The answers needed per period to detect a change of "change" points
 * (two-sided 5%, 80% power), s^2 (1.96 + 0.84)^2 / d^2:
 *
 *   NPS   s^2 = V'1 + V'2, less 3 (MeasuringU's form for two NPS)
 *   CSAT  s^2 = q1 (1 - q1) + q2 (1 - q2), q = (k + 1) / (n + 2), less 2
 *   CES   s^2 = sd1^2 + sd2^2
 *
 * The second period's spread is the other's when it has one, else this
 * one's again; at least 1 (CES: 2), rounded up.
 */

void
ngx_http_cx_detectable(ngx_http_cx_scoring_e kind, ngx_http_cx_score_t *s,
    ngx_http_cx_score_t *other, double change, ngx_uint_t days,
    ngx_http_cx_sample_t *out)
{
    double  k, d, v1, v2, q;

    ngx_memzero(out, sizeof(ngx_http_cx_sample_t));
    out->target = change;

    if (s->n == 0 || !(change > 0)) {
        return;
    }

    k = (NGX_HTTP_CX_Z95 + NGX_HTTP_CX_Z80POWER)
        * (NGX_HTTP_CX_Z95 + NGX_HTTP_CX_Z80POWER);
    d = change / 100.0;

    if (other && other->n == 0) {
        other = NULL;
    }

    switch (kind) {

    case ngx_http_cx_scoring_nps:
        v1 = ngx_http_cx_nps_var(s->top, s->bottom, s->n, NULL);
        v2 = other ? ngx_http_cx_nps_var(other->top, other->bottom, other->n,
                                         NULL)
                   : v1;
        ngx_http_cx_sample((v1 + v2) * k / (d * d) - 3.0, 1, s->n, days, out);
        return;

    case ngx_http_cx_scoring_csat:
        q = ((double) s->top + 1.0) / ((double) s->n + 2.0);
        v1 = q * (1.0 - q);

        if (other) {
            q = ((double) other->top + 1.0) / ((double) other->n + 2.0);
            v2 = q * (1.0 - q);

        } else {
            v2 = v1;
        }

        ngx_http_cx_sample((v1 + v2) * k / (d * d) - 2.0, 1, s->n, days, out);
        return;

    default:
        if (!s->has_sd) {
            return;
        }

        v1 = s->sd * s->sd;
        v2 = (other && other->has_sd) ? other->sd * other->sd : v1;

        ngx_http_cx_sample((v1 + v2) * k / (change * change), 2, s->n, days,
                           out);
    }
}


/* the answers in "all" but not in "part" (a touchpoint's rest) */

void
ngx_http_cx_rest(ngx_http_cx_survey_type_t *type, ngx_int_t threshold,
    uint64_t *all, uint64_t *part, ngx_http_cx_score_t *s)
{
    ngx_uint_t  i;
    uint64_t    hist[NGX_HTTP_CX_SCALE_MAX];

    for (i = 0; i < (ngx_uint_t) (type->max - type->min + 1); i++) {
        hist[i] = (all[i] > part[i]) ? all[i] - part[i] : 0;
    }

    ngx_http_cx_scoring(type, threshold, hist, s);
}


/* the share of low answers, %, with Wilson's interval (as CSAT's) */

void
ngx_http_cx_low_rate(uint64_t low, uint64_t n, ngx_http_cx_score_t *s)
{
    ngx_memzero(s, sizeof(ngx_http_cx_score_t));

    s->n = n;
    s->low = low;

    ngx_http_cx_csat(low, n, s);
}


/* two-sided p of a standard normal z: 2 (1 - Phi(|z|)) */

double
ngx_http_cx_normal_p(double z)
{
    return erfc(fabs(z) / sqrt(2.0));
}


/* two-sided p of Student's t with df degrees of freedom: I_x(df/2, 1/2) */

double
ngx_http_cx_student_p(double t, double df)
{
    return ngx_http_cx_beta_reg(df / 2.0, 0.5, df / (df + t * t));
}


/*
 * t(0.975, df) for any df >= 1 (Welch's df is not a whole number): the
 * t with a two-sided p of 0.05.  Newton's method on p(t) - 0.05, with
 * p'(t) = -2 f(t), f Student's density, from the table's value between
 * the whole numbers around df: p is convex and falling for t > 0, so
 * after the first step every step stays below the root and climbs to it
 * (a handful of steps to 1e-12).
 */

double
ngx_http_cx_student_q975(double df)
{
    double      t, lo, hi, w, c, step;
    ngx_uint_t  i;

    if (df < 1) {
        df = 1;
    }

    lo = ngx_http_cx_t975((uint64_t) floor(df));
    hi = ngx_http_cx_t975((uint64_t) ceil(df));

    /* linear in 1/df between the two rows */

    w = (df == floor(df)) ? 0 : (1 / df - 1 / ceil(df))
                                / (1 / floor(df) - 1 / ceil(df));
    t = hi + w * (lo - hi);

    c = exp(lgamma((df + 1) / 2) - lgamma(df / 2)) / sqrt(df * M_PI);

    for (i = 0; i < 16; i++) {
        step = (ngx_http_cx_student_p(t, df) - 0.05)
               / (2 * c * pow(1 + t * t / df, -(df + 1) / 2));
        t += step;

        if (fabs(step) < 1e-12 * t) {
            break;
        }
    }

    /* never happens (see above); the table's value if it ever did */

    if (!(t > 1.9 && t < 13)) {
        t = hi + w * (lo - hi);
    }

    return t;
}


/*
 * The regularized incomplete beta function I_x(a, b): with
 * B = x^a (1 - x)^b / (a B(a, b)), I_x(a, b) = B * cf(a, b, x), the
 * continued fraction 1 / (1 + d1 / (1 + d2 / (1 + ...))) with
 *
 *   d(2m)   =  m (b - m) x / ((a + 2m - 1) (a + 2m))
 *   d(2m+1) = -(a + m) (a + b + m) x / ((a + 2m) (a + 2m + 1))
 *
 * which converges fast for x < (a + 1) / (a + b + 2); above, the
 * symmetry I_x(a, b) = 1 - I_(1-x)(b, a).
 */

double
ngx_http_cx_beta_reg(double a, double b, double x)
{
    double  front;

    if (!(x > 0)) {
        return 0;
    }

    if (!(x < 1)) {
        return 1;
    }

    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b)
                + a * log(x) + b * log1p(-x));

    if (x < (a + 1) / (a + b + 2)) {
        return front * ngx_http_cx_beta_cf(a, b, x) / a;
    }

    return 1 - front * ngx_http_cx_beta_cf(b, a, 1 - x) / b;
}


#define NGX_HTTP_CX_CF_TINY  1e-300
#define NGX_HTTP_CX_CF_EPS   1e-15
#define NGX_HTTP_CX_CF_MAX   1000


/*
 * The continued fraction evaluated forwards (modified Lentz): f = C D
 * products, every denominator kept away from 0.
 */

static double
ngx_http_cx_beta_cf(double a, double b, double x)
{
    double      c, d, f, num, step;
    ngx_uint_t  m, k;

    c = 1;
    d = 1 - (a + b) * x / (a + 1);

    if (fabs(d) < NGX_HTTP_CX_CF_TINY) {
        d = NGX_HTTP_CX_CF_TINY;
    }

    d = 1 / d;
    f = d;

    for (m = 1; m <= NGX_HTTP_CX_CF_MAX; m++) {

        for (k = 0; k < 2; k++) {
            if (k == 0) {
                num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));

            } else {
                num = -(a + m) * (a + b + m) * x
                      / ((a + 2 * m) * (a + 2 * m + 1));
            }

            d = 1 + num * d;

            if (fabs(d) < NGX_HTTP_CX_CF_TINY) {
                d = NGX_HTTP_CX_CF_TINY;
            }

            c = 1 + num / c;

            if (fabs(c) < NGX_HTTP_CX_CF_TINY) {
                c = NGX_HTTP_CX_CF_TINY;
            }

            d = 1 / d;
            step = c * d;
            f *= step;
        }

        if (fabs(step - 1) < NGX_HTTP_CX_CF_EPS) {
            break;
        }
    }

    return f;
}


/*
 * Adjusted Wald: V' = p' + d' - (p' - d')^2 with n' = n + 3 and 3/4
 * added to promoters and to detractors; *adjusted = p' - d'.
 */

static double
ngx_http_cx_nps_var(uint64_t promoters, uint64_t detractors, uint64_t n,
    double *adjusted)
{
    double  nn, p, d;

    nn = (double) n + 3.0;
    p = ((double) promoters + 0.75) / nn;
    d = ((double) detractors + 0.75) / nn;

    if (adjusted) {
        *adjusted = p - d;
    }

    return p + d - (p - d) * (p - d);
}


/*
 * CES: the least n with t(0.975, n - 1) s / sqrt(n) <= E.  Below
 * (1.96 s / E)^2 none is enough (t > 1.96); doubling from there finds
 * one that is, bisection the least (the test only turns true as n grows).
 */

static double
ngx_http_cx_ces_needed(double sd, double margin)
{
    double  lo, hi, mid;

    if (!(sd > 0)) {
        return 2;
    }

    lo = ceil(NGX_HTTP_CX_Z95 * NGX_HTTP_CX_Z95 * sd * sd
              / (margin * margin)) - 1;

    if (lo < 1) {
        lo = 1;
    }

    hi = lo + 1;

    while (!ngx_http_cx_ces_enough(hi, sd, margin)) {
        if (hi > (double) NGX_HTTP_CX_COUNT_MAX) {
            return hi;
        }

        lo = hi;
        hi *= 2;
    }

    while (hi - lo > 1) {
        mid = floor((lo + hi) / 2);

        if (ngx_http_cx_ces_enough(mid, sd, margin)) {
            hi = mid;

        } else {
            lo = mid;
        }
    }

    return hi;
}


static ngx_uint_t
ngx_http_cx_ces_enough(double n, double sd, double margin)
{
    double  t;

    t = ngx_http_cx_t975((uint64_t) n - 1) * sd / margin;

    return t * t <= n;
}


/*
 * needed = ceil(need), at least "least", held at the count maximum;
 * more = needed - n; days = ceil(more / (n / days)), the answers of the
 * period at its own rate.
 */

static void
ngx_http_cx_sample(double need, double least, uint64_t n, ngx_uint_t days,
    ngx_http_cx_sample_t *out)
{
    double  d;

    /* a hair below a whole number is that number: rounding, not answers */

    need = ceil(need - 1e-9);

    if (!(need >= least)) {
        need = least;
    }

    if (need >= (double) NGX_HTTP_CX_COUNT_MAX) {
        out->needed = NGX_HTTP_CX_COUNT_MAX;

    } else {
        out->needed = (uint64_t) need;
    }

    out->has_needed = 1;
    out->more = (out->needed > n) ? out->needed - n : 0;

    if (days == 0 || n == 0) {
        return;
    }

    d = ceil((double) out->more * (double) days / (double) n - 1e-9);

    out->days = (d >= (double) NGX_HTTP_CX_COUNT_MAX) ? NGX_HTTP_CX_COUNT_MAX
                                                     : (uint64_t) d;
    out->has_days = 1;
}


static double
ngx_http_cx_clip(double v, double min, double max)
{
    return (v < min) ? min : (v > max) ? max : v;
}
