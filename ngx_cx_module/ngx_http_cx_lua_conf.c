
/*
 * ngx_http_cx_lua_conf.c: the configuration of Lua trigger rules -- the
 * cx_rules_* directives, reading the rule files, and checking them all
 * at configuration time, so that nginx -t (and a reload) fails on a file
 * that would not load in the workers.
 */


#include "ngx_http_cx_lua.h"


static ngx_http_cx_lua_conf_t *ngx_http_cx_lua_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_cx_lua_read(ngx_conf_t *cf, ngx_str_t *file,
    ngx_str_t *source);
static char *ngx_http_cx_lua_flag(ngx_conf_t *cf, ngx_flag_t *flag);


/* cx_rules_lua file | off */

char *
ngx_http_cx_rules_lua(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_str_t                *value, file;
    ngx_uint_t                i;
    ngx_http_cx_rules_t      *rules, **rp;
    ngx_http_cx_lua_conf_t   *lc;

    if (lcf->rules != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strcmp(value[1].data, "off") == 0) {
        lcf->rules = NULL;
        return NGX_CONF_OK;
    }

    lc = ngx_http_cx_lua_conf(cf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* one rule set per file, however many locations use it */

    rp = lc->rules.elts;

    for (i = 0; i < lc->rules.nelts; i++) {
        if (rp[i]->file.len == file.len
            && ngx_strncmp(rp[i]->file.data, file.data, file.len) == 0)
        {
            lcf->rules = rp[i];
            return NGX_CONF_OK;
        }
    }

    rules = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_rules_t));
    if (rules == NULL) {
        return NGX_CONF_ERROR;
    }

    rules->file = file;
    rules->index = lc->rules.nelts;
    rules->conf_file = cf->conf_file->file.name.data;
    rules->conf_line = cf->conf_file->line;

    if (ngx_http_cx_lua_read(cf, &rules->file, &rules->source) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rp = ngx_array_push(&lc->rules);
    if (rp == NULL) {
        return NGX_CONF_ERROR;
    }

    *rp = rules;
    lcf->rules = rules;

    return NGX_CONF_OK;
}


/* cx_rules_budget number */

char *
ngx_http_cx_rules_budget(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_loc_conf_t *lcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (lcf->rules_budget != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n < NGX_HTTP_CX_LUA_BUDGET_MIN
        || n > NGX_HTTP_CX_LUA_BUDGET_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\": a number of "
                           "instructions from %d to %d", &value[1],
                           &cmd->name, NGX_HTTP_CX_LUA_BUDGET_MIN,
                           NGX_HTTP_CX_LUA_BUDGET_MAX);
        return NGX_CONF_ERROR;
    }

    lcf->rules_budget = n;

    return NGX_CONF_OK;
}


/* cx_rules_memory size */

