
/*
 * fuzz/html/bench.c: what the tokenizer costs per page, the original
 * (reference.c) against the new one (ngx_cx_module/ngx_http_cx_html.c).
 *
 *   bench [-r ROUNDS] [-t MS] [-i ISA] [-c N] [FILE...]
 *
 * Pages: bench/mkpage.pl 30720 and 5242880 (the pages bench/inject
 * serves), or the FILEs.  Each page is scanned whole (one buffer) and in
 * 4 KB pieces, as a proxied response reaches the filter.  Each tokenizer
 * loops for -t milliseconds (20), in turn, -r times (40), and the best
 * round of each is printed: the machine may be busy, and the rounds
 * alternate so that load elsewhere hits both alike.  Both must find
 * "</body" at the same offset, or the bench fails.  -i: the kernel, as in
 * difftest (default: what the CPU has).
 *
 * -c N (-C N): no timing, just N scans of each page by the new (the
 * original) tokenizer, in one buffer, for valgrind --tool=cachegrind
 * --branch-sim=yes, whose counts do not depend on what else the machine
 * runs (valgrind has no AVX-512: use -i 3 or lower).
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

static volatile long  cx_sink;


static double
cx_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


/* ns per page of one round of about ms milliseconds */

static double
cx_round(cx_scan_pt scan, cx_page_t *pg, size_t piece, int ms)
{
    long    n, k;
    double  t0, t;

    n = 0;
    t0 = cx_now();

    do {
        for (k = 0; k < 8; k++) {
            cx_sink += scan((u_char *) pg->data, pg->len, piece);
        }

        n += 8;
        t = cx_now() - t0;

    } while (t < ms * 1e6);

    return t / n;
}


/*
 * The best round of each; the rounds alternate between the two, so a
 * burst of load elsewhere on the machine hits both alike.
 */

static void
cx_time(cx_page_t *pg, size_t piece, int rounds, int ms, double *ref,
    double *new)
{
    int     r;
    double  t;

    *ref = 1e30;
    *new = 1e30;

    for (r = 0; r < rounds; r++) {
        t = cx_round(cx_scan_ref, pg, piece, ms);
        *ref = (t < *ref) ? t : *ref;

        t = cx_round(cx_scan_new, pg, piece, ms);
        *new = (t < *new) ? t : *new;
    }
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
    cx_scan_pt  scan;
    long        a, b;
    size_t      piece;
    double      tr, tn;
    cx_page_t   pages[16];

    rounds = 40;
    ms = 20;
    isa = -1;
    count = 0;
    scan = cx_scan_new;

    while ((c = getopt(argc, argv, "r:t:i:c:C:")) != -1) {
        switch (c) {
        case 'c':
            count = atoi(optarg);
            break;
        case 'C':
            count = atoi(optarg);
            scan = cx_scan_ref;
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
                    "[-c N | -C N] [FILE...]\n", argv[0]);
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
                cx_sink += scan((u_char *) pages[i].data, pages[i].len,
                                pages[i].len);
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

            cx_time(&pages[i], piece, rounds, ms, &tr, &tn);

            printf("%-16s %8zu %-7s %12.0f %9.3f %12.0f %9.3f %6.1fx\n",
                   pages[i].name, pages[i].len, j ? "4 KB" : "one",
                   tr, tr / pages[i].len, tn, tn / pages[i].len, tr / tn);
        }
    }

    printf("(found at %ld)\n", cx_sink ? b : b);

    return 0;
}
