
/*
 * ngx_http_cx_scoring.h: the statistics of /cx/score -- NPS, CSAT and
 * CES with their 95% intervals, computed from a score histogram.  Pure
 * functions: no pools, no requests, no Redis (t/043-score-math.t links
 * them alone).  README.md "Scores" documents every formula.
 */


#ifndef _NGX_HTTP_CX_SCORING_H_INCLUDED_
#define _NGX_HTTP_CX_SCORING_H_INCLUDED_


#include "ngx_http_cx_module.h"


#define NGX_HTTP_CX_SCALE_MAX      11      /* scores on the widest scale */

#define NGX_HTTP_CX_NPS_PROMOTER   9       /* 9-10 */
#define NGX_HTTP_CX_NPS_DETRACTOR  6       /* 0-6 */
#define NGX_HTTP_CX_CSAT_SATISFIED 4       /* 4-5: top-2-box */

#define NGX_HTTP_CX_Z95            1.96

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


#endif /* _NGX_HTTP_CX_SCORING_H_INCLUDED_ */
