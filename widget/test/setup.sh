#!/bin/sh
# What the widget's tests need (t/062-widget-build.t, t/063-widget-browser.t):
# node and npm, Debian's chromium, and widget/node_modules exactly as
# widget/package-lock.json pins it (npm ci, only when the lock changed).
# util/deps.sh test installs the Debian packages.
set -e

dir=$(cd "$(dirname "$0")/.." && pwd)

for tool in node npm; do
    command -v $tool >/dev/null || {
        echo "$tool not found: run util/deps.sh test as root" >&2; exit 1; }
done

[ -n "$1" ] && [ ! -x "$1" ] && {
    echo "$1 not found: run util/deps.sh test as root" >&2; exit 1; }

stamp=$dir/node_modules/.package-lock.json

# one npm ci at a time (prove -j)
exec 9<"$dir/package-lock.json"
flock 9

if [ ! -f "$stamp" ] || [ "$dir/package-lock.json" -nt "$stamp" ] \
   || [ "$dir/package.json" -nt "$stamp" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund) >&2
fi
