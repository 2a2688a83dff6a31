#!/usr/bin/env bash
# Tidies the app template's dependencies: generates an app, runs
# "go mod tidy" in it, and copies go.mod and go.sum back into templates/ with
# the module path turned back into its placeholder. Run it after changing an
# import or a version in templates/, then regenerate the golden example:
#
#   scripts/tidy-template.sh && go test ./internal/generate -update
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
module=example.com/tidy/app

go run ./cmd/scaffold new "$tmp/app" --module "$module" >/dev/null
(cd "$tmp/app" && go mod tidy)
sed "s|^module $module\$|module [[.Module]]|" "$tmp/app/go.mod" > templates/app/go.mod.tmpl
cp "$tmp/app/go.sum" templates/app/go.sum.tmpl
echo "updated templates/go.mod.tmpl and templates/app/go.sum.tmpl"
