
/*
 * fuzz/html/fuzz_html.c: libFuzzer harness.  The input is one document;
 * it is fed to the new tokenizer whole, one byte at a time (up to 512
 * bytes), cut in two at a position taken from the input, and in pieces
 * whose sizes come from a generator seeded by the input -- with every
 * scanner kernel the CPU has.
 * Each must find "</body" where the fixed oracle (reference.c) finds it
 * in the whole document, and report the oracle's marker() after every
 * piece; anything else aborts.
 *
 *   make -C fuzz/html fuzz
 *   make -C fuzz/html run SECONDS=300
 */


#include <stdio.h>
#include <stdint.h>
#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_html.h"
#include "reference.h"
#include "gen.h"


CX_FEED(cx_feed_fix, ngx_http_cx_html_fix_parse, ngx_http_cx_html_fix_marker,
        ngx_http_cx_html_ref_t)
CX_FEED(cx_feed_new, ngx_http_cx_html_parse, ngx_http_cx_html_marker,
        ngx_http_cx_html_t)


static void
cx_check(const char *doc, size_t len, const size_t *cuts, size_t ncuts,
    long want, size_t *m1, size_t *m2)
{
    size_t  i;
    long    got;

    memset(m1, 0, ncuts * sizeof(size_t));
    memset(m2, 0, ncuts * sizeof(size_t));

    if (cx_feed_fix(doc, len, cuts, ncuts, m1) != want) {
        fprintf(stderr, "the oracle differs from itself in pieces\n");
        abort();
    }

    got = cx_feed_new(doc, len, cuts, ncuts, m2);

    if (got != want) {
        fprintf(stderr, "new %ld, oracle %ld (%zu pieces, first cut %zu, "
                "kernel %s)\n", got, want, ncuts, cuts[0],
                ngx_http_cx_html_isa_name());
        abort();
    }

    for (i = 0; i < ncuts; i++) {
        if (m1[i] != m2[i]) {
            fprintf(stderr, "marker after piece %zu: oracle %zu, new %zu "
                    "(kernel %s)\n", i, m1[i], m2[i],
                    ngx_http_cx_html_isa_name());
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long        want;
    size_t      i, n, pos, *cuts, *m1, *m2;
    uint64_t    seed;
    cx_rng_t    r;
    ngx_int_t   isa, best;
    const char *doc;

    doc = (const char *) data;

    cuts = malloc((size + 2) * sizeof(size_t));
    m1 = malloc((size + 2) * sizeof(size_t));
    m2 = malloc((size + 2) * sizeof(size_t));

    cuts[0] = size;
    want = cx_feed_fix(doc, size, cuts, 1, NULL);

    /* FNV-1a of the input: the cuts follow the document */

    seed = 0xcbf29ce484222325ULL;

    for (i = 0; i < size; i++) {
        seed = (seed ^ data[i]) * 0x100000001b3ULL;
    }

    best = ngx_http_cx_html_set_isa(99);

    for (isa = 0; isa <= best; isa++) {
        ngx_http_cx_html_set_isa(isa);

        r.s = seed | 1;

        cuts[0] = size;
        cx_check(doc, size, cuts, 1, want, m1, m2);

        if (size > 1) {
            pos = 1 + (seed >> 8) % (size - 1);
            cuts[0] = pos;
            cuts[1] = size;
            cx_check(doc, size, cuts, 2, want, m1, m2);
        }

        if (size <= 512) {
            for (i = 0; i < size; i++) {
                cuts[i] = i + 1;
            }

            if (size) {
                cx_check(doc, size, cuts, size, want, m1, m2);
            }
        }

        n = 0;
        pos = 0;

        while (pos < size) {
            pos += 1 + cx_rnd(&r, 1 + (seed & 0xff));
            cuts[n++] = pos < size ? pos : size;
        }

        if (n) {
            cx_check(doc, size, cuts, n, want, m1, m2);
        }
    }

    ngx_http_cx_html_set_isa(best);

    free(cuts);
    free(m1);
    free(m2);

    return 0;
}
