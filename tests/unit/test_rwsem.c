// SPDX-License-Identifier: MIT
/*
 * struct rw_semaphore: every function and its semantics.  Initialisers,
 * read and write locking, trylocks against each kind of holder, readers
 * really inside together, writers excluding readers, downgrade_write(),
 * interruptible and killable waits (and a waiter leaving lets the next
 * ones go), guards, nesting annotations, non-owner release,
 * rwsem_is_locked() and rwsem_is_contended(), and ksync_rwsem_queued_writers().
 *
 * Every wait has a deadline and fails loudly; a watchdog ends the test if
 * something hangs anyway.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ksync/interrupt.h>
#include <ksync/rwsem.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ktest.h"
#include "ktest_deadline.h"
#include "ktest_waiter.h"

#define QUIET_MS	50	/* "nothing happens" is checked for this long */

static long load(const long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(long *p, long v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void add(long *p, long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_ACQ_REL);
}

static long count_of(struct rw_semaphore *sem)
{
	return atomic_long_read(&sem->count);
}

/* Helpers: ktest_waiter threads whose arg is the rw_semaphore they use. */
static struct rw_semaphore *sem_of(struct ktest_waiter *h)
{
	return h->arg;
}

static void helper_start(struct ktest_waiter *h, struct rw_semaphore *sem,
			 void (*fn)(struct ktest_waiter *h))
{
	ktest_waiter_start(h, fn, sem, 0);
}

/* Helpers that hold the lock until told to release it. */
static void hold_read(struct ktest_waiter *h)
{
	down_read(sem_of(h));
	ktest_waiter_set_result(h, 0);
	KTEST_WAIT_UNTIL(ktest_waiter_released(h));
	up_read(sem_of(h));
}

static void hold_write(struct ktest_waiter *h)
{
	down_write(sem_of(h));
	ktest_waiter_set_result(h, 0);
	KTEST_WAIT_UNTIL(ktest_waiter_released(h));
	up_write(sem_of(h));
}

/*
 * Until the sem has a waiter, then a little longer for the newest one to
 * be asleep (its own queueing is not visible from here).
 */
static void wait_contended(struct rw_semaphore *sem)
{
	KTEST_WAIT_UNTIL(rwsem_is_contended(sem));
	ktest_sleep_ms(20);
}

/* Start a helper that will block on sem, and let it queue. */
static void helper_start_queued(struct ktest_waiter *h, struct rw_semaphore *sem,
				void (*fn)(struct ktest_waiter *h))
{
	helper_start(h, sem, fn);
	wait_contended(sem);
}

/* --- initialisation ------------------------------------------------------------ */

static DECLARE_RWSEM(static_sem);

static void test_initialisers(void)
{
	struct rw_semaphore dyn;

	memset(&dyn, 0xa5, sizeof(dyn));
	init_rwsem(&dyn);
	CHECK_EQ(count_of(&dyn), 0);
	CHECK_EQ(atomic_long_read(&dyn.owner), 0);
	CHECK(dyn.magic == &dyn);
	CHECK(!strcmp(dyn.dep_map.name, "&dyn"));
	CHECK_EQ(dyn.dep_map.kind, KSYNC_LOCK_RWSEM);
	CHECK_EQ(dyn.dep_map.wait_type_inner, LD_WAIT_SLEEP);
	CHECK(!rwsem_is_locked(&dyn) && !rwsem_is_contended(&dyn));

	CHECK_EQ(count_of(&static_sem), RWSEM_UNLOCKED_VALUE);
	CHECK(static_sem.magic == &static_sem);
	CHECK(!strcmp(static_sem.dep_map.name, "static_sem"));
	CHECK_EQ(static_sem.dep_map.kind, KSYNC_LOCK_RWSEM);
	CHECK(!rwsem_is_locked(&static_sem));
	down_write(&static_sem);
	up_write(&static_sem);

	/* __init_rwsem() with an explicit class key. */
	{
		static struct lock_class_key key;

		__init_rwsem(&dyn, "named", &key);
		CHECK(!strcmp(dyn.dep_map.name, "named"));
		CHECK(dyn.dep_map.key == &key);
	}
}

/* --- the basic operations ------------------------------------------------------- */

static DECLARE_RWSEM(sem);

static void test_read_lock_unlock(void)
{
	down_read(&sem);
	CHECK(rwsem_is_locked(&sem));
	CHECK_EQ(count_of(&sem), RWSEM_READER_BIAS);
	CHECK(atomic_long_read(&sem.owner) & RWSEM_READER_OWNED);
	up_read(&sem);
	CHECK(!rwsem_is_locked(&sem));
	CHECK_EQ(count_of(&sem), 0);

	CHECK_EQ(down_read_interruptible(&sem), 0);
	up_read(&sem);
	CHECK_EQ(down_read_killable(&sem), 0);
	up_read(&sem);
	CHECK_EQ(down_read_killable_nested(&sem, 1), 0);
	up_read(&sem);
	down_read_nested(&sem, SINGLE_DEPTH_NESTING);
	up_read(&sem);
	CHECK_EQ(count_of(&sem), 0);
}

static void test_write_lock_unlock(void)
{
	DECLARE_RWSEM(outer);

	down_write(&sem);
	CHECK(rwsem_is_locked(&sem));
	CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
	CHECK_EQ(atomic_long_read(&sem.owner) & RWSEM_OWNER_FLAGS_MASK, 0);
	CHECK(atomic_long_read(&sem.owner) != 0);
	up_write(&sem);
	CHECK(!rwsem_is_locked(&sem));
	CHECK_EQ(atomic_long_read(&sem.owner), 0);

	CHECK_EQ(down_write_killable(&sem), 0);
	up_write(&sem);
	CHECK_EQ(down_write_killable_nested(&sem, 1), 0);
	up_write(&sem);
	down_write_nested(&sem, SINGLE_DEPTH_NESTING);
	up_write(&sem);
	down_write(&outer);
	down_write_nest_lock(&sem, &outer);
	up_write(&sem);
	up_write(&outer);
	CHECK_EQ(count_of(&sem), 0);
}

static void test_trylock(void)
{
	struct ktest_waiter h;

	/* Free: both succeed. */
	CHECK_EQ(down_read_trylock(&sem), 1);
	up_read(&sem);
	CHECK_EQ(down_write_trylock(&sem), 1);
	CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
	up_write(&sem);

	/* Write-locked by another thread: both fail, nothing changes. */
	helper_start(&h, &sem, hold_write);
	KTEST_WAIT_UNTIL(ktest_waiter_result(&h) == 0);
	CHECK_EQ(down_read_trylock(&sem), 0);
	CHECK_EQ(down_write_trylock(&sem), 0);
	CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
	ktest_waiter_release(&h);

	/* Read-locked by another thread: read trylock succeeds, write fails. */
	helper_start(&h, &sem, hold_read);
	KTEST_WAIT_UNTIL(ktest_waiter_result(&h) == 0);
	CHECK_EQ(down_write_trylock(&sem), 0);
	CHECK_EQ(down_read_trylock(&sem), 1);
	CHECK_EQ(count_of(&sem), 2 * RWSEM_READER_BIAS);
	up_read(&sem);
	CHECK_EQ(down_write_trylock(&sem), 0);
	ktest_waiter_release(&h);
	CHECK_EQ(count_of(&sem), 0);
}

/* A queued writer makes read trylocks fail even while readers hold it. */
static void write_and_report(struct ktest_waiter *h)
{
	down_write(sem_of(h));
	ktest_waiter_set_result(h, 0);
	up_write(sem_of(h));
}

static void test_trylock_behind_queued_writer(void)
{
	struct ktest_waiter w;

	down_read(&sem);
	helper_start_queued(&w, &sem, write_and_report);
	CHECK_EQ(down_read_trylock(&sem), 0);
	CHECK_EQ(down_write_trylock(&sem), 0);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);
	up_read(&sem);
	CHECK_EQ(ktest_waiter_join(&w), 0);
	CHECK_EQ(count_of(&sem), 0);
}

