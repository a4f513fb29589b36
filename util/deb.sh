#!/bin/bash
# Builds the Debian package libnginx-mod-http-cx from OUTDIR's module, as
# Debian's own libnginx-mod-* packages are laid out (see pkg/deb/):
#   util/deb.sh OUTDIR    (make deb: after make all)
# writes OUTDIR/libnginx-mod-http-cx_<VERSION>_<arch>.deb, offline:
# dpkg-deb on a tree staged in OUTDIR/deb.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: $0 OUTDIR}
src=${NGX_SRC:-/usr/share/nginx/src}
pkg=libnginx-mod-http-cx
so=$out/ngx_http_cx_module.so

fail() { echo "util/deb.sh: $*" >&2; exit 1; }

[ -f "$so" ] || fail "$so not found: run make first"

version=$(cat "$root/VERSION")
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] \
    || fail "VERSION \"$version\" is not a Debian version"
arch=$(dpkg --print-architecture)
deb=$out/${pkg}_${version}_${arch}.deb

# The ABI the module was built for: the nginx-dev tree's own tag, as
# dh_nginx reads it; the installed nginx must provide the same.
abi=$(sed -n 's/^nginx:abi=//p' "$src/debian/libnginx-mod.abisubstvars")
[ -n "$abi" ] || fail "no nginx:abi in $src/debian/libnginx-mod.abisubstvars"
if provides=$(dpkg-query -W -f='${Provides}' nginx 2>/dev/null); then
    [[ ", $provides," == *", $abi,"* ]] \
        || fail "nginx-dev is $abi but the installed nginx provides" \
                "\"$provides\": install matching nginx and nginx-dev"
fi

# Dates and the changelog's line come from the last commit (a tree
# without git gets today), so the same commit builds the same package.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    export SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct)
    built="commit $(git -C "$root" describe --always --dirty)"
else
    export SOURCE_DATE_EPOCH=$(date +%s)
    built="a source tree without git"
fi

work=$out/deb
tree=$work/debian/$pkg
rm -rf "$work"
install -d "$tree/DEBIAN" "$tree/usr/lib/nginx/modules" \
    "$tree/usr/share/nginx/modules-available" "$tree/usr/share/doc/$pkg"

# stripped as dh_strip does; the unstripped build stays in OUTDIR
strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    -o "$tree/usr/lib/nginx/modules/ngx_http_cx_module.so" "$so"
chmod 644 "$tree/usr/lib/nginx/modules/ngx_http_cx_module.so"

install -m 644 "$root/pkg/deb/mod-http-cx.conf" \
    "$tree/usr/share/nginx/modules-available/"
install -m 644 "$root/pkg/deb/copyright" "$tree/usr/share/doc/$pkg/"
gzip -9n < "$root/README.md" > "$tree/usr/share/doc/$pkg/README.md.gz"

# a native package (its packaging is part of the project): changelog.gz
maintainer=$(sed -n 's/^Maintainer: //p' "$root/pkg/deb/control.in")
{
    echo "$pkg ($version) bookworm; urgency=medium"
    echo
    echo "  * ngx_cx_module $version, built from $built."
    echo
    echo " -- $maintainer  $(LC_ALL=C date -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$tree/usr/share/doc/$pkg/changelog.gz"
chmod 644 "$tree/usr/share/doc/$pkg/"*

# The libraries it links (NEEDED), mapped to packages by dpkg-shlibdeps.
# LuaJIT: OpenResty's branch only (libluajit2-5.1-2), which the module is
# built and tested with; its symbols file also offers plain LuaJIT.
printf 'Source: ngx-cx-module\n\nPackage: %s\nArchitecture: any\n' "$pkg" \
    > "$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O \
             "debian/$pkg/usr/lib/nginx/modules/ngx_http_cx_module.so")
shlibs=${shlibs#shlibs:Depends=}
shlibs=$(sed -E 's/ \| libluajit-5\.1-2( \([^)]*\))?//' <<< "$shlibs")
[[ $shlibs == *libluajit2-5.1-2* ]] \
    || fail "dpkg-shlibdeps found no libluajit2-5.1-2: \"$shlibs\""

static=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' \
             libhiredis-dev)
size=$(du -sk "$tree/usr" | cut -f1)

control=$(cat "$root/pkg/deb/control.in")
control=${control//@VERSION@/$version}
control=${control//@ARCH@/$arch}
control=${control//@SIZE@/$size}
control=${control//@DEPENDS@/$abi, $shlibs}
control=${control//@STATIC@/$static}
printf '%s\n' "$control" > "$tree/DEBIAN/control"

for f in postinst prerm postrm; do
    install -m 755 "$root/pkg/deb/$f" "$tree/DEBIAN/"
done
(cd "$tree" && find usr -type f | LC_ALL=C sort | xargs md5sum) \
    > "$tree/DEBIAN/md5sums"
chmod 644 "$tree/DEBIAN/control" "$tree/DEBIAN/md5sums"

rm -f "$out/${pkg}"_*.deb
dpkg-deb --root-owner-group --build "$tree" "$deb" >/dev/null
echo "$deb"
dpkg-deb --field "$deb" Package Version Architecture Depends
