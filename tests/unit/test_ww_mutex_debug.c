// SPDX-License-Identifier: MIT
/*
 * ww_mutex misuse, each provoked in a child with KSYNC_DEBUG=1 and matched
 * on its output: the checks of the kernel's DEBUG_WW_MUTEXES, each a
 * DEBUG_LOCKS_WARN_ON() with the kernel's condition - a ctx used after
 * ww_acquire_done(), ww_acquire_fini() with locks held, a lock of one
 * class taken with a ctx of another, ww_mutex_lock_slow() without an
 * -EDEADLK or with other locks still held, an -EDEADLK ignored (another
 * lock taken, or a second -EDEADLK); and a ww_mutex unlocked by a thread
 * that is not its holder (refused).  Without KSYNC_DEBUG they are silent,
 * and correct use is silent with it.
 */
#define _GNU_SOURCE
#include <ksync/ww_mutex.h>
#include "ktest.h"
#include "ktest_deadline.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

static DEFINE_WD_CLASS(wd_class);
static DEFINE_WW_CLASS(other_class);

static struct ww_mutex a, b, c;

static void init_locks(void)
{
	ww_mutex_init(&a, &wd_class);
	ww_mutex_init(&b, &wd_class);
	ww_mutex_init(&c, &wd_class);
}

/* --- an -EDEADLK to misuse: an older thread holds a, we hold b ------------------ */

static int older_holds, release_older;

static void *older_thread(void *arg)
{
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&a, &ctx), 0);
	__atomic_store_n(&older_holds, 1, __ATOMIC_RELEASE);
	KTEST_WAIT_UNTIL(__atomic_load_n(&release_older, __ATOMIC_ACQUIRE));
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	return arg;
}

/* ctx (younger) holds b and got -EDEADLK from a; the older thread is gone. */
static void get_edeadlk(struct ww_acquire_ctx *ctx)
{
	pthread_t t;

	init_locks();
	CHECK(pthread_create(&t, NULL, older_thread, NULL) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&older_holds, __ATOMIC_ACQUIRE));
	ww_acquire_init(ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&b, ctx), 0);
	CHECK_EQ(ww_mutex_lock(&a, ctx), -EDEADLK);
	__atomic_store_n(&release_older, 1, __ATOMIC_RELEASE);
	ktest_join_or_fail(t);
}

/* --- children -------------------------------------------------------------------- */

static void child_lock_after_done(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&a, &ctx), 0);
	ww_acquire_done(&ctx);
	CHECK_EQ(ww_mutex_lock(&b, &ctx), 0);	/* after done: reported */
	ww_mutex_unlock(&b);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

static void child_fini_holding(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&a, &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&b, &ctx), 0);
	ww_acquire_fini(&ctx);			/* two still held: reported */
	printf("went on\n");
}

static void child_other_class(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &other_class);
	CHECK_EQ(ww_mutex_lock(&a, &ctx), 0);	/* a is wd_class: reported */
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

static void child_slow_without_edeadlk(void)
{
	struct ww_acquire_ctx ctx;

	init_locks();
	ww_acquire_init(&ctx, &wd_class);
	ww_mutex_lock_slow(&a, &ctx);		/* no -EDEADLK before: reported */
	ww_mutex_unlock(&a);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

static void child_slow_holding_others(void)
{
	struct ww_acquire_ctx ctx;

	get_edeadlk(&ctx);
	ww_mutex_lock_slow(&a, &ctx);		/* b still held: reported */
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

static void child_edeadlk_ignored(void)
{
	struct ww_acquire_ctx ctx;

	get_edeadlk(&ctx);
	CHECK_EQ(ww_mutex_lock(&c, &ctx), 0);	/* not a, after -EDEADLK: reported */
	ww_mutex_unlock(&c);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&ctx);
	printf("went on\n");
}

/* -EDEADLK again before backing off: the kernel's check in __ww_mutex_kill(). */
static int older2_holds, release_older2;
static struct ww_acquire_ctx older2_ctx;

static void *older2_thread(void *arg)
{
	ww_acquire_init(&older2_ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&c, &older2_ctx), 0);
	__atomic_store_n(&older2_holds, 1, __ATOMIC_RELEASE);
	KTEST_WAIT_UNTIL(__atomic_load_n(&release_older2, __ATOMIC_ACQUIRE));
	ww_mutex_unlock(&c);
	ww_acquire_fini(&older2_ctx);
	return arg;
}

static void child_edeadlk_twice(void)
{
	struct ww_acquire_ctx ctx;
	pthread_t t;

	init_locks();
	CHECK(pthread_create(&t, NULL, older2_thread, NULL) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&older2_holds, __ATOMIC_ACQUIRE));
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&b, &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&c, &ctx), -EDEADLK);
	CHECK_EQ(ww_mutex_lock(&c, &ctx), -EDEADLK);	/* again: reported */
	__atomic_store_n(&release_older2, 1, __ATOMIC_RELEASE);
	ktest_join_or_fail(t);
	ww_mutex_unlock(&b);
	printf("went on\n");
}

static struct ww_acquire_ctx holder_ctx;

static void *stranger_unlocks(void *arg)
{
	ww_mutex_unlock(&a);			/* not ours: refused */
	return arg;
}

static void child_unlock_by_stranger(void)
{
	pthread_t t;

	init_locks();
	ww_acquire_init(&holder_ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&a, &holder_ctx), 0);
	CHECK(pthread_create(&t, NULL, stranger_unlocks, NULL) == 0);
	ktest_join_or_fail(t);
	printf("still locked %d, ctx %d, acquired %u\n", ww_mutex_is_locked(&a),
	       a.ctx == &holder_ctx, holder_ctx.acquired);
	ww_mutex_unlock(&a);
	ww_acquire_fini(&holder_ctx);
	printf("went on\n");
}

