
/*
 * ngx_http_cx_html_scan.c: the tokenizer's fast scanner, its SIMD kernels
 * and the choice of kernel by what the CPU has.
 *
 * The scanner covers what pages are made of -- text, tags, attribute
 * values, the text of raw elements -- without looking at most bytes: a
 * kernel (SSE2, AVX2 or AVX-512, as the CPU allows) turns each 64-byte
 * block into bit masks of '<', '>', '=' and quotes, and the scanner jumps
 * from bit to bit.  Anything rare (comments, <!DOCTYPE>, CDATA, escaped
 * script data, a tag cut by the end of the range) it hands to the
 * byte-wise state machine (ngx_http_cx_html.c), which hands back as soon
 * as it is in text again.
 */


#include "ngx_http_cx_html_int.h"


/* -DNGX_HTTP_CX_HTML_NO_SIMD builds what other CPUs get */

#if (defined __x86_64__ && defined __GNUC__                                  \
     && !defined NGX_HTTP_CX_HTML_NO_SIMD)
#define NGX_HTTP_CX_HTML_X86  1
#include <immintrin.h>
#else
#define NGX_HTTP_CX_HTML_X86  0
#endif


/* the fast scanner classifies a '<' by up to 10 bytes after it */
#define NGX_HTTP_CX_HTML_AHEAD   11


#if (NGX_HTTP_CX_HTML_TEST)
static void ngx_http_cx_html_classify_generic(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b);
#endif
#if (NGX_HTTP_CX_HTML_X86)
static void ngx_http_cx_html_classify_sse2(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b);
static void ngx_http_cx_html_classify_avx2(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b);
static void ngx_http_cx_html_classify_avx512(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b);
#endif
static void ngx_http_cx_html_refill(ngx_http_cx_html_scan_t *s, u_char *p);
static ngx_inline ngx_http_cx_html_bits_t *ngx_http_cx_html_seek(
    ngx_http_cx_html_scan_t *s, u_char *p, u_char **cb);
static ngx_inline ngx_uint_t ngx_http_cx_html_advance(
    ngx_http_cx_html_scan_t *s, u_char **cb, ngx_http_cx_html_bits_t **cm,
    ngx_http_cx_html_bits_t **ce);
static ngx_inline void ngx_http_cx_html_reach(ngx_http_cx_html_scan_t *s,
    u_char *p, u_char **cb, ngx_http_cx_html_bits_t **cm,
    ngx_http_cx_html_bits_t **ce);
static ngx_uint_t ngx_http_cx_html_raw_start(u_char *name);


ngx_uint_t                           ngx_http_cx_html_ready;
static ngx_uint_t                    ngx_http_cx_html_isa;
ngx_http_cx_html_classify_pt         ngx_http_cx_html_classify;


/*
 * A perfect hash of the first three bytes of the raw elements' names and
 * of "/body" (found by trying multipliers): one multiply, one load and one
 * compare reject almost every other tag.
 */

#define ngx_http_cx_html_hash(k)  (((uint32_t) (k) * 0x6f03675b) >> 28)

static uint32_t  ngx_http_cx_html_prefix[16];
static u_char    ngx_http_cx_html_prefix_raw[16];

/*
 * What "<" and the byte after it open, by table lookups rather than
 * branches: open[c] & (1 | open_name[c2]) is 1 for a start tag (a letter),
 * 2 for an end tag ("/" and a letter), 0 for anything else.
 */

static u_char    ngx_http_cx_html_open[256];
static u_char    ngx_http_cx_html_open_name[256];


static ngx_inline ngx_uint_t
ngx_http_cx_html_ctz(uint64_t m)
{
#if (__GNUC__)
    return __builtin_ctzll(m);
#else
    ngx_uint_t  n;

    for (n = 0; !(m & 1); n++) {
        m >>= 1;
    }

    return n;
#endif
}


/* 8 bytes as a little-endian word */

static ngx_inline uint64_t
ngx_http_cx_html_word(u_char *p)
{
#if (NGX_HAVE_LITTLE_ENDIAN && NGX_HAVE_NONALIGNED)
    uint64_t  w;

    ngx_memcpy(&w, p, sizeof(uint64_t));

    return w;
#else
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
#endif
}


