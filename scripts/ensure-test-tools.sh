#!/bin/sh
# Installs what the test suite needs from Debian when it is missing: Chromium for the browser
# tests, with Noto's fonts (Urdu's script, so right-to-left pages are measured in real letters),
# PostgreSQL for the database tests, redis-server for the shared sign-in limits. Fails with a clear message when it cannot.
set -eu

missing=""
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -x /usr/bin/redis-server ] || missing="$missing redis-server"
[ -f /usr/share/fonts/truetype/noto/NotoNastaliqUrdu-Regular.ttf ] || missing="$missing fonts-noto-core"
[ -z "$missing" ] && exit 0

echo "Installing for the tests:$missing"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "make test needs:$missing. Install them with: apt-get install -y$missing (as root)" >&2
  exit 1
fi
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing; }; then
  echo "Could not install$missing with apt-get. Install them by hand, then run make test again." >&2
  exit 1
fi
