
/*
 * fuzz/html/reference.c: the oracle.  This is ngx_cx_module/ngx_http_cx_html.c
 * as it was before the fast scanner (byte-wise, memchr() in the states that
 * wait for one byte), with its symbols renamed to ngx_http_cx_html_ref_*.
 *
 * Compiled once as is, and once with -DNGX_HTTP_CX_HTML_REF_FIXED=1, which
 * renames the symbols to ngx_http_cx_html_fix_* and fixes the two places
 * where the original departs from the WHATWG tokenizer:
 *
 *   1. "=" in the before-attribute-name state starts an attribute NAME; it
 *      opens no value.  The original kept one state for "before/in/after
 *      attribute name", so in <a ="x>y"> (also after a quoted value, an
 *      unquoted value and whitespace, or "/") it took the quote for a
 *      value: it ended the tag at the second ">" instead of the first.
 *
 *   2. the count of "-" in escaped script data was an u_char that wrapped
 *      after 255 dashes, so "<!--" + 254 "-" + ">" did not leave the
 *      escape.
 *
 * The difftest checks the new tokenizer against the fixed oracle, and
 * counts (and shows) the documents where the original differs.
 */


#include <ngx_config.h>
#include <ngx_core.h>


#if (NGX_HTTP_CX_HTML_REF_FIXED)
#define ngx_http_cx_html_ref_parse   ngx_http_cx_html_fix_parse
#define ngx_http_cx_html_ref_marker  ngx_http_cx_html_fix_marker
#endif

#include "reference.h"


enum {
    sw_data = 0,
    sw_tag_open,
    sw_end_tag_open,
    sw_tag_name,
    sw_attrs,
    sw_attr_value,
#if (NGX_HTTP_CX_HTML_REF_FIXED)
    sw_attr_name,
#endif
    sw_attr_dq,
    sw_attr_sq,
    sw_attr_unquoted,
    sw_markup,
    sw_markup_dash,
    sw_cdata_open,
    sw_cdata,
    sw_cdata_bracket,
    sw_cdata_end,
    sw_comment_start,
    sw_comment_start_dash,
    sw_comment,
    sw_comment_end_dash,
    sw_comment_end,
    sw_comment_end_bang,
    sw_bogus,
    sw_raw,
    sw_raw_lt,
    sw_raw_end_open,
    sw_raw_end_name,
    sw_raw_start_name,
    sw_script_bang,
    sw_script_bang_dash
};


/* elements whose content is text up to their own end tag */

enum {
    raw_none = 0,
    raw_script,
    raw_style,
    raw_textarea,
    raw_title,
    raw_xmp,
    raw_iframe,
    raw_noembed,
    raw_noframes,
    raw_noscript,
    raw_plaintext
};


static ngx_str_t  ngx_http_cx_html_ref_raw[] = {
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


#define ngx_http_cx_html_space(c)                                            \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r' || (c) == '\f')

#define ngx_http_cx_html_find(p, last, c)                                    \
    ((u_char *) memchr(p, c, last - p))

#define ngx_http_cx_html_alpha(c)                                            \
    ((u_char) (((c) | 0x20) - 'a') < 26)


static ngx_inline void
ngx_http_cx_html_ref_name_add(ngx_http_cx_html_ref_t *h, u_char c)
{
    if (h->nlen < NGX_HTTP_CX_HTML_REF_NAME_LEN) {
        h->name[h->nlen] = ngx_tolower(c);
    }

    if (h->nlen <= NGX_HTTP_CX_HTML_REF_NAME_LEN) {
        h->nlen++;
    }
}


static ngx_inline ngx_uint_t
ngx_http_cx_html_ref_name_is(ngx_http_cx_html_ref_t *h, ngx_str_t *name)
{
    return h->nlen == name->len
           && ngx_strncmp(h->name, name->data, name->len) == 0;
}


static ngx_uint_t
ngx_http_cx_html_ref_raw_element(ngx_http_cx_html_ref_t *h)
{
    ngx_uint_t  i;

    if (h->nlen < 3 || h->nlen > NGX_HTTP_CX_HTML_REF_NAME_LEN) {
        return raw_none;
    }

    for (i = raw_script; i <= raw_plaintext; i++) {
        if (ngx_http_cx_html_ref_name_is(h, &ngx_http_cx_html_ref_raw[i])) {
            return i;
        }
    }

    return raw_none;
}


size_t
ngx_http_cx_html_ref_marker(ngx_http_cx_html_ref_t *h)
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
ngx_http_cx_html_ref_parse(ngx_http_cx_html_ref_t *h, u_char **pos,
    u_char *last)
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

            if (!ngx_http_cx_html_space(c) && c != '/' && c != '>') {
                ngx_http_cx_html_ref_name_add(h, c);
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
                h->raw = ngx_http_cx_html_ref_raw_element(h);
            }

            h->state = sw_attrs;
            break;

#if (NGX_HTTP_CX_HTML_REF_FIXED)

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

#else

        case sw_attrs:
            c = *p++;

            if (c == '=') {
                h->state = sw_attr_value;

            } else if (c == '>') {
                goto tag_end;
            }

            break;

#endif

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
#if (NGX_HTTP_CX_HTML_REF_FIXED)
                if (h->dashes < 2) {
                    h->dashes++;
                }
#else
                h->dashes++;
#endif
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
                ngx_http_cx_html_ref_name_add(h, c);
                p++;
                break;
            }

            raw = h->raw;

            if ((!ngx_http_cx_html_space(c) && c != '/' && c != '>')
                || !ngx_http_cx_html_ref_name_is(h,
                                               &ngx_http_cx_html_ref_raw[raw]))
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
    }

    *pos = p;

    return NGX_AGAIN;
}
