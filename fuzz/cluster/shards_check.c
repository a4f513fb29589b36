
/*
 * fuzz/cluster/shards_check.c: the hash tags of a site's shards and the
 * shard of a nonce (ngx_http_cx_shard.c) on known inputs, for
 * t/029-redis-shards.t:
 *
 *   shards_check tags PREFIX SITE N    "s tag slot" for each of N shards
 *   shards_check nonce N < nonces      the shard of each line's nonce
 */


#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "ngx_http_cx_shard.h"


static int
tags(char *prefix, char *site, ngx_uint_t n)
{
    u_char      *p, buf[4096];
    ngx_str_t    pr, st;
    ngx_uint_t   s, slot;

    pr.data = (u_char *) prefix;
    pr.len = strlen(prefix);
    st.data = (u_char *) site;
    st.len = strlen(site);

    if (pr.len + st.len + NGX_HTTP_CX_SHARD_TAG_LEN > sizeof(buf)) {
        return 2;
    }

    for (s = 0; s < n; s++) {
        p = ngx_http_cx_shard_tag(buf, &pr, &st, s, n, &slot);

        if (p == NULL) {
            printf("%u none\n", (unsigned) s);
            continue;
        }

        printf("%u %.*s %u\n", (unsigned) s, (int) (p - buf), buf,
               (unsigned) slot);
    }

    return 0;
}


static void
nonces(ngx_uint_t n)
{
    char    line[4096];
    size_t  len;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        len = strlen(line);

        if (len && line[len - 1] == '\n') {
            len--;
        }

        printf("%u\n",
               (unsigned) ngx_http_cx_shard_of((u_char *) line, len, n));
    }
}


int
main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "tags") == 0 && atoi(argv[4]) > 0) {
        return tags(argv[2], argv[3], atoi(argv[4]));
    }

    if (argc == 3 && strcmp(argv[1], "nonce") == 0) {
        nonces(atoi(argv[2]));
        return 0;
    }

    fprintf(stderr, "usage: %s tags PREFIX SITE N | nonce N < nonces\n",
            argv[0]);

    return 2;
}
