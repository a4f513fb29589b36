
/*
 * ngx_http_cx_survey.h: what a survey is -- its type and scale, the
 * follow-up threshold of a type, a survey found by its id, and the
 * "cx_survey" arguments.  The types themselves are in
 * ngx_http_cx_module.h: the configuration holds surveys.
 */


#ifndef _NGX_HTTP_CX_SURVEY_H_INCLUDED_
#define _NGX_HTTP_CX_SURVEY_H_INCLUDED_


#include "ngx_http_cx_module.h"


ngx_http_cx_survey_type_t *ngx_http_cx_survey_type(ngx_str_t *name);
ngx_http_cx_survey_type_t *ngx_http_cx_survey_types(void);
ngx_int_t ngx_http_cx_followup_threshold(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_survey_type_t *type);
char *ngx_http_cx_followup_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_http_cx_survey_t *ngx_http_cx_survey_find(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *id);
char *ngx_http_cx_survey_gap(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_cx_survey_parse(ngx_conf_t *cf, ngx_http_cx_survey_t *s);


#endif /* _NGX_HTTP_CX_SURVEY_H_INCLUDED_ */
