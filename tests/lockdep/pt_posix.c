// SPDX-License-Identifier: MIT
/*
 * POSIX conformance of pthread_mutex_*, pthread_rwlock_*, pthread_spin_*
 * and pthread_cond_*, written after the standard (POSIX.1-2017, with the
 * Thread Execution Scheduling and Process-Shared Synchronization options
 * that Linux has): a plain pthread program (no ksync in it) whose checks
 * must pass run directly on the C library, under ksync-lockdep, and under
 * ksync-lockdep --replace.
 *
 *   pt_posix [GROUP...]	(default: all of them)
 *
 * Groups: mutex rwlock spin cond (the sweep of return values and error
 * codes), pshared (objects shared between mappings and processes),
 * rec_cond (recursive mutexes with condition variables), cancel (waits
 * cancelled), destroy (a condition variable destroyed while woken waiters
 * are on their way out), rt_reader (a real-time reader and blocked
 * writers; needs permission for SCHED_FIFO, else skipped).  Only what
 * POSIX requires is checked; where it allows two answers both pass.  No
 * check depends on timing: a timeout decides only in a failing case.
 *
 * Prints one line per failed check and "posix ok" at the end if none
 * failed (exit 0), else exits 1.  A watchdog ends a hung run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static const char *group = "";

#define FAILED(...)							\
	do {								\
		printf("FAIL %s:%d [%s] ", __FILE__, __LINE__, group);	\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		fflush(stdout);						\
		failures++;						\
	} while (0)

#define EXPECT(what, got, want)						\
	do {								\
		int g_ = (got), w_ = (want);				\
		if (g_ != w_)						\
			FAILED("%s: got %d (%s), want %d (%s)", what,	\
			       g_, strerror(g_), w_, strerror(w_));	\
	} while (0)

/* POSIX leaves the choice between two answers. */
#define EXPECT2(what, got, want1, want2)				\
	do {								\
		int g_ = (got);						\
		if (g_ != (want1) && g_ != (want2))			\
			FAILED("%s: got %d (%s), want %d or %d", what,	\
			       g_, strerror(g_), (want1), (want2));	\
	} while (0)

#define NTHREADS	4
#define ITERS		20000
#define JOIN_S		20	/* a thread not back by then is stuck */

/* --- helpers ------------------------------------------------------------------ */

static struct timespec from_now(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	} else if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000;
	}
	return ts;
}

static struct timespec past(clockid_t clock)
{
	return from_now(clock, -1000);
}

static struct timespec bad_nsec(long nsec)
{
	struct timespec ts = from_now(CLOCK_REALTIME, 1000);

	ts.tv_nsec = nsec;
	return ts;
}

/* Join t, or say it is stuck and go on (the thread is left behind). */
static int join(pthread_t t, void **ret, const char *what)
{
	struct timespec ts = from_now(CLOCK_REALTIME, JOIN_S * 1000);
	void *r;

	if (pthread_timedjoin_np(t, &r, &ts)) {
		FAILED("%s: the thread is still blocked after %d s", what, JOIN_S);
		return -1;
	}
	if (ret)
		*ret = r;
	return 0;
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* The thread is asleep (state S or D in /proc): blocked in a lock call. */
static int is_asleep(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && (p[2] == 'S' || p[2] == 'D');
}

/* Wait until the thread sleeps, or fail after JOIN_S. */
static int wait_asleep(const volatile pid_t *tid, const char *what)
{
	for (int i = 0; i < JOIN_S * 1000; i++) {
		if (*tid && is_asleep(*tid))
			return 0;
		usleep(1000);
	}
	FAILED("%s: the thread never blocked", what);
	return -1;
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL pt_posix: still running after 100 s\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* --- another thread holds a lock while we try ---------------------------------- */

enum hold_op { HOLD_MUTEX, HOLD_READ, HOLD_WRITE, HOLD_SPIN };

struct holder {
	enum hold_op op;
	void *lock;
	pthread_barrier_t bar;
	pthread_t thread;
};

static void *holder_main(void *arg)
{
	struct holder *h = arg;

	switch (h->op) {
	case HOLD_MUTEX: pthread_mutex_lock(h->lock); break;
	case HOLD_READ: pthread_rwlock_rdlock(h->lock); break;
	case HOLD_WRITE: pthread_rwlock_wrlock(h->lock); break;
	case HOLD_SPIN: pthread_spin_lock(h->lock); break;
	}
	pthread_barrier_wait(&h->bar);	/* held */
	pthread_barrier_wait(&h->bar);	/* let go */
	switch (h->op) {
	case HOLD_MUTEX: pthread_mutex_unlock(h->lock); break;
	case HOLD_READ:
	case HOLD_WRITE: pthread_rwlock_unlock(h->lock); break;
	case HOLD_SPIN: pthread_spin_unlock(h->lock); break;
	}
	return NULL;
}

static void hold(struct holder *h, enum hold_op op, void *lock)
{
	h->op = op;
	h->lock = lock;
	pthread_barrier_init(&h->bar, NULL, 2);
	pthread_create(&h->thread, NULL, holder_main, h);
	pthread_barrier_wait(&h->bar);
}

static void let_go(struct holder *h)
{
	pthread_barrier_wait(&h->bar);
	join(h->thread, NULL, "holder");
	pthread_barrier_destroy(&h->bar);
}

/* --- mutexes -------------------------------------------------------------------- */

static pthread_mutex_t *count_mutex;
static long counter;

static void *count_with_mutex(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(count_mutex);
		counter++;
		pthread_mutex_unlock(count_mutex);
	}
	return arg;
}

static void mutual_exclusion(pthread_mutex_t *m, const char *what)
{
	pthread_t t[NTHREADS];

	count_mutex = m;
	counter = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, count_with_mutex, NULL);
	for (int i = 0; i < NTHREADS; i++)
		join(t[i], NULL, what);
	if (counter != (long)NTHREADS * ITERS)
		FAILED("%s: counted %ld, want %ld", what, counter, (long)NTHREADS * ITERS);
}

