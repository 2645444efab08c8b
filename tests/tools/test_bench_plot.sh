#!/bin/sh
# ksync-bench --plot and --csv: without gnuplot, --plot refuses before the
# run with the package to install (exit 2); with it, one PNG per section
# (FILE-SECTION.png for several), and the CSV has every row asked for.
# Skipped (exit 77) where gnuplot is not installed, after the refusal is
# checked.  No timing is judged.
#
#   test_bench_plot.sh TOOLS_DIR
set -u
bench="$1/ksync-bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }
short="--repeats 1 --duration 10 --threads 1,2"

# No gnuplot on PATH: refused at once, saying what to install.
mkdir "$tmp/empty"
PATH="$tmp/empty" "$bench" --section spinlock $short --plot "$tmp/p.png" >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "--plot without gnuplot must exit 2"
grep -q "apt-get install gnuplot" "$tmp/out" || fail "--plot without gnuplot: no hint"
[ ! -e "$tmp/p.png" ] || fail "--plot without gnuplot wrote a file"

if ! command -v gnuplot >/dev/null 2>&1; then
	echo "skipped: gnuplot not installed (apt-get install -y gnuplot-nox): --plot not drawn"
	exit 77
fi
png() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' \n')" = "211PNG" ]; }

"$bench" --section spinlock --locks spinlock_t,pthread_mutex_t $short \
	--plot "$tmp/one.png" --csv "$tmp/one.csv" >"$tmp/out" 2>&1 || fail "--plot, one section"
png "$tmp/one.png" || fail "--plot, one section: $tmp/one.png is not a PNG"
for lock in spinlock_t pthread_mutex_t; do
	for t in 1 2; do
		grep -q "^spinlock,$lock,mops,$t," "$tmp/one.csv" || fail "CSV lacks $lock mops at $t threads"
	done
done

"$bench" --section spinlock,mutex --locks spinlock_t,mutex $short \
	--plot "$tmp/two.png" >"$tmp/out" 2>&1 || fail "--plot, two sections"
for s in spinlock mutex; do
	png "$tmp/two-$s.png" || fail "--plot, two sections: no two-$s.png"
done
echo "bench plot test passed"
