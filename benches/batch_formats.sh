#!/usr/bin/env bash
# Throughput and peak memory of `quotestance batch` by format, on one archive:
# the corpus in data/corpus/articles cycled under new ids (N articles), as
# JSONL in with JSONL out and with Parquet out, and as a WARC of the same
# articles (each in a news page: menu, headline, paragraphs, footer; gzip per
# record, with a request record before each response, CC-NEWS style) with
# JSONL out, which adds HTTP parsing and article extraction.
#
#   benches/batch_formats.sh            # builds the release binary first
#   N=20000 THREADS=0 benches/batch_formats.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5000}
THREADS=${THREADS:-0}
. benches/batch_common.sh

python3 - "$WORK" "$N" <<'PY'
import glob, gzip, html, json, sys
work, n = sys.argv[1], int(sys.argv[2])
texts = [open(f, encoding="utf-8").read() for f in sorted(glob.glob("data/corpus/articles/*.txt"))]
with gzip.open(f"{work}/archive.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as g:
    for i in range(n):
        g.write(json.dumps({"id": f"a{i:07d}", "text": texts[i % len(texts)]}) + "\n")

def record(kind, rid, uri, ctype, block):
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\n"
            f"WARC-Date: 2026-01-01T00:00:00Z\r\nWARC-Target-URI: {uri}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n").encode()
    return gzip.compress(head + block + b"\r\n\r\n", compresslevel=1)

with open(f"{work}/archive.warc.gz", "wb") as w:
    for i in range(n):
        paras = [p for p in texts[i % len(texts)].split("\n") if p.strip()]
        body = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in paras[1:])
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Story {i}</title></head><body>"
                f"<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a></nav><main><article>"
                f"<h1>{html.escape(paras[0][:80])}</h1>\n<p>{html.escape(paras[0], quote=False)}</p>\n{body}"
                f"</article></main><footer><a href=\"/about\">About</a></footer></body></html>").encode()
        uri = f"https://news.example/{i}"
        w.write(record("request", f"r-{i:08d}", uri, "application/http; msgtype=request",
                       f"GET /{i} HTTP/1.1\r\nHost: news.example\r\n\r\n".encode()))
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page
        w.write(record("response", f"p-{i:08d}", uri, "application/http; msgtype=response", http))
PY

report() { # name rss wall
    awk -v n="$N" -v m="$1" -v r="$2" -v w="$3" 'BEGIN { printf "%-26s %8d %14.1f %10.2f %12.0f\n", m, n, r/1024, w, n/w }'
}

printf '%-26s %8s %14s %10s %12s\n' mode articles peak_rss_MiB seconds articles/s
for run in "jsonl.gz jsonl" "jsonl.gz parquet" "warc.gz jsonl"; do
    set -- $run
    rm -rf "$WORK/out"
    read -r rss wall < <(measure "$BIN" batch --rules-only --threads "$THREADS" --format "$2" \
        "$WORK/archive.$1" -o "$WORK/out")
    summary=$(grep -o 'read [0-9]* records, labelled [0-9]*, errors [0-9]*' "$WORK/time.txt")
    [ "$summary" = "read $N records, labelled $N, errors 0" ] || { echo "$1 -> $2: $summary" >&2; exit 1; }
    report "batch $1 -> $2" "$rss" "$wall"
done
