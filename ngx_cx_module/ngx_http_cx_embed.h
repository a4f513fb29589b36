
/*
 * ngx_http_cx_embed.h: the one way a file of the source tree is built into
 * the module, so the .so needs no files at run time and no build step but
 * nginx's own: the Lua sandbox and helpers (lua/), the Redis scripts
 * (lua/redis/), the widget (widget/dist/) and the dashboard (dashboard/).
 *
 *     ngx_http_cx_embed(ngx_http_cx_lua_sandbox, "lua/sandbox.lua");
 *
 * declares u_char name[] and name_end[]: the file's bytes lie between
 * them, followed by one NUL that is not counted (so a script can be
 * handed to C string functions), starting 16-byte aligned (nginx's MD5
 * without OpenSSL reads words).  The path is relative to the addon's
 * directory, NGX_HTTP_CX_ROOT_DIR, which the config script defines; the
 * config script also lists each embedded file in CX_DEPS, so make
 * rebuilds when one changes.
 */


#ifndef _NGX_HTTP_CX_EMBED_H_INCLUDED_
#define _NGX_HTTP_CX_EMBED_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define ngx_http_cx_embed(name, file)                                       \
    __asm__ (                                                               \
        "    .section .rodata\n"                                            \
        "    .balign 16\n"                                                  \
        "    .global " #name "\n"                                           \
        "    .hidden " #name "\n"                                           \
        #name ":\n"                                                         \
        "    .incbin \"" NGX_HTTP_CX_ROOT_DIR "/" file "\"\n"               \
        "    .global " #name "_end\n"                                       \
        "    .hidden " #name "_end\n"                                       \
        #name "_end:\n"                                                     \
        "    .byte 0\n"                                                     \
        "    .previous\n"                                                   \
    );                                                                      \
    extern u_char  name[];                                                  \
    extern u_char  name##_end[]


#endif /* _NGX_HTTP_CX_EMBED_H_INCLUDED_ */
