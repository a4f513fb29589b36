
/*
 * ngx_http_cx_events.c: the names of the module's own events.  The log
 * phase counts view and triggered, cx_collect takes shown, dismissed,
 * answered and commented from the widget; no one else may send any of them: any other
 * valid name is a custom event.  The score reports read them back by the
 * same names.
 */


#include "ngx_http_cx_events.h"


ngx_str_t  ngx_http_cx_event_names[ngx_http_cx_event_custom] = {
    ngx_string("view"),
    ngx_string("triggered"),
    ngx_string("shown"),
    ngx_string("dismissed"),
    ngx_string("answered"),
    ngx_string("commented")
};


ngx_http_cx_event_e
ngx_http_cx_event_find(ngx_str_t *name)
{
    ngx_str_t   *e;
    ngx_uint_t   i;

    for (i = 0; i < ngx_http_cx_event_custom; i++) {
        e = &ngx_http_cx_event_names[i];

        if (e->len == name->len
            && ngx_strncmp(e->data, name->data, name->len) == 0)
        {
            return i;
        }
    }

    return ngx_http_cx_event_custom;
}
