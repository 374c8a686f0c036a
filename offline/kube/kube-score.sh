#!/usr/bin/env bash
# Builds the manifest linter kube-score (github.com/zegl/kube-score, from the Go module proxy)
# once, cached by version, and prints its path:
#   offline/kube/kube-score.sh     → $KC_CACHE/tools/kube-score-v1.20.0/kube-score
# (cold ~1-2 min on 2 cores; warm: instant)
set -euo pipefail
# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
VERSION="v1.20.0"
DIR="$KC_CACHE/tools/kube-score-$VERSION"
if [[ ! -x "$DIR/kube-score" ]]; then
  command -v go >/dev/null || die "go is needed to build kube-score"
  step kube-score "building kube-score $VERSION from the Go module proxy"
  started=$SECONDS
  mkdir -p "$DIR.tmp.$$"
  GOBIN="$DIR.tmp.$$" CGO_ENABLED=0 nice -n 10 go install -trimpath "github.com/zegl/kube-score/cmd/kube-score@$VERSION" >&2
  "$DIR.tmp.$$/kube-score" version >/dev/null
  rm -rf "$DIR" && mv "$DIR.tmp.$$" "$DIR"
  step kube-score "built in $((SECONDS - started))s"
fi
printf '%s\n' "$DIR/kube-score"
