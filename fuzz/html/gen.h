
/*
 * fuzz/html/gen.h: random HTML-ish documents for the difftest and the
 * benchmark, and the one way every harness feeds a tokenizer: pieces in
 * their own heap buffers (so ASan sees a read past a piece), parse() per
 * piece as ngx_http_cx_scan() does, marker() after every NGX_AGAIN.
 */


#ifndef _CX_FUZZ_GEN_H_INCLUDED_
#define _CX_FUZZ_GEN_H_INCLUDED_


#include <stdint.h>
#include <stdlib.h>
#include <string.h>


typedef struct {
    uint64_t   s;
} cx_rng_t;


static inline uint64_t
cx_rng(cx_rng_t *r)
{
    uint64_t  x;

    x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;

    return x * 0x2545F4914F6CDD1DULL;
}


static inline size_t
cx_rnd(cx_rng_t *r, size_t n)
{
    return n ? (size_t) (cx_rng(r) % n) : 0;
}


typedef struct {
    char      *data;
    size_t     len;
    size_t     cap;
} cx_doc_t;


static inline void
cx_put(cx_doc_t *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        d->cap = (d->len + n + 1) * 2;
        d->data = realloc(d->data, d->cap);
        if (d->data == NULL) {
            abort();
        }
    }

    memcpy(d->data + d->len, s, n);
    d->len += n;
    d->data[d->len] = '\0';
}


static inline void
cx_puts(cx_doc_t *d, const char *s)
{
    cx_put(d, s, strlen(s));
}


#define cx_pick(r, a)  (a)[cx_rnd(r, sizeof(a) / sizeof((a)[0]))]


static const char *cx_ws[] = { " ", " ", " ", "\n", "\t", "\r", "\f", "\v",
    "  ", "\r\n" };

static const char *cx_names[] = {
    "a", "p", "div", "span", "img", "b", "br", "li", "td", "strong", "h1",
    "body", "BODY", "Body", "bOdY", "bod", "bodyx", "bodY1", "body\v",
    "script", "SCRIPT", "Script", "scripts", "scrip", "style", "STYLE",
    "textarea", "title", "TITLE", "xmp", "iframe", "noembed", "noframes",
    "noscript", "plaintext", "textareax", "titles", "xm", "template",
    "figcaption", "a=b", "a\"b", "a'b", "a<b", "sty", "tex", "tit", "ifr",
    "noe", "nof", "nos", "pla", "scr", "s", "t", "x", "i", "n", "svg",
    "math", "x\0y"
};

static const char *cx_text[] = {
    "abc", "hello world", "1 < 2", "a <= b", "<<<", "<", ">", "=", "\"",
    "'", "-", "--", "->", "-->", "!", "]]>", "]]", "]", "&amp;", "&lt;",
    "/", "x=\"", "it's", "</", "<!", "<?", "</ 3>", "</>", "<3", "< p>",
    "</body", "</BODY>", "</body >", "</bodyx>", "</bod", "<body>", "\0",
    "\xc3\xa9", "\xff", "--!>", "<!-->", "<!--->", "<!---->", "=\"",
    "='", "</body\t>", "</body/>", "</body\n", "</body\f", "</body\r",
    "</body\v>", "</b>", "</p>"
};

static const char *cx_markup[] = {
    "<!--", "<!-- x -->", "<!-- </body> -->", "<!---->", "<!-->",
    "<!--->", "<!-", "<!---", "<!--!>", "<!-- a -- b --- c --!> ",
    "<!-- <!-- -->", "<!-- --!", "-->", "--!>", "--", "<!DOCTYPE html>",
    "<!doctype html public \"a>b\">", "<?xml version=\"1.0\"?>", "<? x >",
    "<![CDATA[", "<![CDATA[ </body> ]]>", "<![CDATA[ ]] ]]]>", "]]>",
    "<![cdata[ x ]]>", "<![CDAT", "<!x>", "<!>", "</ x>", "</3", "</>",
    "</\n>", "<!- ->", "<!--<script>-->", "<!-- </script> -->"
};

static const char *cx_script[] = {
    "<!--", "-->", "--", "-", "<", "</", "<script>", "<script ", "<SCRIPT>",
    "</script>", "</script ", "</SCRIPT >", "</script/", "</scripts>",
    "</scrip>", "<!-", "<!---->", "<!-->", "<scriptx>", "</body>",
    "if (a<b) x = '</body>';", "a--> b", "x", " ", "\n", "<!--<script>",
    "<script>x</script>", "--!>", "->", "<!", "</style>", "</title>",
    "<s", "</ script>", "<\n"
};


