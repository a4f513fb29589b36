
/*
 * ngx_http_cx_html.c: the streaming HTML tokenizer behind injection: its
 * entry points, parse() and marker(), and the byte-wise state machine.
 *
 * It follows the WHATWG tokenizer only as far as finding "</body" needs:
 * tags and their attribute values, comments, CDATA sections, bogus
 * comments (<!DOCTYPE>, <?xml?>), raw text and RCDATA elements, and the
 * script data escape states.  All state lives in ngx_http_cx_html_t, so a
 * document may be split anywhere.
 *
 * Two scanners share that state.  The fast one (ngx_http_cx_html_scan.c)
 * covers what pages are made of -- text, tags, attribute values, the text
 * of raw elements -- without looking at most bytes.  Anything rare
 * (comments, <!DOCTYPE>, CDATA, escaped script data, a tag cut by the end
 * of the range) it hands to the byte-wise state machine here, which hands
 * back as soon as it is in text again.
 */


#include "ngx_http_cx_html_int.h"


static ngx_int_t ngx_http_cx_html_slow(ngx_http_cx_html_t *h, u_char **pos,
    u_char *last, ngx_uint_t fast);


ngx_str_t  ngx_http_cx_html_raw[] = {
    ngx_null_string,
    ngx_string("script"),
    ngx_string("style"),
    ngx_string("textarea"),
    ngx_string("title"),
    ngx_string("xmp"),
    ngx_string("iframe"),
    ngx_string("noembed"),
    ngx_string("noframes"),
    ngx_string("noscript"),
    ngx_string("plaintext")
};


#define ngx_http_cx_html_find(p, last, c)                                    \
    ((u_char *) memchr(p, c, last - p))

/* the raw element stays in the fast scanner */
#define ngx_http_cx_html_fast_raw(h)                                         \
    ((h)->esc == 0 && (h)->raw != raw_plaintext)

#define ngx_http_cx_html_fast_state(h)                                       \
    ((h)->state == sw_data                                                   \
     || ((h)->state == sw_raw && ngx_http_cx_html_fast_raw(h))                \
     || (h)->state == sw_attrs || (h)->state == sw_attr_name                  \
     || (h)->state == sw_attr_dq || (h)->state == sw_attr_sq)


static ngx_inline void
ngx_http_cx_html_name_add(ngx_http_cx_html_t *h, u_char c)
{
    if (h->nlen < NGX_HTTP_CX_HTML_NAME_LEN) {
        h->name[h->nlen] = ngx_tolower(c);
    }

    if (h->nlen <= NGX_HTTP_CX_HTML_NAME_LEN) {
        h->nlen++;
    }
}


static ngx_inline ngx_uint_t
ngx_http_cx_html_name_is(ngx_http_cx_html_t *h, ngx_str_t *name)
{
    return h->nlen == name->len
           && ngx_strncmp(h->name, name->data, name->len) == 0;
}


static ngx_uint_t
ngx_http_cx_html_raw_element(ngx_http_cx_html_t *h)
{
    ngx_uint_t  i;

    if (h->nlen < 3 || h->nlen > NGX_HTTP_CX_HTML_NAME_LEN) {
        return raw_none;
    }

    for (i = raw_script; i <= raw_plaintext; i++) {
        if (ngx_http_cx_html_name_is(h, &ngx_http_cx_html_raw[i])) {
            return i;
        }
    }

    return raw_none;
}


size_t
ngx_http_cx_html_marker(ngx_http_cx_html_t *h)
{
    switch (h->state) {

    case sw_tag_open:
        return 1;

    case sw_end_tag_open:
        return 2;

    case sw_tag_name:
        if (h->end && h->nlen <= 4
            && ngx_strncmp(h->name, "body", h->nlen) == 0)
        {
            return 2 + h->nlen;
        }

        return 0;

    default:
        return 0;
    }
}


ngx_int_t
ngx_http_cx_html_parse(ngx_http_cx_html_t *h, u_char **pos, u_char *last)
{
    u_char                   *p;
    ngx_int_t                 rc;
    ngx_http_cx_html_scan_t   s;

    if (!ngx_http_cx_html_ready) {
        ngx_http_cx_html_init();
    }

    p = *pos;

    if (ngx_http_cx_html_classify == NULL) {
        rc = ngx_http_cx_html_slow(h, &p, last, 0);
        *pos = p;
        return rc;
    }

    s.base = p;
    s.end = p;
    s.last = last;
    s.n = 0;

    rc = ngx_http_cx_html_fast_state(h) ? NGX_DECLINED
                                  : ngx_http_cx_html_slow(h, &p, last, 1);

    while (rc == NGX_DECLINED) {
        rc = ngx_http_cx_html_fast(h, &s, &p);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_cx_html_slow(h, &p, last, 1);
        }
    }

    *pos = p;

    return rc;
}


