// SPDX-License-Identifier: MIT
/*
 * A user program built with a sanitizer against an installed, plain
 * (uninstrumented) ksync, by test_sanitizers.sh.  Every shared variable is
 * guarded by a ksync primitive, correctly, so ThreadSanitizer must report
 * nothing; built with -DKSYNC_TEST_RACY, one access is left unguarded and
 * it must report exactly that one.
 *
 * Each scenario makes the second thread go through the lock's out-of-line
 * path (the library, which TSan cannot see into): the first thread holds
 * the lock until the lock word shows the second one waiting, and only then
 * writes the data and lets go.  Without ksync's annotations the hand-over
 * is invisible and the guarded accesses look like races.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ksync/ksync.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			exit(1);					\
		}							\
	} while (0)

static pthread_t start(void *(*fn)(void *))
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, fn, NULL) == 0);
	return t;
}

static void join(pthread_t t)
{
	CHECK(pthread_join(t, NULL) == 0);
}

/* Poll (relaxed reads, no synchronisation) until cond() holds. */
static void wait_until(bool (*cond)(void))
{
	while (!cond())
		sched_yield();
}

static atomic_t attempts = ATOMIC_INIT(0);	/* failed trylocks so far */

static bool tried(void)
{
	return atomic_read(&attempts) > 0;
}

/* --- spinlock_t: spin_lock, spin_lock_irqsave, spin_trylock ------------------ */

static DEFINE_SPINLOCK(sl);
static long sl_data;
#ifdef KSYNC_TEST_RACY
static long sl_racy;
#endif

static bool sl_waiting(void)
{
	return spin_is_contended(&sl);
}

static void *sl_worker(void *arg)
{
	spin_lock(&sl);
	sl_data++;
#ifdef KSYNC_TEST_RACY
	sl_racy++;		/* guarded here ... */
#endif
	spin_unlock(&sl);
	return arg;
}

static void test_spin_lock(void)
{
	pthread_t t;

	spin_lock(&sl);
	t = start(sl_worker);
	wait_until(sl_waiting);
	sl_data++;
	spin_unlock(&sl);
#ifdef KSYNC_TEST_RACY
	sl_racy++;		/* ... and not here: the one race */
#endif
	join(t);
	CHECK(sl_data == 2);
}

static void *sl_irqsave_worker(void *arg)
{
	unsigned long flags;

	spin_lock_irqsave(&sl, flags);
	sl_data++;
	spin_unlock_irqrestore(&sl, flags);
	return arg;
}

static void test_spin_lock_irqsave(void)
{
	unsigned long flags;
	pthread_t t;

	spin_lock_irqsave(&sl, flags);
	t = start(sl_irqsave_worker);
	wait_until(sl_waiting);
	sl_data++;
	spin_unlock_irqrestore(&sl, flags);
	join(t);
	CHECK(sl_data == 4);
}

static void *sl_trylock_worker(void *arg)
{
	while (!spin_trylock(&sl))
		atomic_inc(&attempts);
	sl_data++;
	spin_unlock(&sl);
	return arg;
}

static void test_spin_trylock(void)
{
	pthread_t t;

	atomic_set(&attempts, 0);
	spin_lock(&sl);
	t = start(sl_trylock_worker);
	wait_until(tried);
	sl_data++;
	spin_unlock(&sl);
	join(t);
	CHECK(sl_data == 6);
}

/* --- raw_spinlock_t ----------------------------------------------------------- */

static DEFINE_RAW_SPINLOCK(rsl);
static long rsl_data;

static bool rsl_waiting(void)
{
	return raw_spin_is_contended(&rsl);
}

static void *rsl_worker(void *arg)
{
	raw_spin_lock(&rsl);
	rsl_data++;
	raw_spin_unlock(&rsl);
	return arg;
}

static void test_raw_spin_lock(void)
{
	pthread_t t;

	raw_spin_lock(&rsl);
	t = start(rsl_worker);
	wait_until(rsl_waiting);
	rsl_data++;
	raw_spin_unlock(&rsl);
	join(t);
	CHECK(rsl_data == 2);
}

/* --- struct mutex: lock, trylock, interruptible, atomic_dec_and_mutex_lock ---- */

static DEFINE_MUTEX(mx);
static long mx_data;
static atomic_t mx_refs = ATOMIC_INIT(1);

/* Queued (WAITERS) or spinning on the owner (in the OSQ). */
static bool mx_waiting(void)
{
	return (atomic_long_read(&mx.owner) & MUTEX_FLAG_WAITERS) ||
	       atomic_read(&mx.osq.tail) != OSQ_UNLOCKED_VAL;
}