/* --- a reader while the first waiter is a woken writer ------------------------ */

/*
 * This program's own ksync_down_read_slowpath(): the inline fast paths
 * compiled into it call it, so the test can count the calls; it passes
 * each one on to the library's.
 */
static long read_slowpath_calls;

KSYNC_API int ksync_down_read_slowpath(struct rw_semaphore *sem, long count,
				       unsigned int state)
{
	/* Looked up by whoever comes first; racing look-ups agree. */
	static void *real;
	void *fn = __atomic_load_n(&real, __ATOMIC_RELAXED);
	int (*call)(struct rw_semaphore *, long, unsigned int);

	if (!fn) {
		fn = dlsym(RTLD_NEXT, "ksync_down_read_slowpath");
		CHECK(fn != NULL);
		__atomic_store_n(&real, fn, __ATOMIC_RELAXED);
	}
	*(void **)&call = fn;
	add(&read_slowpath_calls, 1);
	return call(sem, count, state);
}

static long in_handler, leave_handler;

/* An interrupt that keeps its thread busy until told to return. */
static irqreturn_t stall_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	store(&in_handler, 1);
	KTEST_WAIT_UNTIL(load(&leave_handler));
	return IRQ_HANDLED;
}

/*
 * A writer queued first, woken by up_write() but kept from running (an
 * interrupt handler holds its thread): WOKEN and WAITERS stay set with
 * the lock free, as when a woken writer waits for a CPU.  A reader that
 * comes then takes the lock in the fast path, without the slow path's
 * call; the writer still gets the lock once it runs.
 */
