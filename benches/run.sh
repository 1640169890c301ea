#!/usr/bin/env bash
# The guard benchmarks of BENCHMARKS.md, in one run: wrk (requests/s of guarded vs
# unguarded handlers) and callgrind (instructions per request). Loopback only.
#
#   benches/run.sh                 # wrk and callgrind
#   ROUNDS=5 DURATION=10s benches/run.sh   (the figures of BENCHMARKS.md)
#
# Needs: wrk and valgrind (Debian packages), taskset, python3, Node.js with
# `npm ci --prefix tests/idp` done. Criterion runs separately:
# `cargo bench -p logto-bench --bench verify`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
PORT=${PORT:-3100}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}

cargo build -q --release -p logto-bench --bins
SETUP=target/bench-setup.json
rm -f "$SETUP"

# The app on one core, single-threaded; it starts the bundled provider and signs in.
PORT=$PORT taskset -c "$SERVER_CPU" target/release/guard_server >target/bench-server.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    [ -s "$SETUP" ] && break
    kill -0 $SERVER 2>/dev/null || { cat target/bench-server.log; exit 1; }
    sleep 0.5
done
[ -s "$SETUP" ] || { echo "guard_server did not get ready" >&2; exit 1; }
COOKIE=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cookie'])" "$SETUP")
TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['token'])" "$SETUP")
BASE=http://127.0.0.1:$PORT

rps() { # path header duration
    taskset -c "$CLIENT_CPU" wrk -t1 -c32 -d"$3" -H "$2" "$BASE$1" |
        awk '/Non-2xx/ { bad = 1 } /Requests\/sec/ { rps = $2 } END { if (bad) { print "non-2xx answers" > "/dev/stderr"; exit 1 } print rps }'
}

echo "== wrk -t1 -c32 -d$DURATION, app on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU, $ROUNDS rounds"
declare -A results
for pair in "session|Cookie: $COOKIE" "bearer|Authorization: Bearer $TOKEN"; do
    guarded=${pair%%|*}
    header=${pair#*|}
    rps /unguarded "$header" 3s >/dev/null # warm-up
    rps "/$guarded" "$header" 3s >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
        u=$(rps /unguarded "$header" "$DURATION")
        g=$(rps "/$guarded" "$header" "$DURATION")
        results[$guarded]+="$u $g;"
        printf '  round %s: /unguarded %s req/s, /%s %s req/s\n' "$round" "$u" "$guarded" "$g"
    done
done
for guarded in session bearer; do
    python3 - "$guarded" "${results[$guarded]}" <<'PY'
import statistics, sys
name, raw = sys.argv[1], sys.argv[2]
pairs = [tuple(map(float, p.split())) for p in raw.strip(';').split(';')]
ratios = [g / u for u, g in pairs]
print(f"{name} guard / unguarded: median {statistics.median(ratios):.3f} "
      f"(rounds {', '.join(f'{r:.3f}' for r in ratios)}; "
      f"unguarded median {statistics.median(u for u, _ in pairs):.0f} req/s)")
PY
done

echo "== callgrind: instructions per request (in-process, no sockets)"
count() { # route credentials requests
    local out
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" target/release/guard_instructions "$1" "$2" "$3" >/dev/null 2>&1
    callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
    rm -f "$out"
}
per_request() { # route credentials
    local a b
    a=$(count "$1" "$2" 1000)
    b=$(count "$1" "$2" 3000)
    echo $(((b - a) / 2000))
}
for pair in "session cookie" "bearer bearer"; do
    set -- $pair
    base=$(per_request unguarded "$2")
    guarded=$(per_request "$1" "$2")
    echo "  $2 sent: /unguarded $base, /$1 $guarded instructions per request: the guard adds $((guarded - base))"
done