/*
 * The bytes of w before the first that may end a tag name (<= 0x20, '/',
 * '>'), exact per byte; 8 if none.  Bytes <= 0x20 include control bytes
 * that are name bytes: the caller checks the byte found.
 */

static ngx_inline ngx_uint_t
ngx_http_cx_html_name_len(uint64_t w)
{
    uint64_t  d, x, y, lo;

    lo = 0x7f7f7f7f7f7f7f7f;

    d = ~((w & lo) + 0x5f5f5f5f5f5f5f5f) & ~w;

    x = w ^ 0x2f2f2f2f2f2f2f2f;
    d |= ~(((x & lo) + lo) | x);

    y = w ^ 0x3e3e3e3e3e3e3e3e;
    d |= ~(((y & lo) + lo) | y);

    d &= 0x8080808080808080;

    return d ? ngx_http_cx_html_ctz(d) / 8 : 8;
}


/* case-insensitive, for the letters-only raw element names */

static ngx_inline ngx_uint_t
ngx_http_cx_html_bytes_are(u_char *p, ngx_str_t *name)
{
    size_t  i;

    for (i = 0; i < name->len; i++) {
        if ((p[i] | 0x20) != name->data[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * The fast scanner.  It covers sw_data, the text of a raw element (not
 * escaped script data, not plaintext), and a tag's attributes outside and
 * inside quoted values.  NGX_DECLINED: continue with the byte-wise one at
 * *pos, always a '<' in sw_data or sw_raw.
 *
 * A cursor walks the blocks: cb is the current block's first byte, cm its
 * masks; m holds the '<' and t the tag bytes still ahead in it.
 *
 * In a tag only "=" matters: a quote opens a value only after one
 * (whitespace between allowed), and elsewhere it is part of a name or an
 * unquoted value.  So a tag ends at its first '>' unless an "=" comes
 * first; each "=" is decided from the bytes just before it, back to the
 * anchor a: the point after the tag name, a value, or an "=" that started
 * a name (aname), whose state is known.
 */

ngx_int_t
ngx_http_cx_html_fast(ngx_http_cx_html_t *h, ngx_http_cx_html_scan_t *s,
    u_char **pos)
{
    u_char                   *p, *last, *cb, *lt, *a, *e, *k, *v, *name, c;
    uint32_t                  k3;
    uint64_t                  w, m, t;
    ngx_str_t                *rn;
    ngx_uint_t                raw, end, named, aname, b, kind;
    ngx_http_cx_html_bits_t  *cm, *ce;

    p = *pos;
    last = s->last;

    if (p >= last) {
        return NGX_AGAIN;
    }

    raw = h->raw;
    end = h->end;
    lt = p;
    name = p;
    c = 0;

    switch (h->state) {

    case sw_data:
        break;

    case sw_raw:
        goto raw_text;

    default:
        /* sw_attrs, sw_attr_name, sw_attr_dq, sw_attr_sq */

        a = p;
        aname = (h->state == sw_attr_name);
        named = 1;

        cm = ngx_http_cx_html_seek(s, p, &cb);
        ce = s->blk + s->n;
        t = cm->m[NGX_HTTP_CX_HTML_TAG] & ((uint64_t) -1 << (p - cb));

        if (h->state == sw_attr_dq || h->state == sw_attr_sq) {
            c = (h->state == sw_attr_dq) ? '"' : '\'';
            goto value;
        }

        goto attr;
    }

    cm = ngx_http_cx_html_seek(s, p, &cb);
    ce = s->blk + s->n;
    m = cm->m[NGX_HTTP_CX_HTML_LT] & ((uint64_t) -1 << (p - cb));

data:

    while (m == 0) {
        if (!ngx_http_cx_html_advance(s, &cb, &cm, &ce)) {
            h->state = sw_data;
            *pos = last;
            return NGX_AGAIN;
        }

        m = cm->m[NGX_HTTP_CX_HTML_LT];
    }

    b = ngx_http_cx_html_ctz(m);
    lt = cb + b;

    if (last - lt < NGX_HTTP_CX_HTML_AHEAD) {
        goto bail_data;
    }

    /*
     * A start tag ("<a"), an end tag ("</a"), or else; and whether its
     * name may be a raw element's or "body": found without branches, as
     * the kinds of tags follow each other in no order a CPU can predict.
     */

    w = ngx_http_cx_html_word(lt + 1);
    c = (u_char) w;

    kind = ngx_http_cx_html_open[c]
           & (1 | ngx_http_cx_html_open_name[(u_char) (w >> 8)]);

    if (kind == 0) {

        if (c == '!' || c == '?' || c == '/') {
            /* a comment, CDATA, DOCTYPE, or a bogus comment */
            goto bail_data;
        }

        /* text */
        m &= m - 1;
        goto data;
    }

    t = cm->m[NGX_HTTP_CX_HTML_TAG] & ~(((uint64_t) 2 << b) - 1);

    k3 = (uint32_t) (w | 0x202020) & 0xffffff;

    if (ngx_http_cx_html_prefix[ngx_http_cx_html_hash(k3)] == k3) {

        /* "scr", "sty", "tex", ... or "/bo": check the whole name */

        if (kind == 1) {
            raw = ngx_http_cx_html_raw_start(lt + 1);

            if (raw != raw_none) {
                end = 0;
                a = lt + 1 + ngx_http_cx_html_raw[raw].len;
                aname = 0;
                named = 1;
                goto attr;
            }

        } else if (((w | 0x2020202000) & 0xffffffffff) == 0x79646f622f
                   && ngx_http_cx_html_delim(lt[6]))
        {
            h->state = sw_attrs;
            h->raw = raw_none;
            h->end = 1;
            *pos = lt + 6;

            return NGX_OK;
        }
    }

tag:

    /*
     * t: the '>', "=" and quotes still ahead in the block.  Most tags end
     * here, at a '>' before any "="; so this loop keeps nothing else.
     */

    while (t == 0) {
        if (!ngx_http_cx_html_advance(s, &cb, &cm, &ce)) {
            goto tag_again;
        }

        t = cm->m[NGX_HTTP_CX_HTML_TAG];
    }

    b = ngx_http_cx_html_ctz(t);

    if (cb[b] == '>') {
        m = cm->m[NGX_HTTP_CX_HTML_LT] & ~(((uint64_t) 2 << b) - 1);
        goto data;
    }

    if (cb[b] != '=') {
        /* a quote in a name */
        t &= t - 1;
        goto tag;
    }

    /* the first "=": a tag with attribute values */

    raw = raw_none;
    end = (lt[1] == '/');
    name = lt + 1 + end;
    a = name;
    aname = 0;
    named = 0;

attr:

    while (t == 0) {
        if (!ngx_http_cx_html_advance(s, &cb, &cm, &ce)) {
            goto attr_again;
        }

        t = cm->m[NGX_HTTP_CX_HTML_TAG];
    }

    b = ngx_http_cx_html_ctz(t);
    e = cb + b;

    if (*e == '>') {
        if (raw == raw_none) {
            m = cm->m[NGX_HTTP_CX_HTML_LT] & ~(((uint64_t) 2 << b) - 1);
            goto data;
        }

        p = e + 1;
        goto raw_text;
    }

    t &= t - 1;

    if (*e != '=') {
        /* a quote in a name or in an unquoted value */
        goto attr;
    }

    if (!named) {
        named = 1;

        /* where the tag name ends: mostly within 8 bytes */

        b = ngx_http_cx_html_name_len(ngx_http_cx_html_word(name));
        k = name + b;

        if (b == 8 || !ngx_http_cx_html_delim(*k) || k > e) {
            for (k = name;
                 k < e && !ngx_http_cx_html_space(*k) && *k != '/';
                 k++)
            {
                /* void */
            }
        }

        if (k == e) {
            /* the "=" is part of the tag name */

            for (k = e + 1; k < last && !ngx_http_cx_html_delim(*k); k++) {
                /* void */
            }

            if (k == last) {
                goto bail_data;
            }

            a = k;
            goto attr_at;
        }

        a = k;
    }

    /* the state before the "=": after a name it opens a value */

    for (k = e - 1; k >= a && ngx_http_cx_html_space(*k); k--) {
        /* void */
    }

    if (k >= a ? *k == '/' : !aname) {
        /* before an attribute name: the "=" starts one */
        a = e + 1;
        aname = 1;
        goto attr;
    }

    for (k = e + 1; k < last && ngx_http_cx_html_space(*k); k++) {
        /* void */
    }

    if (k == last) {
        h->state = sw_attr_value;
        goto attr_state;
    }

    c = *k;

    if (c == '"' || c == '\'') {
        ngx_http_cx_html_reach(s, k, &cb, &cm, &ce);
        t = cm->m[NGX_HTTP_CX_HTML_TAG] & ~(((uint64_t) 2 << (k - cb)) - 1);
        goto value;
    }

    /* an unquoted value ends at whitespace or at '>' */

    while (k < last && !ngx_http_cx_html_space(*k) && *k != '>') {
        k++;
    }

    if (k == last) {
        h->state = sw_attr_unquoted;
        goto attr_state;
    }

    a = k + (*k != '>');
    aname = 0;

attr_at:

    /* continue the tag at a */

    if (a == last) {
        goto attr_again;
    }

    ngx_http_cx_html_reach(s, a, &cb, &cm, &ce);
    t = cm->m[NGX_HTTP_CX_HTML_TAG] & ((uint64_t) -1 << (a - cb));
    goto attr;

value:

    /* a value quoted with c: it ends at the next c */

    for ( ;; ) {
        while (t == 0) {
            if (!ngx_http_cx_html_advance(s, &cb, &cm, &ce)) {
                h->state = (c == '"') ? sw_attr_dq : sw_attr_sq;
                goto attr_state;
            }

            t = cm->m[NGX_HTTP_CX_HTML_TAG];
        }

        v = cb + ngx_http_cx_html_ctz(t);
        t &= t - 1;

        if (*v == c) {
            break;
        }
    }

    a = v + 1;
    aname = 0;
    goto attr;

raw_text:

    if (raw == raw_plaintext) {
        h->state = sw_raw;
        h->raw = raw_plaintext;
        *pos = last;

        return NGX_AGAIN;
    }

    if (p >= last) {
        goto raw_again;
    }

    rn = &ngx_http_cx_html_raw[raw];

    cm = ngx_http_cx_html_seek(s, p, &cb);
    ce = s->blk + s->n;
    m = cm->m[NGX_HTTP_CX_HTML_LT] & ((uint64_t) -1 << (p - cb));

    for ( ;; ) {
        while (m == 0) {
            if (!ngx_http_cx_html_advance(s, &cb, &cm, &ce)) {
                goto raw_again;
            }

            m = cm->m[NGX_HTTP_CX_HTML_LT];
        }

        lt = cb + ngx_http_cx_html_ctz(m);

        if ((size_t) (last - lt) < rn->len + 3) {
            goto bail_raw;
        }

        if (lt[1] == '/') {
            if (ngx_http_cx_html_bytes_are(lt + 2, rn)
                && ngx_http_cx_html_delim(lt[2 + rn->len]))
            {
                break;
            }

        } else if (lt[1] == '!' && raw == raw_script) {
            /* maybe "<!--": escaped script data */
            goto bail_raw;
        }

        m &= m - 1;
    }

    /* the raw element's end tag: after it, data */

    raw = raw_none;
    end = 1;
    a = lt + 2 + rn->len;
    aname = 0;
    named = 1;

    goto attr_at;

tag_again:

    /* the range ends in a tag without "=" so far: where is its name? */

    end = (lt[1] == '/');
    name = lt + 1 + end;

    for (a = name; a < last && !ngx_http_cx_html_delim(*a); a++) {
        /* void */
    }

    if (a == last) {
        goto bail_data;
    }

    raw = raw_none;
    aname = 0;

attr_again:

    /* between attributes: after a name, or before one */

    for (k = last - 1; k >= a && ngx_http_cx_html_space(*k); k--) {
        /* void */
    }

    if (k >= a ? *k != '/' : aname) {
        h->state = sw_attr_name;

    } else {
        h->state = sw_attrs;
    }

attr_state:

    h->raw = (u_char) raw;
    h->end = (u_char) end;
    *pos = last;

    return NGX_AGAIN;

raw_again:

    h->state = sw_raw;
    h->raw = (u_char) raw;
    h->esc = 0;
    h->dashes = 0;
    *pos = last;

    return NGX_AGAIN;

bail_data:

    h->state = sw_data;
    *pos = lt;

    return NGX_DECLINED;

bail_raw:

    h->state = sw_raw;
    h->raw = (u_char) raw;
    h->esc = 0;
    h->dashes = 0;
    *pos = lt;

    return NGX_DECLINED;
}


/* a start tag whose name begins like a raw element's: is it one? */

static ngx_uint_t
ngx_http_cx_html_raw_start(u_char *name)
{
    uint32_t    k;
    ngx_str_t  *n;
    ngx_uint_t  raw;

    k = (name[0] | 0x20) | (name[1] | 0x20) << 8 | (name[2] | 0x20) << 16;
    raw = ngx_http_cx_html_prefix_raw[ngx_http_cx_html_hash(k)];
    n = &ngx_http_cx_html_raw[raw];

    if (ngx_http_cx_html_bytes_are(name, n)
        && ngx_http_cx_html_delim(name[n->len]))
    {
        return raw;
    }

    return raw_none;
}


/* the bit masks of the blocks at p, as many as fit, the last one padded */

static void
ngx_http_cx_html_refill(ngx_http_cx_html_scan_t *s, u_char *p)
{
    size_t      size, tail;
    u_char      pad[64];
    ngx_uint_t  n;

    size = s->last - p;
    n = size / 64;

    if (n >= NGX_HTTP_CX_HTML_BLOCKS) {
        n = NGX_HTTP_CX_HTML_BLOCKS;
        s->end = p + n * 64;

    } else {
        s->end = s->last;
    }

    if (n) {
        ngx_http_cx_html_classify(p, n, s->blk);
    }

    tail = (size_t) (s->end - p) - n * 64;

    if (tail) {
        /* zeros match nothing, and nothing past last is read */
        ngx_memzero(pad, 64);
        ngx_memcpy(pad, p + n * 64, tail);
        ngx_http_cx_html_classify(pad, 1, &s->blk[n]);
        n++;
    }

    s->base = p;
    s->n = n;
}


/* the cursor on the block that holds p (p < last) */

static ngx_inline ngx_http_cx_html_bits_t *
ngx_http_cx_html_seek(ngx_http_cx_html_scan_t *s, u_char *p, u_char **cb)
{
    size_t  i;

    if (p < s->base || p >= s->end) {
        ngx_http_cx_html_refill(s, p);
    }

    i = (p - s->base) / 64;
    *cb = s->base + i * 64;

    return &s->blk[i];
}


/* the cursor on the next block; 0 at the end of the range */

static ngx_inline ngx_uint_t
ngx_http_cx_html_advance(ngx_http_cx_html_scan_t *s, u_char **cb,
    ngx_http_cx_html_bits_t **cm, ngx_http_cx_html_bits_t **ce)
{
    *cb += 64;

    if (++*cm < *ce) {
        return 1;
    }

    if (*cb >= s->last) {
        return 0;
    }

    ngx_http_cx_html_refill(s, *cb);

    *cm = s->blk;
    *ce = s->blk + s->n;

    return 1;
}


/* the cursor forward to the block that holds p (p < last) */

static ngx_inline void
ngx_http_cx_html_reach(ngx_http_cx_html_scan_t *s, u_char *p, u_char **cb,
    ngx_http_cx_html_bits_t **cm, ngx_http_cx_html_bits_t **ce)
{
    while (p - *cb >= 64) {
        (void) ngx_http_cx_html_advance(s, cb, cm, ce);
    }
}


#if (NGX_HTTP_CX_HTML_TEST)

/* no SIMD: for the difftest, which runs the fast scanner on every kernel */

static void
ngx_http_cx_html_classify_generic(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b)
{
    uint64_t    lt, tag;
    ngx_uint_t  i;

    for ( /* void */ ; n; n--, b++) {
        lt = 0;
        tag = 0;

        for (i = 0; i < 64; i++, p++) {
            switch (*p) {
            case '<':
                lt |= (uint64_t) 1 << i;
                break;
            case '>':
            case '=':
            case '"':
            case '\'':
                tag |= (uint64_t) 1 << i;
                break;
            }
        }

        b->m[NGX_HTTP_CX_HTML_LT] = lt;
        b->m[NGX_HTTP_CX_HTML_TAG] = tag;
    }
}

#endif


#if (NGX_HTTP_CX_HTML_X86)

static void
ngx_http_cx_html_classify_sse2(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b)
{
    __m128i     v, lt, gt, eq, dq, sq, t;
    uint64_t    ml, mt;
    ngx_uint_t  i;

    lt = _mm_set1_epi8('<');
    gt = _mm_set1_epi8('>');
    eq = _mm_set1_epi8('=');
    dq = _mm_set1_epi8('"');
    sq = _mm_set1_epi8('\'');

    for ( /* void */ ; n; n--, b++) {
        ml = 0;
        mt = 0;

        for (i = 0; i < 64; i += 16, p += 16) {
            v = _mm_loadu_si128((__m128i *) p);

            t = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, gt),
                                          _mm_cmpeq_epi8(v, eq)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, dq),
                                          _mm_cmpeq_epi8(v, sq)));

            ml |= (uint64_t) (uint32_t)
                      _mm_movemask_epi8(_mm_cmpeq_epi8(v, lt)) << i;
            mt |= (uint64_t) (uint32_t) _mm_movemask_epi8(t) << i;
        }

        b->m[NGX_HTTP_CX_HTML_LT] = ml;
        b->m[NGX_HTTP_CX_HTML_TAG] = mt;
    }
}