static void mutex_type(int type, const char *name)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	struct timespec ts;
	struct holder h;
	char what[128];
	int got = -1;

	group = name;
	EXPECT("mutexattr_init", pthread_mutexattr_init(&a), 0);
	EXPECT("mutexattr_settype", pthread_mutexattr_settype(&a, type), 0);
	EXPECT("mutexattr_gettype", pthread_mutexattr_gettype(&a, &got), 0);
	EXPECT("mutexattr_gettype value", got, type);
	EXPECT("mutex_init", pthread_mutex_init(&m, &a), 0);
	pthread_mutexattr_destroy(&a);

	/* The owner tries again. */
	EXPECT("lock", pthread_mutex_lock(&m), 0);
	if (type == PTHREAD_MUTEX_RECURSIVE) {
		EXPECT("trylock by the owner", pthread_mutex_trylock(&m), 0);
		EXPECT("lock by the owner", pthread_mutex_lock(&m), 0);
		ts = past(CLOCK_REALTIME);
		EXPECT("timedlock by the owner", pthread_mutex_timedlock(&m, &ts), 0);
		for (int i = 0; i < 3; i++)
			EXPECT("unlock one level", pthread_mutex_unlock(&m), 0);
	} else {
		EXPECT("trylock by the owner", pthread_mutex_trylock(&m), EBUSY);
	}
	if (type == PTHREAD_MUTEX_ERRORCHECK) {
		EXPECT("lock by the owner", pthread_mutex_lock(&m), EDEADLK);
		ts = from_now(CLOCK_REALTIME, 10000);
		EXPECT("timedlock by the owner", pthread_mutex_timedlock(&m, &ts), EDEADLK);
	}
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	if (type == PTHREAD_MUTEX_ERRORCHECK || type == PTHREAD_MUTEX_RECURSIVE)
		EXPECT("unlock when unlocked", pthread_mutex_unlock(&m), EPERM);

	/* Held by another thread. */
	hold(&h, HOLD_MUTEX, &m);
	EXPECT("trylock held by another", pthread_mutex_trylock(&m), EBUSY);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedlock held, deadline passed", pthread_mutex_timedlock(&m, &ts), ETIMEDOUT);
	ts = from_now(CLOCK_REALTIME, 10);
	EXPECT("timedlock held, 10 ms", pthread_mutex_timedlock(&m, &ts), ETIMEDOUT);
	ts = bad_nsec(1000000000);
	EXPECT("timedlock held, tv_nsec 1e9", pthread_mutex_timedlock(&m, &ts), EINVAL);
	ts = bad_nsec(-1);
	EXPECT("timedlock held, tv_nsec -1", pthread_mutex_timedlock(&m, &ts), EINVAL);
	ts = past(CLOCK_MONOTONIC);
	EXPECT("clocklock monotonic held", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts),
	       ETIMEDOUT);
	ts = from_now(CLOCK_REALTIME, 1000);
	EXPECT("clocklock on a CPU-time clock",
	       pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
	if (type == PTHREAD_MUTEX_ERRORCHECK || type == PTHREAD_MUTEX_RECURSIVE)
		EXPECT("unlock by a non-owner", pthread_mutex_unlock(&m), EPERM);
	let_go(&h);

	/* Free: a deadline in the past does not matter (POSIX: "under no circumstance"). */
	ts = past(CLOCK_REALTIME);
	EXPECT("timedlock free, deadline passed", pthread_mutex_timedlock(&m, &ts), 0);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	ts = bad_nsec(1000000000);
	got = pthread_mutex_timedlock(&m, &ts);
	EXPECT2("timedlock free, tv_nsec 1e9 (need not be checked)", got, 0, EINVAL);
	if (!got)
		pthread_mutex_unlock(&m);

	snprintf(what, sizeof(what), "%s mutual exclusion", name);
	mutual_exclusion(&m, what);
	EXPECT("destroy", pthread_mutex_destroy(&m), 0);
	/* Destroyed, it may be initialised again, as anything. */
	EXPECT("init again", pthread_mutex_init(&m, NULL), 0);
	EXPECT("lock after init again", pthread_mutex_lock(&m), 0);
	EXPECT("unlock after init again", pthread_mutex_unlock(&m), 0);
	EXPECT("destroy again", pthread_mutex_destroy(&m), 0);
}

static void group_mutex(void)
{
	static pthread_mutex_t stat = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	int got = -1;

	mutex_type(PTHREAD_MUTEX_NORMAL, "mutex normal");
	mutex_type(PTHREAD_MUTEX_ERRORCHECK, "mutex errorcheck");
	mutex_type(PTHREAD_MUTEX_RECURSIVE, "mutex recursive");
	mutex_type(PTHREAD_MUTEX_DEFAULT, "mutex default");

	group = "mutex";
	pthread_mutexattr_init(&a);
	EXPECT("default type", pthread_mutexattr_gettype(&a, &got), 0);
	EXPECT("default type value", got, PTHREAD_MUTEX_DEFAULT);
	EXPECT("settype nonsense", pthread_mutexattr_settype(&a, 12345), EINVAL);
	pthread_mutexattr_destroy(&a);
	EXPECT("init, no attributes", pthread_mutex_init(&m, NULL), 0);
	EXPECT("lock", pthread_mutex_lock(&m), 0);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	EXPECT("destroy", pthread_mutex_destroy(&m), 0);
	EXPECT("static: trylock", pthread_mutex_trylock(&stat), 0);
	EXPECT("static: trylock again", pthread_mutex_trylock(&stat), EBUSY);
	EXPECT("static: unlock", pthread_mutex_unlock(&stat), 0);
	mutual_exclusion(&stat, "static mutex mutual exclusion");
}

/* --- rwlocks ---------------------------------------------------------------------- */

static pthread_rwlock_t *count_rw;
static long pair_a, pair_b, torn;

