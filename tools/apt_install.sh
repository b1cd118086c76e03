#!/bin/sh
# Install Debian/Ubuntu packages without prompts: as root directly, otherwise through `sudo -n`.
# Usage: tools/apt_install.sh PACKAGE...   (used by the Makefile for chromium and python3.11-venv)
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PACKAGE..." >&2
  exit 2
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-get not found: install $* with your system's package manager, then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo -n"
else
  echo "Installing $* needs root: run 'sudo apt-get install -y $*' yourself, then run make again." >&2
  exit 1
fi

echo "apt-get install $* ..."
# `env` carries DEBIAN_FRONTEND through sudo, which would otherwise drop it.
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
