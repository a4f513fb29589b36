
/*
 * ngx_http_cx_survey.c: what a survey is -- the survey types, their
 * scales and follow-up thresholds (cx_followup_threshold), the
 * "cx_survey" argument parser (with the question's variants), and a
 * survey found by its id.
 */


#include "ngx_http_cx_module.h"
#include "ngx_http_cx_survey.h"
#include "ngx_http_cx_token.h"
#include "ngx_http_cx_util.h"


static char *ngx_http_cx_survey_param(ngx_conf_t *cf, ngx_http_cx_survey_t *s,
    ngx_str_t *param);
static char *ngx_http_cx_survey_unquoted(ngx_conf_t *cf, ngx_uint_t i);
static ngx_int_t ngx_http_cx_parse_sample(ngx_str_t *v, ngx_uint_t *sample);
static char *ngx_http_cx_survey_text(ngx_conf_t *cf, ngx_str_t *param,
    ngx_str_t *v, ngx_str_t *text);
static char *ngx_http_cx_survey_days(ngx_conf_t *cf, ngx_str_t *param,
    ngx_str_t *v, const char *what, ngx_uint_t *days);
static char *ngx_http_cx_survey_variant(ngx_conf_t *cf,
    ngx_http_cx_survey_t *s, ngx_str_t *param, ngx_str_t *v);


#define NGX_HTTP_CX_SURVEY_PARAMS                                            \
    "type=, question=, sample=, delay=, cooldown=, recontact=, "             \
    "dismissed=, followup=, followup_question= or variant="

/* variant= of one survey, at most */
#define NGX_HTTP_CX_SURVEY_VARIANTS     10


/* the directive being parsed, for error messages */
#define ngx_http_cx_directive(cf)   (&((ngx_str_t *) (cf)->args->elts)[0])

/* what ngx_http_cx_parse_sample() finds wrong */
#define NGX_HTTP_CX_SAMPLE_NOT_NUMBER   1
#define NGX_HTTP_CX_SAMPLE_NO_PERCENT   2
#define NGX_HTTP_CX_SAMPLE_DECIMALS     3

/* how much of an unquoted question an error message repeats */
#define NGX_HTTP_CX_QUOTE_SHOWN         80


static ngx_http_cx_survey_type_t  ngx_http_cx_types[] = {
    { ngx_string("nps"), 0, 10, 6, 0 },
    { ngx_string("csat"), 1, 5, 2, 1 },
    { ngx_string("ces"), 1, 7, 3, 2 },
    { ngx_null_string, 0, 0, 0, 0 }
};


ngx_http_cx_survey_type_t *
ngx_http_cx_survey_type(ngx_str_t *name)
{
    ngx_http_cx_survey_type_t  *t;

    for (t = ngx_http_cx_types; t->name.len; t++) {
        if (t->name.len == name->len
            && ngx_strncmp(t->name.data, name->data, name->len) == 0)
        {
            return t;
        }
    }

    return NULL;
}


ngx_http_cx_survey_type_t *
ngx_http_cx_survey_types(void)
{
    return ngx_http_cx_types;
}


/* answers at or below it are followed up (and count as low, "pain") */

ngx_int_t
ngx_http_cx_followup_threshold(ngx_http_cx_main_conf_t *cmcf,
    ngx_http_cx_survey_type_t *type)
{
    return cmcf->followup[type->index];
}


/* cx_followup_threshold [nps=N] [csat=N] [ces=N] */

char *
ngx_http_cx_followup_conf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t *cmcf = conf;

    u_char                     *eq;
    ngx_int_t                   n;
    ngx_str_t                  *value, name, v;
    ngx_uint_t                  i;
    ngx_http_cx_survey_type_t  *t;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
        if (eq == NULL) {
            goto invalid;
        }

        name.data = value[i].data;
        name.len = eq - value[i].data;
        v.data = eq + 1;
        v.len = value[i].data + value[i].len - v.data;

        t = ngx_http_cx_survey_type(&name);
        n = ngx_atoi(v.data, v.len);

        if (t == NULL || n == NGX_ERROR || n < t->min - 1 || n > t->max) {
            goto invalid;
        }

        if (cmcf->followup[t->index] != NGX_CONF_UNSET) {
            return "is duplicate";
        }

        cmcf->followup[t->index] = n;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\": expected "
                       "nps=, csat= or ces= with a score of the type's "
                       "scale (one below the scale: no follow-ups)",
                       &value[i], &cmd->name);
    return NGX_CONF_ERROR;
}