static void *mx_worker(void *arg)
{
	mutex_lock(&mx);
	mx_data++;
	mutex_unlock(&mx);
	return arg;
}

static void *mx_trylock_worker(void *arg)
{
	while (!mutex_trylock(&mx))
		atomic_inc(&attempts);
	mx_data++;
	mutex_unlock(&mx);
	return arg;
}

static void *mx_interruptible_worker(void *arg)
{
	CHECK(mutex_lock_interruptible(&mx) == 0);
	mx_data++;
	mutex_unlock(&mx);
	return arg;
}

static void *mx_dec_and_lock_worker(void *arg)
{
	CHECK(atomic_dec_and_mutex_lock(&mx_refs, &mx));
	mx_data++;
	mutex_unlock(&mx);
	return arg;
}

static void mutex_round(void *(*worker)(void *), bool (*waiting)(void), long expect)
{
	pthread_t t;

	mutex_lock(&mx);
	t = start(worker);
	wait_until(waiting);
	mx_data++;
	mutex_unlock(&mx);
	join(t);
	CHECK(mx_data == expect);
}

static void test_mutex(void)
{
	mutex_round(mx_worker, mx_waiting, 2);
	atomic_set(&attempts, 0);
	mutex_round(mx_trylock_worker, tried, 4);
	mutex_round(mx_interruptible_worker, mx_waiting, 6);
	mutex_round(mx_dec_and_lock_worker, mx_waiting, 8);
	/* Released for good, then destroyed: a later user starts afresh. */
	mutex_destroy(&mx);
}

/* --- struct rw_semaphore: read and write, downgrade_write ---------------------- */

static DECLARE_RWSEM(rs);
static long rs_data;

static bool rs_waiting(void)
{
	return (atomic_long_read(&rs.count) & RWSEM_FLAG_WAITERS) ||
	       atomic_read(&rs.spinner);
}

static void *rs_reader(void *arg)
{
	down_read(&rs);
	CHECK(rs_data >= 1);
	up_read(&rs);
	return arg;
}

static void *rs_writer(void *arg)
{
	down_write(&rs);
	rs_data++;
	up_write(&rs);
	return arg;
}

static void test_rwsem(void)
{
	pthread_t t;

	/* A writer's update, read by a reader that waited for it. */
	down_write(&rs);
	t = start(rs_reader);
	wait_until(rs_waiting);
	rs_data++;
	up_write(&rs);
	join(t);

	/* A reader's read, before a writer that waited for it writes. */
	down_read(&rs);
	t = start(rs_writer);
	wait_until(rs_waiting);
	CHECK(rs_data == 1);
	up_read(&rs);
	join(t);

	/* Written under the write lock, read on under the read lock it became. */
	down_write(&rs);
	t = start(rs_reader);
	wait_until(rs_waiting);
	rs_data++;
	downgrade_write(&rs);
	CHECK(rs_data == 3);
	up_read(&rs);
	join(t);
}

/* --- rwlock_t: read and write ------------------------------------------------------ */

static DEFINE_RWLOCK(rw);
static long rw_data;

static bool rw_waiting(void)
{
	return rwlock_is_contended(&rw);
}

static void *rw_reader(void *arg)
{
	read_lock(&rw);
	CHECK(rw_data == 1);
	read_unlock(&rw);
	return arg;
}

static void *rw_writer(void *arg)
{
	write_lock(&rw);
	rw_data++;
	write_unlock(&rw);
	return arg;
}

static void test_rwlock(void)
{
	pthread_t t;

	write_lock(&rw);
	t = start(rw_reader);
	wait_until(rw_waiting);
	rw_data++;
	write_unlock(&rw);
	join(t);

	read_lock(&rw);
	t = start(rw_writer);
	wait_until(rw_waiting);
	CHECK(rw_data == 1);
	read_unlock(&rw);
	join(t);
	CHECK(rw_data == 2);
}

/* --- struct semaphore used as a lock ------------------------------------------------ */

static DEFINE_SEMAPHORE(sem, 1);
static long sem_data;

static bool sem_waiting(void)
{
	return __atomic_load_n(&sem.wait_list.next, __ATOMIC_RELAXED) != &sem.wait_list;
}

static void *sem_worker(void *arg)
{
	down(&sem);
	sem_data++;
	up(&sem);
	return arg;
}

static void test_semaphore(void)
{
	pthread_t t;

	down(&sem);
	t = start(sem_worker);
	wait_until(sem_waiting);
	sem_data++;
	up(&sem);		/* wakes the waiter, which takes the unit */
	join(t);
	CHECK(sem_data == 2);
}

