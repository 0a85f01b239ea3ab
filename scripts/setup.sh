#!/usr/bin/env bash
# Installs the system packages genfwi needs on a bare Debian machine
# (OpenBLAS for SGEMM and oneDNN for convolutions through cgo, pkg-config)
# and downloads Go modules.
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail

need=()
dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
dpkg -s libdnnl-dev >/dev/null 2>&1 || need+=(libdnnl-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
if ((${#need[@]})); then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
go mod download
