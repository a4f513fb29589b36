#!/bin/bash
# The "Demo Shop": a private redis-server and a private nginx (Debian's
# /usr/sbin/nginx with build/ngx_http_cx_module.so) on loopback ports.
#   util/demo.sh start|stop      (what `make demo` / `make demo-stop` run)
# Everything lives in run/demo/: nginx.conf (rendered from conf/demo.conf),
# logs, pid files, redis data.  stop signals only the PIDs in those pid
# files, and only if they still are our nginx / redis-server.
set -e

root=$(cd "$(dirname "$0")/.." && pwd)
run=$root/run/demo
nginx=${NGINX:-/usr/sbin/nginx}
module=$root/build/ngx_http_cx_module.so

# pid_of FILE NAME: the PID in FILE if that process is alive, is NAME and
# is ours (its command line or its working directory is in run/demo)
pid_of() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
    case "$(tr '\0' ' ' <"/proc/$pid/cmdline") $(readlink "/proc/$pid/cwd")" in
        *"$run"*) echo "$pid" ;;
        *) return 1 ;;
    esac 2>/dev/null
}

# running PID: alive and not a zombie waiting for init to reap it
running() { grep -qs '^State:[[:space:]]*[^Z[:space:]]' "/proc/$1/status"; }

# stop_one FILE NAME: TERM the process, wait up to 5 s for it to exit
stop_one() {
    local pid i
    if pid=$(pid_of "$1" "$2") && running "$pid"; then
        kill -TERM "$pid"
        for i in $(seq 50); do
            running "$pid" || break
            sleep 0.1
        done
        running "$pid" && { echo "$2 (pid $pid) did not stop" >&2; return 1; }
        echo "stopped $2 (pid $pid)"
    fi
    rm -f "$1"
}

# free_port PORT: PORT, or the next port nothing on 127.0.0.1 answers on
free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
        p=$((p + 1))
        [ "$p" -lt $(($1 + 100)) ] || { echo "no free port near $1" >&2; return 1; }
    done
    echo "$p"
}

# note DEFAULT CHOSEN: says so when the default port was busy
note() { [ "$1" = "$2" ] || echo " (port $1 was busy)"; }

sed_escape() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

stop() {
    stop_one "$run/nginx.pid" nginx
    stop_one "$run/redis.pid" redis-server
}

start() {
    [ -f "$module" ] || { echo "$module not found: run make first" >&2; exit 1; }

    if pid_of "$run/nginx.pid" nginx >/dev/null || pid_of "$run/redis.pid" redis-server >/dev/null; then
        echo "the demo is already running: restarting it"
    fi
    stop        # also clears pid files left by a reboot

    mkdir -p "$run/redis" "$run/tmp"

    rport=$(free_port 6390)
    redis-server --bind 127.0.0.1 --port "$rport" --daemonize yes \
        --dir "$run/redis" --pidfile "$run/redis.pid" --logfile "$run/redis.log"
    for i in $(seq 50); do
        redis-cli -p "$rport" ping >/dev/null 2>&1 && break
        [ "$i" = 50 ] && { echo "redis-server did not start, see $run/redis.log" >&2; exit 1; }
        sleep 0.1
    done

    nport=$(free_port 8080)
    user='# no "user": nginx was not started as root'
    [ "$(id -u)" = 0 ] && user='user root;  # started as root: workers must read the checkout, even in a 0700 directory'
    sed -e "s|@ROOT@|$(sed_escape "$root")|g" \
        -e "s|@RUN@|$(sed_escape "$run")|g" \
        -e "s|@NGINX_PORT@|$nport|g" \
        -e "s|@REDIS_PORT@|$rport|g" \
        -e "s|@USER_LINE@|$user|g" \
        "$root/conf/demo.conf" > "$run/nginx.conf"

    "$nginx" -q -t -p "$run" -c "$run/nginx.conf" || { stop; exit 1; }
    "$nginx" -p "$run" -c "$run/nginx.conf" || { stop; exit 1; }

    url=http://127.0.0.1:$nport
    for i in $(seq 50); do
        curl -fsS -o /dev/null "$url/" 2>/dev/null && break
        [ "$i" = 50 ] && { echo "nginx does not answer on $url, see $run/error.log" >&2; stop; exit 1; }
        sleep 0.1
    done

    # four weeks of made-up history for the dashboard (once per Redis),
    # then today through the front door
    "$root/util/demo-history" -p "$rport" \
        || echo "no history written (the shop runs anyway)" >&2
    "$root/util/demo-seed" "$url" 400 || echo "seeding failed (the shop runs anyway)" >&2
    sleep 0.5    # one flush interval: the answers are in Redis

    echo
    echo "Demo Shop is running."
    echo "  nginx  $url$(note 8080 "$nport")   pid $(cat "$run/nginx.pid")"
    echo "  redis  127.0.0.1:$rport$(note 6390 "$rport")   pid $(cat "$run/redis.pid")"
    echo
    echo "Open in a browser (the survey appears after its delay, once per visitor and cooldown):"
    printf '  %-9s %-58s %s\n' \
        home     "$url/"                                   "brand_nps, every visit" \
        product  "$url/products/espresso-machine.html"     "product_info 30% or brand_nps 20%" \
        checkout "$url/checkout.html"                      "checkout_csat, half the visits" \
        thanks   "$url/thanks.html"                        "post_purchase, every visit" \
        help     "$url/help/descale-espresso-machine.html" "support_ces, every visit"
    echo
    echo "The dashboard (scores, trend, pain map, heat map, comments; 4 weeks of synthetic history):"
    echo "  $url/cx/dashboard"
    cat <<EOF

See the injected tag, right before the page's real </body>:
  curl -s $url/ | grep cx-survey
  curl -s --compressed -D - $url/thanks.html | grep -i -e content-encoding -e cx-survey

Counters and answers in Redis (400 seeded visits, see util/demo-seed):
  redis-cli -p $rport --scan --pattern 'cx:*'
  redis-cli -p $rport HGETALL cx:demo-shop:sc:post_purchase:\$(date -u +%Y%m%d)
  redis-cli -p $rport XRANGE cx:demo-shop:followup - + COUNT 3
  curl -s '$url/cx/score?survey=post_purchase&by=touchpoint'
  curl -s '$url/cx/score?report=touchpoints'
  curl -s $url/cx/metrics

Config   $run/nginx.conf  (rendered from conf/demo.conf)
Logs     $run/access.log  (touchpoint= and survey= per request)
         $run/error.log
         $run/redis.log
Stop     make demo-stop
EOF
}

case "$1" in
    start) start ;;
    stop)  stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