static void *count_with_rwlock(void *arg)
{
	for (int i = 0; i < ITERS / 2; i++) {
		pthread_rwlock_wrlock(count_rw);
		pair_a++;
		pair_b++;
		pthread_rwlock_unlock(count_rw);
		pthread_rwlock_rdlock(count_rw);
		if (__atomic_load_n(&pair_a, __ATOMIC_RELAXED) !=
		    __atomic_load_n(&pair_b, __ATOMIC_RELAXED))
			__atomic_fetch_add(&torn, 1, __ATOMIC_RELAXED);
		pthread_rwlock_unlock(count_rw);
	}
	return arg;
}

static pid_t writer_tid;
static int writer_result = -1;

static void *blocked_writer(void *arg)
{
	__atomic_store_n(&writer_tid, gettid_(), __ATOMIC_RELAXED);
	writer_result = pthread_rwlock_wrlock(arg);
	if (!writer_result)
		pthread_rwlock_unlock(arg);
	return NULL;
}

static void group_rwlock(void)
{
	static pthread_rwlock_t stat = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlock_t rw;
	struct timespec ts;
	struct holder h;
	pthread_t t[NTHREADS];
	int got;

	group = "rwlock";
	EXPECT("init", pthread_rwlock_init(&rw, NULL), 0);

	/* A thread may hold several read locks, and must unlock each. */
	for (int i = 0; i < 3; i++)
		EXPECT("rdlock", pthread_rwlock_rdlock(&rw), 0);
	EXPECT("tryrdlock while reading", pthread_rwlock_tryrdlock(&rw), 0);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedrdlock while reading", pthread_rwlock_timedrdlock(&rw, &ts), 0);
	EXPECT("trywrlock while reading", pthread_rwlock_trywrlock(&rw), EBUSY);
	for (int i = 0; i < 5; i++)
		EXPECT("unlock a read lock", pthread_rwlock_unlock(&rw), 0);

	/* Held for writing by this thread. */
	EXPECT("wrlock", pthread_rwlock_wrlock(&rw), 0);
	EXPECT("trywrlock by the writer", pthread_rwlock_trywrlock(&rw), EBUSY);
	EXPECT("tryrdlock by the writer", pthread_rwlock_tryrdlock(&rw), EBUSY);
	EXPECT("wrlock by the writer", pthread_rwlock_wrlock(&rw), EDEADLK);
	EXPECT("rdlock by the writer", pthread_rwlock_rdlock(&rw), EDEADLK);
	EXPECT("unlock the write lock", pthread_rwlock_unlock(&rw), 0);

	/* Held for writing by another thread. */
	hold(&h, HOLD_WRITE, &rw);
	EXPECT("tryrdlock, another writes", pthread_rwlock_tryrdlock(&rw), EBUSY);
	EXPECT("trywrlock, another writes", pthread_rwlock_trywrlock(&rw), EBUSY);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedrdlock, another writes, deadline passed",
	       pthread_rwlock_timedrdlock(&rw, &ts), ETIMEDOUT);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwrlock, another writes, deadline passed",
	       pthread_rwlock_timedwrlock(&rw, &ts), ETIMEDOUT);
	ts = from_now(CLOCK_REALTIME, 10);
	EXPECT("timedrdlock, another writes, 10 ms", pthread_rwlock_timedrdlock(&rw, &ts),
	       ETIMEDOUT);
	ts = bad_nsec(1000000000);
	EXPECT("timedrdlock, another writes, tv_nsec 1e9",
	       pthread_rwlock_timedrdlock(&rw, &ts), EINVAL);
	ts = bad_nsec(-1);
	EXPECT("timedwrlock, another writes, tv_nsec -1",
	       pthread_rwlock_timedwrlock(&rw, &ts), EINVAL);
	ts = from_now(CLOCK_MONOTONIC, 10);
	EXPECT("clockrdlock monotonic, another writes",
	       pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	ts = past(CLOCK_MONOTONIC);
	EXPECT("clockwrlock monotonic, another writes",
	       pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	ts = from_now(CLOCK_REALTIME, 1000);
	EXPECT("clockwrlock on a CPU-time clock",
	       pthread_rwlock_clockwrlock(&rw, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
	let_go(&h);

	/* Held for reading by another thread: readers share it. */
	hold(&h, HOLD_READ, &rw);
	EXPECT("tryrdlock, another reads", pthread_rwlock_tryrdlock(&rw), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	EXPECT("rdlock, another reads", pthread_rwlock_rdlock(&rw), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	EXPECT("trywrlock, another reads", pthread_rwlock_trywrlock(&rw), EBUSY);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwrlock, another reads", pthread_rwlock_timedwrlock(&rw, &ts), ETIMEDOUT);
	let_go(&h);

	/* Free: a deadline in the past does not matter. */
	ts = past(CLOCK_REALTIME);
	EXPECT("timedrdlock free, deadline passed", pthread_rwlock_timedrdlock(&rw, &ts), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwrlock free, deadline passed", pthread_rwlock_timedwrlock(&rw, &ts), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	ts = bad_nsec(1000000000);
	got = pthread_rwlock_timedwrlock(&rw, &ts);
	EXPECT2("timedwrlock free, tv_nsec 1e9 (need not be checked)", got, 0, EINVAL);
	if (!got)
		pthread_rwlock_unlock(&rw);

	/*
	 * A reader may take a read lock again while a writer waits: "a thread
	 * may hold multiple concurrent read locks" (it must not deadlock).
	 */
	EXPECT("rdlock", pthread_rwlock_rdlock(&rw), 0);
	writer_tid = 0;
	pthread_create(&t[0], NULL, blocked_writer, &rw);
	if (!wait_asleep(&writer_tid, "writer behind a reader")) {
		ts = from_now(CLOCK_REALTIME, JOIN_S * 1000);
		EXPECT("timedrdlock again with a writer waiting",
		       pthread_rwlock_timedrdlock(&rw, &ts), 0);
		EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	}
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	join(t[0], NULL, "writer");
	EXPECT("the writer's wrlock", writer_result, 0);

	count_rw = &rw;
	pair_a = pair_b = torn = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, count_with_rwlock, NULL);
	for (int i = 0; i < NTHREADS; i++)
		join(t[i], NULL, "rwlock counter");
	if (pair_a != (long)NTHREADS * (ITERS / 2) || pair_b != pair_a || torn)
		FAILED("rwlock exclusion: %ld/%ld, %ld torn reads", pair_a, pair_b, torn);
	EXPECT("destroy", pthread_rwlock_destroy(&rw), 0);
	EXPECT("init again", pthread_rwlock_init(&rw, NULL), 0);
	EXPECT("wrlock after init again", pthread_rwlock_wrlock(&rw), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	EXPECT("destroy again", pthread_rwlock_destroy(&rw), 0);

	EXPECT("static: tryrdlock", pthread_rwlock_tryrdlock(&stat), 0);
	EXPECT("static: trywrlock while reading", pthread_rwlock_trywrlock(&stat), EBUSY);
	EXPECT("static: unlock", pthread_rwlock_unlock(&stat), 0);
	EXPECT("static: wrlock", pthread_rwlock_wrlock(&stat), 0);
	EXPECT("static: unlock", pthread_rwlock_unlock(&stat), 0);
}

/* --- spinlocks ----------------------------------------------------------------------- */

static pthread_spinlock_t *count_spin;

static void *count_with_spin(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		pthread_spin_lock(count_spin);
		counter++;
		pthread_spin_unlock(count_spin);
	}
	return arg;
}

static void spin_exclusion(pthread_spinlock_t *s, const char *what)
{
	pthread_t t[NTHREADS];

	count_spin = s;
	counter = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, count_with_spin, NULL);
	for (int i = 0; i < NTHREADS; i++)
		join(t[i], NULL, what);
	if (counter != (long)NTHREADS * ITERS)
		FAILED("%s: counted %ld, want %ld", what, counter, (long)NTHREADS * ITERS);
}

static void group_spin(void)
{
	pthread_spinlock_t s;
	struct holder h;

	group = "spin";
	for (int pshared = 0; pshared < 2; pshared++) {
		EXPECT("init", pthread_spin_init(&s, pshared ? PTHREAD_PROCESS_SHARED :
						     PTHREAD_PROCESS_PRIVATE), 0);
		EXPECT("lock", pthread_spin_lock(&s), 0);
		EXPECT("trylock by the holder", pthread_spin_trylock(&s), EBUSY);
		EXPECT("unlock", pthread_spin_unlock(&s), 0);
		EXPECT("trylock", pthread_spin_trylock(&s), 0);
		EXPECT("unlock", pthread_spin_unlock(&s), 0);
		hold(&h, HOLD_SPIN, (void *)&s);
		EXPECT("trylock held by another", pthread_spin_trylock(&s), EBUSY);
		let_go(&h);
		spin_exclusion(&s, pshared ? "process-shared spinlock, threads" :
				   "spinlock mutual exclusion");
		EXPECT("destroy", pthread_spin_destroy(&s), 0);
	}
}

/* --- condition variables ------------------------------------------------------------- */

struct cwait {
	pthread_cond_t *cond;
	pthread_mutex_t *mutex;
	clockid_t clock;	/* for a timed wait, with a far deadline */
	int timed;
	int *go;
	int waiting;		/* under mutex: waiters that got to the wait */
	int ret;		/* the last wait's result */
	int timeouts;		/* ETIMEDOUT results */
};

/* Wait for *go. */
static void *cond_waiter(void *arg)
{
	struct cwait *w = arg;
	struct timespec ts = from_now(w->clock, 600000);
	int r;

	pthread_mutex_lock(w->mutex);
	w->waiting++;
	while (!*w->go) {
		r = w->timed ? pthread_cond_timedwait(w->cond, w->mutex, &ts) :
			       pthread_cond_wait(w->cond, w->mutex);
		w->ret = r;
		w->timeouts += r == ETIMEDOUT;
	}
	pthread_mutex_unlock(w->mutex);
	return NULL;
}

/*
 * Return holding the mutex once n waiters got to the wait: each said so
 * under the mutex, and a waiter lets go of it only inside the wait.
 */
static void lock_when_waiting(struct cwait *w, int n)
{
	for (;;) {
		pthread_mutex_lock(w->mutex);
		if (w->waiting >= n)
			return;
		pthread_mutex_unlock(w->mutex);
		usleep(100);
	}
}

static int tokens, tokens_taken;

static void *token_taker(void *arg)
{
	struct cwait *w = arg;

	pthread_mutex_lock(w->mutex);
	while (!tokens)
		pthread_cond_wait(w->cond, w->mutex);
	tokens--;
	tokens_taken++;
	pthread_mutex_unlock(w->mutex);
	return NULL;
}

/* A wait that must end by a signal, not by its (far) deadline. */
static void timed_wait_signalled(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
				 const char *what)
{
	int go = 0;
	struct cwait w = { c, m, clock, 1, &go, 0, -1, 0 };
	pthread_t t;

	pthread_create(&t, NULL, cond_waiter, &w);
	lock_when_waiting(&w, 1);
	go = 1;
	pthread_cond_signal(c);
	pthread_mutex_unlock(m);
	if (join(t, NULL, what))
		return;
	EXPECT(what, w.ret, 0);
	EXPECT("timeouts before the far deadline", w.timeouts, 0);
}

static void group_cond(void)
{
	static pthread_cond_t stat = PTHREAD_COND_INITIALIZER;
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutex_t m, em;
	pthread_cond_t c, mono;
	struct timespec ts;
	pthread_t t[NTHREADS];
	clockid_t clock = -1;
	int go = 0;
	struct cwait w = { &c, &m, CLOCK_REALTIME, 0, &go, 0, -1, 0 };

	group = "cond";
	pthread_mutex_init(&m, NULL);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&em, &ma);
	pthread_mutexattr_destroy(&ma);
	EXPECT("init", pthread_cond_init(&c, NULL), 0);
	EXPECT("signal, nobody waits", pthread_cond_signal(&c), 0);
	EXPECT("broadcast, nobody waits", pthread_cond_broadcast(&c), 0);
	EXPECT("static: signal, nobody waits", pthread_cond_signal(&stat), 0);
	EXPECT("static: broadcast, nobody waits", pthread_cond_broadcast(&stat), 0);

	/* Timeouts; the mutex is held again when the wait returns. */
	pthread_mutex_lock(&em);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwait, deadline passed", pthread_cond_timedwait(&c, &em, &ts), ETIMEDOUT);
	EXPECT("mutex held after the timeout", pthread_mutex_lock(&em), EDEADLK);
	ts = from_now(CLOCK_REALTIME, 10);
	EXPECT("timedwait, 10 ms", pthread_cond_timedwait(&c, &em, &ts), ETIMEDOUT);
	EXPECT("mutex held after the timeout", pthread_mutex_lock(&em), EDEADLK);
	ts = bad_nsec(1000000000);
	EXPECT("timedwait, tv_nsec 1e9", pthread_cond_timedwait(&c, &em, &ts), EINVAL);
	ts = bad_nsec(-1);
	EXPECT("timedwait, tv_nsec -1", pthread_cond_timedwait(&c, &em, &ts), EINVAL);
	EXPECT("mutex held after EINVAL", pthread_mutex_lock(&em), EDEADLK);
	EXPECT("static: timedwait", pthread_cond_timedwait(&stat, &em, &ts), EINVAL);
	ts = past(CLOCK_REALTIME);
	EXPECT("static: timedwait, deadline passed", pthread_cond_timedwait(&stat, &em, &ts),
	       ETIMEDOUT);
	EXPECT("unlock", pthread_mutex_unlock(&em), 0);
	/* POSIX: EPERM when an error-checking mutex is not the caller's. */
	EXPECT("wait without the error-checking mutex", pthread_cond_wait(&c, &em), EPERM);
	ts = from_now(CLOCK_REALTIME, 1000);
	EXPECT("timedwait without the error-checking mutex",
	       pthread_cond_timedwait(&c, &em, &ts), EPERM);

	/* The clock attribute. */
	pthread_condattr_init(&ca);
	EXPECT("condattr_getclock", pthread_condattr_getclock(&ca, &clock), 0);
	EXPECT("default clock", clock, CLOCK_REALTIME);
	EXPECT("setclock CPU-time", pthread_condattr_setclock(&ca, CLOCK_PROCESS_CPUTIME_ID),
	       EINVAL);
	EXPECT("setclock monotonic", pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	EXPECT("getclock", pthread_condattr_getclock(&ca, &clock), 0);
	EXPECT("clock set", clock, CLOCK_MONOTONIC);
	EXPECT("init monotonic", pthread_cond_init(&mono, &ca), 0);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&m);
	ts = past(CLOCK_MONOTONIC);
	EXPECT("monotonic timedwait, deadline passed", pthread_cond_timedwait(&mono, &m, &ts),
	       ETIMEDOUT);
	ts = from_now(CLOCK_MONOTONIC, 10);
	EXPECT("monotonic timedwait, 10 ms", pthread_cond_timedwait(&mono, &m, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	/*
	 * A deadline far ahead on the cond's clock is far ahead: the wait ends
	 * by a signal.  (Read on the other clock, a monotonic deadline is long
	 * past and a real-time one does not come for decades.)
	 */
	timed_wait_signalled(&mono, &m, CLOCK_MONOTONIC, "monotonic timedwait, signalled");
	timed_wait_signalled(&c, &m, CLOCK_REALTIME, "realtime timedwait, signalled");
	EXPECT("destroy monotonic", pthread_cond_destroy(&mono), 0);

	/* The mutex is free while a thread waits; signal wakes a waiter. */
	pthread_create(&t[0], NULL, cond_waiter, &w);
	lock_when_waiting(&w, 1);
	go = 1;
	EXPECT("signal one waiter", pthread_cond_signal(&c), 0);
	pthread_mutex_unlock(&m);
	join(t[0], NULL, "signalled waiter");
	EXPECT("the signalled wait", w.ret, 0);

	/* One signal, at least one waiter: K signals wake K token takers. */
	tokens = tokens_taken = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, token_taker, &w);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_mutex_lock(&m);
		tokens++;
		pthread_cond_signal(&c);
		pthread_mutex_unlock(&m);
	}
	for (int i = 0; i < NTHREADS; i++)
		join(t[i], NULL, "token taker");
	EXPECT("tokens taken", tokens_taken, NTHREADS);

	/* Broadcast wakes them all. */
	go = 0;
	w.waiting = 0;
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, cond_waiter, &w);
	lock_when_waiting(&w, NTHREADS);
	go = 1;
	EXPECT("broadcast", pthread_cond_broadcast(&c), 0);
	pthread_mutex_unlock(&m);
	for (int i = 0; i < NTHREADS; i++)
		join(t[i], NULL, "broadcast waiter");

	EXPECT("destroy", pthread_cond_destroy(&c), 0);
	EXPECT("init again", pthread_cond_init(&c, NULL), 0);
	EXPECT("signal after init again", pthread_cond_signal(&c), 0);
	EXPECT("destroy again", pthread_cond_destroy(&c), 0);
	pthread_mutex_destroy(&m);
	pthread_mutex_destroy(&em);
}

/* --- process-shared objects: another mapping, another process ------------------- */

struct shared_page {
	pthread_spinlock_t spin;
	pthread_mutex_t mutex;
	pthread_rwlock_t rw;
	pthread_cond_t cond;
	long spin_count, mutex_count;
	int go, waiting;
};

/* The memory, mapped again at another address (as another process would). */
static struct shared_page *map_again(int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void count_shared(struct shared_page *p)
{
	for (int i = 0; i < ITERS; i++) {
		pthread_spin_lock(&p->spin);
		p->spin_count++;
		pthread_spin_unlock(&p->spin);
		pthread_mutex_lock(&p->mutex);
		p->mutex_count++;
		pthread_mutex_unlock(&p->mutex);
	}
}

static void *wait_shared(void *arg)
{
	struct shared_page *p = arg;

	pthread_mutex_lock(&p->mutex);
	p->waiting = 1;
	while (!p->go)
		pthread_cond_wait(&p->cond, &p->mutex);
	pthread_mutex_unlock(&p->mutex);
	return NULL;
}

static void group_pshared(void)
{
	struct shared_page *a, *b;
	pthread_mutexattr_t ma;
	pthread_rwlockattr_t ra;
	pthread_condattr_t ca;
	pthread_t t;
	int fd, status;
	pid_t pid;

	group = "pshared";
	fd = memfd_create("pt_posix", 0);
	if (fd < 0 || ftruncate(fd, 4096) || !(a = map_again(fd)) || !(b = map_again(fd))) {
		FAILED("cannot map shared memory: %s", strerror(errno));
		return;
	}
	EXPECT("spin_init shared", pthread_spin_init(&a->spin, PTHREAD_PROCESS_SHARED), 0);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	EXPECT("mutex_init shared", pthread_mutex_init(&a->mutex, &ma), 0);
	pthread_mutexattr_destroy(&ma);
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
	EXPECT("rwlock_init shared", pthread_rwlock_init(&a->rw, &ra), 0);
	pthread_rwlockattr_destroy(&ra);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	EXPECT("cond_init shared", pthread_cond_init(&a->cond, &ca), 0);
	pthread_condattr_destroy(&ca);

	/* Held through one mapping, held through the other. */
	EXPECT("spin_lock", pthread_spin_lock(&a->spin), 0);
	EXPECT("spin_trylock through another mapping", pthread_spin_trylock(&b->spin), EBUSY);
	EXPECT("spin_unlock", pthread_spin_unlock(&a->spin), 0);
	EXPECT("spin_trylock through another mapping, free", pthread_spin_trylock(&b->spin), 0);
	EXPECT("spin_trylock held through another mapping", pthread_spin_trylock(&a->spin),
	       EBUSY);
	EXPECT("spin_unlock through another mapping", pthread_spin_unlock(&b->spin), 0);
	EXPECT("mutex_lock", pthread_mutex_lock(&a->mutex), 0);
	EXPECT("mutex_trylock through another mapping", pthread_mutex_trylock(&b->mutex),
	       EBUSY);
	EXPECT("mutex_unlock", pthread_mutex_unlock(&a->mutex), 0);
	EXPECT("rwlock_wrlock", pthread_rwlock_wrlock(&a->rw), 0);
	EXPECT("rwlock_tryrdlock through another mapping", pthread_rwlock_tryrdlock(&b->rw),
	       EBUSY);
	EXPECT("rwlock_unlock", pthread_rwlock_unlock(&a->rw), 0);
	EXPECT("rwlock_rdlock through another mapping", pthread_rwlock_rdlock(&b->rw), 0);
	EXPECT("rwlock_trywrlock", pthread_rwlock_trywrlock(&a->rw), EBUSY);
	EXPECT("rwlock_unlock through another mapping", pthread_rwlock_unlock(&b->rw), 0);

	/* A waiter on one mapping, signalled through the other. */
	a->go = a->waiting = 0;
	pthread_create(&t, NULL, wait_shared, a);
	for (;;) {
		pthread_mutex_lock(&b->mutex);
		if (b->waiting)
			break;
		pthread_mutex_unlock(&b->mutex);
		usleep(100);
	}
	b->go = 1;
	EXPECT("cond_signal through another mapping", pthread_cond_signal(&b->cond), 0);
	pthread_mutex_unlock(&b->mutex);
	join(t, NULL, "waiter on a shared condition variable");

	/* Another process, with its own mapping: exact counts. */
	a->spin_count = a->mutex_count = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct shared_page *c = map_again(fd);

		alarm(100);
		if (!c)
			_exit(3);
		count_shared(c);
		_exit(0);
	}
	count_shared(a);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		FAILED("the other process failed");
	if (a->spin_count != 2L * ITERS || a->mutex_count != 2L * ITERS)
		FAILED("two processes counted %ld under the spinlock, %ld under the mutex; "
		       "want %ld", a->spin_count, a->mutex_count, 2L * ITERS);
	EXPECT("spin_destroy", pthread_spin_destroy(&a->spin), 0);
	EXPECT("mutex_destroy", pthread_mutex_destroy(&a->mutex), 0);
	EXPECT("rwlock_destroy", pthread_rwlock_destroy(&a->rw), 0);
	EXPECT("cond_destroy", pthread_cond_destroy(&a->cond), 0);
	munmap(a, 4096);
	munmap(b, 4096);
	close(fd);
}

/* --- recursive mutexes with condition variables ------------------------------------ */

static void *try_and_unlock(void *arg)
{
	int r = pthread_mutex_trylock(arg);

	if (!r)
		pthread_mutex_unlock(arg);
	return (void *)(long)r;
}

static void *try_and_unlock_other(pthread_mutex_t *m)
{
	pthread_t t;
	void *r = (void *)-1L;

	pthread_create(&t, NULL, try_and_unlock, m);
	join(t, &r, "trylock by another thread");
	return r;
}

/* Another thread can take the mutex: it is free. */
static void expect_free(pthread_mutex_t *m, const char *what)
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, try_and_unlock, m);
	if (!join(t, &r, what))
		EXPECT(what, (int)(long)r, 0);
}

