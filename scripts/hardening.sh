#!/usr/bin/env bash
# hardening.sh — the "Serçe hardened" checks, run by test.sh after the main ctest (and on its own).
#
#   gcc       build-hard: gcc, -Werror, everything native (warnings are errors)
#   clang     build-fuzz: clang, -Werror, everything native + the libFuzzer targets (SERCE_FUZZ=ON)
#   fuzz      each libFuzzer target for SERCE_FUZZ_SECONDS (default 45) on its seeds (tests/fuzz/corpus)
#             and past findings (tests/fuzz/regressions); any crash, leak, UB, timeout or failed
#             invariant fails (the input is kept in build-fuzz/artifacts/ — fix, then add it as a
#             regression: tests/fuzz/README.md)
#   asan      build-asan: SERCE_SANITIZE=ON (ASan + UBSan), the whole C/CLI ctest suite (web tests excluded)
#   cppcheck  cppcheck 2.10 on core/, tools/, wasm/api.c, tests/fuzz/ (scripts/cppcheck-suppressions.txt)
#   tidy      clang-tidy 14 with .clang-tidy on the same files (compile database of build-fuzz)
#
# Usage: scripts/hardening.sh [STEP...]     (default: all, in the order above)
# Environment: SERCE_FUZZ_SECONDS (per target, default 45), SERCE_HARDEN_JOBS (build/tidy jobs, default 2).
# Installs nothing: the tools come from scripts/setup.sh. Ends with "hardening: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${SERCE_FUZZ_SECONDS:-45}
JOBS=${SERCE_HARDEN_JOBS:-2}
FUZZ_TARGETS=(json safetensors model corpus prime)
LOGS=$ROOT/build-hard/logs
mkdir -p "$LOGS"

ALL=(gcc clang fuzz asan cppcheck tidy)
STEPS=("$@")
[ ${#STEPS[@]} -eq 0 ] && STEPS=("${ALL[@]}")
passed=0 failed=0 failures=()
T_START=$(date +%s)

need() { # TOOL...: fail the step with a clear message if a tool is missing
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            echo "hardening: $t is not installed (scripts/setup.sh installs it)"
            return 1
        fi
    done
}

# quiet build: the log is printed only on failure
build() { # DIR LOG [cmake --build args...]
    local dir=$1 log=$2
    shift 2
    if ! cmake --build "$dir" -j"$JOBS" "$@" >"$log" 2>&1; then
        grep -E "error|warning" "$log" | head -40
        tail -5 "$log"
        return 1
    fi
}

step_gcc() {
    need gcc cmake || return 1
    cmake -S . -B build-hard -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror \
        -DSERCE_EMCMAKE=OFF >"$LOGS/gcc-configure.log" 2>&1 || { tail -20 "$LOGS/gcc-configure.log"; return 1; }
    build build-hard "$LOGS/gcc-build.log"
}

step_clang() {
    need clang cmake || return 1
    cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-Werror \
        -DSERCE_FUZZ=ON -DSERCE_EMCMAKE=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$LOGS/clang-configure.log" 2>&1 ||
        { tail -20 "$LOGS/clang-configure.log"; return 1; }
    build build-fuzz "$LOGS/clang-build.log" && build build-fuzz "$LOGS/clang-fuzz-build.log" --target fuzz_all
}

step_fuzz() {
    local bad=0 t
    for t in "${FUZZ_TARGETS[@]}"; do
        if [ ! -x "build-fuzz/tests/fuzz/fuzz_$t" ]; then
            echo "hardening: build-fuzz/tests/fuzz/fuzz_$t is missing (the clang step builds it)"
            return 1
        fi
    done
    mkdir -p build-fuzz/artifacts
    for t in "${FUZZ_TARGETS[@]}"; do
        local work=build-fuzz/fuzz-corpus/$t dict=
        mkdir -p "$work"
        local dirs=("$work" "tests/fuzz/corpus/$t")
        [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
        case $t in
        json) dict=tests/fuzz/dict/json.dict ;;
        safetensors | model) dict=tests/fuzz/dict/safetensors.dict ;;
        corpus | prime) dict=tests/fuzz/dict/corpus.dict ;;
        esac
        local before after
        before=$(ls build-fuzz/artifacts | wc -l)
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
            timeout $((FUZZ_SECONDS + 120)) "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
            -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="build-fuzz/artifacts/$t-" ${dict:+-dict=$dict} "${dirs[@]}" \
            >"$LOGS/fuzz-$t.log" 2>&1
        local rc=$?
        after=$(ls build-fuzz/artifacts | wc -l)
        local runs
        runs=$(grep -E "^stat::number_of_executed_units" "$LOGS/fuzz-$t.log" | awk '{print $2}')
        if [ $rc -ne 0 ] || [ "$after" -ne "$before" ]; then
            bad=1
            echo "hardening: fuzz_$t FOUND A PROBLEM (exit $rc):"
            grep -E "ERROR|SUMMARY|invariant failed|runtime error|Test unit written" "$LOGS/fuzz-$t.log" | head -10
            echo "  log: $LOGS/fuzz-$t.log; reproduce: build-fuzz/tests/fuzz/fuzz_$t build-fuzz/artifacts/$t-*"
            echo "  after the fix: cp the input to tests/fuzz/regressions/$t/<what-it-is> (tests/fuzz/README.md)"
        else
            echo "hardening: fuzz_$t: ${runs:-?} inputs in ${FUZZ_SECONDS}s, nothing found"
        fi
    done
    return $bad
}

