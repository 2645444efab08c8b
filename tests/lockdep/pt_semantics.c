// SPDX-License-Identifier: MIT
/*
 * What a pthread program may count on, checked call by call: return
 * values, error codes, recursion, timeouts, wakeups.  A plain pthread
 * program (no ksync in it); its output must be the same run directly,
 * under ksync-lockdep, and under ksync-lockdep --replace.
 *
 * Prints one line per check that fails and "semantics ok" at the end if
 * none did (exit 0), else exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define EXPECT(what, got, want)						\
	do {								\
		int g_ = (got), w_ = (want);				\
		if (g_ != w_) {						\
			printf("FAIL %s:%d %s: got %d (%s), want %d (%s)\n",	\
			       __FILE__, __LINE__, what, g_, strerror(g_),	\
			       w_, strerror(w_));			\
			failures++;					\
		}							\
	} while (0)

static struct timespec in_ms(clockid_t clock, int ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void init_type(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, type);
	EXPECT("mutex_init", pthread_mutex_init(m, &a), 0);
	pthread_mutexattr_destroy(&a);
}

/* --- another thread, to hold things while we try ------------------------------ */

static pthread_mutex_t *held_mutex;
static pthread_rwlock_t *held_rw;
static int held_rw_write;
static pthread_barrier_t bar;

static void *holder(void *x)
{
	if (held_mutex)
		pthread_mutex_lock(held_mutex);
	if (held_rw)
		(held_rw_write ? pthread_rwlock_wrlock : pthread_rwlock_rdlock)(held_rw);
	pthread_barrier_wait(&bar);	/* held */
	pthread_barrier_wait(&bar);	/* let go */
	if (held_mutex)
		pthread_mutex_unlock(held_mutex);
	if (held_rw)
		pthread_rwlock_unlock(held_rw);
	return x;
}

static pthread_t hold(pthread_mutex_t *m, pthread_rwlock_t *rw, int write)
{
	pthread_t t;

	held_mutex = m;
	held_rw = rw;
	held_rw_write = write;
	pthread_create(&t, NULL, holder, NULL);
	pthread_barrier_wait(&bar);
	return t;
}

static void release(pthread_t t)
{
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	held_mutex = NULL;
	held_rw = NULL;
}

/* --- mutexes ---------------------------------------------------------------------- */