/*
 * The byte-wise state machine: every state, one byte at a time, jumping
 * with memchr() in the states that wait for one byte.  NGX_DECLINED (if
 * fast): back in a state the fast scanner covers, at *pos.
 */

static ngx_int_t
ngx_http_cx_html_slow(ngx_http_cx_html_t *h, u_char **pos, u_char *last,
    ngx_uint_t fast)
{
    u_char      *p, c;
    ngx_uint_t   raw;

    p = *pos;

    while (p < last) {

        switch (h->state) {

        case sw_data:
            p = ngx_http_cx_html_find(p, last, '<');
            if (p == NULL) {
                p = last;
                break;
            }

            h->state = sw_tag_open;
            p++;
            break;

        case sw_tag_open:
            c = *p;

            if (ngx_http_cx_html_alpha(c)) {
                h->state = sw_tag_name;
                h->end = 0;
                h->nlen = 0;
                break;
            }

            switch (c) {
            case '/':
                h->state = sw_end_tag_open;
                p++;
                break;
            case '!':
                h->state = sw_markup;
                p++;
                break;
            case '?':
                h->state = sw_bogus;
                p++;
                break;
            case '<':
                p++;
                break;
            default:
                h->state = sw_data;
                p++;
            }

            break;

        case sw_end_tag_open:
            c = *p;

            if (ngx_http_cx_html_alpha(c)) {
                h->state = sw_tag_name;
                h->end = 1;
                h->nlen = 0;
                break;
            }

            h->state = (c == '>') ? sw_data : sw_bogus;
            p++;
            break;

        case sw_tag_name:
            c = *p;

            if (!ngx_http_cx_html_delim(c)) {
                ngx_http_cx_html_name_add(h, c);
                p++;
                break;
            }

            if (h->end) {
                if (h->nlen == 4 && ngx_strncmp(h->name, "body", 4) == 0) {
                    h->state = sw_attrs;
                    *pos = p;
                    return NGX_OK;
                }

                h->raw = raw_none;

            } else {
                h->raw = ngx_http_cx_html_raw_element(h);
            }

            h->state = sw_attrs;
            break;

        case sw_attrs:
            c = *p++;

            if (c == '>') {
                goto tag_end;
            }

            if (!ngx_http_cx_html_space(c) && c != '/') {
                /* "=" too: here it starts a name */
                h->state = sw_attr_name;
            }

            break;

        case sw_attr_name:
            c = *p++;

            if (c == '=') {
                h->state = sw_attr_value;

            } else if (c == '>') {
                goto tag_end;

            } else if (c == '/') {
                h->state = sw_attrs;
            }

            break;

        case sw_attr_value:
            c = *p++;

            switch (c) {
            case '"':
                h->state = sw_attr_dq;
                break;
            case '\'':
                h->state = sw_attr_sq;
                break;
            case '>':
                goto tag_end;
            default:
                if (!ngx_http_cx_html_space(c)) {
                    h->state = sw_attr_unquoted;
                }
            }

            break;

        case sw_attr_unquoted:
            c = *p++;

            if (c == '>') {
                goto tag_end;
            }

            if (ngx_http_cx_html_space(c)) {
                h->state = sw_attrs;
            }

            break;

        case sw_attr_dq:
        case sw_attr_sq:
            c = (h->state == sw_attr_dq) ? '"' : '\'';

            p = ngx_http_cx_html_find(p, last, c);
            if (p == NULL) {
                p = last;
                break;
            }

            h->state = sw_attrs;
            p++;
            break;

        case sw_markup:
            c = *p++;
            h->state = (c == '-') ? sw_markup_dash
                     : (c == '[') ? sw_cdata_open : sw_bogus;
            h->nlen = 0;

            if (c == '>') {
                h->state = sw_data;
            }

            break;

        case sw_markup_dash:
            c = *p++;
            h->state = (c == '-') ? sw_comment_start
                     : (c == '>') ? sw_data : sw_bogus;
            break;

        case sw_cdata_open:
            c = *p;

            if (c != "CDATA["[h->nlen]) {
                h->state = sw_bogus;
                break;
            }

            p++;

            if (++h->nlen == 6) {
                h->state = sw_cdata;
            }

            break;

        case sw_cdata:
            p = ngx_http_cx_html_find(p, last, ']');
            if (p == NULL) {
                p = last;
                break;
            }

            h->state = sw_cdata_bracket;
            p++;
            break;

        case sw_cdata_bracket:
            h->state = (*p == ']') ? sw_cdata_end : sw_cdata;
            p += (*p == ']');
            break;

        case sw_cdata_end:
            c = *p;

            if (c == ']') {
                p++;
                break;
            }

            h->state = (c == '>') ? sw_data : sw_cdata;
            p += (c == '>');
            break;

        case sw_comment_start:
            c = *p++;
            h->state = (c == '-') ? sw_comment_start_dash
                     : (c == '>') ? sw_data : sw_comment;
            break;

        case sw_comment_start_dash:
            c = *p++;
            h->state = (c == '-') ? sw_comment_end
                     : (c == '>') ? sw_data : sw_comment;
            break;

        case sw_comment:
            p = ngx_http_cx_html_find(p, last, '-');
            if (p == NULL) {
                p = last;
                break;
            }

            h->state = sw_comment_end_dash;
            p++;
            break;

        case sw_comment_end_dash:
            c = *p++;
            h->state = (c == '-') ? sw_comment_end : sw_comment;
            break;

        case sw_comment_end:
            c = *p++;
            h->state = (c == '>') ? sw_data
                     : (c == '!') ? sw_comment_end_bang
                     : (c == '-') ? sw_comment_end : sw_comment;
            break;

        case sw_comment_end_bang:
            c = *p++;
            h->state = (c == '>') ? sw_data
                     : (c == '-') ? sw_comment_end_dash : sw_comment;
            break;

        case sw_bogus:
            p = ngx_http_cx_html_find(p, last, '>');
            if (p == NULL) {
                p = last;
                break;
            }

            h->state = sw_data;
            p++;
            break;

        case sw_raw:
            if (h->raw == raw_plaintext) {
                p = last;
                break;
            }

            if (h->esc == 0) {
                p = ngx_http_cx_html_find(p, last, '<');
                if (p == NULL) {
                    p = last;
                    break;
                }

                h->state = sw_raw_lt;
                p++;
                break;
            }

            /* escaped script data: "-->" leaves it */

            c = *p++;

            if (c == '-') {
                /* only "two or more" matters: do not let it wrap */
                if (h->dashes < 2) {
                    h->dashes++;
                }

                break;
            }

            if (c == '>' && h->dashes >= 2) {
                h->esc = 0;
            }

            h->dashes = 0;

            if (c == '<') {
                h->state = sw_raw_lt;
            }

            break;

        case sw_raw_lt:
            c = *p;

            if (c == '/') {
                h->state = sw_raw_end_open;
                p++;
                break;
            }

            if (h->raw == raw_script) {

                if (c == '!' && h->esc == 0) {
                    h->state = sw_script_bang;
                    p++;
                    break;
                }

                if (h->esc == 1 && ngx_http_cx_html_alpha(c)) {
                    h->state = sw_raw_start_name;
                    h->nlen = 0;
                    break;
                }
            }

            h->state = sw_raw;
            break;

        case sw_script_bang:
            h->state = (*p == '-') ? sw_script_bang_dash : sw_raw;
            p += (*p == '-');
            break;

        case sw_script_bang_dash:
            h->state = sw_raw;

            if (*p == '-') {
                h->esc = 1;
                h->dashes = 2;
                p++;
            }

            break;

        case sw_raw_end_open:
            if (ngx_http_cx_html_alpha(*p)) {
                h->state = sw_raw_end_name;
                h->nlen = 0;

            } else {
                h->state = sw_raw;
            }

            break;

        case sw_raw_end_name:
        case sw_raw_start_name:
            c = *p;

            if (ngx_http_cx_html_alpha(c)) {
                ngx_http_cx_html_name_add(h, c);
                p++;
                break;
            }

            raw = h->raw;

            if (!ngx_http_cx_html_delim(c)
                || !ngx_http_cx_html_name_is(h, &ngx_http_cx_html_raw[raw]))
            {
                h->state = sw_raw;
                h->dashes = 0;
                break;
            }

            if (h->state == sw_raw_start_name) {
                /* "<script" inside "<!--" of a script: double escaped */
                h->esc = 2;
                h->state = sw_raw;
                h->dashes = 0;
                break;
            }

            if (h->esc == 2) {
                h->esc = 1;
                h->state = sw_raw;
                h->dashes = 0;
                break;
            }

            /* the raw element's end tag */

            h->raw = raw_none;
            h->esc = 0;
            h->end = 1;
            h->state = sw_attrs;
            break;

        default:
            /* unreachable */
            h->state = sw_data;
            break;
        }

        if (fast && ngx_http_cx_html_fast_state(h)) {
            *pos = p;
            return NGX_DECLINED;
        }

        continue;

    tag_end:

        if (h->raw != raw_none && !h->end) {
            h->state = sw_raw;
            h->esc = 0;
            h->dashes = 0;

        } else {
            h->raw = raw_none;
            h->state = sw_data;
        }

        if (fast && ngx_http_cx_html_fast_state(h)) {
            *pos = p;
            return NGX_DECLINED;
        }
    }

    *pos = p;

    return NGX_AGAIN;
}
