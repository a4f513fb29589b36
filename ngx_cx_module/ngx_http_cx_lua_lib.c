
/*
 * ngx_http_cx_lua_lib.c: the Lua sources built into the module, so the
 * .so needs no files at run time: the sandbox (lua/sandbox.lua), the
 * helper library rules see as "cx" (lua/cx/init.lua) and the check of
 * rule files at load (lua/check.lua), by ngx_http_cx_embed().
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_cx_embed.h"


ngx_http_cx_embed(ngx_http_cx_lua_sandbox, "lua/sandbox.lua");
ngx_http_cx_embed(ngx_http_cx_lua_cx, "lua/cx/init.lua");
ngx_http_cx_embed(ngx_http_cx_lua_check, "lua/check.lua");
