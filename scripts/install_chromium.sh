#!/usr/bin/env bash
# Debian's chromium for the browser tests (tests/integration/test_web_browser.py drives it with Playwright).
# Installed only when it is missing, and nothing more: no recommended packages (on Debian 12 a plain
# install brings 115 packages, udev and Perl modules among them, which upgrade systemd and perl; this way
# 25, none upgraded) and no upgrade of chromium itself. apt's output goes to a log, shown only when it
# fails. Where it cannot be installed (no apt-get, neither root nor sudo, no chromium package in apt's
# lists) this says so and exits 0: the browser tests then skip, naming what to install. A failing
# apt-get fails the run.
set -euo pipefail

if command -v chromium >/dev/null; then
  exit 0
fi
cannot() {
  echo "chromium is missing and $1: the browser tests will be skipped. To run them, install" \
    "Debian's chromium: sudo apt-get install --no-install-recommends chromium" >&2
  exit 0
}
command -v apt-get >/dev/null || cannot "there is no apt-get to install it"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  # sudo may ask for a password on a terminal; without one it must not need to.
  if command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
    as_root=(sudo)
  else
    cannot "installing it needs root or sudo"
  fi
fi

log="${TMPDIR:-/tmp}/newsdesk-qa-apt-chromium.log"
echo "Installing Debian's chromium for the browser tests (apt's output: $log)" >&2
failed() {
  echo "apt-get could not install chromium; its output:" >&2
  cat "$log" >&2
  exit 1
}
"${as_root[@]}" apt-get update -qq >"$log" 2>&1 || failed
# Not every apt knows a package of that name (some distributions ship chromium only as a snap).
apt-cache show chromium >/dev/null 2>&1 || cannot "apt has no package named chromium"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends --no-upgrade chromium >>"$log" 2>&1 || failed
