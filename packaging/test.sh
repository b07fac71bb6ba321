#!/usr/bin/env bash
# Quick start 2: install what is missing, build (including the ASan/UBSan unit-test
# variant), and run every test under ctest. The output ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh --with-tests
packaging/build.sh -DOVSDB_VTEP_SANITIZERS=ON
cd build
exec ctest --output-on-failure --timeout 900 "$@"
