#!/bin/sh
# bench/knossos_models.sh: dsim check against Knossos on the collection
# models (set, unordered-queue, fifo-queue, multi-register): histories from
# bench/coll_gen.py, half of them with one result changed, the verdicts of
# both side by side, and a line per disagreement.
#
#   KNOSSOS_CHECK=/path/to/knossos-check.sh bench/knossos_models.sh [OPS] [PER_MODEL]
#
# KNOSSOS_CHECK runs Knossos's WGL checker on EDN files (it needs Debian's
# clojure and its libraries); without it only dsim's verdicts are printed.
# Defaults: 30 operations from 4 processes, 6 histories per model.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OPS=${1:-30}
PER=${2:-6}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
agree=0; differ=0
for model in set unordered-queue fifo-queue multi-register; do
  s=1
  while [ "$s" -le "$PER" ]; do
    mut=""; [ $((s % 2)) -eq 0 ] && mut=--mutate
    python3 bench/coll_gen.py "$model" "$OPS" 4 "$s" $mut > "$DIR/$model-$s.edn"
    s=$((s + 1))
  done
  for f in "$DIR/$model"-*.edn; do
    v=$("$BUILD/cli/dsim" check "$f" --kind "$model" --format json 2>/dev/null | head -1 |
        sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p')
    printf '%s\t%s\n' "$(basename "$f")" "$v"
  done > "$DIR/dsim-$model.txt"
  if [ -n "${KNOSSOS_CHECK:-}" ]; then
    bash "$KNOSSOS_CHECK" --timeout-s 60 "$model" "$DIR/$model"-*.edn 2>/dev/null |
      awk -F'\t' '$1 != "total" { n = split($1, p, "/"); v = $2 == "illegal" ? "violation" : $2;
                                  printf "%s\t%s\t%s\n", p[n], v, $3 }' > "$DIR/knossos-$model.txt"
    while IFS="$(printf '\t')" read -r file dv; do
      kv=$(awk -F'\t' -v f="$file" '$1 == f { print $2 }' "$DIR/knossos-$model.txt")
      if [ "$dv" = "$kv" ]; then agree=$((agree + 1)); else
        differ=$((differ + 1)); echo "differ: $model $file dsim=$dv knossos=$kv"; fi
    done < "$DIR/dsim-$model.txt"
  fi
  printf '%-16s dsim: %s\n' "$model" "$(cut -f2 "$DIR/dsim-$model.txt" | sort | uniq -c | tr '\n' ' ')"
done
[ -n "${KNOSSOS_CHECK:-}" ] && echo "verdicts: $agree agree, $differ differ"
exit 0
