
/*
 * ngx_http_cx_lua_lib.c: the Lua sources built into the module, so the
 * .so needs no files at run time: the sandbox (lua/sandbox.lua), the
 * helper library rules see as "cx" (lua/cx/init.lua) and the check of
 * rule files at load (lua/check.lua).  NGX_HTTP_CX_LUA_DIR
 * is defined by the addon's config script.
 */


#include <ngx_config.h>
#include <ngx_core.h>


#define ngx_http_cx_lua_embed(name, file)                                   \
    __asm__ (                                                               \
        "    .section .rodata\n"                                            \
        "    .global " #name "\n"                                           \
        "    .hidden " #name "\n"                                           \
        #name ":\n"                                                         \
        "    .incbin \"" NGX_HTTP_CX_LUA_DIR "/" file "\"\n"                \
        "    .global " #name "_end\n"                                       \
        "    .hidden " #name "_end\n"                                       \
        #name "_end:\n"                                                     \
        "    .byte 0\n"                                                     \
        "    .previous\n"                                                   \
    )


ngx_http_cx_lua_embed(ngx_http_cx_lua_sandbox, "sandbox.lua");
ngx_http_cx_lua_embed(ngx_http_cx_lua_cx, "cx/init.lua");
ngx_http_cx_lua_embed(ngx_http_cx_lua_check, "check.lua");
