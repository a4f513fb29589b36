#!/bin/bash
# Installs the Debian packages a target needs, only when something is
# missing (so a second run costs a dpkg query, not an apt-get update).
#   util/deps.sh build|test|demo|bench|asan|fuzz|deb|deb-check
set -e

build="nginx nginx-dev libhiredis-dev libluajit2-5.1-dev libssl-dev zlib1g-dev
       libbrotli-dev gcc
       make"
test="$build redis-server libtest-base-perl libtest-tcp-perl
      libredis-fast-perl libtext-diff-perl
      libnginx-mod-http-echo libnginx-mod-nchan libnginx-mod-http-lua curl
      chromium nodejs npm"
demo="$build redis-server curl"
bench="$test wrk libnginx-mod-http-lua lua-nginx-redis valgrind"
asan="$test dpkg-dev libpcre2-dev zlib1g-dev"
fuzz="$build clang libclang-rt-14-dev"
deb="$build dpkg-dev"
deb_check="$deb libnginx-mod-nchan"

case "$1" in
    build) want=$build ;;
    test)  want=$test ;;
    demo)  want=$demo ;;
    bench) want=$bench ;;
    asan)  want=$asan ;;
    fuzz)  want=$fuzz ;;
    deb)   want=$deb ;;
    deb-check) want=$deb_check ;;
    *) echo "usage: $0 build|test|demo|bench|asan|fuzz|deb|deb-check" >&2
       exit 2 ;;
esac

missing=
for p in $want; do
    # the widget's tests: a node and npm already on the PATH will do
    # (NodeSource's nodejs bundles npm and conflicts with Debian's npm)
    [ "$p" = nodejs ] && command -v node >/dev/null && continue
    [ "$p" = npm ] && command -v npm >/dev/null && continue
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing" >&2
    echo "run as root, or: sudo apt-get install -y$missing" >&2
    exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: libnginx-mod-* would otherwise pull in nginx-extras
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# the package's postinst may start the system nginx; ours never needs it
