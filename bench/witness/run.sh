#!/usr/bin/env bash
# Runs the witness interoperability tests.
#
# transparency-dev/witness requires a pre-release of transparency-dev/merkle
# that the Go module proxy does not serve. This builds it in a throwaway Go
# workspace against a copy of merkle v0.0.2, the newest release, plus
# testdata/subtree_shim.go: a stub of the one function v0.0.2 lacks, which
# the witness calls only for sign-subtree (attest never sends that). Nothing
# is written inside the repository.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
go mod download github.com/transparency-dev/merkle@v0.0.2
cp -r "$(go env GOMODCACHE)/github.com/transparency-dev/merkle@v0.0.2" "$tmp/merkle"
chmod -R u+w "$tmp/merkle"
cp testdata/subtree_shim.go "$tmp/merkle/proof/attest_subtree_shim.go"
printf 'go 1.26.0\n\nuse (\n\t%s\n\t%s\n)\n' "$PWD" "$tmp/merkle" >"$tmp/go.work"
GOWORK="$tmp/go.work" go vet ./...
GOWORK="$tmp/go.work" go test "$@" ./...
