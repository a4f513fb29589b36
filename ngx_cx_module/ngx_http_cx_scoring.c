
/*
 * ngx_http_cx_scoring.c: NPS, CSAT and CES with 95% intervals, from a
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
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_scoring.h"

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


static double
ngx_http_cx_clip(double v, double min, double max)
{
    return (v < min) ? min : (v > max) ? max : v;
}
