// SPDX-License-Identifier: MIT
/*
 * Lockdep and ww_mutex (KSYNC_LOCKDEP=1), after the ww cases of the
 * kernel's lib/locking-selftest.c.  Correct use reports nothing: many
 * ww_mutexes of one class under one ctx (the ctx is their nest_lock),
 * unlocked in any order; a backoff with ww_mutex_lock_slow(); trylocks
 * under the ctx; two classes, each under its own ctx.  What the kernel
 * reports is reported: two ww_mutexes of one class without a ctx
 * (recursive locking), two contexts of one class on one thread (the ctx
 * map's recursion), a ww_mutex ABBA against a plain mutex (a circular
 * dependency), a ww_mutex taken under a ctx that was finished (the nest
 * lock is not held).  Each scenario runs in a child.
 */
#define _GNU_SOURCE
#include <ksync/mutex.h>
#include <ksync/ww_mutex.h>
#include "ktest.h"
#include "ktest_deadline.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

static DEFINE_WD_CLASS(wd_class);
static DEFINE_WW_CLASS(ww_class);
static DEFINE_MUTEX(plain_mutex);

#define NLOCKS	40

static struct ww_mutex locks[NLOCKS], other_locks[4];

static void init_locks(void)
{
	for (int i = 0; i < NLOCKS; i++)
		ww_mutex_init(&locks[i], &wd_class);
	for (int i = 0; i < 4; i++)
		ww_mutex_init(&other_locks[i], &ww_class);
}

/* --- correct use: silent ------------------------------------------------------------ */

static void child_many_under_one_ctx(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	for (int round = 0; round < 3; round++) {
		ww_acquire_init(&ctx, &wd_class);
		for (int i = 0; i < NLOCKS; i++)
			CHECK_EQ(ww_mutex_lock(&locks[(i * 7 + round) % NLOCKS], &ctx), 0);
		ww_acquire_done(&ctx);
		/* Unlocked out of order: odd ones first. */
		for (int i = 1; i < NLOCKS; i += 2)
			ww_mutex_unlock(&locks[i]);
		for (int i = 0; i < NLOCKS; i += 2)
			ww_mutex_unlock(&locks[i]);
		ww_acquire_fini(&ctx);
	}
	printf("went on\n");
}

static int older_holds, release_older;

static void *older_thread(void *arg)
{
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&locks[0], &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&locks[2], &ctx), 0);
	__atomic_store_n(&older_holds, 1, __ATOMIC_RELEASE);
	KTEST_WAIT_UNTIL(__atomic_load_n(&release_older, __ATOMIC_ACQUIRE));
	ww_mutex_unlock(&locks[2]);
	ww_mutex_unlock(&locks[0]);
	ww_acquire_fini(&ctx);
	return arg;
}

/* The younger ctx gets -EDEADLK, backs off and takes everything. */
static void child_backoff(void)
{
	struct ww_acquire_ctx ctx;
	pthread_t t;

	init_locks();
	CHECK(pthread_create(&t, NULL, older_thread, NULL) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&older_holds, __ATOMIC_ACQUIRE));
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&locks[1], &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&locks[0], &ctx), -EDEADLK);
	ww_mutex_unlock(&locks[1]);
	__atomic_store_n(&release_older, 1, __ATOMIC_RELEASE);
	ww_mutex_lock_slow(&locks[0], &ctx);
	CHECK_EQ(ww_mutex_lock(&locks[2], &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&locks[1], &ctx), 0);
	ww_acquire_done(&ctx);
	ww_mutex_unlock(&locks[0]);
	ww_mutex_unlock(&locks[1]);
	ww_mutex_unlock(&locks[2]);
	ww_acquire_fini(&ctx);
	ktest_join_or_fail(t);
	printf("went on\n");
}

static void child_trylock_under_ctx(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&locks[3], &ctx), 0);
	CHECK_EQ(ww_mutex_trylock(&locks[4], &ctx), 1);
	CHECK_EQ(ww_mutex_trylock(&locks[5], &ctx), 1);
	ww_mutex_unlock(&locks[3]);
	ww_mutex_unlock(&locks[5]);
	ww_mutex_unlock(&locks[4]);
	ww_acquire_fini(&ctx);
	/* And one alone, without a ctx. */
	CHECK_EQ(ww_mutex_trylock(&locks[6], NULL), 1);
	ww_mutex_unlock(&locks[6]);
	printf("went on\n");
}

