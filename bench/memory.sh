#!/bin/sh
# Memory per gunicorn worker, as `make run` serves (kiosk/serve.py), after some requests.
#
#   sh bench/memory.sh [CHECKOUT] [PORT] [gunicorn options...]
#
# CHECKOUT (default: this one) must have its .venv; PORT defaults to 5797. It migrates a fresh
# SQLite instance in a temporary folder, starts gunicorn with --workers 2 (give --workers N after
# the port to change it), sends 20 rounds of GET / /policy /signin /phone /qr.svg /healthz
# /privacy and an (empty, refused) POST /api/v1/acceptances, then prints for the master and each
# worker, in MiB (1024 x 1024 bytes; the issue's MB): RSS (every page it has in memory, shared ones included), PSS (shared pages divided
# between the processes sharing them: what each really costs) and its private pages. To compare
# two versions, run it on each in turn (docs/PERFORMANCE.md, Memory).
CHECKOUT=$(cd "${1:-$(dirname "$0")/..}" && pwd)
PORT=${2:-5797}
[ $# -gt 2 ] && shift 2 || set --
FOLDER=$(mktemp -d)
export KIOSK_INSTANCE_PATH="$FOLDER/instance"
cd "$CHECKOUT" || exit 1
.venv/bin/flask --app kiosk migrate >/dev/null 2>&1
.venv/bin/flask --app kiosk seed-policy >/dev/null 2>&1
.venv/bin/gunicorn --config python:kiosk.serve --bind "127.0.0.1:$PORT" --workers 2 "$@" \
    wsgi:app >"$FOLDER/gunicorn.log" 2>&1 &
MASTER=$!
trap 'kill $MASTER 2>/dev/null; rm -rf "$FOLDER"' EXIT
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
    sleep 0.2
done
for _ in $(seq 1 20); do
    for path in / /policy /signin /phone /qr.svg /healthz /privacy; do
        curl -s -o /dev/null "http://127.0.0.1:$PORT$path"
    done
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' \
        "http://127.0.0.1:$PORT/api/v1/acceptances"
done
show() {
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$2/status")
    pss=$(awk '/^Pss:/ {print $2}' "/proc/$2/smaps_rollup")
    private=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' "/proc/$2/smaps_rollup")
    awk -v who="$1 $2" -v rss="$rss" -v pss="$pss" -v private="$private" 'BEGIN {
        printf "%s: RSS %.1f MiB, PSS %.1f MiB, private %.1f MiB\n", who, rss / 1024, pss / 1024,
            private / 1024 }'
}
show master "$MASTER"
for worker in $(pgrep -P "$MASTER"); do
    show worker "$worker"
done
