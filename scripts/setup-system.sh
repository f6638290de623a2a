#!/usr/bin/env bash
# System packages the tests need (Debian). Safe to run again: it installs only what is missing.
set -euo pipefail
needed=()
for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || needed+=("$pkg"); done
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${needed[*]} (run as root or install them yourself)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
