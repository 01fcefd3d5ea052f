#!/bin/sh
# Installs the Debian packages dsim needs to build and test, if any are
# missing.  Needs root (or sudo) only when something is missing.
set -eu

PACKAGES="gcc make meson ninja-build pkg-config python3 libglib2.0-dev libjson-glib-dev libgraphviz-dev libcriterion-dev libxml2-utils"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "dsim: installing missing packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "dsim: these packages are missing and I am not root: $missing" >&2
  echo "dsim: install them with: apt-get install$missing" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
