#!/usr/bin/env bash
# Load-tests the example app with wrk on loopback and prints, for each path,
# requests per second, p50 and p99 latency, and the ratios that matter:
#
#   cached page        GET / answered from the view cache (its near cache,
#                      NEAR_CACHE_TTL=1s, the default)
#   cached, near off   the same from a second instance with NEAR_CACHE_TTL=0:
#                      one memcached round trip per page
#   logged in          GET / for a logged-in visitor: the cached page with its
#                      holes (the header's account box, the flash message)
#                      filled from their session, one memcached round trip
#   views off, 2 tasks GET / from a third instance with CACHE_VIEWS=0: every
#                      page rendered, from the memoized list and fragments
#   views off, 20 tasks  the same with 20 rows
#   session page       GET /session/, which reads and writes a session
#   healthz            GET /healthz, the cheapest route of the same process
#   raw get            a bare Echo handler doing one raw gomemcache get of
#                      the cached page's bytes (the one-round-trip limit)
#   fixed bytes        a bare Echo handler writing the same bytes from memory
#
# and the app's peak RSS. Each line also gives the CPU time per request of
# the server, memcached and wrk together, which is what bounds throughput on
# a machine where they share the cores, and which other work on the machine
# moves far less than requests per second. The tasks are in a PostgreSQL server of its own
# when PostgreSQL is installed (initdb and postgres in PATH or in
# /usr/lib/postgresql/*/bin; run as the postgres user when root), as on
# Heroku, and in memory otherwise. With --faults it runs the app on three memcached
# nodes and, per phase, kills one under load and restarts it, hangs one
# with SIGSTOP, then stops them all, printing the non-2xx count, p99 and
# maximum latency of each phase.
#
# Everything runs on 127.0.0.1, every run is bounded by DURATION, and every
# process the script starts is stopped when it exits.
#
# Usage: scripts/load.sh [--faults]
# Environment: DURATION (wrk duration per run, default 10s), THREADS (2),
#              CONNECTIONS (32).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

faults=false
case "${1:-}" in
  --faults) faults=true ;;
  "") ;;
  *) echo "usage: scripts/load.sh [--faults]" >&2; exit 2 ;;
esac
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-32}

for tool in memcached wrk curl go; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "load.sh needs $tool (apt-get install memcached wrk curl)" >&2
    exit 1
  fi
done

tmp=$(mktemp -d)
pids=()
pg_pid=""
cleanup() {
  # PostgreSQL's fast shutdown: it does not wait for the app to hang up.
  if [ -n "$pg_pid" ]; then kill -INT "$pg_pid" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# free_port prints a loopback port that nothing listens on.
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

wait_for() { # url
  for _ in $(seq 1 200); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "no answer from $1" >&2
  exit 1
}

wait_port() { # port
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

# memcached refuses to run as root unless told which user to become.
memcached_args=(-l 127.0.0.1 -U 0 -m 64 -t 2)
if [ "$(id -u)" -eq 0 ]; then memcached_args+=(-u nobody); fi

# start_memcached PORT: starts a memcached and records its pid in $started.
start_memcached() {
  memcached "${memcached_args[@]}" -p "$1" &
  started=$!
  disown "$started" # the faults kill nodes on purpose: no job reports
  pids+=("$started")
  wait_port "$1"
}

# PostgreSQL: Debian keeps initdb and postgres outside PATH.
pg_bin=""
if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
  pg_bin=$(dirname "$(command -v initdb)")
else
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then pg_bin=$dir; fi
  done
fi

# start_postgres: starts a PostgreSQL server in $tmp/pg, as the postgres
# user when root (it refuses to run as root), and sets $database_url.
start_postgres() {
  local as=() port
  mkdir "$tmp/pg"
  if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$tmp"
    chown postgres "$tmp/pg"
    as=(setpriv --reuid postgres --regid postgres --init-groups --)
  fi
  "${as[@]}" "$pg_bin/initdb" -D "$tmp/pg/data" -U postgres -A trust --no-sync > "$tmp/initdb.log" 2>&1
  port=$(free_port)
  "${as[@]}" "$pg_bin/postgres" -D "$tmp/pg/data" -p "$port" -k "$tmp/pg" \
    -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off > "$tmp/postgres.log" 2>&1 &
  pg_pid=$!
  pids+=("$pg_pid")
  wait_port "$port"
  database_url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  # The port opens before the server accepts connections: retry.
  for _ in $(seq 1 100); do
    if DATABASE_URL=$database_url "$tmp/app" migrate > "$tmp/migrate.log" 2>&1; then return 0; fi
    sleep 0.1
  done
  cat "$tmp/migrate.log" >&2
  exit 1
}

echo "==> building the example app and the baselines"
cp -r generated-example "$tmp/src"
mkdir -p "$tmp/src/cmd/loadbaseline"
cat > "$tmp/src/cmd/loadbaseline/main.go" <<'EOF'
// Command loadbaseline serves the bytes of a file two ways, for load tests:
// /raw with one raw gomemcache get per request, /fixed from memory.
package main

import (
	"net/http"
	"os"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/labstack/echo/v4"
)

func main() {
	page, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	mc := memcache.New(os.Getenv("MEMCACHIER_SERVERS"))
	mc.MaxIdleConns = 64
	if err := mc.Set(&memcache.Item{Key: "loadbaseline/page", Value: page}); err != nil {
		panic(err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/raw", func(c echo.Context) error {
		it, err := mc.Get("loadbaseline/page")
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, it.Value)
	})
	e.GET("/fixed", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, page)
	})
	panic(e.Start("127.0.0.1:" + os.Getenv("PORT")))
}
EOF
(cd "$tmp/src" && go build -o "$tmp/app" . && go build -o "$tmp/loadbaseline" ./cmd/loadbaseline)

