#!/usr/bin/env bash
# Debian packages the tests drive as real clients (telnet, tmux, nc). Installs
# only what is missing; needs root (CI and the dev machines are root).
set -euo pipefail
need=()
command -v cc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
command -v telnet >/dev/null || need+=(telnet)
command -v tmux >/dev/null || need+=(tmux)
command -v nc >/dev/null || need+=(netcat-openbsd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup-system: missing ${need[*]} (run as root to install)" >&2
  fi
fi
