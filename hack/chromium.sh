#!/usr/bin/env bash
# Installs headless Chromium and chromedriver from Debian, which the HTML report's browser
# test (report.TestHTMLInChromium) drives. Does nothing when both are already on PATH.
# Needs root (or passwordless sudo) the first time; CI calls it before `make test`.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
sudo=
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
fi
echo "chromium: installing chromium and chromium-driver with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends chromium chromium-driver
chromium --version >&2
chromedriver --version >&2