static void rec_cond_case(int mutex_shared, int cond_shared)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutex_t m;
	pthread_cond_t c;
	struct timespec ts;
	pthread_t t;
	int go = 0;
	struct cwait w = { &c, &m, CLOCK_REALTIME, 0, &go, 0, -1, 0 };

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	if (mutex_shared)
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	EXPECT("recursive mutex init", pthread_mutex_init(&m, &ma), 0);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_init(&ca);
	if (cond_shared)
		pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	EXPECT("cond init", pthread_cond_init(&c, &ca), 0);
	pthread_condattr_destroy(&ca);

	/* Locked once: the wait releases it and takes it again. */
	EXPECT("lock", pthread_mutex_lock(&m), 0);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwait", pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	ts = from_now(CLOCK_REALTIME, 5);
	EXPECT("timedwait 5 ms", pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	expect_free(&m, "free after the timed waits");

	/* Woken by another thread. */
	pthread_create(&t, NULL, cond_waiter, &w);
	lock_when_waiting(&w, 1);
	go = 1;
	pthread_cond_signal(&c);
	pthread_mutex_unlock(&m);
	join(t, NULL, "waiter with a recursive mutex");
	EXPECT("wait", w.ret, 0);

	/* Locked twice: whatever the wait does, the levels are kept. */
	EXPECT("lock", pthread_mutex_lock(&m), 0);
	EXPECT("lock again", pthread_mutex_lock(&m), 0);
	ts = past(CLOCK_REALTIME);
	EXPECT("timedwait at depth 2", pthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	EXPECT("trylock by another at depth 1", (int)(long)try_and_unlock_other(&m), EBUSY);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);
	expect_free(&m, "free after unlocking both levels");
	EXPECT("destroy mutex", pthread_mutex_destroy(&m), 0);
	EXPECT("destroy cond", pthread_cond_destroy(&c), 0);
}

