#!/usr/bin/env bash
# bench-scale: the scale table of docs/performance.md (issue 19), the release binary as a
# process, medians of RUNS runs: wall time, CPU time (user+system) and peak RSS.
#
#   hack/bench-scale.sh                      # default and multitenant, 1,000 and 10,000
#   SIZES="1000 10000 100000" hack/bench-scale.sh
#   KUBE_SCORE=/path/kube-score KUBE_LINTER=/path/kube-linter hack/bench-scale.sh
#
# Peers are compared only when their binaries are given. kube-linter skips files over 10 MB
# without a word, so it lints the file cut into parts of 8 MB, and kubeharden is timed on the
# same parts beside it. Inputs over 64 MB (the most scan reads of one file) are scanned cut
# into parts too. Needs GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SIZES=${SIZES:-"1000 10000"}
PROFILES=${PROFILES:-"default multitenant"}
PRACTICES=${PRACTICES:-"network podsecurity secrets rbac ingress images versions resources attack"}
WORK=${WORK:-$(mktemp -d)}
BIN=$WORK/kubeharden
CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/kubeharden
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); medians of $RUNS runs"
echo
echo "| profile | workloads | command | wall s | CPU s | peak MB | output MB |"
echo "|---|---|---|---|---|---|---|"

# measure LABEL CMD...: RUNS runs; prints the median wall, CPU and peak RSS.
measure() {
	local label=$1 profile=$2 n=$3; shift 3
	local walls=() cpus=() peaks=() size=0
	for _ in $(seq "$RUNS"); do
		local out
		out=$( { /usr/bin/time -f "%e %U %S %M" "$@" | wc -c > "$WORK/size"; } 2>&1 >/dev/null | tail -1 || true)
		read -r w u s m <<<"$out"
		walls+=("$w"); cpus+=("$(echo "$u + $s" | bc)"); peaks+=("$m")
		size=$(cat "$WORK/size")
	done
	med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
	printf '| %s | %s | %s | %s | %s | %d | %.1f |\n' "$profile" "$n" "$label" "$(med "${walls[@]}")" "$(med "${cpus[@]}")" \
		$(( $(med "${peaks[@]}") / 1024 )) "$(echo "$size / 1048576" | bc -l)"
}

# cut FILE DIR MB: the documents of FILE in files of about MB megabytes in DIR, cut where a
# document starts.
cut_docs() {
	mkdir -p "$2"
	awk -v dir="$2" -v max=$(( $3 * 1048576 )) '
		/^---/ && size > max { close(f); part++; size = 0 }
		{ f = sprintf("%s/part-%03d.yaml", dir, part); print > f; size += length($0) + 1 }' "$1"
}

for p in $PROFILES; do
	for n in $SIZES; do
		f=$WORK/$p-$n.yaml
		[ -f "$f" ] || go run ./internal/gen/gencluster -n "$n" -profile "$p" -o - > "$f"
		in=$f
		if [ "$(stat -c %s "$f")" -gt $(( 64 * 1048576 )) ]; then
			in=$WORK/$p-$n-parts
			[ -d "$in" ] || cut_docs "$f" "$in" 48
		fi
		measure "scan -o json" "$p" "$n" "$BIN" scan "$in" -o json --fail-on none
		if [ "$n" -le 10000 ]; then
			for pr in $PRACTICES; do
				measure "scan --check '$pr/*'" "$p" "$n" "$BIN" scan "$f" -o json --fail-on none --check "$pr/*"
			done
			measure "netpol generate" "$p" "$n" "$BIN" netpol generate -f "$f"
			measure "reach --matrix -o json --by group" "$p" "$n" "$BIN" reach -f "$f" --matrix -o json --by group
			for o in json csv table dot; do
				measure "reach --matrix -o $o" "$p" "$n" "$BIN" reach -f "$f" --matrix -o "$o"
			done
			if [ -n "${KUBE_SCORE:-}" ]; then
				measure "kube-score score" "$p" "$n" "$KUBE_SCORE" score "$f"
			fi
			if [ -n "${KUBE_LINTER:-}" ]; then
				d=$WORK/$p-$n-8mb
				[ -d "$d" ] || cut_docs "$f" "$d" 8
				measure "scan -o json, files of 8 MB" "$p" "$n" "$BIN" scan "$d" -o json --fail-on none
				measure "kube-linter lint, files of 8 MB" "$p" "$n" "$KUBE_LINTER" lint "$d"
			fi
		fi
	done
done
