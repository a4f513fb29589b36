
/*
 * ngx_http_cx_events.h: the vocabulary of events, defined once.  The
 * module's own events, in the order of a survey's journey, and any other
 * valid name: a custom event (the widget's, or a backend's X-CX-Event).
 */


#ifndef _NGX_HTTP_CX_EVENTS_H_INCLUDED_
#define _NGX_HTTP_CX_EVENTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef enum {
    ngx_http_cx_event_view = 0,     /* a page view of a touchpoint */
    ngx_http_cx_event_triggered,    /* a survey tag in the page */
    ngx_http_cx_event_shown,        /* the widget's: cx_collect */
    ngx_http_cx_event_dismissed,
    ngx_http_cx_event_answered,
    ngx_http_cx_event_commented,    /* an answer's comment, after it */
    ngx_http_cx_event_custom        /* any other name */
} ngx_http_cx_event_e;


extern ngx_str_t  ngx_http_cx_event_names[ngx_http_cx_event_custom];


ngx_http_cx_event_e ngx_http_cx_event_find(ngx_str_t *name);


#endif /* _NGX_HTTP_CX_EVENTS_H_INCLUDED_ */
