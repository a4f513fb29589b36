
/*
 * ngx_http_cx_score_survey_list.c: GET /cx/score?report=surveys, the surveys
 * configured in this nginx (every cx_survey id once, in the order of the
 * configuration) with their type, scale, follow-up threshold and
 * question: what the dashboard offers to choose from.  Answered from the
 * configuration alone, without Redis.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_score.h"
#include "ngx_http_cx_survey.h"


static void ngx_http_cx_score_question(ngx_http_cx_json_t *j, ngx_str_t *q);
static void ngx_http_cx_score_variants(ngx_http_cx_json_t *j,
    ngx_array_t *variants);


ngx_int_t
ngx_http_cx_score_surveys(ngx_http_request_t *r)
{
    ngx_str_t                   out;
    ngx_uint_t                  i;
    ngx_http_cx_json_t          j;
    ngx_http_cx_survey_t      **s, *survey;
    ngx_http_cx_main_conf_t    *cmcf;
    ngx_http_cx_survey_type_t  *type;

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_cx_module);

    if (ngx_http_cx_json_init(&j, r->pool, 256 + cmcf->surveys.nelts * 256)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_cx_json_object(&j);

    ngx_http_cx_json_key(&j, "report");
    ngx_http_cx_json_cstr(&j, "surveys");

    ngx_http_cx_json_key(&j, "surveys");
    ngx_http_cx_json_array(&j);

    s = cmcf->surveys.elts;

    for (i = 0; i < cmcf->surveys.nelts; i++) {
        survey = s[i];
        type = survey->type;

        ngx_http_cx_json_object(&j);

        ngx_http_cx_json_key(&j, "id");
        ngx_http_cx_json_str(&j, &survey->id);

        ngx_http_cx_json_key(&j, "type");
        ngx_http_cx_json_str(&j, &type->name);

        ngx_http_cx_json_key(&j, "question");
        ngx_http_cx_score_question(&j, &survey->question);

        if (survey->title.len) {
            ngx_http_cx_json_key(&j, "title");
            ngx_http_cx_json_str(&j, &survey->title);
        }

        ngx_http_cx_json_key(&j, "scale");
        ngx_http_cx_json_array(&j);
        ngx_http_cx_json_int(&j, type->min);
        ngx_http_cx_json_int(&j, type->max);
        ngx_http_cx_json_end(&j);

        ngx_http_cx_json_key(&j, "low");
        ngx_http_cx_json_int(&j, ngx_http_cx_followup_threshold(cmcf, type));

        if (survey->variants) {
            ngx_http_cx_score_variants(&j, survey->variants);
        }

        ngx_http_cx_json_end(&j);
    }

    ngx_http_cx_json_end(&j);
    ngx_http_cx_json_end(&j);

    if (ngx_http_cx_json_done(&j, &out) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_cx_json_send(r, NGX_HTTP_OK, &out);
}


/*
 * The question as configured: the survey keeps it HTML-escaped for the
 * tag's attribute (ngx_http_cx_escape_html), which escapes every '&', so
 * undoing its five entities gives the text back exactly.  None: null.
 */

static void
ngx_http_cx_score_question(ngx_http_cx_json_t *j, ngx_str_t *q)
{
    u_char     *p, *last, *dst;
    ngx_str_t   text;
    ngx_uint_t  i;

    static ngx_str_t  entities[] = {
        ngx_string("&lt;"), ngx_string("&gt;"), ngx_string("&amp;"),
        ngx_string("&#34;"), ngx_string("&#39;")
    };

    static u_char  chars[] = "<>&\"'";

    if (q->len == 0) {
        ngx_http_cx_json_null(j);
        return;
    }

    text.data = ngx_pnalloc(j->out.pool, q->len);
    if (text.data == NULL) {
        j->out.error = 1;
        return;
    }

    dst = text.data;
    last = q->data + q->len;

    for (p = q->data; p < last; /* void */) {

        if (*p == '&') {
            for (i = 0; i < sizeof(entities) / sizeof(ngx_str_t); i++) {
                if ((size_t) (last - p) >= entities[i].len
                    && ngx_strncmp(p, entities[i].data, entities[i].len) == 0)
                {
                    break;
                }
            }

            if (i < sizeof(entities) / sizeof(ngx_str_t)) {
                *dst++ = chars[i];
                p += entities[i].len;
                continue;
            }
        }

        *dst++ = *p++;
    }

    text.len = dst - text.data;

    ngx_http_cx_json_str(j, &text);
}


/* "variants": [{"variant", "question"}, ...] of cx_survey variant= */

static void
ngx_http_cx_score_variants(ngx_http_cx_json_t *j, ngx_array_t *variants)
{
    ngx_uint_t              i;
    ngx_http_cx_variant_t  *var;

    var = variants->elts;

    ngx_http_cx_json_key(j, "variants");
    ngx_http_cx_json_array(j);

    for (i = 0; i < variants->nelts; i++) {
        ngx_http_cx_json_object(j);
        ngx_http_cx_json_key(j, "variant");
        ngx_http_cx_json_str(j, &var[i].name);
        ngx_http_cx_json_key(j, "question");
        ngx_http_cx_score_question(j, &var[i].question);
        ngx_http_cx_json_end(j);
    }

    ngx_http_cx_json_end(j);
}
