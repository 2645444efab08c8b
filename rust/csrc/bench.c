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