__attribute__((target("avx2"))) static void
ngx_http_cx_html_classify_avx2(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b)
{
    __m256i  v, w, lt, gt, eq, dq, sq, tv, tw;

    lt = _mm256_set1_epi8('<');
    gt = _mm256_set1_epi8('>');
    eq = _mm256_set1_epi8('=');
    dq = _mm256_set1_epi8('"');
    sq = _mm256_set1_epi8('\'');

    for ( /* void */ ; n; n--, b++, p += 64) {
        v = _mm256_loadu_si256((__m256i *) p);
        w = _mm256_loadu_si256((__m256i *) (p + 32));

        tv = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(v, gt),
                                             _mm256_cmpeq_epi8(v, eq)),
                             _mm256_or_si256(_mm256_cmpeq_epi8(v, dq),
                                             _mm256_cmpeq_epi8(v, sq)));
        tw = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(w, gt),
                                             _mm256_cmpeq_epi8(w, eq)),
                             _mm256_or_si256(_mm256_cmpeq_epi8(w, dq),
                                             _mm256_cmpeq_epi8(w, sq)));

        b->m[NGX_HTTP_CX_HTML_LT] =
            (uint64_t) (uint32_t)
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lt))
            | (uint64_t) (uint32_t)
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(w, lt)) << 32;

        b->m[NGX_HTTP_CX_HTML_TAG] =
            (uint64_t) (uint32_t) _mm256_movemask_epi8(tv)
            | (uint64_t) (uint32_t) _mm256_movemask_epi8(tw) << 32;
    }
}