/* Two classes, each under its own ctx, nested the same way each time. */
static void child_two_classes(void)
{
	struct ww_acquire_ctx wd_ctx, ww_ctx;

	init_locks();
	for (int round = 0; round < 2; round++) {
		ww_acquire_init(&wd_ctx, &wd_class);
		CHECK_EQ(ww_mutex_lock(&locks[1], &wd_ctx), 0);
		CHECK_EQ(ww_mutex_lock(&locks[0], &wd_ctx), 0);
		ww_acquire_init(&ww_ctx, &ww_class);
		CHECK_EQ(ww_mutex_lock(&other_locks[round], &ww_ctx), 0);
		CHECK_EQ(ww_mutex_lock(&other_locks[3 - round], &ww_ctx), 0);
		ww_mutex_unlock(&other_locks[round]);
		ww_mutex_unlock(&other_locks[3 - round]);
		ww_acquire_fini(&ww_ctx);
		ww_mutex_unlock(&locks[0]);
		ww_mutex_unlock(&locks[1]);
		ww_acquire_fini(&wd_ctx);
	}
	/* A plain mutex around a whole transaction, always outside: fine. */
	mutex_lock(&plain_mutex);
	ww_acquire_init(&wd_ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&locks[0], &wd_ctx), 0);
	ww_mutex_unlock(&locks[0]);
	ww_acquire_fini(&wd_ctx);
	mutex_unlock(&plain_mutex);
	printf("went on\n");
}

/* --- what the kernel reports ------------------------------------------------------- */

static void child_two_without_ctx(void)
{
	init_locks();
	CHECK_EQ(ww_mutex_lock(&locks[0], NULL), 0);
	CHECK_EQ(ww_mutex_lock(&locks[1], NULL), 0);	/* same class, no ctx */
	ww_mutex_unlock(&locks[1]);
	ww_mutex_unlock(&locks[0]);
	printf("went on\n");
}

static void child_two_contexts(void)
{
	struct ww_acquire_ctx ctx1, ctx2;

	ww_acquire_init(&ctx1, &wd_class);
	ww_acquire_init(&ctx2, &wd_class);		/* the ctx map twice */
	ww_acquire_fini(&ctx2);
	ww_acquire_fini(&ctx1);
	printf("went on\n");
}

static void child_abba_with_mutex(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	mutex_lock(&plain_mutex);
	CHECK_EQ(ww_mutex_lock(&locks[0], NULL), 0);
	ww_mutex_unlock(&locks[0]);
	mutex_unlock(&plain_mutex);

	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&locks[0], &ctx), 0);
	mutex_lock(&plain_mutex);			/* the other order */
	mutex_unlock(&plain_mutex);
	ww_mutex_unlock(&locks[0]);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

static void child_lock_after_fini(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &wd_class);
	ww_acquire_fini(&ctx);
	ww_mutex_lock(&locks[0], &ctx);			/* the nest lock is gone */
	ww_mutex_unlock(&locks[0]);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "many_under_one_ctx", child_many_under_one_ctx },
	{ "backoff", child_backoff },
	{ "trylock_under_ctx", child_trylock_under_ctx },
	{ "two_classes", child_two_classes },
	{ "two_without_ctx", child_two_without_ctx },
	{ "two_contexts", child_two_contexts },
	{ "abba_with_mutex", child_abba_with_mutex },
	{ "lock_after_fini", child_lock_after_fini },
	{ NULL, NULL },
};

static struct ktest_child ch;

static void silent(const char *scenario)
{
	RUN_CHILD(&ch, scenario, lockdep_env, 30000);
	CHECK_NOT_OUT(&ch, "WARNING");
	CHECK_NOT_OUT(&ch, "BUG");
	CHECK_NOT_OUT(&ch, "=====");
	CHECK_OUT(&ch, "went on");
}

static void test_correct_use_is_silent(void)
{
	silent("many_under_one_ctx");
	silent("backoff");
	silent("trylock_under_ctx");
	silent("two_classes");
}

static void test_two_without_ctx_is_recursion(void)
{
	RUN_CHILD(&ch, "two_without_ctx", lockdep_env, 30000);
	CHECK_OUT(&ch, "WARNING: possible recursive locking detected");
	CHECK_OUT(&ch, "(wd_class_mutex){+.+.}");
	CHECK_OUT(&ch, "went on");
}

static void test_two_contexts_is_recursion(void)
{
	RUN_CHILD(&ch, "two_contexts", lockdep_env, 30000);
	CHECK_OUT(&ch, "WARNING: possible recursive locking detected");
	CHECK_OUT(&ch, "(wd_class_acquire)");
}

static void test_abba_with_mutex_is_circular(void)
{
	RUN_CHILD(&ch, "abba_with_mutex", lockdep_env, 30000);
	CHECK_OUT(&ch, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&ch, "(plain_mutex)");
	CHECK_OUT(&ch, "(wd_class_mutex)");
	CHECK_OUT(&ch, "went on");
}

static void test_lock_after_fini(void)
{
	RUN_CHILD(&ch, "lock_after_fini", lockdep_env, 30000);
	CHECK_OUT(&ch, "WARNING: Nested lock was not taken");
	CHECK_OUT(&ch, "(wd_class_mutex){+.+.}");
	CHECK_OUT(&ch, "but this task is not holding:\nwd_class_acquire");
	CHECK_OUT(&ch, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_correct_use_is_silent);
	RUN(test_two_without_ctx_is_recursion);
	RUN(test_two_contexts_is_recursion);
	RUN(test_abba_with_mutex_is_circular);
	RUN(test_lock_after_fini);
	return 0;
}
