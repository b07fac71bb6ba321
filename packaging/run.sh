#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run ovsdb-vtepd in the foreground on
# its embedded default configuration. Extra arguments go to ovsdb-vtepd.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
packaging/build.sh
exec build/bin/ovsdb-vtepd "$@"
