#!/usr/bin/env bash
# Fuzzes the JSON form of graph queries for a bounded time (see fuzz/README.md).
#
# Installs cargo-fuzz (pinned) when it is missing, builds the fuzz targets on the default
# toolchain (stable is enough: no sanitizer, so no nightly flags), then runs `graph_json`
# for FUZZ_SECONDS (60) and `graph_json_parse` for FUZZ_PARSE_SECONDS (15; 0 skips it),
# each on a temporary copy of the seed corpus so that the repository is never written to.
# Exits non-zero if a target crashes (a panic, a failed check, a timeout or running out of
# memory); the input is left in fuzz/artifacts/<target>/ and printed in base64.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_PARSE_SECONDS="${FUZZ_PARSE_SECONDS:-15}"
# The largest input libFuzzer makes, in bytes.
FUZZ_MAX_LEN="${FUZZ_MAX_LEN:-4096}"
# A single input that runs longer than this, in seconds, is reported as a hang.
FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-20}"
BUILD=(--sanitizer none)

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

# libfuzzer-sys compiles libFuzzer, which is C++.
if ! command -v c++ >/dev/null 2>&1; then
    step "installing a C++ compiler"
    apt_get() { if [ "$(id -u)" -eq 0 ]; then apt-get "$@"; else sudo -n apt-get "$@"; fi; }
    DEBIAN_FRONTEND=noninteractive apt_get update -q </dev/null
    DEBIAN_FRONTEND=noninteractive apt_get install -yq --no-install-recommends g++ </dev/null
fi

if ! cargo fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    step "installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force </dev/null
fi

step "toolchain"
cargo --version
rustc --version
cargo fuzz --version

step "building the fuzz targets"
# The lock file is part of the fuzz crate: refuse to build with other versions.
cargo fetch --locked --manifest-path fuzz/Cargo.toml </dev/null
(cd fuzz && cargo fuzz build "${BUILD[@]}" </dev/null)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/link-fuzz.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

SUMMARIES=()

# The figures of libFuzzer's last status line and final stats, on one line.
summary() {
    local target="$1" seconds="$2" log="$3" result="$4"
    local last execs rate
    last="$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)' "$log" | tail -n 1 || true)"
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    [ -n "$execs" ] || execs="$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")"
    [ -n "$rate" ] || rate="$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")"
    field() {
        local value
        value="$(sed -nE "s/.* $1: ([^ ]+).*/\1/p" <<<"$last")"
        echo "${value:-?}"
    }
    SUMMARIES+=("$(printf 'fuzz summary: %s, %ss, executions %s, exec/s %s, cov: %s, ft: %s, corpus: %s, %s' \
        "$target" "$seconds" "${execs:-?}" "${rate:-?}" "$(field cov)" "$(field ft)" \
        "$(field corp)" "$result")")
}

# fuzz TARGET SECONDS: runs TARGET on a copy of the seed corpus; non-zero on a crash.
fuzz() {
    local target="$1" seconds="$2"
    local corpus="$WORK/corpus-$target" log="$WORK/$target.log" status=0 artifact found=0
    mkdir -p "$corpus"
    cp fuzz/corpus/graph_json/* "$corpus/"
    rm -rf "fuzz/artifacts/$target"
    step "fuzzing $target for ${seconds}s ($(find "$corpus" -type f | wc -l) seeds)"
    (cd fuzz && cargo fuzz run "${BUILD[@]}" "$target" "$corpus" -- \
        -dict=graph_json.dict -max_len="$FUZZ_MAX_LEN" -timeout="$FUZZ_TIMEOUT" \
        -max_total_time="$seconds" -print_final_stats=1 </dev/null) >"$log" 2>&1 || status=$?
    # The start, the periodic lines, the end and any crash report; not every new input.
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE)|^[[:space:]]+NEW_FUNC|^"|^###|^[[:space:]]*$' "$log" | tail -n 80 || true
    if [ "$status" -eq 0 ]; then
        summary "$target" "$seconds" "$log" "no crash"
        return 0
    fi
    for artifact in "fuzz/artifacts/$target"/*; do
        [ -f "$artifact" ] || continue
        found=1
        printf '\ncrashing input: %s\nbase64: %s\nreproduce: cd fuzz && cargo fuzz run -s none %s %s\n' \
            "$artifact" "$(base64 -w0 "$artifact")" "$target" "${artifact#fuzz/}"
    done
    if [ "$found" -eq 1 ]; then
        summary "$target" "$seconds" "$log" "CRASH (exit $status)"
    else
        summary "$target" "$seconds" "$log" "FAILED (exit $status, no crashing input saved)"
    fi
    return 1
}

failed=0
fuzz graph_json "$FUZZ_SECONDS" || failed=1
if [ "$FUZZ_PARSE_SECONDS" -gt 0 ]; then
    fuzz graph_json_parse "$FUZZ_PARSE_SECONDS" || failed=1
fi
step "summary"
printf '%s\n' "${SUMMARIES[@]}"
exit "$failed"
