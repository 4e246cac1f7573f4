# Sourced by each benchmark in scripts/perf/: `ratio WHAT VALUE TARGET` records one ratio (a speed
# against a baseline measured in the same run) for scripts/perf/run_all.sh, which sets
# BLURKIT_PERF_RATIOS to the file that collects them. Run alone, a benchmark prints only its table.
perf_name=$(basename "$0" .sh)
ratio() {
  [ -z "${BLURKIT_PERF_RATIOS:-}" ] || printf '%s\t%s\t%s\t%s\n' "$perf_name" "$1" "$2" "$3" >>"$BLURKIT_PERF_RATIOS"
}
# div A B: A / B with two decimals.
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
