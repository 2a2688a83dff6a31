#!/usr/bin/env bash
# Runs every check that CI runs, on a fresh Debian machine with only Go:
# installs memcached, PostgreSQL, Chromium and git when they are missing, checks
# formatting and vet, runs the repository's tests with the race detector
# (generator, golden example, flag matrix, Heroku deploy, container files)
# and then the example app's own tests, browser tests included. Tests start
# and stop their own memcached and PostgreSQL servers and headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# PostgreSQL: Debian keeps initdb and postgres in
# /usr/lib/postgresql/<version>/bin, outside PATH; the tests look there too.
has_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}
# The browser tests drive Chromium (or Google Chrome).
has_chromium() {
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}
missing=()
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
command -v git >/dev/null 2>&1 || missing+=(git)
has_postgres || missing+=(postgresql)
has_chromium || missing+=(chromium)
installed=()
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    installed=("${missing[@]}")
  else
    echo "not installed: ${missing[*]}: tests that need them will skip (fail when CI is set)." >&2
    echo "install them with: sudo apt-get install ${missing[*]}" >&2
  fi
fi
# Tests start their own memcached and PostgreSQL servers (PostgreSQL as the
# postgres user when run as root) on free ports. The services that the
# packages just installed started are not needed: stop those, and leave
# alone any that were running before.
for pkg in "${installed[@]}"; do
  case "$pkg" in
    memcached)
      if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet memcached 2>/dev/null; then
        systemctl stop memcached || true
      fi
      ;;
    postgresql)
      if command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _ status _; do
          if [ "$status" = online ]; then pg_ctlcluster "$version" "$cluster" stop || true; fi
        done || true
      fi
      ;;
  esac
done

step "gofmt"
unformatted=$(find . -name '*.go' -not -path './.git/*' -print0 | xargs -0 gofmt -l)
if [ -n "$unformatted" ]; then
  echo "not gofmt-formatted:" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet (scaffold)"
go vet ./...

step "go test -race (scaffold: generator, golden example, flag matrix, Heroku deploy)"
go test -race -count=1 ./...

step "go vet (generated-example)"
(cd generated-example && go vet ./...)

step "go test -race (generated-example)"
(cd generated-example && GOFLAGS="${GOFLAGS:-} -mod=readonly" go test -race -count=1 ./...)

step "all checks passed"
