// SPDX-License-Identifier: MIT
/*
 * RCU (<ksync/rcupdate.h>, over liburcu): every name as kernel code spells
 * it; synchronize_rcu() waits for the readers that were inside; call_rcu()
 * and kfree_rcu() callbacks all run, exactly once, by rcu_barrier(); a
 * reader-heavy workload (readers >> cores) whose writers free old
 * versions through call_rcu() and kfree_rcu(), with no reader ever seeing
 * a freed object (ASan checks the frees too); threads that come and go;
 * fork().
 */
#include <sys/wait.h>
#include <ksync/mutex.h>
#include <ksync/lockdep.h>
#include <ksync/rcupdate.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#ifndef container_of
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* --- the kernel's idioms, as written there ----------------------------------- */

struct foo {
	int a;
	char b;
	long c;
	struct rcu_head rcu;
};

static DEFINE_SPINLOCK(foo_lock);
static DEFINE_MUTEX(foo_mutex);
static struct foo __rcu *gbl_foo;
static int foo_callbacks;

static void foo_reclaim(struct rcu_head *rp)
{
	struct foo *fp = container_of(rp, struct foo, rcu);

	__atomic_fetch_add(&foo_callbacks, 1, __ATOMIC_RELAXED);
	free(fp);
}

/* Documentation/RCU/whatisRCU.rst's foo_update_a(), with call_rcu(). */
static void foo_update_a(int new_a)
{
	struct foo *new_fp, *old_fp;

	new_fp = malloc(sizeof(*new_fp));
	CHECK(new_fp);
	spin_lock(&foo_lock);
	old_fp = rcu_dereference_protected(gbl_foo, lockdep_is_held(&foo_lock));
	*new_fp = *old_fp;
	new_fp->a = new_a;
	rcu_assign_pointer(gbl_foo, new_fp);
	spin_unlock(&foo_lock);
	call_rcu(&old_fp->rcu, foo_reclaim);
}

static int foo_get_a(void)
{
	int retval;

	rcu_read_lock();
	retval = rcu_dereference(gbl_foo)->a;
	rcu_read_unlock();
	return retval;
}

static void test_kernel_idioms(void)
{
	struct foo *fp = calloc(1, sizeof(*fp)), *old;

	CHECK(fp);
	fp->a = 1;
	RCU_INIT_POINTER(gbl_foo, fp);
	CHECK_EQ(foo_get_a(), 1);
	foo_update_a(2);
	CHECK_EQ(foo_get_a(), 2);

	/* guard(rcu)() and scoped_guard(rcu), as in current kernels. */
	{
		guard(rcu)();
		CHECK(rcu_read_lock_held());
		CHECK_EQ(rcu_dereference(gbl_foo)->a, 2);
	}
	CHECK(!rcu_read_lock_held());
	scoped_guard(rcu) {
		CHECK_EQ(rcu_dereference_check(gbl_foo, lockdep_is_held(&foo_mutex))->a, 2);
	}

	/* An updater under a mutex: rcu_replace_pointer(), synchronize_rcu(). */
	fp = calloc(1, sizeof(*fp));
	CHECK(fp);
	fp->a = 3;
	mutex_lock(&foo_mutex);
	old = rcu_replace_pointer(gbl_foo, fp, lockdep_is_held(&foo_mutex));
	CHECK(rcu_access_pointer(gbl_foo) == fp);
	CHECK(rcu_dereference_check(gbl_foo, lockdep_is_held(&foo_mutex)) == fp);
	mutex_unlock(&foo_mutex);
	synchronize_rcu();
	free(old);
	synchronize_rcu_expedited();

	/* kfree_rcu(), then every callback done by rcu_barrier(). */
	old = rcu_replace_pointer(gbl_foo, NULL, true);
	kfree_rcu(old, rcu);
	kfree_rcu((struct foo *)NULL, rcu);	/* ignored, as the kernel */
	rcu_barrier();
	CHECK_EQ(__atomic_load_n(&foo_callbacks, __ATOMIC_RELAXED), 1);
	CHECK(rcu_access_pointer(gbl_foo) == NULL);

	/* kfree_rcu_mightsleep(): no rcu_head needed. */
	kfree_rcu_mightsleep(malloc(16));
}

