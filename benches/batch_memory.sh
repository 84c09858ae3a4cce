#!/usr/bin/env bash
# Peak memory and throughput of `quotestance batch` on 2,000- and 20,000-article
# archives (the corpus in data/corpus/articles cycled under new ids), with the
# single-document path (`quotestance label`, JSONL in, JSONL out) on the same
# input for comparison. Bounded memory shows as a peak RSS that does not grow
# with the archive.
#
#   benches/batch_memory.sh            # builds the release binary first
#   SIZES="2000 20000" THREADS=0 benches/batch_memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-"2000 20000"}
THREADS=${THREADS:-0}
. benches/batch_common.sh

python3 - "$WORK" $SIZES <<'PY'
import glob, gzip, json, sys
work, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
texts = [open(f, encoding="utf-8").read() for f in sorted(glob.glob("data/corpus/articles/*.txt"))]
for n in sizes:
    with gzip.open(f"{work}/archive-{n}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as g, \
         open(f"{work}/archive-{n}.jsonl", "w", encoding="utf-8") as p:
        for i in range(n):
            line = json.dumps({"id": f"a{i:07d}", "text": texts[i % len(texts)]}) + "\n"
            g.write(line)
            p.write(line)
PY

printf '%-8s %-22s %14s %10s %12s\n' articles mode peak_rss_MiB seconds articles/s
for n in $SIZES; do
    rm -rf "$WORK/out"
    read -r rss wall < <(measure "$BIN" batch --rules-only --threads "$THREADS" "$WORK/archive-$n.jsonl.gz" -o "$WORK/out")
    got=$(cat "$WORK"/out/documents-*.jsonl | wc -l)
    [ "$got" -eq "$n" ] || { echo "batch wrote $got rows for $n records" >&2; exit 1; }
    awk -v n="$n" -v r="$rss" -v w="$wall" 'BEGIN { printf "%-8d %-22s %14.1f %10.2f %12.0f\n", n, "batch (.jsonl.gz)", r/1024, w, n/w }'
    read -r rss wall < <(measure "$BIN" label --rules-only --threads "$THREADS" "$WORK/archive-$n.jsonl" -o "$WORK/label.jsonl")
    awk -v n="$n" -v r="$rss" -v w="$wall" 'BEGIN { printf "%-8d %-22s %14.1f %10.2f %12.0f\n", n, "label (.jsonl)", r/1024, w, n/w }'
done
