
/*
 * ngx_http_cx_csv.h: the module's CSV writer -- rows of cells in a
 * request pool (RFC 4180: CRLF between rows, a cell quoted when it holds
 * a quote, comma, CR or LF, quotes doubled), safe to open in a
 * spreadsheet (a cell starting with = + - @ TAB or CR gets a leading ',
 * so it is never a formula; invalid UTF-8 becomes U+FFFD), and the
 * text/csv response.
 */


#ifndef _NGX_HTTP_CX_CSV_H_INCLUDED_
#define _NGX_HTTP_CX_CSV_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_cx_util.h"


/*
 * Like the JSON builder, errors (no memory) are sticky and reported by
 * ngx_http_cx_csv_send(): callers write every row and check once.
 */

typedef struct {
    ngx_http_cx_grow_t           out;
    ngx_uint_t                   cells;     /* in the row being written */
} ngx_http_cx_csv_t;


ngx_int_t ngx_http_cx_csv_init(ngx_http_cx_csv_t *csv, ngx_pool_t *pool,
    size_t size);
void ngx_http_cx_csv_cell(ngx_http_cx_csv_t *csv, ngx_str_t *s);
void ngx_http_cx_csv_cstr(ngx_http_cx_csv_t *csv, const char *s);
void ngx_http_cx_csv_row(ngx_http_cx_csv_t *csv);
ngx_int_t ngx_http_cx_csv_send(ngx_http_request_t *r, ngx_http_cx_csv_t *csv,
    ngx_str_t *filename);


#endif /* _NGX_HTTP_CX_CSV_H_INCLUDED_ */