step_asan() {
    need cmake ctest || return 1
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSERCE_SANITIZE=ON -DSERCE_EMCMAKE=OFF \
        >"$LOGS/asan-configure.log" 2>&1 || { tail -20 "$LOGS/asan-configure.log"; return 1; }
    build build-asan "$LOGS/asan-build.log" || return 1
    # web_* (wasm in node, the page in Chromium) test the Emscripten build, which has no sanitizer
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -E '^web_' --output-on-failure >"$LOGS/asan-ctest.log" 2>&1
    local rc=$?
    grep -E "tests passed|Total Test time" "$LOGS/asan-ctest.log"
    if [ $rc -ne 0 ]; then
        grep -E "Failed|\*\*\*|ERROR: |runtime error" "$LOGS/asan-ctest.log" | head -20
        echo "  log: $LOGS/asan-ctest.log"
    fi
    return $rc
}

ANALYSED=(core tools wasm/api.c tests/fuzz tests/test_alloc.c)

step_cppcheck() {
    need cppcheck || return 1
    cppcheck --std=c11 --enable=warning,performance,portability --inline-suppr -q --error-exitcode=1 \
        --suppressions-list=scripts/cppcheck-suppressions.txt -I core -I tools -I tests \
        -D_POSIX_C_SOURCE=200809L -DSERCE_HAVE_BLAS=1 -DSERCE_THREADS=1 "${ANALYSED[@]}" >"$LOGS/cppcheck.log" 2>&1
    local rc=$?
    [ $rc -ne 0 ] && head -40 "$LOGS/cppcheck.log"
    return $rc
}

step_tidy() {
    need clang-tidy-14 run-clang-tidy-14 || return 1
    if [ ! -f build-fuzz/compile_commands.json ]; then
        echo "hardening: build-fuzz/compile_commands.json is missing (the clang step writes it)"
        return 1
    fi
    local re="$ROOT/(core|tools|tests/fuzz)/[^/]*\\.c\$|$ROOT/wasm/api\\.c\$|$ROOT/tests/test_alloc\\.c\$"
    run-clang-tidy-14 -p build-fuzz -clang-tidy-binary "$(command -v clang-tidy-14)" -j "$JOBS" -quiet "$re" \
        >"$LOGS/tidy.log" 2>&1
    local rc=$?
    if [ $rc -ne 0 ] || grep -qE "(warning|error): " "$LOGS/tidy.log"; then
        grep -E "(warning|error): " "$LOGS/tidy.log" | sort -u | head -40
        echo "  log: $LOGS/tidy.log"
        return 1
    fi
    echo "hardening: clang-tidy: $(grep -c 'clang-tidy-14 .*-p=' "$LOGS/tidy.log") files clean"
}

run_step() { # NAME: run it, count it
    local s=$1 t0
    echo "hardening: == $s"
    t0=$(date +%s)
    if "step_$s"; then
        passed=$((passed + 1))
        echo "hardening: $s ok ($(($(date +%s) - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$s")
        echo "hardening: $s FAILED ($(($(date +%s) - t0)) s)"
    fi
}

# The fuzzers use one core each, one after the other: when both are asked for, the static analysis
# (cppcheck, then clang-tidy with one job) runs beside them and is reported at the end.
has() { local x; for x in "${STEPS[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }
BG_STEPS=()
if has fuzz; then
    for s in cppcheck tidy; do has $s && BG_STEPS+=("$s"); done
fi
bg_pid=
for s in "${STEPS[@]}"; do
    if ! declare -F "step_$s" >/dev/null; then
        echo "hardening: unknown step '$s' (steps: ${ALL[*]})"
        failed=$((failed + 1))
        failures+=("$s")
        continue
    fi
    case " ${BG_STEPS[*]} " in *" $s "*) continue ;; esac
    if [ "$s" = fuzz ] && [ ${#BG_STEPS[@]} -gt 0 ]; then
        echo "hardening: ${BG_STEPS[*]} run beside the fuzzers (reported at the end)"
        (
            JOBS=1
            for b in "${BG_STEPS[@]}"; do
                passed=0 failed=0 failures=()
                run_step "$b" >"$LOGS/bg-$b.out" 2>&1
                echo $failed >"$LOGS/bg-$b.rc"
            done
        ) &
        bg_pid=$!
    fi
    run_step "$s"
done
if [ -n "$bg_pid" ]; then
    wait "$bg_pid"
    for b in "${BG_STEPS[@]}"; do
        cat "$LOGS/bg-$b.out"
        if [ "$(cat "$LOGS/bg-$b.rc" 2>/dev/null)" = 0 ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            failures+=("$b")
        fi
    done
fi

echo "hardening: $passed passed, $failed failed${failures:+ (${failures[*]})} in $(($(date +%s) - T_START)) s"
[ $failed -eq 0 ]
