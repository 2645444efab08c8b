#!/bin/sh
# The cost of ksync-lockdep on real programs nobody here wrote, and the
# speed of --replace, side by side in one run:
#
#   sh tools/lockdep/bench-programs.sh TOOLS_DIR [REPEATS] [THREADS...]
#
# TOOLS_DIR holds ksync-lockdep (a build's tools/ directory, or an
# installed bin/).  For each program and thread count it runs, in turn and
# REPEATS times (default 5), the program alone, under ksync-lockdep
# (validating) and under ksync-lockdep --replace --no-validate (ksync's
# locks instead of glibc's), and prints the median wall time of each and
# two ratios:
#   validation overhead = validating / plain        (target <= 3x)
#   replace speed       = plain / replaced          (target >= 1.0x)
# Every run's output is checked for its success line, so a wrong result
# cannot pass as a fast one.  At 8 threads the sysbench and kctreetest
# rows are the workloads of the --replace target in docs/benchmarks.md.  Programs that are not installed are skipped.
set -u
tools=$1
repeats=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
threads=${*:-2 8}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../tests/lockdep
lockdep="$tools/ksync-lockdep"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_ms() { date +%s%3N; }

# One timed run: $1 the success pattern, the rest the command.
timed() {
	ok=$1
	shift
	rm -rf "$tmp/db" "$tmp/kt.kct" "$tmp/t.db"
	start=$(now_ms)
	"$@" >"$tmp/out" 2>&1
	status=$?
	end=$(now_ms)
	if [ $status -ne 0 ] || ! grep -q "$ok" "$tmp/out"; then
		echo "FAILED ($status): $*" >&2
		tail -5 "$tmp/out" >&2
		echo 0
		return
	fi
	echo $((end - start))
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

# bench NAME T SUCCESS COMMAND...: one table row
bench() {
	name=$1
	t=$2
	ok=$3
	shift 3
	p="" v="" r=""
	i=0
	while [ $i -lt "$repeats" ]; do
		p="$p $(timed "$ok" "$@")"
		v="$v $(timed "$ok" "$lockdep" "$@")"
		r="$r $(timed "$ok" "$lockdep" --replace --no-validate "$@")"
		i=$((i + 1))
	done
	mp=$(echo "$p" | median)
	mv=$(echo "$v" | median)
	mr=$(echo "$r" | median)
	printf "%-22s %3s %10s %10s %10s %12s %12s\n" "$name" "$t" "$mp" "$mv" "$mr" \
		"$(ratio "$mv" "$mp")" "$(ratio "$mp" "$mr")"
}

echo "ksync-lockdep on real programs: median wall time of $repeats runs (ms), $(nproc) CPUs"
printf "%-22s %3s %10s %10s %10s %12s %12s\n" program T plain validate replace \
	"overhead" "replace"
printf "%-22s %3s %10s %10s %10s %12s %12s\n" "" "" "" "" "" "(<= 3x)" "(>= 1.0x)"
for t in $threads; do
	if command -v python3 >/dev/null && python3 -c 'import sqlite3' 2>/dev/null; then
		bench "python3+sqlite3" "$t" "sqlite ok" \
			"$(command -v python3)" "$src/sqlite_threads.py" "$tmp/t.db" "$t" $((64000 / t))
	fi
	if command -v sysbench >/dev/null; then
		bench "sysbench threads" "$t" "total time:" sysbench threads --threads="$t" \
			--events=2000 --thread-yields=100 run
		bench "sysbench mutex" "$t" "total time:" sysbench mutex --threads="$t" \
			--mutex-num=1024 --mutex-locks=$((1600000 / t)) --mutex-loops=100 run
	fi
	if command -v kccachetest >/dev/null; then
		bench "kccachetest wicked" "$t" "^ok" kccachetest wicked -th "$t" -it 1 $((320000 / t))
		bench "kctreetest wicked" "$t" "^ok" kctreetest wicked -th "$t" -it 1 "$tmp/kt.kct" $((200000 / t))
	fi
	if command -v db_bench >/dev/null; then
		bench "db_bench fill+read" "$t" "readrandom" db_bench \
			--benchmarks=fillrandom,readrandom --num=$((400000 / t)) --threads="$t" \
			--db="$tmp/db" --compression_type=none
	fi
done