/* Everything right, with backoff: no report. */
static void child_correct_use(void)
{
	struct ww_acquire_ctx ctx;

	get_edeadlk(&ctx);
	ww_mutex_unlock(&b);
	ww_mutex_lock_slow(&a, &ctx);
	CHECK_EQ(ww_mutex_lock(&b, &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&c, &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&c, &ctx), -EALREADY);
	ww_acquire_done(&ctx);
	ww_mutex_unlock(&c);
	ww_mutex_unlock(&a);
	ww_mutex_unlock(&b);
	ww_acquire_fini(&ctx);
	CHECK_EQ(ww_mutex_trylock(&a, NULL), 1);
	ww_mutex_unlock(&a);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "lock_after_done", child_lock_after_done },
	{ "fini_holding", child_fini_holding },
	{ "other_class", child_other_class },
	{ "slow_without_edeadlk", child_slow_without_edeadlk },
	{ "slow_holding_others", child_slow_holding_others },
	{ "edeadlk_ignored", child_edeadlk_ignored },
	{ "edeadlk_twice", child_edeadlk_twice },
	{ "unlock_by_stranger", child_unlock_by_stranger },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

/* --- the checks ------------------------------------------------------------------ */

static struct ktest_child ch;

/* The child reports cond (the kernel's words) with msg, in the WARN layout, and goes on. */
static void expect(const char *scenario, const char *cond, const char *msg)
{
	RUN_CHILD(&ch, scenario, debug_env, 20000);
	CHECK_OUT(&ch, "------------[ cut here ]------------");
	CHECK_OUT(&ch, cond);
	CHECK_OUT(&ch, msg);
	CHECK_OUT(&ch, "WARNING: CPU: ");
	CHECK_OUT(&ch, " at test_ww_mutex_debug.c:");
	CHECK_OUT(&ch, "went on");
	CHECK_EQ(ktest_count(ch.out, "DEBUG_LOCKS_WARN_ON("), 1);

	/* Without KSYNC_DEBUG: no check, no report. */
	RUN_CHILD(&ch, scenario, NULL, 20000);
	CHECK_NOT_OUT(&ch, "DEBUG_LOCKS_WARN_ON(ww_ctx");
	CHECK_NOT_OUT(&ch, "DEBUG_LOCKS_WARN_ON(ctx");
	CHECK_NOT_OUT(&ch, "DEBUG_LOCKS_WARN_ON(!ctx");
	CHECK_OUT(&ch, "went on");
}

static void test_lock_after_done(void)
{
	expect("lock_after_done", "DEBUG_LOCKS_WARN_ON(ww_ctx->done_acquire)",
	       "locked after ww_acquire_done()");
}

static void test_fini_holding(void)
{
	expect("fini_holding", "DEBUG_LOCKS_WARN_ON(ctx->acquired)",
	       "ww_acquire_fini(): the ctx still holds 2 ww_mutex(es)");
}

static void test_other_class(void)
{
	expect("other_class", "DEBUG_LOCKS_WARN_ON(ww_ctx->ww_class != ww->ww_class)",
	       "(class wd_class_mutex) locked with a ctx of class other_class_acquire");
}

static void test_slow_without_edeadlk(void)
{
	expect("slow_without_edeadlk", "DEBUG_LOCKS_WARN_ON(!ctx->contending_lock)",
	       "ww_mutex_lock_slow() without an -EDEADLK to back off from");
}

static void test_slow_holding_others(void)
{
	expect("slow_holding_others", "DEBUG_LOCKS_WARN_ON(ww_ctx->acquired > 0)",
	       "locked after -EDEADLK while the ctx still holds 1 other lock(s)");
}

static void test_edeadlk_ignored(void)
{
	expect("edeadlk_ignored", "DEBUG_LOCKS_WARN_ON(ww_ctx->contending_lock != ww)",
	       "locked after -EDEADLK from another lock");
}

static void test_edeadlk_twice(void)
{
	expect("edeadlk_twice", "DEBUG_LOCKS_WARN_ON(ww_ctx->contending_lock)",
	       "-EDEADLK again, but the ctx never took the lock that said -EDEADLK");
}

static void test_unlock_by_stranger(void)
{
	RUN_CHILD(&ch, "unlock_by_stranger", NULL, 20000);	/* always checked */
	CHECK_OUT(&ch, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)");
	CHECK_OUT(&ch, "ww_mutex_unlock(wd_class_mutex): held by ");
	CHECK_OUT(&ch, "still locked 1, ctx 1, acquired 1");
	CHECK_OUT(&ch, "went on");
	RUN_CHILD(&ch, "unlock_by_stranger", debug_env, 20000);
	CHECK_OUT(&ch, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)");
	CHECK_OUT(&ch, "still locked 1, ctx 1, acquired 1");
}

static void test_correct_use_is_silent(void)
{
	RUN_CHILD(&ch, "correct_use", debug_env, 20000);
	CHECK_NOT_OUT(&ch, "DEBUG_LOCKS_WARN_ON");
	CHECK_NOT_OUT(&ch, "WARNING");
	CHECK_OUT(&ch, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_lock_after_done);
	RUN(test_fini_holding);
	RUN(test_other_class);
	RUN(test_slow_without_edeadlk);
	RUN(test_slow_holding_others);
	RUN(test_edeadlk_ignored);
	RUN(test_edeadlk_twice);
	RUN(test_unlock_by_stranger);
	RUN(test_correct_use_is_silent);
	return 0;
}