__attribute__((target("avx512bw"))) static void
ngx_http_cx_html_classify_avx512(u_char *p, ngx_uint_t n,
    ngx_http_cx_html_bits_t *b)
{
    __m512i  v, lt, gt, eq, dq, sq;

    lt = _mm512_set1_epi8('<');
    gt = _mm512_set1_epi8('>');
    eq = _mm512_set1_epi8('=');
    dq = _mm512_set1_epi8('"');
    sq = _mm512_set1_epi8('\'');

    for ( /* void */ ; n; n--, b++, p += 64) {
        v = _mm512_loadu_si512((void *) p);

        b->m[NGX_HTTP_CX_HTML_LT] = _mm512_cmpeq_epi8_mask(v, lt);
        b->m[NGX_HTTP_CX_HTML_TAG] = _mm512_cmpeq_epi8_mask(v, gt)
                                     | _mm512_cmpeq_epi8_mask(v, eq)
                                     | _mm512_cmpeq_epi8_mask(v, dq)
                                     | _mm512_cmpeq_epi8_mask(v, sq);
    }
}

#endif


/* by what the CPU has: none, a portable one (tests only), SSE2, ... */

static ngx_http_cx_html_classify_pt  ngx_http_cx_html_kernels[] = {
    NULL,
#if (NGX_HTTP_CX_HTML_TEST)
    ngx_http_cx_html_classify_generic,
#else
    NULL,
#endif
#if (NGX_HTTP_CX_HTML_X86)
    ngx_http_cx_html_classify_sse2,
    ngx_http_cx_html_classify_avx2,
    ngx_http_cx_html_classify_avx512
#endif
};


