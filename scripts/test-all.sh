#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (Debian packages, npm packages), builds, and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the integration tests start for real (later issues add to this list).
DEB_PACKAGES=(gzip procps iproute2 lsof redis-server openssh-server docker.io systemd systemd-journal-remote docker-compose curl busybox-static sudo)
missing=()
for p in "${DEB_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# `npm install` honours package-lock.json; `npm ci` cannot be used here: this machine's registry has no builds of
# msgpackr-extract (an optional dependency of bullmq) for other platforms, so its lock file cannot list them and
# `npm ci` refuses a lock file without them.
npm install --no-audit --no-fund
npm run build
started=$(date +%s)
trap 'echo "test suite wall time: $(( $(date +%s) - started )) s (budget: 900 s on 2 cores)"' EXIT
npx vitest run
