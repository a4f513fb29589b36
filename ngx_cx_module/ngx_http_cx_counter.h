
/*
 * ngx_http_cx_counter.h: per-worker counters and the batches that carry
 * them to Redis.
 */


#ifndef _NGX_HTTP_CX_COUNTER_H_INCLUDED_
#define _NGX_HTTP_CX_COUNTER_H_INCLUDED_


#include "ngx_http_cx_module.h"


typedef struct ngx_http_cx_counter_s  ngx_http_cx_counter_t;

struct ngx_http_cx_counter_s {
    ngx_http_cx_counter_t       *next;      /* in its bucket */
    ngx_http_cx_counter_t       *all;       /* every counter of the table */
    uint32_t                     hash;
    uint16_t                     key_len;
    uint16_t                     field_len;
    int64_t                      n;
    u_char                       data[1];   /* key, then field */
};


/*
 * A widget event with a token: applied at most once per token and event,
 * a custom one only within the token's and the site's day limits.
 */

typedef struct ngx_http_cx_record_s  ngx_http_cx_record_t;

struct ngx_http_cx_record_s {
    ngx_http_cx_record_t        *next;
    ngx_str_t                    site;
    ngx_str_t                    survey;
    ngx_str_t                    type;
    ngx_str_t                    touchpoint;
    ngx_str_t                    event;
    ngx_str_t                    comment;
    ngx_str_t                    page;
    ngx_str_t                    variant;   /* the question's, or empty */
    ngx_int_t                    score;     /* -1: none */
    time_t                       time;
    u_char                       nonce[16];
    unsigned                     followup:1;
    unsigned                     custom:1;  /* not shown, dismissed,
                                               answered */
    unsigned                     commented:1;   /* its score is the
                                               answer's: not counted again */
    u_char                       data[1];
};


typedef struct {
    uint64_t                     seq;
    ngx_http_cx_record_t        *records;
    ngx_uint_t                   nrecords;
    ngx_http_cx_counter_t      **items;
    ngx_uint_t                   nitems;
    uint64_t                     events;
    ngx_uint_t                   attempts;
    ngx_msec_t                   sent;      /* when last sent */

    /* cx_redis_cluster: a part of a worker's batch (ngx_http_cx_flush.h) */
    ngx_str_t                    site;
    ngx_uint_t                   shard;
    ngx_uint_t                   slot;      /* of every key it touches */
} ngx_http_cx_batch_t;


#define ngx_http_cx_batch_empty(b)  ((b)->nitems == 0 && (b)->nrecords == 0)


ngx_int_t ngx_http_cx_count_event(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *site, ngx_str_t *survey, ngx_str_t *touchpoint,
    ngx_str_t *event, time_t now);
ngx_int_t ngx_http_cx_count_stable(ngx_http_cx_main_conf_t *cmcf,
    ngx_str_t *site, ngx_str_t *touchpoint, ngx_str_t *event, time_t now);

ngx_int_t ngx_http_cx_counters_init(ngx_cycle_t *cycle, ngx_uint_t max);
void ngx_http_cx_counters_done(void);
ngx_uint_t ngx_http_cx_counters_pending(uint64_t *events);
uint64_t ngx_http_cx_counters_counted(void);
uint64_t ngx_http_cx_counters_dropped(void);
ngx_int_t ngx_http_cx_counters_take(ngx_http_cx_batch_t *batch);
ngx_int_t ngx_http_cx_record_add(ngx_http_cx_record_t *rec);
void ngx_http_cx_counters_merge(ngx_http_cx_batch_t *batch);
void ngx_http_cx_batch_free(ngx_http_cx_batch_t *batch);


#endif /* _NGX_HTTP_CX_COUNTER_H_INCLUDED_ */