void
ngx_http_cx_html_init(void)
{
    uint32_t    k;
    ngx_uint_t  i;
    u_char     *n;

    for (i = raw_script; i <= raw_plaintext + 1; i++) {
        n = (i <= raw_plaintext) ? ngx_http_cx_html_raw[i].data
                                 : (u_char *) "/bo";
        k = n[0] | n[1] << 8 | n[2] << 16;

        ngx_http_cx_html_prefix[ngx_http_cx_html_hash(k)] = k;
        ngx_http_cx_html_prefix_raw[ngx_http_cx_html_hash(k)] =
                                     (i <= raw_plaintext) ? (u_char) i : 0;
    }

    for (i = 0; i < 256; i++) {
        if (ngx_http_cx_html_alpha(i)) {
            ngx_http_cx_html_open[i] = 1;
            ngx_http_cx_html_open_name[i] = 2;
        }
    }

    ngx_http_cx_html_open['/'] = 2;

    ngx_http_cx_html_isa = 0;

#if (NGX_HTTP_CX_HTML_X86)

    __builtin_cpu_init();

    /*
     * 512-bit instructions slow down the whole core on the first AVX-512
     * CPUs (Skylake-SP, Cascade Lake), and the worker does more than scan;
     * those without VBMI2 (Ice Lake on, Zen 4 have it) get AVX2.
     */

    if (__builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vbmi2"))
    {
        ngx_http_cx_html_isa = 4;

    } else if (__builtin_cpu_supports("avx2")) {
        ngx_http_cx_html_isa = 3;

    } else {
        ngx_http_cx_html_isa = 2;
    }

#elif (NGX_HTTP_CX_HTML_TEST)

    ngx_http_cx_html_isa = 1;

#endif

    ngx_http_cx_html_classify = ngx_http_cx_html_kernels[ngx_http_cx_html_isa];
    ngx_http_cx_html_ready = 1;
}


#if (NGX_HTTP_CX_HTML_TEST)

ngx_int_t
ngx_http_cx_html_set_isa(ngx_int_t isa)
{
    ngx_uint_t  best;

    ngx_http_cx_html_init();

    best = ngx_http_cx_html_isa;

    if (isa >= 0 && (ngx_uint_t) isa <= best) {
        ngx_http_cx_html_isa = isa;
        ngx_http_cx_html_classify = ngx_http_cx_html_kernels[isa];
    }

    return ngx_http_cx_html_isa;
}


const char *
ngx_http_cx_html_isa_name(void)
{
    static const char  *names[] = { "none", "generic", "sse2", "avx2",
                                    "avx512bw" };

    if (!ngx_http_cx_html_ready) {
        ngx_http_cx_html_init();
    }

    return names[ngx_http_cx_html_isa];
}

#endif
