#!/usr/bin/env bash
# The Debian packages `make test` needs beyond Python 3.11 and Node.js (everything else comes from PyPI and
# npm): chromium for the browser tests, fonts-noto-cjk so that Chromium draws the Chinese of its pages and
# screenshots, postgresql-client (psql) with which run_tests.sh makes and drops its database.
# Only the missing ones are installed, and only where that is possible (root with apt-get); otherwise the
# run stops at once with one message naming them.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
# any font that fontconfig says covers Chinese will do (fc-list itself may be absent: Chromium needs only
# the library), else Debian's own record of fonts-noto-cjk
chinese_font() {
    { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh family)" ]; } ||
        dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed"
}
chinese_font || missing+=(fonts-noto-cjk)
command -v psql >/dev/null || missing+=(postgresql-client)

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "make test needs these Debian packages, which it can install only as root with apt-get:" \
         "${missing[*]} (apt-get install --no-install-recommends ${missing[*]})" >&2
    exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
