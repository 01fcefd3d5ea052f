#!/bin/sh
# make test: every suite in the normal build, the fast suite again under
# ASan+UBSan, the determinism grep; then one summary line that counts test
# cases across all of them: "N passed, N failed".
set -u
BUILD=${1:-build}
ASAN_BUILD=${2:-build-asan}
status=0

ninja -C "$BUILD" || exit 1

echo "== tests ($BUILD: fast and slow suites)"
meson test -C "$BUILD" --print-errorlogs --num-processes 2 || status=1
cp "$BUILD/meson-logs/testlog.json" "$BUILD/meson-logs/testlog-main.json"

echo "== tests under AddressSanitizer and UndefinedBehaviorSanitizer ($ASAN_BUILD: fast suite)"
if [ ! -f "$ASAN_BUILD/build.ninja" ]; then
  meson setup "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug >/dev/null || exit 1
fi
ninja -C "$ASAN_BUILD" || exit 1
meson test -C "$ASAN_BUILD" --suite fast --print-errorlogs --num-processes 2 || status=1

echo "== determinism"
det_out=$(sh tools/check-determinism.sh .)
det=$?
echo "$det_out"
[ $det -eq 0 ] || status=1

python3 tools/summarize-tests.py \
  "$BUILD/meson-logs/testlog-main.json" "$ASAN_BUILD/meson-logs/testlog.json" \
  --extra "determinism-grep=$det" || status=1
exit $status
