#!/bin/sh
# Runs every benchmark in turn.  Each prints its own table; numbers are
# measured on this machine in this run (ratios against a peer tool are
# measured side by side in the same run).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
status=0
for b in engine check consistency raft consensus quorum pbs merkle two_atomic pbft viz; do
  if [ -f "bench/$b.sh" ]; then
    echo "== bench/$b.sh"
    BUILD=$BUILD sh "bench/$b.sh" || status=1
    echo
  fi
done
exit $status
