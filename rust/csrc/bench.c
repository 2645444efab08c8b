// SPDX-License-Identifier: MIT
/*
 * The C side of the Rust benchmark (benches/locks.rs): the same loop the
 * Rust code runs, written with the C API, so that SpinLock::lock() can be
 * compared with spin_lock()+spin_unlock() as a C program inlines them.
 */
#include <ksync/ksync.h>

void ksync_rs_bench_c_spin(spinlock_t *lock, unsigned long *counter, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		spin_lock(lock);
		(*counter)++;
		spin_unlock(lock);
	}
}

/*
 * For the tests (tests/spinlock_fast.rs): whether C's spin_trylock() gets
 * the lock, released again at once if it does.
 */
int ksync_rs_test_c_trylock(spinlock_t *lock)
{
	if (!spin_trylock(lock))
		return 0;
	spin_unlock(lock);
	return 1;
}