static const char *cx_raw_open[] = { "<script>",
    "<style>", "<title>", "<textarea>", "<SCRIPT type=x>", "<script><!--",
    "<xmp>", "<noscript>", "<iframe>", "<noembed>", "<noframes>" };

static const char *cx_body_end[] = { "</body>", "</BODY >", "</body",
    "</bodyx>", "</ body>", "<body>" };

static const char *cx_dash_end[] = { ">", "-->", "><script></script></body>" };

static const char *cx_fill[] = { "lorem ipsum ", "x", "a<b ", "\" '", "- ",
    "]]", "<p>text</p>", "<a href=\"/x\">y</a> ", "<td>1</td>",
    "<!-- c -->", "</bo ", "<img alt='a>b' src=x>" };


static inline void
cx_gen_value(cx_rng_t *r, cx_doc_t *d, char q)
{
    static const char  *parts[] = { "x", "a b", ">", "<", "</body>", "=",
        "\"", "'", "</script>", "-->", "<!--", " ", "\n", "&amp;", "/",
        "<body>", "]]>" };
    size_t              i, n;
    const char         *s;

    n = cx_rnd(r, 6);

    for (i = 0; i < n; i++) {
        s = cx_pick(r, parts);

        if (q && s[0] == q && s[1] == '\0') {
            continue;
        }

        cx_puts(d, s);
    }
}


static inline void
cx_gen_long(cx_rng_t *r, cx_doc_t *d, const char *fill, size_t max)
{
    size_t  n, i, fl;

    n = cx_rnd(r, max);
    fl = strlen(fill);

    for (i = 0; i < n; i += fl) {
        cx_put(d, fill, fl);
    }
}


static inline void
cx_gen_attrs(cx_rng_t *r, cx_doc_t *d)
{
    static const char  *an[] = { "href", "class", "a", "data-x", "src",
        "x:y", "on", "=", "==", "\"", "'", "<", "a\"", "b'c", "/", "//" };
    static const char  *uq[] = { "x", "1", "a/b", "a=b", "x\"y", "y'",
        "<", "</body", "a\"b\"c", "=", "\"", "'", "``" };
    size_t              i, n;
    char                q;

    n = cx_rnd(r, 5);

    for (i = 0; i < n; i++) {

        switch (cx_rnd(r, 14)) {

        case 0: case 1: case 2:
            /* the common shape: ws name="value" */
            cx_puts(d, cx_pick(r, cx_ws));
            cx_puts(d, cx_pick(r, an));
            cx_puts(d, "=");
            q = cx_rnd(r, 3) ? '"' : '\'';
            cx_put(d, &q, 1);

            if (cx_rnd(r, 20) == 0) {
                cx_gen_long(r, d, "v>v'<", 400);
            }

            cx_gen_value(r, d, q);
            cx_put(d, &q, 1);
            break;

        case 3:
            cx_puts(d, cx_pick(r, cx_ws));
            cx_puts(d, cx_pick(r, an));
            break;

        case 4:
            cx_puts(d, cx_pick(r, cx_ws));
            cx_puts(d, cx_pick(r, an));
            cx_puts(d, "=");
            cx_puts(d, cx_pick(r, uq));
            break;

        case 5:
            cx_puts(d, cx_pick(r, cx_ws));
            break;

        case 6:
            cx_puts(d, "=");
            break;

        case 7:
            q = cx_rnd(r, 2) ? '"' : '\'';
            cx_put(d, &q, 1);
            break;

        case 8:
            cx_puts(d, "/");
            break;

        case 9:
            /* whitespace around "=" */
            cx_puts(d, cx_pick(r, an));
            cx_puts(d, cx_pick(r, cx_ws));
            cx_puts(d, "=");
            cx_puts(d, cx_pick(r, cx_ws));
            q = cx_rnd(r, 2) ? '"' : '\'';
            cx_put(d, &q, 1);
            cx_gen_value(r, d, q);
            cx_put(d, &q, 1);
            break;

        case 10:
            /* a quoted value right after a quoted value */
            q = cx_rnd(r, 2) ? '"' : '\'';
            cx_puts(d, "=");
            cx_put(d, &q, 1);
            cx_gen_value(r, d, q);
            cx_put(d, &q, 1);
            break;

        case 11:
            cx_puts(d, cx_pick(r, cx_text));
            break;

        case 12:
            cx_gen_long(r, d, cx_rnd(r, 2) ? " a" : "a ", 200);
            break;

        default:
            cx_puts(d, cx_pick(r, an));
            cx_puts(d, "=");
            break;
        }
    }
}


