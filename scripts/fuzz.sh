#!/usr/bin/env bash
# Runs every fuzz target, one after another, for SECONDS_PER_TARGET seconds each (see fuzz/README.md).
#
#   scripts/fuzz.sh SECONDS_PER_TARGET [TARGET...]
#
# Meant to run unattended, e.g.
#   nohup scripts/fuzz.sh 1800 > fuzz/work/fuzz.out 2>&1 < /dev/null &
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and the nightly toolchain (`cargo +nightly`).
#
# Each target's corpus grows in fuzz/work/<target>/ (git-ignored), seeded from fuzz/corpus/<target>/
# (the committed seeds, never written to). Its full libFuzzer log is fuzz/work/<target>.log; its
# final stats line (execs, exec/s, corpus size, coverage, crash) is appended to fuzz/runs.log
# (git-ignored). A crash, a timeout (an input over FUZZ_TIMEOUT seconds) or an out-of-memory input
# is written to fuzz/artifacts/<target>/; the target then starts again for the rest of its time
# (at most FUZZ_RESTARTS times), so one finding does not end the run.
#
# Environment:
#   FUZZ_TARGETS    the targets when none are given (default: all but annotate_models, which is
#                   slow: an encoder pass per input; name it to run it)
#   FUZZ_SANITIZER  cargo-fuzz --sanitizer (default: none; `address` for ASan, about 2x slower)
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a finding (default: 10)
#   FUZZ_RSS_MB     memory limit of the fuzzer process (default: 2048)
#   FUZZ_NICE       niceness of the fuzzer (default: 10; other builds on the machine come first)
#   FUZZ_RESTARTS   restarts of a target after a finding (default: 3)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() {
    echo "usage: scripts/fuzz.sh SECONDS_PER_TARGET [TARGET...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
per_target=$1
shift
[[ $per_target =~ ^[1-9][0-9]*$ ]] || usage
if [ $# -gt 0 ]; then
    targets=("$@")
else
    read -r -a targets <<<"${FUZZ_TARGETS:-annotate_rules jsonl_reader parquet_reader warc_reader html_extract}"
fi
sanitizer=${FUZZ_SANITIZER:-none}
timeout=${FUZZ_TIMEOUT:-10}
rss_mb=${FUZZ_RSS_MB:-2048}
niceness=${FUZZ_NICE:-10}
restarts=${FUZZ_RESTARTS:-3}
log=$root/fuzz/runs.log
mkdir -p fuzz/work

# one run at a time (two would share fuzz/work)
exec 9>fuzz/work/.lock
if command -v flock >/dev/null && ! flock -n 9; then
    echo "scripts/fuzz.sh: another run holds fuzz/work/.lock" >&2
    exit 2
fi

# Built once, here: the runs below use these binaries, so edits made to the sources while they run
# (or a tree that stops compiling) do not change what a long run fuzzes.
echo "== building the targets (sanitizer: $sanitizer)"
nice -n "$niceness" cargo +nightly fuzz build --sanitizer "$sanitizer" || exit 2
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir=$root/fuzz/target/$triple/release

# Fields of the final stats of a libFuzzer log, as key=value pairs.
stats() {
    local file=$1 done_line
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$file" | tail -n 1)
    [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+[[:space:]]' "$file" | tail -n 1)
    local execs corp cov ft eps rss
    execs=$(grep -E '^stat::number_of_executed_units:' "$file" | tail -n 1 | awk '{print $2}')
    [ -n "$execs" ] || execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$done_line")
    eps=$(grep -E '^stat::average_exec_per_sec:' "$file" | tail -n 1 | awk '{print $2}')
    [ -n "$eps" ] || eps=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
    corp=$(sed -nE 's/.*corp: ([0-9]+\/[0-9]+[a-zA-Z]+).*/\1/p' <<<"$done_line")
    cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$done_line")
    ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$done_line")
    rss=$(grep -E '^stat::peak_rss_mb:' "$file" | tail -n 1 | awk '{print $2}')
    echo "execs=${execs:-?} exec_per_s=${eps:-?} corpus=${corp:-?} cov=${cov:-?} ft=${ft:-?} peak_rss_mb=${rss:-?}"
}

status=0
for t in "${targets[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$t.rs" ] || [ ! -x "$bin_dir/$t" ]; then
        echo "scripts/fuzz.sh: no target $t" >&2
        status=2
        continue
    fi
    max_len=4096
    [ "$t" = annotate_models ] && max_len=512
    mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t"
    end=$(($(date +%s) + per_target))
    run=0
    while :; do
        left=$((end - $(date +%s)))
        [ "$left" -gt 0 ] || break
        run=$((run + 1))
        out=fuzz/work/$t.log
        [ "$run" -gt 1 ] && out=fuzz/work/$t.$run.log
        echo "== $t: ${left}s (run $run), log $out"
        # what `cargo fuzz run` runs; the first corpus folder receives the new inputs, the seeds
        # are only read
        nice -n "$niceness" "$bin_dir/$t" "fuzz/work/$t" "fuzz/corpus/$t" \
            -max_total_time="$left" -timeout="$timeout" -rss_limit_mb="$rss_mb" -max_len="$max_len" \
            -print_final_stats=1 -artifact_prefix="$root/fuzz/artifacts/$t/" >"$out" 2>&1 </dev/null
        rc=$?
        finding=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$out" | tail -n 1)
        kind=$(grep -oE 'ERROR: libFuzzer: [a-z-]+|panicked at [^ ]+' "$out" | head -n 1)
        line="$(date -u +%Y-%m-%dT%H:%M:%SZ) target=$t run=$run seconds=$left sanitizer=$sanitizer rc=$rc $(stats "$out")"
        [ -n "$finding" ] && line="$line finding=${finding#"$root"/} (${kind:-?})"
        echo "$line" | tee -a "$log"
        if [ -z "$finding" ] || [ "$run" -gt "$restarts" ]; then
            [ -n "$finding" ] && status=1
            [ "$rc" -ne 0 ] && [ -z "$finding" ] && status=2
            break
        fi
        status=1
    done
done
echo "== done; stats in fuzz/runs.log, findings in fuzz/artifacts/"
exit $status
