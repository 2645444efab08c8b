// SPDX-License-Identifier: MIT
/*
 * The inline read side of <ksync/rcupdate.h>: with no debug switch on it
 * updates liburcu-memb's reader counter and ksync's nesting count itself,
 * without a call.  Checked here: the header's names reach liburcu's own
 * objects (the counter the library path moves is the one the inline path
 * moves, the grace-period counter is liburcu's); nesting and
 * rcu_read_lock_held() stay exact with inline and library calls mixed;
 * registration still happens on a thread's first read side;
 * synchronize_rcu() waits for inline readers (many rounds, a version
 * marked dead only after the grace period, never seen dead) and is woken
 * by an inline rcu_read_unlock() when it went to sleep on liburcu's
 * futex; and all of it in a fork() child.  With KSYNC_LOCKDEP=1 (the
 * variant) every read side goes to the library instead, and the same
 * checks hold.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ksync/lockdep.h>
#include <ksync/rcupdate.h>
#include "ktest.h"

static const struct ksync_site lib_site = {
	__FILE__, "test", "ksync_rcu_read_lock", __LINE__
};

static unsigned int nesting(void)
{
	return __atomic_load_n(&ksync_tls.rcu_read_lock_nesting, __ATOMIC_RELAXED);
}

static bool inline_path(void)
{
	return !__atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED);
}

#ifndef __KSYNC_UNDER_TSAN
/* liburcu's nest count of this thread, through the header's mirror. */
static unsigned long urcu_nest(void)
{
	return __atomic_load_n(&__ksync_urcu_reader.ctr, __ATOMIC_RELAXED) &
	       KSYNC_URCU_GP_CTR_NEST_MASK;
}
#endif

/* --- the mirror reaches liburcu's objects ----------------------------------- */

static void test_mirror_is_liburcus(void)
{
#ifdef __KSYNC_UNDER_TSAN
	printf("# skipped under ThreadSanitizer: the read side is the library's there\n");
#else
	unsigned long gp;

	rcu_read_lock();		/* registers this thread */
	rcu_read_unlock();
	CHECK(ksync_rcu_registered);
	CHECK_EQ(urcu_nest(), 0);
	/* liburcu keeps a nest count of one in the grace-period counter. */
	gp = __atomic_load_n(&__ksync_urcu_gp.ctr, __ATOMIC_RELAXED);
	CHECK_EQ(gp & KSYNC_URCU_GP_CTR_NEST_MASK, KSYNC_URCU_GP_COUNT);
	CHECK_EQ(__atomic_load_n(&__ksync_urcu_gp.futex, __ATOMIC_RELAXED), 0);

	rcu_read_lock();
	/* Outermost: the reader entered the current phase (no writer runs). */
	CHECK_EQ(__atomic_load_n(&__ksync_urcu_reader.ctr, __ATOMIC_RELAXED), gp);
	ksync_rcu_read_lock(&lib_site);	/* liburcu's own read lock */
	CHECK_EQ(urcu_nest(), 2);
	rcu_read_lock();
	CHECK_EQ(urcu_nest(), 3);
	ksync_rcu_read_unlock(&lib_site);
	CHECK_EQ(urcu_nest(), 2);
	rcu_read_unlock();
	CHECK_EQ(urcu_nest(), 1);
	rcu_read_unlock();
	CHECK_EQ(urcu_nest(), 0);
	CHECK_EQ(nesting(), 0);
#endif
}

/* --- nesting and rcu_read_lock_held(), inline and library mixed ------------- */

#define DEPTH	40	/* under lockdep's MAX_LOCK_DEPTH (48) */