static void group_rec_cond(void)
{
	group = "rec_cond";
	rec_cond_case(0, 0);
	group = "rec_cond, shared mutex";
	rec_cond_case(1, 0);
	group = "rec_cond, shared mutex and cond";
	rec_cond_case(1, 1);
	group = "rec_cond, shared cond";
	rec_cond_case(0, 1);
}

/* --- cancellation ---------------------------------------------------------------------- */

struct cancel_case {
	pthread_mutex_t *mutex;	/* error-checking: relock says who holds it */
	pthread_cond_t *cond;
	int timed;
	int pending;		/* cancelled before it waits */
	int waiting;		/* under mutex */
	int called;		/* before the wait, for pending */
	int unlock;		/* in the cleanup handler: 0 if it was held */
};

static void cancel_cleanup(void *arg)
{
	struct cancel_case *cc = arg;

	cc->unlock = pthread_mutex_unlock(cc->mutex);
}

static void *cancel_waiter(void *arg)
{
	struct cancel_case *cc = arg;
	struct timespec ts = from_now(CLOCK_REALTIME, 600000);
	int old;

	if (cc->pending)
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	pthread_mutex_lock(cc->mutex);
	cc->waiting = 1;
	if (cc->pending) {
		/* cancelled while it holds the mutex and cannot act on it */
		while (!__atomic_load_n(&cc->called, __ATOMIC_ACQUIRE))
			usleep(100);
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	}
	pthread_cleanup_push(cancel_cleanup, cc);
	for (;;) {
		if (cc->timed)
			pthread_cond_timedwait(cc->cond, cc->mutex, &ts);
		else
			pthread_cond_wait(cc->cond, cc->mutex);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static void cancel_one(pthread_mutex_t *m, pthread_cond_t *c, int timed, int pending,
		       const char *what)
{
	struct cancel_case cc = { m, c, timed, pending, 0, 0, -1 };
	pthread_t t;
	void *ret = NULL;

	pthread_create(&t, NULL, cancel_waiter, &cc);
	if (pending) {
		while (!__atomic_load_n(&cc.waiting, __ATOMIC_ACQUIRE))
			usleep(100);
		pthread_cancel(t);
		__atomic_store_n(&cc.called, 1, __ATOMIC_RELEASE);
	} else {
		/* Once we get the mutex after it said so, it is in the wait. */
		for (;;) {
			pthread_mutex_lock(m);
			if (cc.waiting)
				break;
			pthread_mutex_unlock(m);
			usleep(100);
		}
		pthread_mutex_unlock(m);
		pthread_cancel(t);
	}
	if (join(t, &ret, what))
		return;
	if (ret != PTHREAD_CANCELED)
		FAILED("%s: the thread was not cancelled", what);
	/* POSIX: the mutex is re-acquired before the first cleanup handler. */
	if (cc.unlock != 0)
		FAILED("%s: in the cleanup handler the mutex was not held (unlock: %s)",
		       what, strerror(cc.unlock));
}

static void group_cancel(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	pthread_mutex_t m;
	pthread_cond_t c;
	char what[160];

	static const char *const kinds[] = {
		"private", "shared mutex", "shared mutex and cond", "shared cond",
	};

	group = "cancel";
	for (int shared = 0; shared < 4; shared++) {
		pthread_mutexattr_init(&ma);
		pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
		if (shared == 1 || shared == 2)
			pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&m, &ma);
		pthread_mutexattr_destroy(&ma);
		pthread_condattr_init(&ca);
		if (shared >= 2)
			pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
		pthread_cond_init(&c, &ca);
		pthread_condattr_destroy(&ca);
		for (int timed = 0; timed < 2; timed++) {
			for (int pending = 0; pending < 2; pending++) {
				snprintf(what, sizeof(what), "%s%s cancelled %s (%s)",
					 timed ? "timedwait" : "wait",
					 pending ? "" : " blocked,",
					 pending ? "before it waits" : "", kinds[shared]);
				cancel_one(&m, &c, timed, pending, what);
			}
		}
		/* The condition variable still works for the living. */
		{
			int go = 0;
			struct cwait w = { &c, &m, CLOCK_REALTIME, 0, &go, 0, -1, 0 };
			pthread_t t;

			pthread_create(&t, NULL, cond_waiter, &w);
			lock_when_waiting(&w, 1);
			go = 1;
			pthread_cond_broadcast(&c);
			pthread_mutex_unlock(&m);
			join(t, NULL, "waiter after the cancellations");
		}
		EXPECT("cond destroy", pthread_cond_destroy(&c), 0);
		EXPECT("mutex destroy", pthread_mutex_destroy(&m), 0);
	}
}

/* --- destroy right after broadcast ---------------------------------------------------- */

/*
 * POSIX: "It shall be safe to destroy an initialized condition variable
 * upon which no threads are currently blocked."  After a broadcast none
 * is, though the woken ones have not yet returned: the memory is the
 * program's as soon as destroy returns, and writing over it (here: a
 * pattern, then the condition variable made again in it) must neither
 * be undone by a waiter on its way out nor strand one.
 */
static union {
	pthread_cond_t cond;
	unsigned char bytes[sizeof(pthread_cond_t)];
} reused;
static pthread_mutex_t reuse_mutex = PTHREAD_MUTEX_INITIALIZER;
static int reuse_go, reuse_waiting;

static void *reuse_waiter(void *arg)
{
	pthread_mutex_lock(&reuse_mutex);
	reuse_waiting++;
	while (!reuse_go)
		pthread_cond_wait(&reused.cond, &reuse_mutex);
	pthread_mutex_unlock(&reuse_mutex);
	return arg;
}

static void group_destroy(void)
{
	pthread_t t[NTHREADS];
	int changed = 0;

	group = "destroy";
	for (int round = 0; round < 50; round++) {
		EXPECT("init", pthread_cond_init(&reused.cond, NULL), 0);
		reuse_go = reuse_waiting = 0;
		for (int i = 0; i < NTHREADS; i++)
			pthread_create(&t[i], NULL, reuse_waiter, NULL);
		/* All in the wait: each counted itself, then released the mutex in it. */
		for (;;) {
			pthread_mutex_lock(&reuse_mutex);
			if (reuse_waiting == NTHREADS)
				break;
			pthread_mutex_unlock(&reuse_mutex);
			usleep(200);
		}
		reuse_go = 1;
		EXPECT("broadcast", pthread_cond_broadcast(&reused.cond), 0);
		EXPECT("destroy after broadcast", pthread_cond_destroy(&reused.cond), 0);
		memset(reused.bytes, 0x5a, sizeof(reused.bytes));
		pthread_mutex_unlock(&reuse_mutex);
		for (int i = 0; i < NTHREADS; i++)
			join(t[i], NULL, "woken waiter");
		for (size_t i = 0; i < sizeof(reused.bytes); i++)
			changed += reused.bytes[i] != 0x5a;
	}
	if (changed)
		FAILED("destroyed condition variable's memory written %d times after destroy "
		       "returned", changed);
}

/* --- a real-time reader and blocked writers ------------------------------------------ */

struct rt_reader {
	pthread_rwlock_t *rw;
	int try_ret, timed_ret;
};

static void *rt_reader_main(void *arg)
{
	struct rt_reader *r = arg;
	struct timespec ts;

	r->try_ret = pthread_rwlock_tryrdlock(r->rw);
	if (!r->try_ret)
		pthread_rwlock_unlock(r->rw);
	ts = from_now(CLOCK_REALTIME, JOIN_S * 1000 / 2);
	r->timed_ret = pthread_rwlock_timedrdlock(r->rw, &ts);
	if (!r->timed_ret)
		pthread_rwlock_unlock(r->rw);
	return NULL;
}

static int start_fifo(pthread_t *t, int prio, void *(*fn)(void *), void *arg)
{
	struct sched_param sp = { .sched_priority = prio };
	pthread_attr_t a;
	int ret;

	pthread_attr_init(&a);
	pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&a, SCHED_FIFO);
	pthread_attr_setschedparam(&a, &sp);
	ret = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return ret;
}

