#!/bin/bash
# Builds ngx_http_cx_module.so against Debian's nginx-dev tree.
#   util/build.sh OUTDIR [extra cc opts]
# The nginx tree is copied into OUTDIR/nginx and configured with Debian's
# own flags (conf_flags), so the module's signature matches /usr/sbin/nginx.
set -e

root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
extra=$2
src=${NGX_SRC:-/usr/share/nginx/src}

[ -n "$out" ] || { echo "usage: $0 OUTDIR [cc-opts]" >&2; exit 2; }
[ -f "$src/conf_flags" ] || { echo "$src/conf_flags not found: install nginx-dev" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$out/nginx
stamp=$tree/.cx-configured
want="$(cat "$src/conf_flags" "$root/config") $extra"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$tree"
    cp -a "$src" "$tree"
    . "$src/conf_flags"
    (cd "$tree" && ./configure "${NGX_CONF_FLAGS[@]}" \
        --with-cc-opt="-g -O2 -fPIC -fstack-protector-strong -Wformat -Werror=format-security -Wall -Werror -D_FORTIFY_SOURCE=2 $extra" \
        --with-ld-opt="-Wl,-z,relro -Wl,-z,now -fPIC $extra" \
        --add-dynamic-module="$root" >"$out/configure.log" 2>&1) \
        || { tail -30 "$out/configure.log"; exit 1; }
    printf '%s' "$want" > "$stamp"
fi

make -s -C "$tree" -f objs/Makefile modules
# a new file, not a rewrite: a running nginx keeps the one it mapped
cp "$tree/objs/ngx_http_cx_module.so" "$out/.ngx_http_cx_module.so.tmp"
mv -f "$out/.ngx_http_cx_module.so.tmp" "$out/ngx_http_cx_module.so"
