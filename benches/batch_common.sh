# Shared by benches/batch_memory.sh and benches/batch_formats.sh (sourced from
# the repository root): GNU time, the release binary as $BIN, a scratch folder
# $WORK removed on exit, and `measure CMD...`, which runs CMD under
# /usr/bin/time -v and prints "peak_rss_kib seconds".
if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (Debian package 'time')" >&2
    apt-get install -y time >/dev/null || sudo apt-get install -y time >/dev/null
fi
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p quotestance-cli
BIN=target/release/quotestance
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

measure() {
    /usr/bin/time -v "$@" 2>"$WORK/time.txt" >/dev/null
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    echo "$rss $wall"
}