static inline void
cx_gen_tag(cx_rng_t *r, cx_doc_t *d)
{
    const char  *name;

    cx_puts(d, cx_rnd(r, 3) ? "<" : "</");

    name = cx_pick(r, cx_names);

    if (strcmp(name, "x\0y") == 0 || cx_rnd(r, 40) == 0) {
        cx_put(d, "x\0y", 3);

    } else {
        cx_puts(d, name);
    }

    if (cx_rnd(r, 30) == 0) {
        return;                         /* no end */
    }

    cx_gen_attrs(r, d);

    if (cx_rnd(r, 6) == 0) {
        cx_puts(d, cx_rnd(r, 2) ? "/" : cx_pick(r, cx_ws));
    }

    cx_puts(d, ">");
}


/* one document; mode 0 small and dense, 1 long and page-like */

static inline void
cx_gen_doc(cx_rng_t *r, cx_doc_t *d, int mode)
{
    size_t  i, n;

    d->len = 0;
    cx_put(d, "", 0);

    n = mode ? 50 + cx_rnd(r, 600) : 1 + cx_rnd(r, 40);

    for (i = 0; i < n; i++) {

        switch (cx_rnd(r, mode ? 12 : 10)) {

        case 0: case 1: case 2:
            cx_gen_tag(r, d);
            break;

        case 3:
            cx_puts(d, cx_pick(r, cx_text));
            break;

        case 4:
            cx_puts(d, cx_pick(r, cx_markup));
            break;

        case 5:
            cx_puts(d, cx_pick(r, cx_script));
            break;

        case 6:
            /* a raw text element with something inside */
            cx_puts(d, cx_pick(r, cx_raw_open));
            break;

        case 7:
            cx_puts(d, cx_pick(r, cx_ws));
            break;

        case 8:
            cx_puts(d, cx_pick(r, cx_body_end));
            break;

        case 9:
            /* the rare runs: many dashes in escaped script data */
            if (cx_rnd(r, 50) == 0) {
                cx_puts(d, "<script><!--");
                cx_gen_long(r, d, "-", 600);
                cx_puts(d, cx_pick(r, cx_dash_end));

            } else {
                cx_puts(d, cx_pick(r, cx_text));
            }

            break;

        case 10:
            cx_gen_long(r, d, cx_pick(r, cx_fill), 3000);
            break;

        default:
            cx_gen_tag(r, d);
            break;
        }
    }
}


/*
 * Feeds doc[0..len) in pieces; cuts[] holds the piece ends (ascending,
 * the last == len).  Returns the offset just past "</body" or -1; the
 * markers after each NGX_AGAIN go to marks[] (one per piece) if given.
 */

#define CX_FEED(fn, parse, marker, type)                                     \
static inline long                                                           \
fn(const char *doc, size_t len, const size_t *cuts, size_t ncuts,            \
    size_t *marks)                                                           \
{                                                                            \
    type        h;                                                           \
    size_t      i, from, n;                                                  \
    u_char     *buf, *p;                                                     \
    ngx_int_t   rc;                                                          \
                                                                             \
    memset(&h, 0, sizeof(type));                                             \
    from = 0;                                                                \
                                                                             \
    for (i = 0; i < ncuts; i++) {                                            \
        n = cuts[i] - from;                                                  \
        buf = malloc(n ? n : 1);                                             \
        memcpy(buf, doc + from, n);                                          \
        p = buf;                                                             \
        rc = parse(&h, &p, buf + n);                                         \
                                                                             \
        if (rc == NGX_OK) {                                                  \
            if (p < buf || p >= buf + n) {                                   \
                fprintf(stderr, "NGX_OK outside the piece\n");               \
                abort();                                                     \
            }                                                                \
            n = from + (p - buf);                                            \
            free(buf);                                                       \
            return (long) n;                                                 \
        }                                                                    \
                                                                             \
        if (rc != NGX_AGAIN || p != buf + n) {                               \
            fprintf(stderr, "rc %d, %ld of %zu consumed\n", (int) rc,        \
                    (long) (p - buf), n);                                    \
            abort();                                                         \
        }                                                                    \
                                                                             \
        if (marks) {                                                         \
            marks[i] = marker(&h);                                           \
        }                                                                    \
                                                                             \
        free(buf);                                                           \
        from = cuts[i];                                                      \
    }                                                                        \
                                                                             \
    return -1;                                                               \
}


#endif /* _CX_FUZZ_GEN_H_INCLUDED_ */
