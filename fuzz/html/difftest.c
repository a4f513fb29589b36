
/*
 * fuzz/html/difftest.c: the new tokenizer (ngx_cx_module/ngx_http_cx_html.c)
 * against the oracle (reference.c), on random HTML-ish documents, each fed
 * whole, one byte at a time, cut in two at every position (short ones) and
 * in random pieces.  For every way of feeding, the new tokenizer must
 * find "</body" at the same offset as the fixed oracle fed the document
 * whole (or find none), and report the same marker() after every piece as
 * the oracle fed the same pieces.
 *
 * Expected differences: where the original tokenizer differs from the
 * fixed one (see reference.c), the new one follows the fixed one; such
 * documents are counted and the first few shown with -v.
 *
 *   difftest [-n DOCS] [-s SEED] [-i ISA] [-v] [FILE...]
 *
 * With FILEs, each file is one document (the regression corpus), also
 * cut in two at every position.  -i
 * forces the scanner kernel (0 none: the byte-wise machine alone, 1
 * portable, 2 sse2, 3 avx2, 4 avx512bw; the
 * default is what the CPU has); -i -1 runs every kernel the CPU has.
 */


#include <stdio.h>
#include <stdint.h>
#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_html.h"
#include "reference.h"
#include "gen.h"


CX_FEED(cx_feed_ref, ngx_http_cx_html_ref_parse, ngx_http_cx_html_ref_marker,
        ngx_http_cx_html_ref_t)
CX_FEED(cx_feed_fix, ngx_http_cx_html_fix_parse, ngx_http_cx_html_fix_marker,
        ngx_http_cx_html_ref_t)
CX_FEED(cx_feed_new, ngx_http_cx_html_parse, ngx_http_cx_html_marker,
        ngx_http_cx_html_t)


static int            verbose;
static unsigned long  n_docs, n_feeds, n_found, n_expected, n_bytes;


static void
cx_show(FILE *f, const char *doc, size_t len)
{
    size_t  i, n;
    u_char  c;

    n = (verbose > 1 || len <= 400) ? len : 400;

    fputc('"', f);

    for (i = 0; i < n; i++) {
        c = doc[i];

        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);

        } else if (c >= 0x20 && c < 0x7f) {
            fputc(c, f);

        } else {
            fprintf(f, "\\x%02x\"\"", c);
        }
    }

    fprintf(f, "\"%s\n", n < len ? " ..." : "");
}


static void
cx_fail(const char *what, const char *doc, size_t len, const size_t *cuts,
    size_t ncuts, long want, long got)
{
    size_t   i;
    FILE    *f;
    char     name[64];

    fprintf(stderr, "MISMATCH (%s): want %ld, got %ld, %zu pieces\n", what,
            want, got, ncuts);
    cx_show(stderr, doc, len);
    fprintf(stderr, "cuts:");

    for (i = 0; i < ncuts && i < 64; i++) {
        fprintf(stderr, " %zu", cuts[i]);
    }

    fprintf(stderr, "%s\n", ncuts > 64 ? " ..." : "");

    snprintf(name, sizeof(name), "difftest-fail-%d.html", (int) getpid());
    f = fopen(name, "wb");
    if (f) {
        fwrite(doc, 1, len, f);
        fclose(f);
        fprintf(stderr, "document written to %s\n", name);
    }

    exit(1);
}


static void
cx_check(const char *doc, size_t len, const size_t *cuts, size_t ncuts,
    long want)
{
    long           got, ref;
    size_t         i;
    static size_t  cap, *m1, *m2;

    if (ncuts > cap) {
        cap = ncuts * 2;
        m1 = realloc(m1, cap * sizeof(size_t));
        m2 = realloc(m2, cap * sizeof(size_t));
    }

    memset(m1, 0, ncuts * sizeof(size_t));
    memset(m2, 0, ncuts * sizeof(size_t));

    ref = cx_feed_fix(doc, len, cuts, ncuts, m1);
    got = cx_feed_new(doc, len, cuts, ncuts, m2);

    n_feeds++;
    n_bytes += len;

    if (ref != want) {
        cx_fail("oracle whole vs oracle in pieces", doc, len, cuts, ncuts,
                want, ref);
    }

    if (got != want) {
        cx_fail("new in pieces vs oracle", doc, len, cuts, ncuts, want, got);
    }

    for (i = 0; i < ncuts; i++) {
        if (m1[i] != m2[i]) {
            fprintf(stderr, "marker after piece %zu (ends at %zu): "
                    "oracle %zu, new %zu\n", i, cuts[i], m1[i], m2[i]);
            cx_fail("marker", doc, len, cuts, ncuts, want, got);
        }
    }
}


