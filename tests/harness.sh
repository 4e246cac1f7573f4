# The harness that blurkit's end-to-end shell tests source (tests/*/..._test.sh): a work folder
# removed on exit, pass and fail lines with their counts, expect_error for refused input, the
# digests of a dataset folder, and the closing line.
#   source "$root/tests/harness.sh"
# Sets: work (a fresh temporary folder), failures, passes.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0
pass() { echo "ok   $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }
# expect_error NAME PATTERN CMD...: CMD must exit non-zero and print PATTERN on stderr.
expect_error() {
  local name=$1 pattern=$2; shift 2
  if "$@" >"$work/out.txt" 2>"$work/err.txt"; then fail "$name: exited 0"; return; fi
  if grep -q -- "$pattern" "$work/err.txt"; then pass "$name"; else
    fail "$name: stderr lacks '$pattern':"; cat "$work/err.txt"; fi
}
# digests DIR: sha256 of a dataset folder's index.json and shards.
digests() { (cd "$1" && sha256sum index.json shard-*.h5); }
# finish NAME: the closing line; the exit status says whether anything failed.
finish() {
  echo "$1: $passes passed, $failures failed"
  [ "$failures" -eq 0 ]
}