ngx_http_cx_survey_t *
ngx_http_cx_survey_find(ngx_http_cx_main_conf_t *cmcf, ngx_str_t *id)
{
    ngx_uint_t             i;
    ngx_http_cx_survey_t **s;

    s = cmcf->surveys.elts;

    for (i = 0; i < cmcf->surveys.nelts; i++) {
        if (s[i]->id.len == id->len
            && ngx_strncmp(s[i]->id.data, id->data, id->len) == 0)
        {
            return s[i];
        }
    }

    return NULL;
}


/*
 * cx_survey ID type=nps|csat|ces ["question=.."] [sample=P%] [delay=Ns]
 *           [cooldown=Nd] [recontact=Nd] [dismissed=Nd]
 *           [followup=low|all|none] ["followup_question=.."]
 *           ["variant=NAME:QUESTION" ...]
 */

char *
ngx_http_cx_survey_parse(ngx_conf_t *cf, ngx_http_cx_survey_t *s)
{
    char        *rv;
    ngx_str_t   *value;
    ngx_uint_t   i;

    value = cf->args->elts;

    if (!ngx_http_cx_name_valid(value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid survey id \"%V\" in \"%V\": "
                           "a name is 1-64 of [a-z0-9_.-]",
                           &value[1], ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    s->id = value[1];
    s->sample = NGX_HTTP_CX_SAMPLE_ALL;
    s->file = cf->conf_file->file.name.data;
    s->line = cf->conf_file->line;
    s->recontact = NGX_CONF_UNSET_UINT;
    s->dismissed = NGX_CONF_UNSET_UINT;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strlchr(value[i].data, value[i].data + value[i].len, '=')
            == NULL)
        {
            return ngx_http_cx_survey_unquoted(cf, i);
        }

        rv = ngx_http_cx_survey_param(cf, s, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (s->type == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "survey \"%V\" in \"%V\" has no \"type=\" "
                           "(nps, csat or ces)", &s->id,
                           ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    if (s->variants && s->question.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "survey \"%V\" in \"%V\" has both \"question=\" "
                           "and \"variant=\": each variant has its "
                           "question", &s->id, ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    /* recontact by default: 90 days after an answer, 7 after a dismiss */

    if (s->recontact == NGX_CONF_UNSET_UINT) {
        s->recontact = s->cooldown ? s->cooldown : 90;
    }

    if (s->dismissed == NGX_CONF_UNSET_UINT) {
        s->dismissed = 7;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_cx_survey_param(ngx_conf_t *cf, ngx_http_cx_survey_t *s,
    ngx_str_t *param)
{
    u_char     *eq;
    time_t      t;
    ngx_str_t   name, v;

    eq = ngx_strlchr(param->data, param->data + param->len, '=');
    if (eq == NULL) {
        goto invalid;
    }

    name.data = param->data;
    name.len = eq - param->data;
    v.data = eq + 1;
    v.len = param->data + param->len - v.data;

    if (name.len == 4 && ngx_strncmp(name.data, "type", 4) == 0) {
        s->type = ngx_http_cx_survey_type(&v);
        if (s->type == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown survey type \"%V\" in \"%V\": "
                               "use nps, csat or ces", &v,
                               ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (name.len == 8 && ngx_strncmp(name.data, "question", 8) == 0) {
        return ngx_http_cx_survey_text(cf, param, &v, &s->question);
    }

    /* title=: the name the dashboard shows (report=surveys), as text */
    if (name.len == 5 && ngx_strncmp(name.data, "title", 5) == 0) {
        if (v.len == 0 || v.len > 128
            || !ngx_http_cx_utf8_valid(v.data, v.len))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": a title is "
                               "1-128 bytes of UTF-8 text", param,
                               ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }

        s->title = v;
        return NGX_CONF_OK;
    }

    if (name.len == 6 && ngx_strncmp(name.data, "sample", 6) == 0) {

        switch (ngx_http_cx_parse_sample(&v, &s->sample)) {

        case NGX_OK:
            return NGX_CONF_OK;

        case NGX_HTTP_CX_SAMPLE_NO_PERCENT:

            if (s->sample > 0 && s->sample < 100) {
                /* "0.2": 0.2% or a fraction, 20%? */
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"%V\" in \"%V\": write a "
                                   "percentage, \"%V%%\", or "
                                   "\"sample=%ui%%\" if %V is a fraction",
                                   param, ngx_http_cx_directive(cf), param,
                                   s->sample, &v);
                return NGX_CONF_ERROR;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": write a "
                               "percentage, e.g. \"%V%%\"",
                               param, ngx_http_cx_directive(cf), param);
            return NGX_CONF_ERROR;

        case NGX_HTTP_CX_SAMPLE_DECIMALS:
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": a sample has "
                               "two decimals at most, e.g. 0.13%%",
                               param, ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;

        default:
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": a sample is a "
                               "percentage from 0%% to 100%%, e.g. 12.5%%",
                               param, ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }
    }

    if (name.len == 5 && ngx_strncmp(name.data, "delay", 5) == 0) {
        t = ngx_parse_time(&v, 1);
        if (t == (time_t) NGX_ERROR || t > 3600) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": a delay is a time "
                               "from 0s to 1h, e.g. 5s", param,
                               ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }

        s->delay = t;
        return NGX_CONF_OK;
    }

    if (name.len == 8 && ngx_strncmp(name.data, "cooldown", 8) == 0) {
        return ngx_http_cx_survey_days(cf, param, &v, "a cooldown",
                                       &s->cooldown);
    }

    if (name.len == 9 && ngx_strncmp(name.data, "recontact", 9) == 0) {
        return ngx_http_cx_survey_days(cf, param, &v, "a recontact",
                                       &s->recontact);
    }

    if (name.len == 9 && ngx_strncmp(name.data, "dismissed", 9) == 0) {
        return ngx_http_cx_survey_days(cf, param, &v, "a dismissed",
                                       &s->dismissed);
    }

    if (name.len == 8 && ngx_strncmp(name.data, "followup", 8) == 0) {
        if (v.len == 3 && ngx_strncmp(v.data, "low", 3) == 0) {
            s->followup = NGX_HTTP_CX_FOLLOWUP_LOW;

        } else if (v.len == 3 && ngx_strncmp(v.data, "all", 3) == 0) {
            s->followup = NGX_HTTP_CX_FOLLOWUP_ALL;

        } else if (v.len == 4 && ngx_strncmp(v.data, "none", 4) == 0) {
            s->followup = NGX_HTTP_CX_FOLLOWUP_NONE;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid \"%V\" in \"%V\": use followup=low "
                               "(low scores are asked for a comment), all "
                               "or none", param, ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (name.len == 17
        && ngx_strncmp(name.data, "followup_question", 17) == 0)
    {
        return ngx_http_cx_survey_text(cf, param, &v, &s->followup_question);
    }

    if (name.len == 7 && ngx_strncmp(name.data, "variant", 7) == 0) {
        return ngx_http_cx_survey_variant(cf, s, param, &v);
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\": expected "
                       NGX_HTTP_CX_SURVEY_PARAMS,
                       param, ngx_http_cx_directive(cf));
    return NGX_CONF_ERROR;
}


/*
 * A parameter without "=": most often the second word of a question
 * written without quotes (nginx splits question=How likely ...? into
 * words).  The message shows the question as it should be written.
 */

static char *
ngx_http_cx_survey_unquoted(ngx_conf_t *cf, ngx_uint_t i)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *value, question;
    ngx_uint_t   q, k, n;

    value = cf->args->elts;

    for (q = i - 1; q > 1; q--) {
        if (ngx_strlchr(value[q].data, value[q].data + value[q].len, '=')) {
            break;
        }
    }

    /*
     * the next word of a question= or variant= without quotes (which has
     * no space)
     */

    if (q < 2
        || !((value[q].len >= sizeof("question=") - 1
              && ngx_strncmp(value[q].data, "question=",
                             sizeof("question=") - 1) == 0)
             || (value[q].len >= sizeof("variant=") - 1
                 && ngx_strncmp(value[q].data, "variant=",
                                sizeof("variant=") - 1) == 0))
        || ngx_strlchr(value[q].data, value[q].data + value[q].len, ' '))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\" in \"%V\": expected "
                           NGX_HTTP_CX_SURVEY_PARAMS,
                           &value[i], ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    /* the question's words, up to the next name=value */

    len = 0;

    for (k = q; k < cf->args->nelts; k++) {
        if (k > q
            && ngx_strlchr(value[k].data, value[k].data + value[k].len, '='))
        {
            break;
        }

        len += value[k].len + 1;
    }

    question.data = ngx_pnalloc(cf->temp_pool, len);
    if (question.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = question.data;

    for (n = q; n < k; n++) {
        if (n > q) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, value[n].data, value[n].len);
    }

    question.len = p - question.data;

    if (question.len > NGX_HTTP_CX_QUOTE_SHOWN) {
        ngx_memcpy(question.data + NGX_HTTP_CX_QUOTE_SHOWN - 3, "...", 3);
        question.len = NGX_HTTP_CX_QUOTE_SHOWN;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\": a question "
                       "with spaces is one parameter in quotes, "
                       "e.g. \"%V\"",
                       &value[i], ngx_http_cx_directive(cf), &question);
    return NGX_CONF_ERROR;
}


/*
 * "12.5%" -> 1250 (1/100 of %): a number from 0 to 100 with two decimals
 * at most, and the "%" (a bare "20" or "0.2" reads as 20% to some and as
 * a fraction to others, as cx.sample(0.2) in rules is); *sample is set
 * for NGX_HTTP_CX_SAMPLE_NO_PERCENT too, for the message
 */

static ngx_int_t
ngx_http_cx_parse_sample(ngx_str_t *v, ngx_uint_t *sample)
{
    u_char      *p, *last;
    ngx_uint_t   n, dot, digits, decimals, percent;

    p = v->data;
    last = v->data + v->len;

    percent = (p < last && last[-1] == '%');

    if (percent) {
        last--;
    }

    n = 0;
    dot = 0;
    digits = 0;
    decimals = 0;

    for ( /* void */ ; p < last; p++) {

        if (*p == '.' && !dot) {
            dot = 1;
            continue;
        }

        if (*p < '0' || *p > '9') {
            return NGX_HTTP_CX_SAMPLE_NOT_NUMBER;
        }

        if (n <= NGX_HTTP_CX_SAMPLE_ALL) {
            n = n * 10 + (*p - '0');
        }

        digits++;
        decimals += dot;
    }

    if (digits == 0) {
        return NGX_HTTP_CX_SAMPLE_NOT_NUMBER;
    }

    if (decimals > 2) {
        return NGX_HTTP_CX_SAMPLE_DECIMALS;
    }

    while (decimals++ < 2) {
        n *= 10;
    }

    if (n > NGX_HTTP_CX_SAMPLE_ALL) {
        return NGX_HTTP_CX_SAMPLE_NOT_NUMBER;
    }

    *sample = n;

    return percent ? NGX_OK : NGX_HTTP_CX_SAMPLE_NO_PERCENT;
}



/* question= and followup_question=: UTF-8 text, HTML-escaped */

static char *
ngx_http_cx_survey_text(ngx_conf_t *cf, ngx_str_t *param, ngx_str_t *v,
    ngx_str_t *text)
{
    if (v->len == 0 || v->len > NGX_HTTP_CX_QUESTION_MAX
        || !ngx_http_cx_utf8_valid(v->data, v->len))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" in \"%V\": a question is "
                           "1-%d bytes of UTF-8 text", param,
                           ngx_http_cx_directive(cf),
                           NGX_HTTP_CX_QUESTION_MAX);
        return NGX_CONF_ERROR;
    }

    text->len = ngx_http_cx_escape_html_len(v->data, v->len);
    text->data = ngx_pnalloc(cf->pool, text->len);
    if (text->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_http_cx_escape_html(text->data, v->data, v->len);

    return NGX_CONF_OK;
}


/*
 * variant=NAME:QUESTION, once per variant: NAME a variant name, QUESTION
 * as question= (empty: the widget's own).  The module asks each visitor
 * one of them (ngx_http_cx_pageview.c), in this order.
 */

static char *
ngx_http_cx_survey_variant(ngx_conf_t *cf, ngx_http_cx_survey_t *s,
    ngx_str_t *param, ngx_str_t *v)
{
    u_char                 *colon;
    ngx_str_t               name, q;
    ngx_uint_t              i;
    ngx_http_cx_variant_t  *var;

    colon = ngx_strlchr(v->data, v->data + v->len, ':');

    name.data = v->data;
    name.len = colon ? (size_t) (colon - v->data) : v->len;

    if (colon == NULL || !ngx_http_cx_variant_valid(name.data, name.len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" in \"%V\": a variant is "
                           "\"variant=NAME:QUESTION\", its NAME 1-"
                           ngx_value(NGX_HTTP_CX_VARIANT_MAX)
                           " of [a-z0-9_.-]", param,
                           ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    if (s->variants == NULL) {
        s->variants = ngx_array_create(cf->pool, 2,
                                       sizeof(ngx_http_cx_variant_t));
        if (s->variants == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    var = s->variants->elts;

    for (i = 0; i < s->variants->nelts; i++) {
        if (var[i].name.len == name.len
            && ngx_strncmp(var[i].name.data, name.data, name.len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate variant \"%V\" in \"%V\"",
                               &name, ngx_http_cx_directive(cf));
            return NGX_CONF_ERROR;
        }
    }

    if (s->variants->nelts == NGX_HTTP_CX_SURVEY_VARIANTS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "too many variants in \"%V\": at most "
                           ngx_value(NGX_HTTP_CX_SURVEY_VARIANTS),
                           ngx_http_cx_directive(cf));
        return NGX_CONF_ERROR;
    }

    var = ngx_array_push(s->variants);
    if (var == NULL) {
        return NGX_CONF_ERROR;
    }

    var->name = name;

    q.data = colon + 1;
    q.len = v->data + v->len - q.data;

    if (q.len == 0) {
        ngx_str_set(&var->question, "");
        return NGX_CONF_OK;
    }

    return ngx_http_cx_survey_text(cf, param, &q, &var->question);
}


/* a number of days, "30" or a time ("30d", "12w"), up to 3650 */

static char *
ngx_http_cx_survey_days(ngx_conf_t *cf, ngx_str_t *param, ngx_str_t *v,
    const char *what, ngx_uint_t *days)
{
    time_t     t;
    ngx_int_t  n;

    n = ngx_atoi(v->data, v->len);

    if (n == NGX_ERROR) {
        t = ngx_parse_time(v, 1);
        n = (t == (time_t) NGX_ERROR) ? NGX_ERROR : (t + 86399) / 86400;
    }

    if (n == NGX_ERROR || n > 3650) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" in \"%V\": %s is a number of "
                           "days up to 3650, e.g. 30d", param,
                           ngx_http_cx_directive(cf), what);
        return NGX_CONF_ERROR;
    }

    *days = n;

    return NGX_CONF_OK;
}


/* cx_survey_gap TIME: at most one survey of any kind per visitor in it */

char *
ngx_http_cx_survey_gap(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_main_conf_t  *cmcf = conf;

    ngx_str_t  *value;

    if (cmcf->survey_gap != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    return ngx_http_cx_survey_days(cf, &value[1], &value[1], "a gap",
                                   &cmcf->survey_gap);
}
