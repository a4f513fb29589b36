
/*
 * ngx_http_cx_memo.h: where the real "</body>" is, remembered per
 * representation (ngx_http_cx_memo.c).
 */


#ifndef _NGX_HTTP_CX_MEMO_H_INCLUDED_
#define _NGX_HTTP_CX_MEMO_H_INCLUDED_


#include "ngx_http_cx_module.h"


uint64_t ngx_http_cx_memo_key(ngx_http_request_t *r, void *lcf);
ngx_int_t ngx_http_cx_memo_get(uint64_t key, off_t *offset);
void ngx_http_cx_memo_set(uint64_t key, off_t offset);
void ngx_http_cx_memo_forget(uint64_t key);


#endif /* _NGX_HTTP_CX_MEMO_H_INCLUDED_ */
