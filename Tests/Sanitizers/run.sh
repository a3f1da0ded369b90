#!/usr/bin/env bash
# Runs the whole test suite under AddressSanitizer and/or ThreadSanitizer.
#
#   Tests/Sanitizers/run.sh [address] [thread] [-- <extra swift test arguments>]
#
# Default: both, one after the other. Each builds in its own scratch path
# (.build-asan, .build-tsan) with `swift test -c release --sanitize=<s>`, so
# the library, the test binary AND the spiped/spipe executables the tests
# spawn as child processes are all instrumented (the tests find the
# executables next to the test binary).
#
# Reports from every process (test runner and children) go to files through
# ASAN_OPTIONS / TSAN_OPTIONS log_path=<scratch>/sanitizer-logs/<kind>.<pid>,
# which children inherit with the environment: a report is never lost in a
# child's captured stderr and never disturbs a test comparing stderr text.
# The run fails if swift test fails OR any report file exists; the reports
# are printed at the end. Set SANITIZER_CONFIG=debug for a debug build.
# --disable-xctest: the suite is Swift Testing only, and the toolchain's XCTest
# runner leaks a few of its own objects at exit (LeakSanitizer reports them in
# libXCTest.so; nothing of ours is involved), so it is not started at all.
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
kinds=()
extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --) shift; extra=("$@"); break ;;
        address|thread) kinds+=("$1") ;;
        *) echo "usage: $0 [address] [thread] [-- swift test arguments]" >&2; exit 2 ;;
    esac
    shift
done
[ ${#kinds[@]} -eq 0 ] && kinds=(address thread)
config=${SANITIZER_CONFIG:-release}

overall=0
summary=()
for kind in "${kinds[@]}"; do
    case $kind in
        address) scratch="$root/.build-asan" ;;
        thread) scratch="$root/.build-tsan" ;;
    esac
    logs="$scratch/sanitizer-logs"
    rm -rf "$logs"; mkdir -p "$logs"
    echo "== swift test -c $config --sanitize=$kind (reports to $logs)"
    # ASan: stop at the first error (its report is complete), check leaks at exit.
    # TSan: keep going so one run shows every race; exit status 66 if any.
    ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1" \
    TSAN_OPTIONS="log_path=$logs/tsan:halt_on_error=0:second_deadlock_stack=1:exitcode=66" \
        nice -n 10 swift test -c "$config" --sanitize="$kind" --disable-xctest --scratch-path "$scratch" "${extra[@]}" \
        >"$scratch/test.log" 2>&1
    status=$?
    reports=$(find "$logs" -type f | wc -l)
    result=$(grep -E "Test run with [0-9]+ tests?.*(passed|failed)|Executed [0-9]+ tests?" "$scratch/test.log" | tail -3)
    echo "$result"
    echo "swift test exit status: $status; sanitizer report files: $reports"
    if [ "$status" -ne 0 ]; then
        grep -E "✘|error:|failed" "$scratch/test.log" | head -40
    fi
    for f in $(find "$logs" -type f | sort); do
        echo "---- $f"; head -60 "$f"
    done
    if [ "$status" -ne 0 ] || [ "$reports" -gt 0 ]; then overall=1; fi
    summary+=("$kind: exit $status, $reports report files; $(echo "$result" | tail -1)")
done
echo
printf '%s\n' "${summary[@]}"
exit $overall
