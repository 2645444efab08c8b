// SPDX-License-Identifier: MIT
/*
 * struct percpu_rw_semaphore (kernel/locking/percpu-rwsem.c), with
 * membarrier(2) where the kernel has rcu_sync: see <ksync/percpu-rwsem.h>
 * for the fast paths and why they are correct.  Here: the slow paths,
 * the writer, the debug path (which does what the fast paths do, plus
 * lockdep), and the counters.
 *
 * The counters are one 64-byte line per CPU number, KSYNC_NR_CPUS of
 * them mapped (not touched) on first use: 1 MiB of address space per
 * semaphore, a page of memory per 64 CPU numbers that readers used.  They
 * are not per-CPU variables of <ksync/percpu-defs.h> on purpose: those
 * start afresh when a CPU number passes to a new thread, and a read lock
 * that an exited thread leaked must keep writers out, as in the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include <ksync/lockdep.h>
#include <ksync/percpu-rwsem.h>
#include <ksync/wait.h>
#include "cpu.h"
#include "debug_checks.h"
#include "site.h"
#include "init.h"
#include "qspinlock_pv.h"
#include "report.h"

#define COUNTS_SIZE	(KSYNC_NR_CPUS * sizeof(struct ksync_percpu_rw_count))

/*
 * 1 until start-up has read the debug switches and found membarrier(2):
 * until then (and for good with a debug switch or without membarrier)
 * readers take the library's path, which is all seq_cst.
 */
KSYNC_API int ksync_percpu_rwsem_slow = 1;
/* 1 when the writer must not rely on membarrier(2): readers are seq_cst. */
static int no_membarrier = 1;

__attribute__((constructor)) static void percpu_rwsem_setup(void)
{
	int no_mb;

	ksync_init_once();
	no_mb = !ksync_pv_untimed_ok();
	/*
	 * Relaxed: both are set before main() (ksync_debug_flags is set
	 * once, by ksync_init_once()); no_membarrier first, so a reader
	 * that takes the fast path finds a writer that uses membarrier(2).
	 */
	__atomic_store_n(&no_membarrier, no_mb, __ATOMIC_RELAXED);
	__atomic_store_n(&ksync_percpu_rwsem_slow, no_mb || ksync_debug_active(),
			 __ATOMIC_RELAXED);
}

static struct ksync_percpu_rw_count *map_counts(void)
{
	void *p = mmap(NULL, COUNTS_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The counters, mapped by the first user of a statically defined sem. */
static struct ksync_percpu_rw_count *counts(struct percpu_rw_semaphore *sem)
{
	struct ksync_percpu_rw_count *rc = __atomic_load_n(&sem->read_count, __ATOMIC_ACQUIRE);
	struct ksync_percpu_rw_count *none = NULL;

	if (rc)
		return rc;
	rc = map_counts();
	if (!rc)
		ksync_fatal("percpu_rw_semaphore %s: cannot map its counters: out of "
			    "memory\n", sem->dep_map.name ? sem->dep_map.name : "?");
	/* Release/acquire: whoever loses uses the winner's (zero) pages. */
	if (!__atomic_compare_exchange_n(&sem->read_count, &none, rc, 0,
					 __ATOMIC_RELEASE, __ATOMIC_ACQUIRE)) {
		munmap(rc, COUNTS_SIZE);
		rc = none;
	}
	return rc;
}

static unsigned int *my_count(struct percpu_rw_semaphore *sem)
{
	return &counts(sem)[ksync_this_cpu()->cpu].count;
}

/* --- readers ------------------------------------------------------------------ */

/*
 * A reader's try, all seq_cst (no need to rely on the writer's
 * membarrier(2) here): store count, load block; the writer stores block
 * and loads the counts, seq_cst too, so one sees the other.  Backing
 * out wakes the writer, which may have counted us already.
 */
static bool read_try(struct percpu_rw_semaphore *sem, unsigned int *cnt)
{
	__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) + 1, __ATOMIC_SEQ_CST);
	/* Also acquire: pairs with percpu_up_write()'s release of block. */
	if (!__atomic_load_n(&sem->block, __ATOMIC_SEQ_CST))
		return true;
	/* Also release: as in percpu_up_read(). */
	__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) - 1, __ATOMIC_SEQ_CST);
	wake_up(&sem->writer);
	return false;
}

KSYNC_API int ksync_percpu_down_read(struct percpu_rw_semaphore *sem, bool try,
				     const struct ksync_site *site)
{
	bool debug = ksync_debug_active();
	unsigned int *cnt = my_count(sem);

	site = ksync_site_resolve(site);
	/* A writer may wait for the count the fast path took back. */
	if (__atomic_load_n(&sem->block, __ATOMIC_RELAXED))
		wake_up(&sem->writer);
	if (debug)
		rwsem_acquire_read(&sem->dep_map, 0, try, KSYNC_SITE_IP(site, RET_IP));
	while (!read_try(sem, cnt)) {
		if (try) {
			if (debug)
				rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
			return 0;
		}
		if (debug)
			lock_contended(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
		wait_event(sem->waiters, !__atomic_load_n(&sem->block, __ATOMIC_RELAXED));
	}
	if (debug)
		lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
	return 1;
}

KSYNC_API void ksync_percpu_up_read(struct percpu_rw_semaphore *sem,
				    const struct ksync_site *site)
{
	unsigned int *cnt = my_count(sem);

	site = ksync_site_resolve(site);
	if (ksync_debug_active())
		rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
	/* Also release: our section before the writer's load of the counts. */
	__atomic_store_n(cnt, __atomic_load_n(cnt, __ATOMIC_RELAXED) - 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sem->block, __ATOMIC_SEQ_CST))
		wake_up(&sem->writer);
}

