#!/bin/bash
# Installs OUTDIR's libnginx-mod-http-cx package on this machine, checks
# it as Debian's nginx sees it, and removes it again (make deb-check; CI).
#   util/deb-check.sh OUTDIR    (as root, after util/deb.sh OUTDIR)
# Checked: the files and the modules-enabled link; /usr/sbin/nginx -t on
# the system's own /etc/nginx (the module loaded, no cx_ directive) says
# exactly what it said before the install; a cx_ directive is known only
# while the package is installed; the module loads beside Debian's nchan
# in either order; an admin who disabled the module keeps it disabled on
# a reinstall; remove sets the link aside, purge deletes it.
# Services are not started (policy-rc.d), and a system nginx this script
# finds running afterwards, not before, is stopped.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: $0 OUTDIR}
pkg=libnginx-mod-http-cx
deb=$(cd "$out" && pwd)/${pkg}_$(cat "$root/VERSION")
deb=${deb}_$(dpkg --print-architecture).deb
so=/usr/lib/nginx/modules/ngx_http_cx_module.so
conf=/usr/share/nginx/modules-available/mod-http-cx.conf
link=/etc/nginx/modules-enabled/50-mod-http-cx.conf
nchan=/usr/lib/nginx/modules/ngx_nchan_module.so
nginx=/usr/sbin/nginx
tmp=

failed=0
ok()   { echo "ok - $*"; }
nok()  { echo "not ok - $*"; failed=$((failed + 1)); }
# a check's nginx output goes to $tmp/err, shown when it fails
check() {
    local what=$1
    shift
    rm -f "$tmp/err"
    if "$@"; then
        ok "$what"
    else
        nok "$what"
        [ -f "$tmp/err" ] && sed 's/^/#   /' "$tmp/err"
    fi
    return 0
}
die()  { echo "util/deb-check.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it installs and removes $pkg"
[ -f "$deb" ] || die "$deb not found: run make deb"
[ -x "$nginx" ] || die "$nginx not found: apt-get install nginx"
[ -f "$nchan" ] || die "$nchan not found: apt-get install libnginx-mod-nchan"
state=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
if [ -n "$state" ] && [ "$state" != not-installed ]; then
    die "$pkg is $state here: this check installs and purges it;" \
        "purge it first (apt-get purge $pkg)"
fi

export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)

# the system nginx: whether it runs now (we leave it as we found it)
nginx_pid() {
    local pid
    pid=$(cat /run/nginx.pid 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}
was_running=$(nginx_pid || true)

# no service starts while packages move, as in Debian's docker images
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# util/deb-check.sh: no service starts\nexit 101\n' \
        > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi

cleanup() {
    local rc=$? pid
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q installed; then
        echo "# cleaning up: purging $pkg"
        "${apt[@]}" purge "$pkg" >/dev/null || true
    fi
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
    [ -n "$tmp" ] && rm -rf "$tmp"
    if [ -z "$was_running" ] && pid=$(nginx_pid); then
        echo "# the system nginx was started during the check: stopping $pid"
        kill -QUIT "$pid" || true
    fi
    exit "$rc"
}
trap cleanup EXIT

tmp=$(mktemp -d)

# the system's nginx -t, its output without times and pids, into FILE
system_t() {
    local rc=0
    "$nginx" -t > "$tmp/err" 2>&1 || rc=$?
    sed -E 's/^[0-9/]+ [0-9:]+ (\[[a-z]+\]) [0-9]+#[0-9]+: /\1 /' \
        "$tmp/err" > "$1"
    return $rc
}

# nginx -t on a small configuration: "load" lines, then http { BODY }
conf_t() {
    local loads=$1 body=$2
    {
        printf '%s\n' "$loads"
        printf 'pid %s/nginx.pid;\nerror_log stderr;\n' "$tmp"
        printf 'events {}\nhttp {\n%s\n}\n' "$body"
    } > "$tmp/nginx.conf"
    "$nginx" -t -q -c "$tmp/nginx.conf" 2>"$tmp/err"
}

# a package operation; its output is shown only when it fails
dpkg_op() {
    "$@" > "$tmp/apt" 2>&1 || { cat "$tmp/apt"; die "failed: $*"; }
}

# neither the link nor a dangling one
no_link() { [ ! -e "$1" ] && [ ! -L "$1" ]; }

# a directive only our module knows, harmless on its own
cx='cx_flush_interval 1s;'
enabled='include /etc/nginx/modules-enabled/*.conf;'

check "nginx -t passes before the install" system_t "$tmp/before"
check "without the package, a cx_ directive is unknown" \
    eval '! conf_t "$enabled" "$cx"'

echo "# installing $deb"
dpkg_op "${apt[@]}" install "$deb"

check "$pkg is installed" \
    sh -c "dpkg-query -W -f='\${Status}' $pkg | grep -q 'install ok installed'"
check "$so is there" test -f "$so"
check "$conf is one load_module line" \
    test "$(cat "$conf")" = "load_module modules/ngx_http_cx_module.so;"
check "$link links to $conf" test "$(readlink "$link")" = "$conf"
check "nginx -t passes with the module enabled" system_t "$tmp/after"
check "nginx -t says what it said before (the module adds no message)" \
    diff "$tmp/before" "$tmp/after"
check "modules-enabled loads the module (a cx_ directive is known)" \
    conf_t "$enabled" "$cx"
check "loads after Debian's nchan" \
    conf_t "load_module $nchan;"$'\n'"load_module $so;" "$cx"
check "loads before Debian's nchan" \
    conf_t "load_module $so;"$'\n'"load_module $nchan;" "$cx"

echo "# an admin disables the module, then the package is reinstalled"
rm -f "$link"
dpkg_op dpkg -i "$deb"
check "a reinstall keeps the admin's choice (no link)" no_link "$link"
ln -s "$conf" "$link"

echo "# removing $pkg"
dpkg_op "${apt[@]}" remove "$pkg"
check "$link is gone" no_link "$link"
check "$so is gone" test ! -e "$so"
check "the link is set aside as $link.removed" test -L "$link.removed"
check "nginx -t passes after the remove" system_t "$tmp/removed"
check "after the remove, a cx_ directive is unknown" \
    eval '! conf_t "$enabled" "$cx"'

echo "# installing again after the remove"
dpkg_op "${apt[@]}" install "$deb"
check "the link is back" test "$(readlink "$link")" = "$conf"
check "no set-aside link is left" test ! -L "$link.removed"

echo "# purging $pkg"
dpkg_op "${apt[@]}" purge "$pkg"
check "$pkg is gone" \
    sh -c "! dpkg-query -W -f='\${Status}' $pkg 2>/dev/null | grep -q installed"
check "no link, no set-aside link" \
    eval 'no_link "$link" && no_link "$link.removed"'
check "nginx -t passes after the purge" system_t "$tmp/purged"
check "nginx -t says what it said before the install" \
    diff "$tmp/before" "$tmp/purged"

if [ -n "$was_running" ]; then
    ok "the system nginx was running (pid $was_running) and was left alone"
elif nginx_pid >/dev/null; then
    nok "the system nginx was not started"
else
    ok "the system nginx was not started"
fi

if [ "$failed" != 0 ]; then
    echo "util/deb-check.sh: $failed check(s) failed" >&2
    exit 1
fi
echo "util/deb-check.sh: all checks passed"