# cpu_ticks PID...: the CPU time, user and system, in clock ticks, that the
# processes have used, plus that of this shell's finished children (wrk).
cpu_ticks() {
  local total pid
  total=$(awk '{ print $16 + $17 }' "/proc/$$/stat")
  for pid in "$@"; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$total"
}
clock_tick=$(getconf CLK_TCK)

# run_wrk NAME URL [HEADER]: one wrk run; prints a result line and keeps
# the figures in $tmp/results. With $measured set to the pids of the server
# and memcached, the line also gives the CPU time per request of those and
# wrk together: on two cores that all three share, it is what bounds the
# throughput, and unlike requests per second it hardly moves when other
# work on the machine takes cores away.
run_wrk() {
  local name=$1 url=$2 header=${3:-}
  local args=(-t"$threads" -c"$connections" -d"$duration" --latency --timeout 5s)
  local before=0 after=0
  if [ -n "$header" ]; then args+=(-H "$header"); fi
  if [ -n "${measured:-}" ]; then before=$(cpu_ticks $measured); fi
  wrk "${args[@]}" "$url" > "$tmp/wrk.out"
  if [ -n "${measured:-}" ]; then after=$(cpu_ticks $measured); fi
  awk -v name="$name" -v ticks=$((after - before)) -v hz="$clock_tick" '
    /^    Latency/ { max = $4 }
    $1 == "50%" { p50 = $2 }
    $1 == "99%" { p99 = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /requests in/ { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Socket errors:/ { errors = $0; sub(/^ *Socket errors: */, "", errors) }
    END {
      cpu = (ticks > 0 && requests > 0) ? sprintf("   cpu/req %4.0f us", ticks * 1e6 / hz / requests) : ""
      printf "%-18s %10.0f req/s   p50 %9s   p99 %9s   max %9s   non-2xx %s%s%s\n",
        name, rps, p50, p99, max, (non2xx == "" ? 0 : non2xx), cpu, (errors == "" ? "" : "   socket errors: " errors)
      printf "%s\t%s\t%s\n", name, rps, (ticks > 0 && requests > 0 ? ticks * 1e6 / hz / requests : 0) >> "'"$tmp"'/results"
    }' "$tmp/wrk.out"
}

rps() { awk -F '\t' -v name="$1" '$1 == name { print $2 }' "$tmp/results"; }
cpu() { awk -F '\t' -v name="$1" '$1 == name { print $3 }' "$tmp/results"; }
ratio() { awk -v a="$(rps "$1")" -v b="$(rps "$2")" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

database_url=""
if [ -n "$pg_bin" ]; then
  start_postgres
  echo "==> tasks in PostgreSQL ($("$pg_bin/postgres" --version))"
else
  echo "==> tasks in memory (PostgreSQL is not installed)"
fi

# Every instance signs session cookies with one random secret, as the apps
# of one Heroku app share theirs.
session_secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

# start_app SERVERS [NAME=VALUE...]: starts the example app on memcached
# SERVERS, with the database if there is one, and more environment.
start_app() {
  local servers=$1
  shift
  app_port=$(free_port)
  env PORT="$app_port" MEMCACHIER_SERVERS="$servers" DATABASE_URL="$database_url" \
    SESSION_SECRET="$session_secret" "$@" \
    "$tmp/app" >> "$tmp/app.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  wait_for "http://127.0.0.1:$app_port/healthz"
  base="http://127.0.0.1:$app_port"
}

add_tasks() { # count
  for i in $(seq 1 "$1"); do
    curl -fsS -o /dev/null -X POST --data-urlencode "title=Task number $i for the load test" "$base/tasks"
  done
}

peak_rss() { awk '/^VmHWM:/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }

if ! $faults; then
  mc_port=$(free_port)
  start_memcached "$mc_port"
  mc_pid=$started
  start_app "127.0.0.1:$mc_port"
  add_tasks 2
  curl -fsS -o "$tmp/page.html" "$base/"

  bl_port=$(free_port)
  PORT=$bl_port MEMCACHIER_SERVERS="127.0.0.1:$mc_port" "$tmp/loadbaseline" "$tmp/page.html" > "$tmp/baseline.log" 2>&1 &
  bl_pid=$!
  pids+=("$bl_pid")
  wait_for "http://127.0.0.1:$bl_port/fixed"

  # Loading /session/ starts no session; its Start button's POST does.
  session_cookie=$(curl -fsS -o /dev/null -c - -d '' "$base/session/start" | awk '$6 == "session" { print "session=" $7 }')
  login_cookie=$(curl -fsS -o /dev/null -c - --data-urlencode "name=Load Visitor" "$base/session/login" | awk '$6 == "session" { print "session=" $7 }')
  if ! curl -fsS -H "Cookie: $login_cookie" "$base/" | grep -q "Logged in as <strong>Load Visitor</strong>"; then
    echo "the logged-in visitor's home page does not name them" >&2
    exit 1
  fi

  main_pid=$app_pid main_base=$base
  start_app "127.0.0.1:$mc_port" NEAR_CACHE_TTL=0
  near_off=$base near_off_pid=$app_pid
  start_app "127.0.0.1:$mc_port" CACHE_VIEWS=0
  views_off=$base views_off_pid=$app_pid
  app_pid=$main_pid base=$main_base

  echo "==> wrk -t$threads -c$connections -d$duration, page of $(wc -c < "$tmp/page.html") bytes"
  measured="$app_pid $mc_pid"
  run_wrk "cached page" "$base/"
  measured="$near_off_pid $mc_pid" run_wrk "cached, near off" "$near_off/"
  run_wrk "logged in" "$base/" "Cookie: $login_cookie"
  measured="$views_off_pid $mc_pid"
  run_wrk "views off, 2 tasks" "$views_off/"
  add_tasks 18
  run_wrk "views off, 20 tasks" "$views_off/"
  measured="$app_pid $mc_pid"
  run_wrk "session page" "$base/session/" "Cookie: $session_cookie"
  run_wrk "healthz" "$base/healthz"
  measured="$bl_pid $mc_pid"
  run_wrk "raw get" "http://127.0.0.1:$bl_port/raw"
  run_wrk "fixed bytes" "http://127.0.0.1:$bl_port/fixed"

  echo
  echo "cached page / raw get:         $(ratio "cached page" "raw get")"
  echo "cached page / healthz:         $(ratio "cached page" "healthz")"
  echo "cached, near off / raw get:    $(ratio "cached, near off" "raw get")"
  echo "logged in / cached page:       $(ratio "logged in" "cached page")"
  echo "views off 20 tasks / 2 tasks:  $(ratio "views off, 20 tasks" "views off, 2 tasks")"
  echo "  by CPU per request (2 / 20):  $(awk -v a="$(cpu "views off, 2 tasks")" -v b="$(cpu "views off, 20 tasks")" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }')"
  echo "healthz / fixed bytes:         $(ratio "healthz" "fixed bytes")"
  echo "app peak RSS:                  $(peak_rss "$app_pid")"
  exit 0
fi

# --faults: three nodes, one phase per fault, each under load for DURATION.
ports=() node_pids=()
for i in 0 1 2; do
  ports[$i]=$(free_port)
  start_memcached "${ports[$i]}"
  node_pids[$i]=$started
done
# With the view layer off, each page reads the memoized list and 20
# fragments, so every request touches every node.
start_app "127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}" CACHE_VIEWS=0
add_tasks 20
page="$base/"
header=""
seconds=$(awk -v d="$duration" 'BEGIN { n = d + 0; if (d ~ /ms$/) n /= 1000; else if (d ~ /m$/) n *= 60; print n }')
third=$(awk -v s="$seconds" 'BEGIN { print s / 3 }')

echo "==> faults: wrk -t$threads -c$connections -d$duration per phase, three memcached nodes, GET / with the view layer off and 20 tasks"
run_wrk "all up" "$page" "$header"

( sleep "$third"; kill -9 "${node_pids[1]}"; sleep "$third"
  memcached "${memcached_args[@]}" -p "${ports[1]}" & echo $! > "$tmp/restarted"; disown ) &
fault=$!
run_wrk "one killed" "$page" "$header"
wait "$fault"
pids+=("$(cat "$tmp/restarted")")
wait_port "${ports[1]}"

( sleep "$third"; kill -STOP "${node_pids[2]}"; sleep "$third"; kill -CONT "${node_pids[2]}" ) &
fault=$!
run_wrk "one hung" "$page" "$header"
wait "$fault"

kill -9 "${node_pids[0]}" "$(cat "$tmp/restarted")" "${node_pids[2]}"
run_wrk "all down" "$page" "$header"

echo
echo "app peak RSS: $(peak_rss "$app_pid")"
echo "A hung node should cost at most one operation timeout (MEMCACHED_TIMEOUT, 750ms by default) in max latency."
