
/*
 * fuzz/html/bench.c: what the tokenizer costs per page, the original
 * (reference.c) against the new one (ngx_cx_module/ngx_http_cx_html.c).
 *
 *   bench [-r ROUNDS] [-t MS] [-i ISA] [-c N] [FILE...]
 *
 * Pages: bench/mkpage.pl 30720 and 5242880 (the pages bench/inject
 * serves), or the FILEs.  Each page is scanned whole (one buffer) and in
 * 4 KB pieces, as nginx hands it to the filter with sendfile off; every
 * measurement loops for -t milliseconds, -r times, and the best round is
 * printed (the machine may be busy).  Both tokenizers must find
 * "</body" at the same offset, or the bench fails.
 *
 * -c N: no timing, just N scans of each page by the new tokenizer (one
 * buffer), for valgrind --tool=cachegrind --branch-sim=yes, whose counts
 * do not depend on what else the machine runs.
 */


#include <stdio.h>
#include <stdint.h>
#include <time.h>
#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_html.h"
#include "reference.h"
#include "gen.h"


typedef struct {
    const char   *name;
    char         *data;
    size_t        len;
} cx_page_t;


#define CX_SCAN(fn, parse, type)                                             \
static long                                                                  \
fn(u_char *doc, size_t len, size_t piece)                                    \
{                                                                            \
    type        h;                                                           \
    u_char     *p, *last, *end;                                              \
                                                                             \
    memset(&h, 0, sizeof(type));                                             \
    end = doc + len;                                                         \
                                                                             \
    for (p = doc; p < end; p = last) {                                       \
        last = (size_t) (end - p) > piece ? p + piece : end;                 \
                                                                             \
        if (parse(&h, &p, last) == NGX_OK) {                                 \
            return p - doc;                                                  \
        }                                                                    \
    }                                                                        \
                                                                             \
    return -1;                                                               \
}

CX_SCAN(cx_scan_ref, ngx_http_cx_html_ref_parse, ngx_http_cx_html_ref_t)
CX_SCAN(cx_scan_new, ngx_http_cx_html_parse, ngx_http_cx_html_t)


typedef long (*cx_scan_pt)(u_char *doc, size_t len, size_t piece);


static double
cx_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


static volatile long  cx_sink;


/* ns per page: the best of rounds of ms milliseconds each */

static double
cx_time(cx_scan_pt scan, cx_page_t *pg, size_t piece, int rounds, int ms)
{
    int            r;
    long           n, k;
    double         t0, t, best;

    best = 1e30;

    for (r = 0; r < rounds; r++) {
        n = 0;
        t0 = cx_now();

        do {
            for (k = 0; k < 16; k++) {
                cx_sink += scan((u_char *) pg->data, pg->len, piece);
            }

            n += 16;
            t = cx_now() - t0;

        } while (t < ms * 1e6);

        if (t / n < best) {
            best = t / n;
        }
    }

    return best;
}


static void
cx_mkpage(cx_page_t *pg, const char *name, size_t bytes)
{
    FILE      *f;
    char       cmd[256], buf[65536];
    size_t     n;
    cx_doc_t   d;

    memset(&d, 0, sizeof(d));
    cx_put(&d, "", 0);

    snprintf(cmd, sizeof(cmd), "perl ../../bench/mkpage.pl %zu", bytes);

    f = popen(cmd, "r");
    if (f == NULL) {
        perror(cmd);
        exit(2);
    }

    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        cx_put(&d, buf, n);
    }

    if (pclose(f) != 0 || d.len == 0) {
        fprintf(stderr, "%s failed (run from fuzz/html)\n", cmd);
        exit(2);
    }

    pg->name = name;
    pg->data = d.data;
    pg->len = d.len;
}


static void
cx_readpage(cx_page_t *pg, const char *name)
{
    FILE      *f;
    char       buf[65536];
    size_t     n;
    cx_doc_t   d;

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

    pg->name = name;
    pg->data = d.data;
    pg->len = d.len;
}


int
main(int argc, char **argv)
{
    int         c, i, j, rounds, ms, isa, npages, count;
    long        a, b;
    size_t      piece;
    double      tr, tn;
    cx_page_t   pages[16];

    rounds = 7;
    ms = 200;
    isa = -1;
    count = 0;

    while ((c = getopt(argc, argv, "r:t:i:c:")) != -1) {
        switch (c) {
        case 'c':
            count = atoi(optarg);
            break;
        case 'r':
            rounds = atoi(optarg);
            break;
        case 't':
            ms = atoi(optarg);
            break;
        case 'i':
            isa = atoi(optarg);
            break;
        default:
            fprintf(stderr, "usage: %s [-r ROUNDS] [-t MS] [-i ISA] "
                    "[FILE...]\n", argv[0]);
            return 2;
        }
    }

    if (isa >= 0 && ngx_http_cx_html_set_isa(isa) != isa) {
        fprintf(stderr, "kernel %d not available here\n", isa);
        return 2;
    }

    npages = 0;

    if (optind < argc) {
        for (i = optind; i < argc && npages < 16; i++) {
            cx_readpage(&pages[npages++], argv[i]);
        }

    } else {
        cx_mkpage(&pages[npages++], "mkpage 30720", 30720);
        cx_mkpage(&pages[npages++], "mkpage 5242880", 5242880);
    }

    if (count) {
        for (i = 0; i < npages; i++) {
            for (j = 0; j < count; j++) {
                cx_sink += cx_scan_new((u_char *) pages[i].data,
                                       pages[i].len, pages[i].len);
            }
        }

        return 0;
    }

    printf("kernel %s, best of %d rounds of %d ms\n",
           ngx_http_cx_html_isa_name(), rounds, ms);
    printf("%-16s %8s %-7s %12s %9s %12s %9s %7s\n", "page", "bytes",
           "buffers", "ref ns/page", "ns/byte", "new ns/page", "ns/byte",
           "speedup");

    for (i = 0; i < npages; i++) {
        for (j = 0; j < 2; j++) {
            piece = j ? 4096 : pages[i].len;

            a = cx_scan_ref((u_char *) pages[i].data, pages[i].len, piece);
            b = cx_scan_new((u_char *) pages[i].data, pages[i].len, piece);

            if (a != b) {
                /* the fixed oracle decides; it is what difftest checks */
                ngx_http_cx_html_ref_t  h;
                u_char                 *p;

                memset(&h, 0, sizeof(h));
                p = (u_char *) pages[i].data;

                if (ngx_http_cx_html_fix_parse(&h, &p,
                        (u_char *) pages[i].data + pages[i].len) != NGX_OK
                    || p - (u_char *) pages[i].data != b)
                {
                    fprintf(stderr, "%s: original finds %ld, new %ld\n",
                            pages[i].name, a, b);
                    return 1;
                }
            }

            tr = cx_time(cx_scan_ref, &pages[i], piece, rounds, ms);
            tn = cx_time(cx_scan_new, &pages[i], piece, rounds, ms);

            printf("%-16s %8zu %-7s %12.0f %9.3f %12.0f %9.3f %6.1fx\n",
                   pages[i].name, pages[i].len, j ? "4 KB" : "one",
                   tr, tr / pages[i].len, tn, tn / pages[i].len, tr / tn);
        }
    }

    printf("(found at %ld)\n", cx_sink ? b : b);

    return 0;
}