/* rcu_read_lock() nests; rcu_read_lock_held() says so exactly. */
static void test_nesting(void)
{
	CHECK(!rcu_read_lock_held());
	rcu_read_lock();
	rcu_read_lock();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();
	CHECK(!rcu_read_lock_held());
	CHECK_EQ(ksync_tls.rcu_read_lock_nesting, 0u);
}

/* --- a head far into its object: the right pointer is freed ----------------- */

struct big {
	char pad[4000];
	struct rcu_head rcu;
};

static void test_kfree_rcu_offsets(void)
{
	for (int i = 0; i < 64; i++) {
		struct big *b = malloc(sizeof(*b));
		struct foo *f = malloc(sizeof(*f));

		CHECK(b && f);
		kfree_rcu(b, rcu);
		kvfree_rcu(f, rcu);
	}
	/* A wrong pointer would abort in free() (or in ASan); leaks, at exit. */
	rcu_barrier();
}

/* --- synchronize_rcu() waits for readers that were inside ------------------- */

static int reader_inside, sync_started, sync_done, sync_done_seen_inside;

static void *holding_reader(void *arg)
{
	(void)arg;
	rcu_read_lock();
	__atomic_store_n(&reader_inside, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sync_started, __ATOMIC_ACQUIRE))
		sched_yield();
	/* A synchronize_rcu() that did not wait would be done by now, mostly. */
	for (int i = 0; i < 50; i++)
		sched_yield();
	ktest_sleep_ms(20);
	sync_done_seen_inside = __atomic_load_n(&sync_done, __ATOMIC_ACQUIRE);
	rcu_read_unlock();
	return NULL;
}

static void test_synchronize_waits_for_readers(void)
{
	pthread_t t;

	CHECK_EQ(pthread_create(&t, NULL, holding_reader, NULL), 0);
	while (!__atomic_load_n(&reader_inside, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&sync_started, 1, __ATOMIC_RELEASE);
	synchronize_rcu();
	__atomic_store_n(&sync_done, 1, __ATOMIC_RELEASE);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(sync_done_seen_inside, 0);
}

/* --- reader-heavy: no reader ever sees a freed version ----------------------- */

#define ALIVE		0x600df00du
#define DEAD		0xdeadbeefu
#define NR_READERS	8
#define NR_WRITERS	2
#define READS		20000
#define UPDATES		1500

struct version {
	unsigned int magic;
	unsigned long seq;
	struct rcu_head rcu;
};

static struct version __rcu *current_version;
static DEFINE_SPINLOCK(update_lock);
static unsigned long callbacks_run, bad_reads, good_reads;

static void version_free(struct rcu_head *head)
{
	struct version *v = container_of(head, struct version, rcu);

	/* Poison first: a reader that still saw it would notice (and ASan). */
	__atomic_store_n(&v->magic, DEAD, __ATOMIC_RELAXED);
	__atomic_fetch_add(&callbacks_run, 1, __ATOMIC_RELAXED);
	free(v);
}

static void *rcu_reader(void *arg)
{
	unsigned long last = 0, good = 0, bad = 0;

	(void)arg;
	for (int i = 0; i < READS; i++) {
		struct version *v;

		rcu_read_lock();
		v = rcu_dereference(current_version);
		if (__atomic_load_n(&v->magic, __ATOMIC_RELAXED) != ALIVE ||
		    __atomic_load_n(&v->seq, __ATOMIC_RELAXED) < last)
			bad++;
		else
			good++;
		last = __atomic_load_n(&v->seq, __ATOMIC_RELAXED);
		if (!(i % 64))
			sched_yield();	/* let writers and callbacks in */
		rcu_read_unlock();
	}
	__atomic_fetch_add(&bad_reads, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&good_reads, good, __ATOMIC_RELAXED);
	return NULL;
}

static void *rcu_writer(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < UPDATES; i++) {
		struct version *v = malloc(sizeof(*v)), *old;

		CHECK(v);
		v->magic = ALIVE;
		spin_lock(&update_lock);
		old = rcu_dereference_protected(current_version,
						lockdep_is_held(&update_lock));
		v->seq = old->seq + 1;
		rcu_assign_pointer(current_version, v);
		spin_unlock(&update_lock);
		/* Half through call_rcu(), half through kfree_rcu(). */
		if ((i + id) % 2)
			call_rcu(&old->rcu, version_free);
		else
			kfree_rcu(old, rcu);
	}
	return NULL;
}