static void test_reader_passes_woken_writer(void)
{
	struct ktest_waiter w;
	long calls;

	if (ksync_debug_flags) {
		printf("  skipped: with KSYNC_DEBUG every down_read() takes the debug path\n");
		return;
	}
	store(&in_handler, 0);
	store(&leave_handler, 0);
	CHECK_EQ(request_irq(SIGUSR1, stall_handler, 0, "rwsem-stall", NULL), 0);
	down_write(&sem);
	helper_start(&w, &sem, write_and_report);
	/* Queued, and going to sleep: it cleared WOKEN itself. */
	KTEST_WAIT_UNTIL(count_of(&sem) == (RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS));
	CHECK_EQ(ktest_waiter_interrupt(&w, SIGUSR1), 0);
	KTEST_WAIT_UNTIL(load(&in_handler));
	up_write(&sem);
	CHECK_EQ(count_of(&sem), RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN);

	calls = load(&read_slowpath_calls);
	down_read(&sem);
	CHECK_EQ(load(&read_slowpath_calls), calls);
	CHECK_EQ(count_of(&sem), RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN | RWSEM_READER_BIAS);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);
	up_read(&sem);
	/* The awake writer is not woken again, and is still first. */
	CHECK_EQ(count_of(&sem), RWSEM_FLAG_WAITERS | RWSEM_FLAG_WOKEN);

	store(&leave_handler, 1);
	CHECK_EQ(ktest_waiter_join(&w), 0);
	CHECK_EQ(count_of(&sem), 0);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/* --- readers together, writers alone ------------------------------------------- */

#define READERS	8

static long inside, max_inside, all_in;

static void *concurrent_reader(void *arg)
{
	down_read(&sem);
	add(&inside, 1);
	/* Stay until every reader is inside at once (or fail: no concurrency). */
	KTEST_WAIT_UNTIL(load(&inside) == READERS || load(&all_in));
	store(&all_in, 1);
	if (load(&inside) > load(&max_inside))
		store(&max_inside, load(&inside));
	add(&inside, -1);
	up_read(&sem);
	return arg;
}

static void test_readers_inside_together(void)
{
	store(&inside, 0);
	store(&max_inside, 0);
	store(&all_in, 0);
	ktest_run_threads(READERS, concurrent_reader);
	printf("# %ld readers inside at once\n", load(&max_inside));
	CHECK_EQ(load(&max_inside), READERS);
	CHECK_EQ(count_of(&sem), 0);
}

static void read_once(struct ktest_waiter *h)
{
	down_read(sem_of(h));
	ktest_waiter_set_result(h, 0);
	KTEST_WAIT_UNTIL(ktest_waiter_released(h));
	up_read(sem_of(h));
}