static void
cx_test_doc(cx_rng_t *r, const char *doc, size_t len, int all)
{
    long           want, orig;
    size_t         i, n, pos, max;
    static size_t  cap, *cuts;

    if (len + 1 > cap) {
        cap = (len + 1) * 2;
        cuts = realloc(cuts, cap * sizeof(size_t));
    }

    n_docs++;

    cuts[0] = len;
    want = cx_feed_fix(doc, len, cuts, 1, NULL);
    orig = cx_feed_ref(doc, len, cuts, 1, NULL);

    if (want >= 0) {
        n_found++;

        if (want < 6 || strncasecmp(doc + want - 6, "</body", 6) != 0) {
            cx_fail("oracle marker is not </body", doc, len, cuts, 1, want,
                    want);
        }
    }

    if (orig != want) {
        n_expected++;

        if (verbose && n_expected <= 10) {
            fprintf(stderr, "expected difference: original %ld, fixed %ld: ",
                    orig, want);
            cx_show(stderr, doc, len);
        }
    }

    /* whole */
    cx_check(doc, len, cuts, 1, want);

    /* one byte at a time */
    if (all || len <= 4096 || cx_rnd(r, 8) == 0) {
        for (i = 0; i < len; i++) {
            cuts[i] = i + 1;
        }

        cx_check(doc, len, cuts, len ? len : 1, want);
    }

    /* in two, everywhere */
    if (len <= 300 || (all && len <= 20000)) {
        for (pos = 1; pos < len; pos++) {
            cuts[0] = pos;
            cuts[1] = len;
            cx_check(doc, len, cuts, 2, want);
        }

    } else {
        for (i = 0; i < 16; i++) {
            cuts[0] = 1 + cx_rnd(r, len - 1);
            cuts[1] = len;
            cx_check(doc, len, cuts, 2, want);
        }
    }

    /* random pieces of a few size ranges */
    for (i = 0; i < 6; i++) {
        max = (size_t []) { 3, 12, 70, 300, 4096, 20000 }[i];
        n = 0;
        pos = 0;

        while (pos < len) {
            pos += 1 + cx_rnd(r, max);
            cuts[n++] = pos < len ? pos : len;
        }

        if (n == 0) {
            cuts[n++] = len;
        }

        cx_check(doc, len, cuts, n, want);
    }
}


static void
cx_test_file(cx_rng_t *r, const char *name)
{
    FILE      *f;
    cx_doc_t   d;
    char       buf[65536];
    size_t     n;

    memset(&d, 0, sizeof(d));
    cx_put(&d, "", 0);

    f = fopen(name, "rb");
    if (f == NULL) {
        perror(name);
        exit(2);
    }

    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        cx_put(&d, buf, n);
    }

    fclose(f);

    cx_test_doc(r, d.data, d.len, 1);
    free(d.data);
}


static void
cx_run(cx_rng_t *r, unsigned long docs, int argc, char **argv, int first)
{
    int            i;
    cx_doc_t       d;
    unsigned long  k;

    if (first < argc) {
        for (i = first; i < argc; i++) {
            cx_test_file(r, argv[i]);
        }

        return;
    }

    memset(&d, 0, sizeof(d));

    for (k = 0; k < docs; k++) {
        cx_gen_doc(r, &d, k % 8 == 7);
        cx_test_doc(r, d.data, d.len, 0);

        if (verbose && (k + 1) % 20000 == 0) {
            fprintf(stderr, "%lu docs\n", k + 1);
        }
    }

    free(d.data);
}


int
main(int argc, char **argv)
{
    int            c, isa, i, lo, hi;
    uint64_t       seed;
    cx_rng_t       r;
    unsigned long  docs;

    docs = 20000;
    seed = 1;
    isa = -2;

    while ((c = getopt(argc, argv, "n:s:i:v")) != -1) {
        switch (c) {
        case 'n':
            docs = strtoul(optarg, NULL, 10);
            break;
        case 's':
            seed = strtoull(optarg, NULL, 10);
            break;
        case 'i':
            isa = atoi(optarg);
            break;
        case 'v':
            verbose++;
            break;
        default:
            fprintf(stderr, "usage: %s [-n DOCS] [-s SEED] [-i ISA] [-v] "
                    "[FILE...]\n", argv[0]);
            return 2;
        }
    }

    lo = hi = isa;

    if (isa == -1) {
        lo = 0;
        hi = 4;
    }

    for (i = lo; i <= hi; i++) {

        if (i >= 0 && ngx_http_cx_html_set_isa(i) != i) {
            if (isa >= 0) {
                fprintf(stderr, "kernel %d not available here\n", i);
                return 2;
            }

            continue;
        }

        r.s = seed * 0x9E3779B97F4A7C15ULL + 1;
        n_docs = n_feeds = n_found = n_expected = n_bytes = 0;

        cx_run(&r, docs, argc, argv, optind);

        printf("kernel %s: %lu docs (%lu with </body>), %lu feeds, "
               "%lu bytes fed; %lu expected differences from the original; "
               "no mismatch\n", ngx_http_cx_html_isa_name(), n_docs, n_found,
               n_feeds, n_bytes, n_expected);
    }

    return 0;
}