static void test_nesting_mixed(void)
{
	CHECK(!rcu_read_lock_held());
	for (unsigned int i = 1; i <= DEPTH; i++) {
		if (i % 3)
			rcu_read_lock();
		else
			ksync_rcu_read_lock(&lib_site);
		CHECK(rcu_read_lock_held());
		CHECK_EQ(nesting(), i);
		if (!inline_path())
			CHECK(lock_is_held(&rcu_lock_map));
	}
	for (unsigned int i = DEPTH; i >= 1; i--) {
		if (i % 2)
			rcu_read_unlock();
		else
			ksync_rcu_read_unlock(&lib_site);
		CHECK_EQ(nesting(), i - 1);
		CHECK_EQ(rcu_read_lock_held(), i > 1);
	}
	scoped_guard(rcu) {
		CHECK(rcu_read_lock_held());
		CHECK_EQ(nesting(), 1);
	}
	CHECK(!rcu_read_lock_held());
	if (!inline_path())
		CHECK(!lock_is_held(&rcu_lock_map));
}

/* --- lazy registration on a thread's first read side ------------------------ */

static void *first_reader(void *arg)
{
	int *ok = arg;

	*ok = 1;
#ifndef __KSYNC_UNDER_TSAN
	*ok &= !ksync_rcu_registered;
#endif
	rcu_read_lock();
	*ok &= rcu_read_lock_held();
#ifndef __KSYNC_UNDER_TSAN
	*ok &= ksync_rcu_registered && urcu_nest() == 1;
#endif
	rcu_read_lock();	/* inline from here on */
	*ok &= nesting() == 2;
	rcu_read_unlock();
	rcu_read_unlock();
	*ok &= !rcu_read_lock_held();
	return NULL;
}

static void test_lazy_registration(void)
{
	for (int i = 0; i < 8; i++) {
		pthread_t t;
		int ok = 0;

		CHECK_EQ(pthread_create(&t, NULL, first_reader, &ok), 0);
		CHECK_EQ(pthread_join(t, NULL), 0);
		CHECK_EQ(ok, 1);
	}
}

/* --- synchronize_rcu() waits for inline readers ----------------------------- */

#define ALIVE		0x600df00du
#define DEAD		0xdeadbeefu
#define NR_READERS	4
#define ROUNDS		400

struct version {
	unsigned int magic;
	unsigned int round;
};

static struct version __rcu *cur;
static int writer_done;
static unsigned long dead_seen, reads_done, backwards;

static void *grace_reader(void *arg)
{
	unsigned long dead = 0, reads = 0, back = 0;
	unsigned int last = 0;

	(void)arg;
	while (!__atomic_load_n(&writer_done, __ATOMIC_ACQUIRE)) {
		struct version *v;

		rcu_read_lock();
		rcu_read_lock();	/* nested: only the outer unlock ends it */
		v = rcu_dereference(cur);
		rcu_read_unlock();
		for (int i = 0; i < 16; i++)
			dead += __atomic_load_n(&v->magic, __ATOMIC_RELAXED) != ALIVE;
		back += v->round < last;
		last = v->round;
		rcu_read_unlock();
		reads++;
		if (reads % 64 == 0)
			sched_yield();	/* more readers than CPUs */
	}
	__atomic_fetch_add(&dead_seen, dead, __ATOMIC_RELAXED);
	__atomic_fetch_add(&reads_done, reads, __ATOMIC_RELAXED);
	__atomic_fetch_add(&backwards, back, __ATOMIC_RELAXED);
	return NULL;
}

static void test_synchronize_waits_for_inline_readers(void)
{
	pthread_t t[NR_READERS];
	struct version *v = malloc(sizeof(*v));

	CHECK(v);
	*v = (struct version){ ALIVE, 0 };
	RCU_INIT_POINTER(cur, v);
	for (int i = 0; i < NR_READERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, grace_reader, NULL), 0);
	for (unsigned int r = 1; r <= ROUNDS; r++) {
		struct version *old = rcu_dereference_protected(cur, true);

		v = malloc(sizeof(*v));
		CHECK(v);
		*v = (struct version){ ALIVE, r };
		rcu_assign_pointer(cur, v);
		synchronize_rcu();
		/* No reader can still hold old: one that did would see DEAD. */
		__atomic_store_n(&old->magic, DEAD, __ATOMIC_RELAXED);
		free(old);
		if (r % 50 == 0)
			sched_yield();
	}
	__atomic_store_n(&writer_done, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_READERS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(dead_seen, 0);
	CHECK_EQ(backwards, 0);
	CHECK(reads_done >= NR_READERS);
	free(rcu_dereference_protected(cur, true));
}

