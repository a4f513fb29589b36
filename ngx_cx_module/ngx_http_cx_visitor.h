
/*
 * ngx_http_cx_visitor.h: the visitor's cx_v cookie, read strictly
 * (ngx_http_cx_visitor.c; README "The visitor cookie").
 */


#ifndef _NGX_HTTP_CX_VISITOR_H_INCLUDED_
#define _NGX_HTTP_CX_VISITOR_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_HTTP_CX_VISITOR_SURVEYS      6   /* the most recent ones */
#define NGX_HTTP_CX_VISITOR_TOUCHPOINTS  8
#define NGX_HTTP_CX_VISITOR_SOURCE_MAX   64  /* bytes of each source part */
#define NGX_HTTP_CX_VISITOR_ID_MIN       16
#define NGX_HTTP_CX_VISITOR_ID_MAX       64


/* one survey in the visitor's history: UTC day numbers, -1: never */

typedef struct {
    ngx_str_t                    id;
    ngx_int_t                    shown;
    ngx_int_t                    answered;
    ngx_int_t                    dismissed;
} ngx_http_cx_visitor_survey_t;


typedef struct {
    ngx_str_t                    name;
    ngx_uint_t                   views;
} ngx_http_cx_visitor_touchpoint_t;


/* the first-touch source of the current visit */

enum {
    ngx_http_cx_source_utm_source = 0,
    ngx_http_cx_source_utm_medium,
    ngx_http_cx_source_utm_campaign,
    ngx_http_cx_source_referrer,
    ngx_http_cx_source_n
};


typedef struct {
    ngx_str_t                    id;
    ngx_uint_t                   views;
    ngx_uint_t                   visits;
    ngx_int_t                    shown;     /* the latest of any survey */
    ngx_int_t                    answered;
    ngx_uint_t                   nsurveys;
    ngx_uint_t                   ntouchpoints;
    ngx_str_t                    surveys_text;  /* SURVEYS as it came */
    ngx_http_cx_visitor_survey_t surveys[NGX_HTTP_CX_VISITOR_SURVEYS];
    ngx_http_cx_visitor_touchpoint_t
                                 touchpoints[NGX_HTTP_CX_VISITOR_TOUCHPOINTS];
    ngx_str_t                    source[ngx_http_cx_source_n];
    unsigned                     new_visit:1;   /* no cx_s cookie */
} ngx_http_cx_visitor_t;


ngx_int_t ngx_http_cx_visitor_parse(ngx_str_t *value,
    ngx_http_cx_visitor_t *v);
ngx_int_t ngx_http_cx_visitor_days(ngx_uint_t y, ngx_uint_t m,
    ngx_uint_t d);
ngx_http_cx_visitor_survey_t *ngx_http_cx_visitor_survey(
    ngx_http_cx_visitor_t *v, ngx_str_t *id);
ngx_http_cx_visitor_t *ngx_http_cx_visitor_get(ngx_http_request_t *r,
    void **cache);
ngx_int_t ngx_http_cx_visitor_visit(ngx_http_request_t *r,
    ngx_http_cx_visitor_t *v, ngx_str_t *touchpoint);


#endif /* _NGX_HTTP_CX_VISITOR_H_INCLUDED_ */
