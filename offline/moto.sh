#!/usr/bin/env bash
# Installs moto's server (PyPI `moto[server]`, an emulator of the AWS APIs) once into a virtual
# environment of the project's cache and prints the path of its `moto_server`:
#   offline/moto.sh        → $KC_CACHE/moto/5.2.5/bin/moto_server   (cold ~1 min; warm: instant)
# The tests start it themselves on 127.0.0.1 and stop it.
set -euo pipefail
# shellcheck source=offline/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
VERSION="5.2.5"
VENV="$KC_CACHE/moto/$VERSION"
if [[ ! -f "$VENV/.installed" ]]; then
  command -v python3 >/dev/null || die "python3 is needed for moto"
  step moto "installing moto[server] $VERSION from PyPI into $VENV"
  started=$SECONDS
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$VERSION" >&2 || {
    rm -rf "$VENV"
    die "pip install moto[server]==$VERSION failed"
  }
  "$VENV/bin/moto_server" --help >/dev/null
  touch "$VENV/.installed"
  step moto "installed in $((SECONDS - started))s"
fi
printf '%s\n' "$VENV/bin/moto_server"