static void test_writer_excludes_readers(void)
{
	struct ktest_waiter r[3], w;

	down_write(&sem);
	for (int i = 0; i < 3; i++)
		helper_start_queued(&r[i], &sem, read_once);
	helper_start_queued(&w, &sem, write_and_report);
	ktest_sleep_ms(QUIET_MS);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(ktest_waiter_result(&r[i]), KTEST_STILL_WAITING);	/* still waiting */
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);
	up_write(&sem);
	/* The readers were first in the queue: all of them get in together. */
	for (int i = 0; i < 3; i++)
		KTEST_WAIT_UNTIL(ktest_waiter_result(&r[i]) == 0);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);		/* the writer waits for them */
	for (int i = 0; i < 3; i++)
		ktest_waiter_release(&r[i]);
	CHECK_EQ(ktest_waiter_join(&w), 0);
	CHECK_EQ(count_of(&sem), 0);
}

/* --- downgrade_write() --------------------------------------------------------- */

static void test_downgrade(void)
{
	struct ktest_waiter r[3], w;

	/* Uncontended: the write lock becomes one read lock. */
	down_write(&sem);
	downgrade_write(&sem);
	CHECK_EQ(count_of(&sem), RWSEM_READER_BIAS);
	CHECK(atomic_long_read(&sem.owner) & RWSEM_READER_OWNED);
	CHECK_EQ(down_write_trylock(&sem), 0);
	up_read(&sem);
	CHECK_EQ(count_of(&sem), 0);

	/* Readers queued, then a writer: downgrading lets the readers in. */
	down_write(&sem);
	for (int i = 0; i < 3; i++)
		helper_start_queued(&r[i], &sem, read_once);
	helper_start_queued(&w, &sem, write_and_report);
	ktest_sleep_ms(QUIET_MS);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(ktest_waiter_result(&r[i]), KTEST_STILL_WAITING);
	downgrade_write(&sem);
	for (int i = 0; i < 3; i++)
		KTEST_WAIT_UNTIL(ktest_waiter_result(&r[i]) == 0);	/* in, beside us */
	CHECK(count_of(&sem) >> RWSEM_READER_SHIFT == 4);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);		/* the writer stays out */
	for (int i = 0; i < 3; i++)
		ktest_waiter_release(&r[i]);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&w), KTEST_STILL_WAITING);		/* we still read */
	up_read(&sem);
	CHECK_EQ(ktest_waiter_join(&w), 0);
	CHECK_EQ(count_of(&sem), 0);
}

/* --- interruptible and killable ------------------------------------------------ */

static void read_interruptible(struct ktest_waiter *h)
{
	ktest_waiter_set_result(h, down_read_interruptible(sem_of(h)));
	if (ktest_waiter_result(h) == 0)
		up_read(sem_of(h));
}

static void read_killable(struct ktest_waiter *h)
{
	ktest_waiter_set_result(h, down_read_killable(sem_of(h)));
	if (ktest_waiter_result(h) == 0)
		up_read(sem_of(h));
}

static void write_killable(struct ktest_waiter *h)
{
	ktest_waiter_set_result(h, down_write_killable(sem_of(h)));
	if (ktest_waiter_result(h) == 0)
		up_write(sem_of(h));
}

static void read_plain(struct ktest_waiter *h)
{
	down_read(sem_of(h));
	ktest_waiter_set_result(h, 0);
	up_read(sem_of(h));
}

/* The waiter blocks behind our write lock; the signal makes it give up. */
static void run_interrupted(void (*fn)(struct ktest_waiter *h), int fatal)
{
	struct ktest_waiter h;

	down_write(&sem);
	helper_start_queued(&h, &sem, fn);
	if (fatal)
		CHECK_EQ(ktest_waiter_kill(&h), 0);
	else
		CHECK_EQ(ktest_waiter_interrupt(&h, SIGUSR1), 0);
	CHECK_EQ(ktest_waiter_join(&h), -EINTR);
	/* It left the queue: the lock word is as if it never came. */
	CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
	up_write(&sem);
	CHECK_EQ(count_of(&sem), 0);
}

static void test_interruptible_killable(void)
{
	struct ktest_waiter h;

	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "rwsem-test", NULL), 0);
	run_interrupted(read_interruptible, 0);
	run_interrupted(read_interruptible, 1);	/* fatal wakes it too */
	run_interrupted(read_killable, 1);
	run_interrupted(write_killable, 1);

	/* Uninterruptible and killable waits ignore a plain interrupt. */
	down_write(&sem);
	helper_start_queued(&h, &sem, read_killable);
	CHECK_EQ(ktest_waiter_interrupt(&h, SIGUSR1), 0);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&h), KTEST_STILL_WAITING);
	up_write(&sem);
	CHECK_EQ(ktest_waiter_join(&h), 0);

	down_write(&sem);
	helper_start_queued(&h, &sem, read_plain);
	CHECK_EQ(ktest_waiter_interrupt(&h, SIGUSR1), 0);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&h), KTEST_STILL_WAITING);
	up_write(&sem);
	CHECK_EQ(ktest_waiter_join(&h), 0);

	CHECK(free_irq(SIGUSR1, NULL) != NULL);
	CHECK_EQ(count_of(&sem), 0);
}

