#!/usr/bin/env bash
# The benchmarks of BENCHMARKS.md, in one run: wrk (requests/s of each route that takes
# something of the SDK against the same handler taking nothing) and callgrind
# (instructions per request). Loopback only.
#
#   benches/run.sh                          # everything, 3 rounds of 10 s
#   ROUNDS=5 DURATION=10s benches/run.sh    # the figures of BENCHMARKS.md
#   STORES= benches/run.sh                  # cookie sessions only
#
# Cookie sessions: the session guard, the bearer guard, a claims type, Context, a
# userinfo claims type and a cached access token. Then, for each of STORES (default
# "memory redis postgres"), the claims route with sessions in that store.
#
# Needs: wrk and valgrind (Debian packages), taskset, python3, Node.js with
# `npm ci --prefix tests/idp` done, Redis and PostgreSQL for the store rounds
# (REDIS_URL, DATABASE_URL as in README.md). Criterion runs separately:
# `cargo bench -p logto-bench --bench verify`.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
PORT=${PORT:-3100}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
STORES=${STORES-memory redis postgres}
COOKIE_ROUTES=${COOKIE_ROUTES:-session claims context userinfo access_token}

cargo build -q --release -p logto-bench --bins
SETUP=target/bench-setup.json
BASE=http://127.0.0.1:$PORT
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null || true' EXIT

# The app on one core, single-threaded; it starts the bundled provider and signs in.
start_server() { # store (cookie, memory, redis, postgres)
    rm -f "$SETUP"
    STORE=$1 PORT=$PORT taskset -c "$SERVER_CPU" target/release/guard_server >target/bench-server.log 2>&1 &
    SERVER=$!
    for _ in $(seq 1 60); do
        [ -s "$SETUP" ] && break
        kill -0 $SERVER 2>/dev/null || { cat target/bench-server.log; exit 1; }
        sleep 0.5
    done
    [ -s "$SETUP" ] || { echo "guard_server did not get ready" >&2; exit 1; }
    COOKIE=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['cookie'])" "$SETUP")
    TOKEN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['token'])" "$SETUP")
}
stop_server() {
    kill $SERVER 2>/dev/null || true
    wait $SERVER 2>/dev/null || true
    SERVER=
}

rps() { # path header duration
    taskset -c "$CLIENT_CPU" wrk -t1 -c32 -d"$3" -H "$2" "$BASE$1" |
        awk '/Non-2xx/ { bad = 1 } /Requests\/sec/ { rps = $2 } END { if (bad) { print "non-2xx answers" > "/dev/stderr"; exit 1 } print rps }'
}

# Rounds of /unguarded and the route in turn, each sent the same header (the session
# layer reads cookies on every route); prints the median ratio.
compare() { # label route header
    local label=$1 route=$2 header=$3 pairs="" u g
    rps /unguarded "$header" 3s >/dev/null # warm-up
    rps "$route" "$header" 3s >/dev/null
    for round in $(seq 1 "$ROUNDS"); do
        u=$(rps /unguarded "$header" "$DURATION")
        g=$(rps "$route" "$header" "$DURATION")
        pairs+="$u $g;"
        printf '  %s round %s: /unguarded %s req/s, %s %s req/s\n' "$label" "$round" "$u" "$route" "$g"
    done
    python3 - "$label" "$route" "$pairs" <<'PY'
import statistics, sys
label, route, raw = sys.argv[1], sys.argv[2], sys.argv[3]
pairs = [tuple(map(float, p.split())) for p in raw.strip(';').split(';')]
ratios = [g / u for u, g in pairs]
print(f"{label}: {route} / unguarded median {statistics.median(ratios):.3f} "
      f"(rounds {', '.join(f'{r:.3f}' for r in ratios)}; "
      f"unguarded median {statistics.median(u for u, _ in pairs):.0f} req/s, "
      f"{route} median {statistics.median(g for _, g in pairs):.0f} req/s)")
PY
}

echo "== wrk -t1 -c32 -d$DURATION, app on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU, $ROUNDS rounds"
start_server cookie
summary=()
for route in $COOKIE_ROUTES; do
    summary+=("$(compare cookie "/$route" "Cookie: $COOKIE" | tee -a /dev/stderr | tail -1)")
done
summary+=("$(compare bearer /bearer "Authorization: Bearer $TOKEN" | tee -a /dev/stderr | tail -1)")
stop_server
for store in $STORES; do
    start_server "$store"
    summary+=("$(compare "$store" /claims "Cookie: $COOKIE" | tee -a /dev/stderr | tail -1)")
    stop_server
done
echo "== medians"
printf '  %s\n' "${summary[@]}"

echo "== callgrind: instructions per request (in-process, no sockets, cookie sessions)"
start_server cookie
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
base_cookie=$(per_request unguarded cookie)
base_bearer=$(per_request unguarded bearer)
for route in $COOKIE_ROUTES bearer; do
    if [ "$route" = bearer ]; then creds=bearer base=$base_bearer; else creds=cookie base=$base_cookie; fi
    n=$(per_request "$route" "$creds")
    echo "  $creds sent: /unguarded $base, /$route $n instructions per request: the SDK adds $((n - base))"
done
stop_server
