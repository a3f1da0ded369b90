#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a while.
#
#   Tests/Fuzz/run.sh <seconds-per-target> [target...]
#
# Targets (default: all): FuzzHandshakeServer FuzzHandshakeClient
# FuzzPacketOpener FuzzCommandLine FuzzAddress FuzzKeyFile.
#
# Builds with SPIPED_FUZZ=1 (Package.swift then declares the targets) in
# release mode with -sanitize=fuzzer,address passed to every Swift module, so
# the library code under test gets coverage instrumentation and ASan too.
# Each target runs under `nice -n 10` on a fresh copy of its seed corpus
# (Tests/Fuzz/Corpus/<target>) in a scratch directory, so the repository's
# corpus stays small; crashes are written to <scratch>/<target>/crashes/.
# At the end a table gives executions, exec/s, cov: and ft: per target.
#
# Environment: FUZZ_SCRATCH (default .build-fuzz/runs), FUZZ_JOBS (parallel
# targets, default 1), FUZZ_ARGS (extra libFuzzer flags).
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
seconds=${1:?usage: Tests/Fuzz/run.sh <seconds-per-target> [target...]}
shift
all=(FuzzHandshakeServer FuzzHandshakeClient FuzzPacketOpener FuzzCommandLine FuzzAddress FuzzKeyFile)
targets=("${@:-${all[@]}}")
[ $# -eq 0 ] && targets=("${all[@]}")
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz/runs}
jobs=${FUZZ_JOBS:-1}

mkdir -p "$scratch"
for t in "${targets[@]}"; do
    echo "== building $t"
    if ! SPIPED_FUZZ=1 nice -n 10 swift build -c release --product "$t" \
        -Xswiftc -sanitize=fuzzer,address --scratch-path "$root/.build-fuzz" >"$scratch/build-$t.log" 2>&1; then
        cat "$scratch/build-$t.log"; echo "build of $t failed"; exit 1
    fi
done
bin=$(SPIPED_FUZZ=1 swift build -c release --scratch-path "$root/.build-fuzz" --show-bin-path)

max_len() {
    case $1 in
        FuzzHandshakeServer|FuzzHandshakeClient) echo 5000 ;;
        FuzzPacketOpener) echo 8000 ;;
        FuzzKeyFile) echo 4096 ;;
        *) echo 512 ;;
    esac
}

run_one() {
    local t=$1 dir="$scratch/$1"
    rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/crashes" "$dir/tmp"
    cp "$root/Tests/Fuzz/Corpus/$t/"* "$dir/corpus/"
    # ASan: report leaks too; abort so libFuzzer keeps the input. No Swift
    # backtracer: libFuzzer reports the crash, and the backtracer (which
    # inherits the log's pipe) can hold the run up for its whole timeout.
    TMPDIR="$dir/tmp" SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no} ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
    nice -n 10 "$bin/$t" "$dir/corpus" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -artifact_prefix="$dir/crashes/" -print_final_stats=1 ${FUZZ_ARGS:-} >"$dir/log" 2>&1
    echo $? >"$dir/status"
}

running=0
for t in "${targets[@]}"; do
    echo "== fuzzing $t for ${seconds}s"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '\n%-22s %12s %9s %7s %7s %7s %s\n' target execs exec/s cov ft corpus result
failed=0
for t in "${targets[@]}"; do
    dir="$scratch/$t"
    last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1)
    execs=$(awk '/^stat::number_of_executed_units:/{print $2}' "$dir/log")
    rate=$(awk '/^stat::average_exec_per_sec:/{print $2}' "$dir/log")
    cov=$(echo "$last" | grep -o 'cov: [0-9]*' | awk '{print $2}')
    ft=$(echo "$last" | grep -o 'ft: [0-9]*' | awk '{print $2}')
    corp=$(echo "$last" | grep -o 'corp: [0-9]*' | awk '{print $2}')
    status=$(cat "$dir/status" 2>/dev/null || echo '?')
    crashes=$(ls "$dir/crashes" | wc -l)
    result=ok
    if [ "$status" != 0 ] || [ "$crashes" -gt 0 ]; then result="FAILED (exit $status, $crashes artifacts in $dir/crashes)"; failed=1; fi
    printf '%-22s %12s %9s %7s %7s %7s %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
echo "logs: $scratch/<target>/log"
exit $failed