/*
 * A reader that holds its read side until synchronize_rcu() has gone to
 * sleep on liburcu's futex (-1): the inline rcu_read_unlock() must wake
 * it (ksync_rcu_wake_up_gp()), or it sleeps for ever.  In a child with a
 * watchdog, so that a lost wake-up fails instead of hanging the suite.
 */
static int sleeper_started, sleeper_done;

static void *sleeping_writer(void *arg)
{
	(void)arg;
	__atomic_store_n(&sleeper_started, 1, __ATOMIC_RELEASE);
	synchronize_rcu();
	__atomic_store_n(&sleeper_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

#define WAKE_ROUNDS	20

static int wake_rounds(void)
{
	for (int r = 0; r < WAKE_ROUNDS; r++) {
		pthread_t w;

		__atomic_store_n(&sleeper_started, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sleeper_done, 0, __ATOMIC_RELAXED);
		rcu_read_lock();
		rcu_read_lock();
		if (pthread_create(&w, NULL, sleeping_writer, NULL))
			return 2;
		while (!__atomic_load_n(&sleeper_started, __ATOMIC_ACQUIRE))
			sched_yield();
#ifndef __KSYNC_UNDER_TSAN
		/* The writer spins a little, then sleeps on the futex. */
		if (inline_path())
			while (__atomic_load_n(&__ksync_urcu_gp.futex,
					       __ATOMIC_RELAXED) != -1)
				sched_yield();
#endif
		rcu_read_unlock();
		for (int i = 0; i < 20; i++)
			sched_yield();
		/* Still inside the outer read side: the writer must wait. */
		if (__atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE))
			return 3;
		rcu_read_unlock();	/* outermost: wakes the writer */
		if (pthread_join(w, NULL))
			return 4;
		if (!__atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE))
			return 5;
	}
	return 0;
}

static void test_unlock_wakes_sleeping_writer(void)
{
	int status;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	printf("# skipped under ThreadSanitizer: it cannot start threads in the "
	       "child of a multithreaded fork()\n");
	return;
#endif
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(60);	/* a lost wake-up: SIGALRM, not a hung suite */
		_exit(wake_rounds());
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		KTEST_FAIL("child killed by signal %d (SIGALRM: synchronize_rcu() "
			   "never woken)", WTERMSIG(status));
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

/* --- fork(): the child's inline read sides -------------------------------- */

static void *child_reader(void *arg)
{
	int *ok = arg;

	rcu_read_lock();
	rcu_read_lock();
	*ok = nesting() == 2 && rcu_read_lock_held();
	rcu_read_unlock();
	rcu_read_unlock();
	*ok &= !rcu_read_lock_held();
	return NULL;
}

static int child_checks(void)
{
	pthread_t t;
	int ok = 0;

	/* This thread was registered in the parent: inline at once. */
	rcu_read_lock();
	if (nesting() != 1 || !rcu_read_lock_held())
		return 2;
#ifndef __KSYNC_UNDER_TSAN
	if (inline_path() && urcu_nest() != 1)
		return 3;
#endif
	rcu_read_unlock();
	if (rcu_read_lock_held())
		return 4;
	if (pthread_create(&t, NULL, child_reader, &ok) || pthread_join(t, NULL))
		return 5;
	if (!ok)
		return 6;
	synchronize_rcu();	/* no reader left: returns */
	return 0;
}

static void test_fork_child(void)
{
	int status;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	printf("# skipped under ThreadSanitizer: it cannot start threads in the "
	       "child of a multithreaded fork()\n");
	return;
#endif
	rcu_read_lock();	/* registered before the fork */
	rcu_read_unlock();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(60);
		_exit(child_checks());
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

int main(void)
{
	RUN(test_mirror_is_liburcus);
	RUN(test_nesting_mixed);
	RUN(test_lazy_registration);
	RUN(test_synchronize_waits_for_inline_readers);
	RUN(test_unlock_wakes_sleeping_writer);
	RUN(test_fork_child);
	return 0;
}
