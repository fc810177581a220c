#!/usr/bin/env bash
# Makes sure the system programs the local runners need are here: a JDK (17+), Maven, the
# PostgreSQL server binaries, nginx, and Chromium for the browser tests. On Debian as root,
# missing ones are installed with apt-get;
# elsewhere this says exactly what is missing and stops.
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(default-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v python3 >/dev/null || missing+=(python3 python3-venv)
# The browser tests drive Debian's Chromium (Playwright downloads no browser); CJK fonts so the
# screenshots show Japanese.
command -v chromium >/dev/null || missing+=(chromium)
# promtool (Prometheus's config and rule checker) for the deployment tests, and Prometheus for make up.
command -v promtool >/dev/null || missing+=(prometheus)
[ -d /usr/share/fonts/opentype/noto ] || missing+=(fonts-noto-cjk)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ -r /etc/debian_version ] && [ "$(id -u)" -eq 0 ]; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postgresql package starts a system cluster on 5432; the project runs its own.
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    systemctl disable --now postgresql >/dev/null 2>&1 || service postgresql stop >/dev/null 2>&1 || true
  fi
  # Likewise Prometheus: `make up` runs its own against the local services.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || service prometheus stop >/dev/null 2>&1 || true
  fi
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with your system's package manager (a JDK 17+, Maven, the PostgreSQL server, nginx, Chromium), then run make again" >&2
  exit 1
fi
