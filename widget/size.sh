#!/bin/sh
# The widget's size budget: dist/cx-widget.js minified and gzip'd (-9)
# must stay within BUDGET bytes (6 KB).  Prints the sizes; fails over.
#   widget/size.sh [BUDGET]
set -e

dir=$(dirname "$0")
js=$dir/dist/cx-widget.js
budget=${1:-6144}

[ -f "$js" ] || { echo "$js not found: run make widget" >&2; exit 1; }

min=$(wc -c < "$js")
gz=$(gzip -9 -n -c "$js" | wc -c)
served=$(wc -c < "$js.gz")

echo "widget: $min bytes minified, $gz bytes gzip -9" \
     "(served pre-gzip'd: $served), budget $budget"

if [ "$gz" -gt "$budget" ]; then
    echo "widget: over budget by $((gz - budget)) bytes" >&2
    exit 1
fi