static void mutexes(void)
{
	static pthread_mutex_t stat_rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	static pthread_mutex_t stat_err = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	pthread_mutex_t m, rec, err;
	struct timespec ts;
	pthread_t t;
	double t0;

	init_type(&m, PTHREAD_MUTEX_NORMAL);
	init_type(&rec, PTHREAD_MUTEX_RECURSIVE);
	init_type(&err, PTHREAD_MUTEX_ERRORCHECK);

	EXPECT("lock", pthread_mutex_lock(&m), 0);
	EXPECT("trylock own normal", pthread_mutex_trylock(&m), EBUSY);
	EXPECT("destroy held", pthread_mutex_destroy(&m), EBUSY);
	EXPECT("unlock", pthread_mutex_unlock(&m), 0);

	for (int i = 0; i < 3; i++)
		EXPECT("recursive lock", pthread_mutex_lock(&rec), 0);
	EXPECT("recursive trylock", pthread_mutex_trylock(&rec), 0);
	for (int i = 0; i < 4; i++)
		EXPECT("recursive unlock", pthread_mutex_unlock(&rec), 0);
	EXPECT("recursive unlock unheld", pthread_mutex_unlock(&rec), EPERM);
	EXPECT("static recursive", pthread_mutex_lock(&stat_rec), 0);
	EXPECT("static recursive again", pthread_mutex_lock(&stat_rec), 0);
	pthread_mutex_unlock(&stat_rec);
	pthread_mutex_unlock(&stat_rec);

	EXPECT("errorcheck unlock unheld", pthread_mutex_unlock(&err), EPERM);
	EXPECT("static errorcheck unlock", pthread_mutex_unlock(&stat_err), EPERM);
	EXPECT("errorcheck lock", pthread_mutex_lock(&err), 0);
	EXPECT("errorcheck trylock own", pthread_mutex_trylock(&err), EBUSY);
	EXPECT("errorcheck unlock", pthread_mutex_unlock(&err), 0);

	/* Held by another thread. */
	t = hold(&m, NULL, 0);
	EXPECT("trylock held", pthread_mutex_trylock(&m), EBUSY);
	ts = in_ms(CLOCK_REALTIME, 50);
	t0 = now_ms();
	EXPECT("timedlock held", pthread_mutex_timedlock(&m, &ts), ETIMEDOUT);
	if (now_ms() - t0 < 40 || now_ms() - t0 > 5000) {
		printf("FAIL timedlock waited %.0f ms for 50\n", now_ms() - t0);
		failures++;
	}
	ts = in_ms(CLOCK_MONOTONIC, 20);
	EXPECT("clocklock held", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	ts.tv_nsec = 2000000000;
	EXPECT("timedlock bad time", pthread_mutex_timedlock(&m, &ts), EINVAL);
	release(t);
	ts = in_ms(CLOCK_REALTIME, 1000);
	EXPECT("timedlock free", pthread_mutex_timedlock(&m, &ts), 0);
	EXPECT("unlock after timedlock", pthread_mutex_unlock(&m), 0);

	t = hold(&err, NULL, 0);
	EXPECT("errorcheck unlock by non-owner", pthread_mutex_unlock(&err), EPERM);
	release(t);

	EXPECT("destroy", pthread_mutex_destroy(&m), 0);
	EXPECT("destroy recursive", pthread_mutex_destroy(&rec), 0);
	EXPECT("destroy errorcheck", pthread_mutex_destroy(&err), 0);
}

/* Robust and process-shared mutexes stay the C library's, and work. */
static void special_mutexes(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t robust, shared;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	EXPECT("robust init", pthread_mutex_init(&robust, &a), 0);
	pthread_mutexattr_destroy(&a);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	EXPECT("pshared init", pthread_mutex_init(&shared, &a), 0);
	pthread_mutexattr_destroy(&a);
	EXPECT("robust lock", pthread_mutex_lock(&robust), 0);
	EXPECT("robust unlock", pthread_mutex_unlock(&robust), 0);
	EXPECT("pshared lock", pthread_mutex_lock(&shared), 0);
	EXPECT("pshared trylock", pthread_mutex_trylock(&shared), EBUSY);
	EXPECT("pshared unlock", pthread_mutex_unlock(&shared), 0);
	pthread_mutex_destroy(&robust);
	pthread_mutex_destroy(&shared);
}

/* --- rwlocks ----------------------------------------------------------------------- */

static void rwlocks(void)
{
	static pthread_rwlock_t srw = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlock_t rw;
	struct timespec ts;
	pthread_t t;

	EXPECT("rwlock init", pthread_rwlock_init(&rw, NULL), 0);
	EXPECT("rdlock", pthread_rwlock_rdlock(&rw), 0);
	EXPECT("rdlock again", pthread_rwlock_rdlock(&rw), 0);
	EXPECT("tryrdlock while reading", pthread_rwlock_tryrdlock(&rw), 0);
	EXPECT("trywrlock while reading", pthread_rwlock_trywrlock(&rw), EBUSY);
	for (int i = 0; i < 3; i++)
		EXPECT("read unlock", pthread_rwlock_unlock(&rw), 0);
	EXPECT("wrlock", pthread_rwlock_wrlock(&rw), 0);
	EXPECT("wrlock again", pthread_rwlock_wrlock(&rw), EDEADLK);
	EXPECT("rdlock while writing", pthread_rwlock_rdlock(&rw), EDEADLK);
	EXPECT("tryrdlock while writing", pthread_rwlock_tryrdlock(&rw), EBUSY);
	EXPECT("write unlock", pthread_rwlock_unlock(&rw), 0);

	t = hold(NULL, &rw, 1);
	EXPECT("tryrdlock held for writing", pthread_rwlock_tryrdlock(&rw), EBUSY);
	ts = in_ms(CLOCK_REALTIME, 30);
	EXPECT("timedrdlock held", pthread_rwlock_timedrdlock(&rw, &ts), ETIMEDOUT);
	ts = in_ms(CLOCK_REALTIME, 30);
	EXPECT("timedwrlock held", pthread_rwlock_timedwrlock(&rw, &ts), ETIMEDOUT);
	release(t);
	t = hold(NULL, &rw, 0);
	EXPECT("rdlock beside a reader", pthread_rwlock_rdlock(&rw), 0);
	EXPECT("read unlock", pthread_rwlock_unlock(&rw), 0);
	ts = in_ms(CLOCK_MONOTONIC, 30);
	EXPECT("clockwrlock beside a reader",
	       pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	release(t);
	ts = in_ms(CLOCK_REALTIME, 1000);
	EXPECT("timedwrlock free", pthread_rwlock_timedwrlock(&rw, &ts), 0);
	EXPECT("unlock", pthread_rwlock_unlock(&rw), 0);
	EXPECT("static rwlock", pthread_rwlock_wrlock(&srw), 0);
	EXPECT("static rwlock unlock", pthread_rwlock_unlock(&srw), 0);
	EXPECT("rwlock destroy", pthread_rwlock_destroy(&rw), 0);
}

/* --- spinlocks ------------------------------------------------------------------------ */

static pthread_spinlock_t spin;
static long spin_count;

static void *spin_worker(void *x)
{
	for (int i = 0; i < 100000; i++) {
		pthread_spin_lock(&spin);
		spin_count++;
		pthread_spin_unlock(&spin);
	}
	return x;
}

static void spinlocks(void)
{
	pthread_t t[4];

	EXPECT("spin init", pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), 0);
	EXPECT("spin lock", pthread_spin_lock(&spin), 0);
	EXPECT("spin trylock held", pthread_spin_trylock(&spin), EBUSY);
	EXPECT("spin unlock", pthread_spin_unlock(&spin), 0);
	EXPECT("spin trylock", pthread_spin_trylock(&spin), 0);
	EXPECT("spin unlock", pthread_spin_unlock(&spin), 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, spin_worker, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT("spin count", spin_count == 400000, 1);
	EXPECT("spin destroy", pthread_spin_destroy(&spin), 0);
}

/* --- condition variables ---------------------------------------------------------- */

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready, woken;

static void *cond_waiter(void *x)
{
	pthread_mutex_lock(&cm);
	while (!ready)
		pthread_cond_wait(&cv, &cm);
	woken++;
	pthread_mutex_unlock(&cm);
	return x;
}

static void conds(void)
{
	pthread_condattr_t ca;
	pthread_cond_t mono;
	struct timespec ts;
	pthread_t t[4];
	double t0;

	pthread_mutex_lock(&cm);
	ts = in_ms(CLOCK_REALTIME, 50);
	t0 = now_ms();
	EXPECT("timedwait", pthread_cond_timedwait(&cv, &cm, &ts), ETIMEDOUT);
	if (now_ms() - t0 < 40) {
		printf("FAIL cond timedwait returned after %.0f ms of 50\n", now_ms() - t0);
		failures++;
	}
	EXPECT("mutex held after timedwait", pthread_mutex_trylock(&cm), EBUSY);
	pthread_mutex_unlock(&cm);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	EXPECT("cond init monotonic", pthread_cond_init(&mono, &ca), 0);
	pthread_mutex_lock(&cm);
	ts = in_ms(CLOCK_MONOTONIC, 20);
	EXPECT("monotonic timedwait", pthread_cond_timedwait(&mono, &cm, &ts), ETIMEDOUT);
	ts = in_ms(CLOCK_MONOTONIC, 20);
	EXPECT("clockwait", pthread_cond_clockwait(&mono, &cm, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&cm);
	pthread_cond_destroy(&mono);

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, cond_waiter, NULL);
	usleep(20000);
	pthread_mutex_lock(&cm);
	ready = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&cm);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	EXPECT("broadcast woke all", woken, 4);
}

int main(void)
{
	pthread_barrier_init(&bar, NULL, 2);
	mutexes();
	special_mutexes();
	rwlocks();
	spinlocks();
	conds();
	if (failures) {
		printf("%d checks failed\n", failures);
		return 1;
	}
	printf("semantics ok\n");
	return 0;
}