/*
 * A killed writer at the head of the queue lets the reader queued behind
 * it in: we hold the lock for reading, so the reader may join us.  A
 * writer behind it becomes the first waiter and is woken by our unlock.
 */
static void test_leaving_waiter_wakes_next(void)
{
	struct ktest_waiter w, r;

	down_read(&sem);
	helper_start_queued(&w, &sem, write_killable);
	helper_start_queued(&r, &sem, read_once);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&r), KTEST_STILL_WAITING);		/* behind the writer */
	CHECK_EQ(ktest_waiter_kill_join(&w), -EINTR);
	KTEST_WAIT_UNTIL(ktest_waiter_result(&r) == 0);		/* in beside us */
	CHECK(!rwsem_is_contended(&sem));
	ktest_waiter_release(&r);
	up_read(&sem);
	CHECK_EQ(count_of(&sem), 0);

	/* A killed first writer hands "first" to the writer behind it. */
	down_read(&sem);
	helper_start_queued(&w, &sem, write_killable);
	helper_start_queued(&r, &sem, write_and_report);
	CHECK_EQ(ktest_waiter_kill_join(&w), -EINTR);
	ktest_sleep_ms(QUIET_MS);
	CHECK_EQ(ktest_waiter_result(&r), KTEST_STILL_WAITING);		/* we still read */
	CHECK(rwsem_is_contended(&sem));
	up_read(&sem);				/* must wake it */
	CHECK_EQ(ktest_waiter_join(&r), 0);
	CHECK_EQ(count_of(&sem), 0);
}

/* --- guards ---------------------------------------------------------------------- */

static int guarded_read(void)
{
	guard(rwsem_read)(&sem);
	return (int)(count_of(&sem) >> RWSEM_READER_SHIFT);
}

static void test_guards(void)
{
	struct ktest_waiter h;
	int ran = 0;

	CHECK_EQ(guarded_read(), 1);
	CHECK_EQ(count_of(&sem), 0);
	scoped_guard(rwsem_write, &sem) {
		CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
		ran++;
	}
	CHECK_EQ(count_of(&sem), 0);
	scoped_guard(rwsem_read_try, &sem) {
		CHECK_EQ(count_of(&sem), RWSEM_READER_BIAS);
		ran++;
	}
	scoped_guard(rwsem_write_try, &sem)
		ran++;
	scoped_guard(rwsem_read_intr, &sem)
		ran++;
	CHECK_EQ(ran, 4);
	CHECK_EQ(count_of(&sem), 0);

	/* Against a writer: the try guards skip their body. */
	helper_start(&h, &sem, hold_write);
	KTEST_WAIT_UNTIL(ktest_waiter_result(&h) == 0);
	scoped_guard(rwsem_read_try, &sem)
		KTEST_FAIL("read_try guard ran while write-locked");
	scoped_guard(rwsem_write_try, &sem)
		KTEST_FAIL("write_try guard ran while write-locked");
	scoped_cond_guard(rwsem_read_try, ran = -1, &sem)
		KTEST_FAIL("scoped_cond_guard ran its body");
	CHECK_EQ(ran, -1);
	ktest_waiter_release(&h);

	/* __free(up_read): released when the pointer leaves scope. */
	{
		struct rw_semaphore *held __free(up_read) = &sem;

		down_read(held);
		CHECK_EQ(count_of(&sem), RWSEM_READER_BIAS);
	}
	{
		struct rw_semaphore *held __free(up_write) = &sem;

		down_write(held);
		CHECK_EQ(count_of(&sem), RWSEM_WRITER_LOCKED);
	}
	CHECK_EQ(count_of(&sem), 0);
}

/* --- non-owner, contended ------------------------------------------------------- */