static void test_reader_heavy_with_call_rcu(void)
{
	pthread_t r[NR_READERS], w[NR_WRITERS];
	struct version *v = malloc(sizeof(*v));

	CHECK(v);
	v->magic = ALIVE;
	v->seq = 0;
	rcu_assign_pointer(current_version, v);
	for (long i = 0; i < NR_READERS; i++)
		CHECK_EQ(pthread_create(&r[i], NULL, rcu_reader, NULL), 0);
	for (long i = 0; i < NR_WRITERS; i++)
		CHECK_EQ(pthread_create(&w[i], NULL, rcu_writer, (void *)i), 0);
	for (int i = 0; i < NR_WRITERS; i++)
		CHECK_EQ(pthread_join(w[i], NULL), 0);
	for (int i = 0; i < NR_READERS; i++)
		CHECK_EQ(pthread_join(r[i], NULL), 0);
	rcu_barrier();

	CHECK_EQ(bad_reads, 0ul);
	CHECK_EQ(good_reads, (unsigned long)NR_READERS * READS);
	/* call_rcu() half of the updates; kfree_rcu() the other half. */
	CHECK_EQ(callbacks_run, (unsigned long)NR_WRITERS * UPDATES / 2);
	v = rcu_replace_pointer(current_version, NULL, true);
	CHECK_EQ(v->seq, (unsigned long)NR_WRITERS * UPDATES);
	free(v);
}

/* --- threads come and go: registration follows them ------------------------- */

static void *short_lived(void *arg)
{
	(void)arg;
	rcu_read_lock();
	CHECK(rcu_read_lock_held());
	rcu_read_unlock();
	return NULL;
}

static void test_threads_register_and_leave(void)
{
	for (int round = 0; round < 20; round++) {
		pthread_t t[8];

		for (int i = 0; i < 8; i++)
			CHECK_EQ(pthread_create(&t[i], NULL, short_lived, NULL), 0);
		for (int i = 0; i < 8; i++)
			CHECK_EQ(pthread_join(t[i], NULL), 0);
		/* Dead readers left registered would hang or crash this. */
		synchronize_rcu();
	}
}

/* --- fork(): the child's callbacks still run -------------------------------- */

static int child_callbacks;

static void count_child_callback(struct rcu_head *head)
{
	__atomic_fetch_add(&child_callbacks, 1, __ATOMIC_RELAXED);
	free(head);
}

static void test_fork(void)
{
	int status;
	pid_t pid;

#ifdef __SANITIZE_THREAD__
	/* liburcu starts a call_rcu thread in the child (test_fork.c says why). */
	printf("# skipped under ThreadSanitizer: it cannot start threads in the "
	       "child of a multithreaded fork()\n");
	return;
#endif

	call_rcu(malloc(sizeof(struct rcu_head)), count_child_callback);
	rcu_barrier();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(60);	/* a watchdog: a child whose callbacks never run */
		call_rcu(malloc(sizeof(struct rcu_head)), count_child_callback);
		rcu_barrier();
		synchronize_rcu();
		_exit(__atomic_load_n(&child_callbacks, __ATOMIC_RELAXED) == 2 ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	call_rcu(malloc(sizeof(struct rcu_head)), count_child_callback);
	rcu_barrier();
	CHECK_EQ(child_callbacks, 2);
}

int main(void)
{
	RUN(test_kernel_idioms);
	RUN(test_nesting);
	RUN(test_kfree_rcu_offsets);
	RUN(test_synchronize_waits_for_readers);
	RUN(test_reader_heavy_with_call_rcu);
	RUN(test_threads_register_and_leave);
	RUN(test_fork);
	return 0;
}
