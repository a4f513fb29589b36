
/*
 * ngx_http_cx_score_math.h: the statistics of /cx/score -- NPS, CSAT and
 * CES with their 95% intervals, computed from a score histogram; the
 * comparison of two sets of answers (two periods, a touchpoint and the
 * rest); the answers needed for a margin or to detect a change.  Pure
 * functions: no pools, no requests, no Redis (t/043-score-math.t and
 * t/043-score-compare-math.t link them alone).  README.md "Scores"
 * documents every formula.
 */


#ifndef _NGX_HTTP_CX_SCORE_MATH_H_INCLUDED_
#define _NGX_HTTP_CX_SCORE_MATH_H_INCLUDED_


#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_SCALE_MAX      11      /* scores on the widest scale */

#define NGX_HTTP_CX_NPS_PROMOTER   9       /* 9-10 */
#define NGX_HTTP_CX_NPS_DETRACTOR  6       /* 0-6 */
#define NGX_HTTP_CX_CSAT_SATISFIED 4       /* 4-5: top-2-box */

#define NGX_HTTP_CX_Z95            1.96
#define NGX_HTTP_CX_Z80POWER       0.84    /* one-sided, 80% power */

/*
 * Counts and their sums are held at 2^53 - 1, the largest integer that
 * every JSON reader (JavaScript's numbers, doubles) holds exactly: they
 * saturate there, never wrap (README.md "Counts the module did not
 * write").
 */
#define NGX_HTTP_CX_COUNT_MAX      9007199254740991ULL


typedef enum {
    ngx_http_cx_scoring_nps = 0,
    ngx_http_cx_scoring_csat,
    ngx_http_cx_scoring_ces
} ngx_http_cx_scoring_e;


typedef struct {
    uint64_t                     n;
    uint64_t                     top;       /* promoters; CSAT: satisfied */
    uint64_t                     middle;    /* passives */
    uint64_t                     bottom;    /* detractors */
    uint64_t                     low;       /* <= the follow-up threshold */

    double                       score;     /* NPS, CSAT %, CES mean */
    double                       sd;        /* CES: sample std deviation */
    double                       lo;        /* the 95% interval */
    double                       hi;

    unsigned                     has_score:1;
    unsigned                     has_sd:1;
    unsigned                     has_ci:1;
} ngx_http_cx_score_t;


/*
 * Two sets of answers compared, "a" minus "b" (this period minus the
 * compared one; a touchpoint minus the rest): the difference of the
 * plain scores, the 95% interval of the difference, the two-sided
 * p-value of its test and whether p < 0.05.  Undefined values are not
 * set (has_*): no answers on either side; for CES fewer than 2 answers
 * on a side, or no spread on either side.
 */

typedef struct {
    double                       diff;
    double                       lo;        /* the 95% interval of diff */
    double                       hi;
    double                       p;         /* two-sided */
    double                       stat;      /* z, or Welch's t */
    double                       df;        /* Welch's t only */

    unsigned                     has_diff:1;
    unsigned                     has_test:1; /* lo, hi, p, stat */
    unsigned                     significant:1;
} ngx_http_cx_compare_t;


/*
 * Answers needed: for a 95% interval of half-width "target" (margin),
 * or per period to detect a change of "target" with 80% power (detect);
 * how many more than "n", and in how many days at the rate of "n" in
 * "days".  Undefined without a spread to go by (has_needed).
 */

typedef struct {
    double                       target;
    uint64_t                     needed;
    uint64_t                     more;
    uint64_t                     days;

    unsigned                     has_needed:1;
    unsigned                     has_days:1;
} ngx_http_cx_sample_t;


/* a + b, held at NGX_HTTP_CX_COUNT_MAX; a must not be past it */

static ngx_inline uint64_t
ngx_http_cx_count_sum(uint64_t a, uint64_t b)
{
    return (b > NGX_HTTP_CX_COUNT_MAX - a) ? NGX_HTTP_CX_COUNT_MAX : a + b;
}


ngx_http_cx_scoring_e ngx_http_cx_scoring_kind(
    ngx_http_cx_survey_type_t *type);
void ngx_http_cx_scoring(ngx_http_cx_survey_type_t *type,
    ngx_int_t threshold, uint64_t *hist, ngx_http_cx_score_t *s);

void ngx_http_cx_nps(uint64_t promoters, uint64_t detractors, uint64_t n,
    ngx_http_cx_score_t *s);
void ngx_http_cx_csat(uint64_t satisfied, uint64_t n,
    ngx_http_cx_score_t *s);
void ngx_http_cx_ces(uint64_t *hist, ngx_int_t min, ngx_int_t max,
    ngx_http_cx_score_t *s);
double ngx_http_cx_t975(uint64_t df);

void ngx_http_cx_compare(ngx_http_cx_scoring_e kind, ngx_http_cx_score_t *a,
    ngx_http_cx_score_t *b, ngx_http_cx_compare_t *c);
void ngx_http_cx_compare_nps(uint64_t p1, uint64_t d1, uint64_t n1,
    uint64_t p2, uint64_t d2, uint64_t n2, ngx_http_cx_compare_t *c);
void ngx_http_cx_compare_csat(uint64_t k1, uint64_t n1, uint64_t k2,
    uint64_t n2, ngx_http_cx_compare_t *c);
void ngx_http_cx_welch(double n1, double mean1, double sd1, double n2,
    double mean2, double sd2, ngx_http_cx_compare_t *c);

void ngx_http_cx_precision(ngx_http_cx_scoring_e kind,
    ngx_http_cx_score_t *s, double margin, ngx_uint_t days,
    ngx_http_cx_sample_t *out);
void ngx_http_cx_detectable(ngx_http_cx_scoring_e kind,
    ngx_http_cx_score_t *s, ngx_http_cx_score_t *other, double change,
    ngx_uint_t days, ngx_http_cx_sample_t *out);
void ngx_http_cx_rest(ngx_http_cx_survey_type_t *type, ngx_int_t threshold,
    uint64_t *all, uint64_t *part, ngx_http_cx_score_t *s);
void ngx_http_cx_low_rate(uint64_t low, uint64_t n, ngx_http_cx_score_t *s);

double ngx_http_cx_normal_p(double z);
double ngx_http_cx_student_p(double t, double df);
double ngx_http_cx_student_q975(double df);
double ngx_http_cx_beta_reg(double a, double b, double x);


#endif /* _NGX_HTTP_CX_SCORE_MATH_H_INCLUDED_ */