static void release_non_owner(struct ktest_waiter *h)
{
	up_read_non_owner(sem_of(h));
	ktest_waiter_set_result(h, 0);
}

static void test_non_owner(void)
{
	struct ktest_waiter h;

	down_read_non_owner(&sem);
	CHECK_EQ(count_of(&sem), RWSEM_READER_BIAS);
	/* No owner recorded: another thread releases it. */
	CHECK_EQ(atomic_long_read(&sem.owner) & ~RWSEM_OWNER_FLAGS_MASK, 0);
	helper_start(&h, &sem, release_non_owner);
	ktest_waiter_join(&h);
	CHECK_EQ(count_of(&sem), 0);
}

static void test_is_contended(void)
{
	struct ktest_waiter w;

	down_read(&sem);
	CHECK(!rwsem_is_contended(&sem));
	helper_start_queued(&w, &sem, write_and_report);
	CHECK(rwsem_is_contended(&sem));
	CHECK(count_of(&sem) & RWSEM_FLAG_WAITERS);
	up_read(&sem);
	ktest_waiter_join(&w);
	CHECK(!rwsem_is_contended(&sem));
	CHECK(!rwsem_is_locked(&sem));
}

/* A zero-filled rw_semaphore works (without debugging it is not reported). */
static struct rw_semaphore zeroed;

static void test_zero_filled(void)
{
	struct ktest_waiter r;

	down_write(&zeroed);
	helper_start_queued(&r, &zeroed, read_plain);
	up_write(&zeroed);
	CHECK_EQ(ktest_waiter_join(&r), 0);
	CHECK_EQ(count_of(&zeroed), 0);
}

/* --- ksync_rwsem_queued_writers() (for ksync-lockdep) ------------------------------- */

static DECLARE_RWSEM(listed);

/* A writer that says who it is (its thread id in result), then writes. */
static void write_with_tid(struct ktest_waiter *h)
{
	ktest_waiter_set_result(h, (long)syscall(SYS_gettid));
	down_write(sem_of(h));
	up_write(sem_of(h));
}

static unsigned int queued_writers(pid_t *tids, unsigned int max)
{
	return ksync_rwsem_queued_writers(&listed, tids, max);
}

/* The queued writers, in queue order; readers in the queue are left out. */
static void test_queued_writers(void)
{
	struct ktest_waiter w1, r, w2;
	pid_t tids[4] = { 0 };

	CHECK_EQ(queued_writers(tids, 4), 0);
	down_read(&listed);
	helper_start(&w1, &listed, write_with_tid);
	KTEST_WAIT_UNTIL(queued_writers(tids, 4) == 1);
	helper_start_queued(&r, &listed, read_plain);
	helper_start(&w2, &listed, write_with_tid);
	KTEST_WAIT_UNTIL(queued_writers(tids, 4) == 2);
	CHECK_EQ(tids[0], (pid_t)ktest_waiter_result(&w1));
	CHECK_EQ(tids[1], (pid_t)ktest_waiter_result(&w2));
	tids[0] = tids[1] = 0;
	CHECK_EQ(queued_writers(tids, 1), 2);	/* counted, one listed */
	CHECK_EQ(tids[0], (pid_t)ktest_waiter_result(&w1));
	CHECK_EQ(tids[1], 0);
	up_read(&listed);
	ktest_waiter_join(&w1);
	ktest_waiter_join(&r);
	ktest_waiter_join(&w2);
	CHECK_EQ(queued_writers(tids, 4), 0);
	CHECK_EQ(count_of(&listed), 0);
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: test_rwsem did not finish in time\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(240);
	RUN(test_initialisers);
	RUN(test_read_lock_unlock);
	RUN(test_write_lock_unlock);
	RUN(test_trylock);
	RUN(test_trylock_behind_queued_writer);
	RUN(test_reader_passes_woken_writer);
	RUN(test_readers_inside_together);
	RUN(test_writer_excludes_readers);
	RUN(test_downgrade);
	RUN(test_interruptible_killable);
	RUN(test_leaving_waiter_wakes_next);
	RUN(test_guards);
	RUN(test_non_owner);
	RUN(test_is_contended);
	RUN(test_queued_writers);
	if (!ksync_debug_flags)
		RUN(test_zero_filled);	/* with KSYNC_DEBUG it is reported */
	return 0;
}