/*
 * The kernel's readers_active_check(): no reader inside.  Counts may be
 * negative on one CPU and positive on another (a read lock released by
 * another thread), so only the sum means anything.  The loads are also
 * acquires: each reader's section happens before ours.  nr_cpu_ids is read after the
 * writer's barrier, so a CPU number registered by a reader we must see
 * is within it.
 */
static bool readers_gone(struct percpu_rw_semaphore *sem)
{
	struct ksync_percpu_rw_count *rc = counts(sem);
	unsigned int sum = 0;
	int n = ksync_nr_cpu_ids();

	for (int cpu = 0; cpu < n; cpu++)
		/* seq_cst: the writer's half of the pattern (a plain load on x86). */
		sum += __atomic_load_n(&rc[cpu].count, __ATOMIC_SEQ_CST);
	return sum == 0;
}

/*
 * As the kernel's: readers inside, and no writer holding or waiting.
 * While block is set a count may be a reader's try that is about to be
 * taken back (read_try()), so the counts say nothing then.
 */
KSYNC_API int ksync_percpu_is_read_locked(struct percpu_rw_semaphore *sem)
{
	return !readers_gone(sem) && !__atomic_load_n(&sem->block, __ATOMIC_SEQ_CST);
}

/* --- writers ----------------------------------------------------------------------- */

/*
 * The writer's half of the pattern: block is stored (seq_cst); now every
 * running thread executes a full barrier (membarrier), so each reader
 * either sees block or has its count seen by readers_gone().  Without
 * membarrier(2) the readers' stores are seq_cst, and C11 orders them
 * against ours by itself.
 */
static void make_readers_see_block(void)
{
	if (!__atomic_load_n(&no_membarrier, __ATOMIC_RELAXED))
		ksync_pv_membarrier();
}

static bool claim_block(struct percpu_rw_semaphore *sem)
{
	int free = 0;

	/*
	 * seq_cst: the store of the pattern; also an acquire, so the
	 * previous writer's section happens before ours.
	 */
	return __atomic_compare_exchange_n(&sem->block, &free, 1, 0,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

KSYNC_API void ksync_percpu_down_write(struct percpu_rw_semaphore *sem,
				       const struct ksync_site *site)
{
	bool debug = ksync_debug_active();

	site = ksync_site_resolve(site);
	(void)counts(sem);
	if (debug)
		rwsem_acquire(&sem->dep_map, 0, 0, KSYNC_SITE_IP(site, RET_IP));
	if (!claim_block(sem)) {
		if (debug)
			lock_contended(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
		/* Another writer: wait for it, as readers do, then claim. */
		while (!claim_block(sem))
			wait_event(sem->waiters,
				   !__atomic_load_n(&sem->block, __ATOMIC_RELAXED));
	}
	make_readers_see_block();
	/* New readers now wait; the ones inside leave and wake us. */
	wait_event(sem->writer, readers_gone(sem));
	if (debug)
		lock_acquired(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
}

KSYNC_API void ksync_percpu_up_write(struct percpu_rw_semaphore *sem,
				     const struct ksync_site *site)
{
	site = ksync_site_resolve(site);
	if (ksync_debug_active()) {
		rwsem_release(&sem->dep_map, KSYNC_SITE_IP(site, RET_IP));
		if (!__atomic_load_n(&sem->block, __ATOMIC_RELAXED)) {
			ksync_debug_locks_warn(site, "!sem->block",
					       "percpu_up_write(%s): not write-locked\n",
					       sem->dep_map.name ? sem->dep_map.name : "?");
			return;
		}
	}
	/* Release: our section happens before the next reader's or writer's. */
	__atomic_store_n(&sem->block, 0, __ATOMIC_RELEASE);
	wake_up_all(&sem->waiters);
}

/* --- init, free -------------------------------------------------------------------- */

KSYNC_API int ksync_percpu_init_rwsem(struct percpu_rw_semaphore *sem,
				      const char *name, struct lock_class_key *key)
{
	ksync_debug_check_no_locks_freed(sem, sizeof(*sem));
	sem->read_count = map_counts();
	if (!sem->read_count)
		return -ENOMEM;
	sem->block = 0;
	init_waitqueue_head(&sem->waiters);
	init_waitqueue_head(&sem->writer);
	ksync_lockdep_init_map(&sem->dep_map, name, key, 0, LD_WAIT_SLEEP,
			       KSYNC_LOCK_RWSEM);
	return 0;
}

KSYNC_API void ksync_percpu_free_rwsem(struct percpu_rw_semaphore *sem)
{
	struct ksync_percpu_rw_count *rc = sem->read_count;

	/* The kernel allows freeing one that percpu_init_rwsem() failed on. */
	if (!rc)
		return;
	sem->read_count = NULL;
	munmap(rc, COUNTS_SIZE);
}
