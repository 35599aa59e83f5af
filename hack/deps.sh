#!/usr/bin/env bash
# Installs the Debian packages the tests need, so that `make test` is the whole set-up on a fresh Debian machine
# with Go. Quiet and a no-op when everything is present; installs what is missing when run as root, or through
# sudo when sudo needs no password; otherwise prints the one command to run and fails.
#
#   prometheus         promtool (alert rule tests) and the prometheus server
#   chromium           the portal's end-to-end tests drive it
#   fonts-dejavu-core  a font for the pages Chromium renders
#   postgresql         the PostgreSQL server the store tests start
#   make, git          the build itself
set -euo pipefail

has_cmd() { command -v "$1" >/dev/null 2>&1; }
has_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

need=()
{ has_cmd promtool && has_cmd prometheus; } || need+=(prometheus)
has_cmd chromium || need+=(chromium)
has_pkg fonts-dejavu-core || need+=(fonts-dejavu-core)
{ has_pkg postgresql || has_cmd postgres; } || need+=(postgresql) # Debian keeps its server off PATH
has_cmd make || need+=(make)
has_cmd git || need+=(git)
[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif has_cmd sudo && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "The tests need Debian packages that are missing: ${need[*]}. Install them as root with:" >&2
  echo "  sudo sh -c '$cmd'" >&2
  exit 1
fi
if ! has_cmd apt-get; then
  echo "The tests need these packages (Debian names), and this machine has no apt-get: ${need[*]}" >&2
  exit 1
fi

echo ">> installing Debian packages the tests need: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