char *
ngx_http_cx_rules_memory(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ssize_t                  size;
    ngx_str_t               *value;
    ngx_http_cx_lua_conf_t  *lc;

    lc = ngx_http_cx_lua_conf(cf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lc->memory != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < NGX_HTTP_CX_LUA_MEMORY_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\": a size of at "
                           "least 1m", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    lc->memory = size;

    return NGX_CONF_OK;
}


/* cx_rules_time_zone local | utc | +HH:MM | Area/City */

char *
ngx_http_cx_rules_time_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char                    *rv;
    ngx_str_t               *value;
    ngx_http_cx_lua_conf_t  *lc;

    lc = ngx_http_cx_lua_conf(cf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (lc->tz.name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rv = ngx_http_cx_tz_parse(cf, &lc->tz, &value[1]);

    if (rv != NGX_CONF_OK && rv != NGX_CONF_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" in \"%V\" %s",
                           &value[1], &cmd->name, rv);
        return NGX_CONF_ERROR;
    }

    return rv;
}


/* cx_rules_check on | off: nginx -t looks for mistakes (lua/check.lua) */

char *
ngx_http_cx_rules_check(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_lua_conf_t  *lc;

    lc = ngx_http_cx_lua_conf(cf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_cx_lua_flag(cf, &lc->check);
}


/*
 * cx_rules_try on | off: for util/cx-rules-try's own nginx only (see
 * ngx_http_cx_lua_try.c)
 */

char *
ngx_http_cx_rules_try(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_cx_lua_conf_t  *lc;

    lc = ngx_http_cx_lua_conf(cf);
    if (lc == NULL) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_cx_lua_flag(cf, &lc->try);
}


static char *
ngx_http_cx_lua_flag(ngx_conf_t *cf, ngx_flag_t *flag)
{
    ngx_str_t  *value;

    if (*flag != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcasecmp(value[1].data, (u_char *) "on") == 0) {
        *flag = 1;

    } else if (ngx_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        *flag = 0;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\", it must be "
                           "\"on\" or \"off\"", &value[1], &value[0]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static ngx_http_cx_lua_conf_t *
ngx_http_cx_lua_conf(ngx_conf_t *cf)
{
    ngx_http_cx_lua_conf_t   *lc;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);

    if (cmcf->lua) {
        return cmcf->lua;
    }

    lc = ngx_pcalloc(cf->pool, sizeof(ngx_http_cx_lua_conf_t));
    if (lc == NULL) {
        return NULL;
    }

    if (ngx_array_init(&lc->rules, cf->pool, 4, sizeof(ngx_http_cx_rules_t *))
        != NGX_OK)
    {
        return NULL;
    }

    lc->memory = NGX_CONF_UNSET_SIZE;
    lc->check = NGX_CONF_UNSET;
    lc->try = NGX_CONF_UNSET;

    cmcf->lua = lc;

    return lc;
}


static ngx_int_t
ngx_http_cx_lua_read(ngx_conf_t *cf, ngx_str_t *file, ngx_str_t *source)
{
    off_t             size;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", file->data);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", file->data);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_HTTP_CX_LUA_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "rule file \"%s\" is larger than 1m", file->data);
        goto failed;
    }

    source->data = ngx_pnalloc(cf->pool, size + 1);
    if (source->data == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, source->data, size);

    if (n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%s\" failed", file->data);
        goto failed;
    }

    source->len = size;

    ngx_close_file(fd);

    return NGX_OK;

failed:

    ngx_close_file(fd);

    return NGX_ERROR;
}


/*
 * Postconfiguration: every rule file is compiled and run once in a VM of
 * its own, so nginx -t (and a reload) fails on a file that would not
 * load in the workers, or that lua/check.lua finds would fail when it
 * runs.
 */

ngx_int_t
ngx_http_cx_lua_init_conf(ngx_conf_t *cf)
{
    ngx_http_cx_lua_vm_t     *vm;
    ngx_http_cx_lua_conf_t   *lc;
    ngx_http_cx_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_cx_module);
    lc = cmcf->lua;

    if (lc == NULL) {
        return NGX_OK;
    }

    ngx_conf_init_size_value(lc->memory, NGX_HTTP_CX_LUA_MEMORY);
    ngx_conf_init_value(lc->check, 1);
    ngx_conf_init_value(lc->try, 0);

    if (ngx_http_cx_lua_try_check(cf, cmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* a literal survey id a file returns: does any cx_survey define it? */
    lc->surveys = lc->check ? &cmcf->surveys : NULL;

    if (lc->rules.nelts == 0) {
        return NGX_OK;
    }

    if (ngx_http_cx_lua_errors_init_conf(cf, lc) != NGX_OK) {
        return NGX_ERROR;
    }

    vm = ngx_http_cx_lua_vm_create(lc, cf->log, 1);
    if (vm == NULL) {
        return NGX_ERROR;
    }

    ngx_http_cx_lua_vm_close(vm);

    return NGX_OK;
}