/* --- struct completion: a hand-off ---------------------------------------------------- */

static DECLARE_COMPLETION(ready);
static long done_data;

static void *completer(void *arg)
{
	done_data = 42;
	complete(&ready);
	return arg;
}

static void test_completion(void)
{
	pthread_t t = start(completer);

	wait_for_completion(&ready);
	CHECK(done_data == 42);
	join(t);
}

/* --- seqlock_t: what the writer published before its write section ---------------- */

static DEFINE_SEQLOCK(seq);
static long seq_payload;		/* plain: written once, before publishing */
static long seq_version;		/* READ_ONCE/WRITE_ONCE under the seqlock */
static atomic_t seq_reader_ready = ATOMIC_INIT(0);

static void *seq_reader(void *arg)
{
	unsigned int s;
	long v;

	atomic_set(&seq_reader_ready, 1);
	do {
		do {
			/* Likely to find the writer inside and wait for it. */
			s = read_seqbegin(&seq);
			v = READ_ONCE(seq_version);
		} while (read_seqretry(&seq, s));
	} while (!v);
	CHECK(seq_payload == 7);
	return arg;
}

static bool seq_reader_started(void)
{
	return atomic_read(&seq_reader_ready);
}

static void test_seqlock(void)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	pthread_t t;

	write_seqlock(&seq);
	t = start(seq_reader);
	wait_until(seq_reader_started);
	/* Not needed for correctness: makes the reader likely to wait. */
	nanosleep(&pause, NULL);
	seq_payload = 7;
	WRITE_ONCE(seq_version, 1);
	write_sequnlock(&seq);
	join(t);
}

/* --- condvar over a mutex and over a spinlock ------------------------------------------ */

static DEFINE_CONDVAR(cv);
static DEFINE_MUTEX(cv_mutex);
static DEFINE_SPINLOCK(cv_spin);
static bool cv_ready, cv_waiting;
static long cv_data;

static void *cv_mutex_waiter(void *arg)
{
	mutex_lock(&cv_mutex);
	cv_waiting = true;
	while (!cv_ready)
		condvar_wait(&cv, &cv_mutex);
	CHECK(cv_data == 1);
	mutex_unlock(&cv_mutex);
	return arg;
}

static void *cv_spin_waiter(void *arg)
{
	spin_lock_irq(&cv_spin);
	cv_waiting = true;
	while (!cv_ready)
		condvar_wait(&cv, &cv_spin);
	CHECK(cv_data == 2);
	spin_unlock_irq(&cv_spin);
	return arg;
}

static bool cv_mutex_waiter_in(void)
{
	bool in;

	mutex_lock(&cv_mutex);
	in = cv_waiting;
	mutex_unlock(&cv_mutex);
	return in;
}

static bool cv_spin_waiter_in(void)
{
	bool in;

	spin_lock(&cv_spin);
	in = cv_waiting;
	spin_unlock(&cv_spin);
	return in;
}

static void test_condvar(void)
{
	pthread_t t = start(cv_mutex_waiter);

	/* Once it has set cv_waiting it is asleep or about to be. */
	wait_until(cv_mutex_waiter_in);
	mutex_lock(&cv_mutex);
	cv_data = 1;
	cv_ready = true;
	condvar_notify_one(&cv);
	mutex_unlock(&cv_mutex);
	join(t);

	cv_ready = cv_waiting = false;
	t = start(cv_spin_waiter);
	wait_until(cv_spin_waiter_in);
	spin_lock(&cv_spin);
	cv_data = 2;
	cv_ready = true;
	condvar_notify_all(&cv);
	spin_unlock(&cv_spin);
	join(t);
}

/* --- a wait queue with an acquire/release flag (clean without help) ------------------- */

static DECLARE_WAIT_QUEUE_HEAD(wq);
static int wq_flag;
static long wq_data;

static void *waker(void *arg)
{
	wq_data = 5;
	smp_store_release(&wq_flag, 1);
	wake_up(&wq);
	return arg;
}

static void test_wait_queue(void)
{
	pthread_t t = start(waker);

	wait_event(wq, smp_load_acquire(&wq_flag));
	CHECK(wq_data == 5);
	join(t);
}

int main(void)
{
	test_spin_lock();
	test_spin_lock_irqsave();
	test_spin_trylock();
	test_raw_spin_lock();
	test_mutex();
	test_rwsem();
	test_rwlock();
	test_semaphore();
	test_completion();
	test_seqlock();
	test_condvar();
	test_wait_queue();
	printf("sanitizer user program done\n");
	return 0;
}