/*
 * POSIX, pthread_rwlock_rdlock() with Thread Execution Scheduling: a
 * SCHED_FIFO/SCHED_RR reader "shall not acquire the lock if a writer
 * holds the lock or if writers of higher or equal priority are blocked
 * on the read-write lock; otherwise, the calling thread shall acquire
 * the lock."  Here: read-held, a writer of priority 1 blocked, a reader
 * of priority 2 comes.  (The equal-priority half is not checked: the C
 * library's default rwlock lets every reader in.)
 */
static void group_rt_reader(void)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct rt_reader r = { NULL, -1, -1 };
	pthread_rwlock_t rw;
	pthread_t w, t;

	group = "rt_reader";
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		if (errno == EPERM) {
			printf("SKIP rt_reader: SCHED_FIFO not permitted here\n");
			return;
		}
		FAILED("sched_setscheduler: %s", strerror(errno));
		return;
	}
	sp.sched_priority = 0;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	pthread_rwlock_init(&rw, NULL);
	r.rw = &rw;
	EXPECT("rdlock", pthread_rwlock_rdlock(&rw), 0);
	writer_tid = 0;
	writer_result = -1;
	if (start_fifo(&w, 1, blocked_writer, &rw)) {
		FAILED("cannot start a SCHED_FIFO writer");
		pthread_rwlock_unlock(&rw);
		return;
	}
	if (!wait_asleep(&writer_tid, "SCHED_FIFO writer behind a reader")) {
		if (start_fifo(&t, 2, rt_reader_main, &r)) {
			FAILED("cannot start a SCHED_FIFO reader");
		} else if (!join(t, NULL, "SCHED_FIFO reader")) {
			EXPECT("tryrdlock, priority above the blocked writer", r.try_ret, 0);
			EXPECT("timedrdlock, priority above the blocked writer", r.timed_ret, 0);
		}
	}
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	join(w, NULL, "SCHED_FIFO writer");
	EXPECT("the writer's wrlock", writer_result, 0);
	EXPECT("destroy", pthread_rwlock_destroy(&rw), 0);
}

/* --- main ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "mutex", group_mutex },
	{ "rwlock", group_rwlock },
	{ "spin", group_spin },
	{ "cond", group_cond },
	{ "pshared", group_pshared },
	{ "rec_cond", group_rec_cond },
	{ "cancel", group_cancel },
	{ "destroy", group_destroy },
	{ "rt_reader", group_rt_reader },
};

int main(int argc, char **argv)
{
	size_t n = sizeof(groups) / sizeof(groups[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	alarm(100);
	if (argc < 2) {
		for (size_t i = 0; i < n; i++)
			groups[i].run();
	}
	for (int a = 1; a < argc; a++) {
		size_t i;

		for (i = 0; i < n && strcmp(argv[a], groups[i].name); i++)
			;
		if (i == n) {
			fprintf(stderr, "pt_posix: no group '%s'\n", argv[a]);
			return 2;
		}
		groups[i].run();
	}
	if (failures) {
		printf("%d checks failed\n", failures);
		return 1;
	}
	printf("posix ok\n");
	return 0;
}
