
/*
 * fuzz/cluster/check.c: the cluster rules on known inputs, for
 * t/026-redis-cluster.t to compare with a real Redis.
 *   cluster_check keyslot   < keys     one slot per line of stdin
 *   cluster_check slots [MOVED...] < reply
 *                                      a CLUSTER SLOTS reply (RESP bytes)
 *                                      as "start-end host:port" lines,
 *                                      merged, or "error: reason"; each
 *                                      argument, a MOVED error's text,
 *                                      applied to the map first
 *   cluster_check redirect  < errors   one parsed error reply per line
 * Keys and error texts are one a line, without the newline.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>
#include <stdlib.h>

#include "ngx_http_cx_redis_cluster.h"
#include "arena.h"


static void
keyslot(void)
{
    char    line[65536];
    size_t  len;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        len = strlen(line);

        if (len && line[len - 1] == '\n') {
            len--;
        }

        printf("%u\n", (unsigned) ngx_http_cx_cluster_slot((u_char *) line,
                                                           len));
    }
}


static int
slots(int argc, char **argv)
{
    int                              i;
    char                            *buf;
    void                            *reply;
    size_t                           len, n;
    ngx_uint_t                       s, start;
    const char                      *reason;
    redisReader                     *reader;
    ngx_http_cx_cluster_map_t       *map;
    ngx_http_cx_cluster_node_t      *node;
    ngx_http_cx_cluster_redirect_t   rd;

    buf = malloc(1024 * 1024);
    len = fread(buf, 1, 1024 * 1024, stdin);

    reader = redisReaderCreate();
    reply = NULL;

    if (redisReaderFeed(reader, buf, len) != REDIS_OK
        || redisReaderGetReply(reader, &reply) != REDIS_OK || reply == NULL)
    {
        printf("error: not a whole RESP reply\n");
        redisReaderFree(reader);
        free(buf);
        return 1;
    }

    if (ngx_http_cx_cluster_map(reply, NULL, &map, &reason) != NGX_OK) {
        printf("error: %s\n", reason);
        goto done;
    }

    for (i = 0; i < argc; i++) {
        if (ngx_http_cx_cluster_redirect((u_char *) argv[i], strlen(argv[i]),
                                         &rd, &reason)
            != NGX_OK
            || rd.type != NGX_HTTP_CX_CLUSTER_MOVED
            || ngx_http_cx_cluster_moved(map, &rd, NULL) != NGX_OK)
        {
            printf("error: not applied: %s\n", argv[i]);
            goto done;
        }
    }

    for (start = 0, s = 1; s <= NGX_HTTP_CX_CLUSTER_SLOTS; s++) {
        if (s < NGX_HTTP_CX_CLUSTER_SLOTS && map->slot[s] == map->slot[start])
        {
            continue;
        }

        node = ngx_http_cx_cluster_node(map, start);

        if (node != NULL) {
            n = node->host.len;
            printf("%u-%u %.*s:%u\n", (unsigned) start, (unsigned) s - 1,
                   (int) n, node->host.data, (unsigned) node->port);
        }

        start = s;
    }

    printf("covered %u nodes %u\n", (unsigned) map->covered,
           (unsigned) map->nnodes);

done:

    freeReplyObject(reply);
    redisReaderFree(reader);
    arena_reset();
    free(buf);

    return 0;
}


static void
redirect(void)
{
    char                            line[4096];
    size_t                          len;
    ngx_int_t                       rc;
    const char                     *reason;
    ngx_http_cx_cluster_redirect_t  rd;
    static const char              *types[] = {
        "", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN"
    };

    while (fgets(line, sizeof(line), stdin) != NULL) {
        len = strlen(line);

        if (len && line[len - 1] == '\n') {
            len--;
        }

        rc = ngx_http_cx_cluster_redirect((u_char *) line, len, &rd, &reason);

        if (rc == NGX_DECLINED) {
            printf("other\n");

        } else if (rc == NGX_ERROR) {
            printf("error: %s\n", reason);

        } else if (rd.type == NGX_HTTP_CX_CLUSTER_MOVED
                   || rd.type == NGX_HTTP_CX_CLUSTER_ASK)
        {
            printf("%s %u [%.*s]:%u\n", types[rd.type], (unsigned) rd.slot,
                   (int) rd.host.len, rd.host.data, (unsigned) rd.port);

        } else {
            printf("%s\n", types[rd.type]);
        }
    }
}


int
main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "keyslot") == 0) {
        keyslot();
        return 0;
    }

    if (argc >= 2 && strcmp(argv[1], "slots") == 0) {
        return slots(argc - 2, argv + 2);
    }

    if (argc == 2 && strcmp(argv[1], "redirect") == 0) {
        redirect();
        return 0;
    }

    fprintf(stderr, "usage: %s keyslot|slots [MOVED...]|redirect < input\n",
            argv[0]);

    return 2;
}
