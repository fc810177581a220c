#!/usr/bin/env bash
# Makes sure the system programs the local runners need are here: a JDK (17+), Maven, the
# PostgreSQL server binaries, nginx, ClamAV's clamd (uploads are scanned), and Chromium for the
# browser tests. On Debian as root, missing ones are installed with apt-get; elsewhere this says
# exactly what is missing and stops.
set -euo pipefail

missing=()
command -v java >/dev/null || missing+=(default-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# clamd for the upload scan; the local runner gives it the project's own signature database.
command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon clamav)
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
  # Likewise clamd and freshclam: the runner starts its own clamd (devinfra.clamd) with the
  # project's signatures; nothing here downloads virus databases.
  if [[ " ${missing[*]} " == *" clamav-daemon "* ]]; then
    for unit in clamav-daemon clamav-freshclam; do
      systemctl disable --now "$unit" >/dev/null 2>&1 || service "$unit" stop >/dev/null 2>&1 || true
    done
  fi
  # Likewise Prometheus: `make up` runs its own against the local services.
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    systemctl disable --now prometheus >/dev/null 2>&1 || service prometheus stop >/dev/null 2>&1 || true
  fi
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with your system's package manager (a JDK 17+, Maven, the PostgreSQL server, nginx, ClamAV's clamd, Chromium), then run make again" >&2
  exit 1
fi
