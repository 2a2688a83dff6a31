#!/usr/bin/env bash
# Runs every check that CI runs, on a fresh Debian machine with only Go:
# installs memcached when it is missing, checks formatting and vet, runs the
# repository's tests with the race detector (generator, golden example, flag
# matrix, Heroku deploy) and then the example app's own tests. Tests start
# and stop their own memcached processes.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! command -v memcached >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing memcached"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq memcached >/dev/null
  else
    echo "memcached is not installed: tests that need it will skip (fail when CI is set)." >&2
    echo "install it with: sudo apt-get install memcached (or brew install memcached)" >&2
  fi
fi
# Tests start their own memcached; the service a package install starts is
# not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet memcached 2>/dev/null; then
  systemctl stop memcached || true
fi

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
