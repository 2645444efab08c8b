#!/bin/sh
# The tools work: ksync-torture passes a correct lock and fails a broken
# one; ksync-bench runs, checks every lock for lost updates and writes CSV.
# (No timing is judged here: that is the benchmark's job.)
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; cat "$tmp/out" 2>/dev/null; exit 1; }

"$bin/ksync-torture" --type spin_lock --duration 2 --stutter 1 >"$tmp/out" 2>&1 ||
	fail "torture spin_lock"
grep -q "End of test: SUCCESS" "$tmp/out" || fail "torture spin_lock: no SUCCESS"

"$bin/ksync-torture" --type raw_spin_lock --nwriters 32 --duration 2 --long-hold 10 >"$tmp/out" 2>&1 ||
	fail "torture raw_spin_lock with 32 writers"

# Every other family, briefly; the sleeping ones also under the validator.
for type in spin_lock_irq mutex_lock sem_down seqlock; do
	"$bin/ksync-torture" --type "$type" --duration 1 --stutter 0 --long-hold 5 \
		>"$tmp/out" 2>&1 || fail "torture $type"
	grep -q "End of test: SUCCESS" "$tmp/out" || fail "torture $type: no SUCCESS"
done
for type in spin_lock mutex_lock rwsem_lock; do
	KSYNC_LOCKDEP=1 "$bin/ksync-torture" --type "$type" --duration 1 --stutter 0 \
		--long-hold 5 >"$tmp/out" 2>&1 || fail "torture $type under lockdep"
	grep -q "End of test: SUCCESS" "$tmp/out" || fail "torture $type under lockdep: no SUCCESS"
	! grep -q "WARNING\|BUG" "$tmp/out" || fail "torture $type: lockdep report"
done

"$bin/ksync-torture" --type lock_busted --duration 1 >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "torture lock_busted must exit 1"
grep -q "End of test: FAILURE" "$tmp/out" || fail "torture lock_busted: no FAILURE"
grep -q "Fail: 1 !!!" "$tmp/out" || fail "torture lock_busted: no !!!"

"$bin/ksync-torture" --bogus >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "torture: unknown option must exit 2"

"$bin/ksync-bench" --section spinlock --repeats 1 --duration 20 --threads 1,2,4 \
	--csv "$tmp/b.csv" >"$tmp/out" 2>&1 || fail "bench"
grep -q "^spinlock,spinlock_t,mops,4," "$tmp/b.csv" || fail "bench CSV lacks spinlock_t at 4 threads"
grep -q "ns_per_pair" "$tmp/b.csv" || fail "bench CSV lacks the uncontended column"

"$bin/ksync-bench" --no-such-option >"$tmp/out" 2>&1
[ $? -eq 2 ] || fail "bench: unknown option must exit 2"
echo "tools test passed"
