#!/bin/sh
# Model-check ksync's protocols with spin (docs/models.md).
#
#   models/check.sh [--mutants] [--only NAME] [WORKDIR]
#
# For each run below: spin -a MODEL with its -D options, gcc pan.c with
# the bounds, ./pan.  A run of a model must end with "errors: 0" and a
# complete search (no "Search not completed", no depth limit hit); with
# --mutants each mutant must instead report a counterexample (errors > 0),
# and one that passes fails this script: the model would have no teeth.
# Prints states stored and seconds per run.  Exit 0: all as expected;
# 1: a model failed or a mutant passed; 77: spin or gcc missing (skip).
set -u

for tool in spin gcc; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool not found (Debian: apt-get install spin gcc)"
		exit 77
	fi
done

here=$(cd "$(dirname "$0")" && pwd)
mutants=0
only=
while [ $# -gt 0 ]; do
	case $1 in
	--mutants) mutants=1; shift ;;
	--only) only=$2; shift 2 ;;
	*) break ;;
	esac
done
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/ksync-models.XXXXXX")}
mkdir -p "$work" || exit 1

# Bounds: search depth 100000 steps, 2^24-slot hash table, 3 GiB at most;
# exhaustive (no bitstate, no hash compaction), so a finished search
# covers every state.  -DNOREDUCE: the models with "provided" clauses
# (interrupts) do not allow partial-order reduction.
# pan.c is compiled with -O0 (seconds to compile, not tens) except for
# the two large qspinlock searches, where -O2 pays for itself.
CFLAGS="-DSAFETY -DNOREDUCE -DCOLLAPSE -DVECTORSZ=2048 -DMEMLIM=3072"
PANFLAGS="-m100000 -w24"

failed=0
total_states=0

# run NAME MODEL EXPECT PAN-EXTRA SPIN-DEFINES...
#   EXPECT: pass (a model) or fail (a mutant)
run() {
	name=$1 model=$2 expect=$3 extra=$4
	shift 4
	if [ -n "$only" ] && [ "$only" != "${model%.pml}" ]; then
		return
	fi
	dir=$work/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$here/$model" "$dir/" || { failed=1; return; }
	opt=-O0
	case $name in qspinlock|qspinlock_nest|qspinlock_hashfull) opt=-O2 ;; esac
	start=$(date +%s.%N)
	if ! (cd "$dir" && spin -a "$@" "$model" >spin.out 2>&1 &&
	      gcc $opt $CFLAGS -o pan pan.c >gcc.out 2>&1); then
		echo "FAIL $name: spin -a or gcc failed (see $dir)"
		failed=1
		return
	fi
	(cd "$dir" && ./pan $PANFLAGS $extra >pan.out 2>&1)
	end=$(date +%s.%N)
	secs=$(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }')
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.out" | head -n 1)
	states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$dir/pan.out" | head -n 1)
	incomplete=0
	if grep -q -e 'Search not completed' -e 'max search depth too small' \
		-e 'out of memory' "$dir/pan.out"; then
		incomplete=1
	fi
	what=$(grep -m1 '^pan:1:' "$dir/pan.out" | sed 's/^pan:1: //')
	if [ -z "$errors" ]; then
		echo "FAIL $name: pan gave no verdict (see $dir/pan.out)"
		failed=1
		return
	fi
	total_states=$((total_states + ${states:-0}))
	if [ "$expect" = pass ]; then
		if [ "$errors" != 0 ] || [ $incomplete = 1 ]; then
			echo "FAIL $name: errors $errors${what:+: $what}; incomplete $incomplete (trail: cd $dir && spin -t -p $* $model)"
			failed=1
		else
			echo "ok   $name: $states states, ${secs}s"
		fi
	else
		if [ "$errors" = 0 ]; then
			echo "FAIL $name: the mutant passed ($states states): the model misses this bug"
			failed=1
		else
			echo "ok   $name: counterexample found ($what), ${secs}s"
		fi
	fi
}

t0=$(date +%s)
if [ $mutants = 0 ]; then
	run irqflags irqflags.pml pass ""
	run completion completion.pml pass "-E"
	run completion_two completion.pml pass "-E" -DTWO
	run mutex mutex.pml pass ""
	run rwsem rwsem.pml pass ""
	run rwsem_two_readers rwsem.pml pass "" -DTWO_READERS
	run qspinlock_nest qspinlock.pml pass "" -DNEST
	run qspinlock qspinlock.pml pass ""
	run qspinlock_hashfull qspinlock.pml pass "" -DHASHFULL
else
	run irqflags-no-replay irqflags.pml fail "" -DMUT_NO_REPLAY
	run irqflags-check-then-clear irqflags.pml fail "" -DMUT_CHECK_THEN_CLEAR
	run irqflags-take-count-first irqflags.pml fail "" -DMUT_TAKE_COUNT_FIRST
	run irqflags-count-no-save irqflags.pml fail "" -DMUT_COUNT_NO_SAVE
	run completion-timeout-ignores-done completion.pml fail "-E" -DMUT_TIMEOUT_IGNORES_DONE
	run completion-state-late completion.pml fail "-E" -DMUT_STATE_LATE
	run completion-wake-no-dequeue completion.pml fail "-E" -DTWO -DMUT_WAKE_NO_DEQUEUE
	run completion-kick-early completion.pml fail "-E" -DMUT_KICK_EARLY
	run mutex-no-recheck mutex.pml fail "" -DMUT_NO_RECHECK
	run mutex-waiters-early mutex.pml fail "" -DMUT_CLEAR_WAITERS_EARLY
	run mutex-handoff-lost mutex.pml fail "" -DMUT_HANDOFF_DROPS_PICKUP
	run rwsem-no-woken-recheck rwsem.pml fail "" -DMUT_NO_WOKEN_RECHECK
	run rwsem-up-read-wake-woken rwsem.pml fail "" -DMUT_UP_READ_WAKE_WOKEN
	run rwsem-grant-before-bias rwsem.pml fail "" -DTWO_READERS -DMUT_GRANT_BEFORE_BIAS
	run qspinlock-no-recheck qspinlock.pml fail "" -DMUT_NO_RECHECK
	run qspinlock-no-node-recheck qspinlock.pml fail "" -DMUT_NO_NODE_RECHECK
	run qspinlock-kick-no-hash qspinlock.pml fail "" -DMUT_KICK_NO_HASH
	run qspinlock-count-late qspinlock.pml fail "" -DNEST -DMUT_COUNT_LATE
	run qspinlock-starve-clears-pending qspinlock.pml fail "" -DMUT_STARVE_CLEARS_PENDING
fi
t1=$(date +%s)
echo "total: $total_states states, $((t1 - t0))s"
[ $failed = 0 ] || exit 1
exit 0
