#!/bin/sh
# The widget's size budget: what a visitor downloads, minified and gzip'd
# (-9), must stay within BUDGET bytes (6 KB): dist/cx-widget.js (English
# built in) alone, and with each language of dist/cx-widget-lang.pack
# (fetched as /cx/widget.js?lang=xx by pages in that language).  Prints
# the sizes; fails over.
#   widget/size.sh [BUDGET]
set -e

dir=$(dirname "$0")
js=$dir/dist/cx-widget.js
pack=$dir/dist/cx-widget-lang.pack
budget=${1:-6144}

for f in "$js" "$pack"; do
    [ -f "$f" ] || { echo "$f not found: run make widget" >&2; exit 1; }
done

min=$(wc -c < "$js")
gz=$(gzip -9 -n -c "$js" | wc -c)
served=$(wc -c < "$js.gz")
over=0

echo "widget: $min bytes minified, $gz bytes gzip -9" \
     "(served pre-gzip'd: $served), budget $budget"

if [ "$gz" -gt "$budget" ]; then
    echo "widget: over budget by $((gz - budget)) bytes" >&2
    over=1
fi

# the pack: "cx-lang 1", "LANG JSON_BYTES GZIP_BYTES" lines, an empty
# line, then each language's JSON and gzip'd copy (widget/build.js)
[ "$(head -n 1 "$pack")" = "cx-lang 1" ] || {
    echo "$pack: not a language pack" >&2; exit 1; }

at=$(sed '/^$/q' "$pack" | wc -c)
index=$(sed '/^$/q' "$pack" | sed '1d;/^$/d')

# not in a pipe: the loop sets "over"
while read -r lang json zipped; do
    [ -n "$lang" ] || continue

    lgz=$(tail -c +$((at + 1)) "$pack" | head -c "$json" | gzip -9 -n -c \
          | wc -c)
    at=$((at + json + zipped))
    all=$((gz + lgz))

    echo "widget + $lang: $all bytes gzip -9 ($lang: $json bytes," \
         "$lgz gzip -9, served $zipped)"

    if [ "$all" -gt "$budget" ]; then
        echo "widget + $lang: over budget by $((all - budget)) bytes" >&2
        over=1
    fi
done <<EOF
$index
EOF

exit $over
