// SPDX-License-Identifier: MIT
/*
 * When lockdep cannot go on (a table is full: too many classes, too deep
 * a stack of held locks), it says "turning off the locking correctness
 * validator" once and stops for good, as the kernel's does, even with
 * KSYNC_KEEP_GOING=1: no second report of the limit, no "bad unlock
 * balance" for the locks it did not see taken, no verdict on lock orders
 * it no longer follows.  KSYNC_KEEP_GOING still reports problems of the
 * kinds that are checked without lockdep (the spinlock debug checks).
 */
#include <stdlib.h>
#include <ksync/lockdep.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };
static const char *const keep_env[] = { "KSYNC_LOCKDEP=1", "KSYNC_KEEP_GOING=1", NULL };

/* More classes than lockdep has room for (MAX_LOCKDEP_KEYS is 8192). */
#define MANY	9000
static spinlock_t many[MANY];
static struct lock_class_key many_keys[MANY];

static DEFINE_SPINLOCK(early_A);
static DEFINE_SPINLOCK(early_B);
static DEFINE_SPINLOCK(victim);

static void lock_each_once(void)
{
	for (int i = 0; i < MANY; i++) {
		spin_lock_init(&many[i]);
		lockdep_set_class(&many[i], &many_keys[i]);
		spin_lock(&many[i]);
		spin_unlock(&many[i]);
	}
}

/* A -> B, known to lockdep before it stops; B -> A after. */
static void too_many_classes(void)
{
	spin_lock(&early_A);
	spin_lock(&early_B);
	spin_unlock(&early_B);
	spin_unlock(&early_A);
	lock_each_once();
	lock_each_once();
	spin_lock(&early_B);
	spin_lock(&early_A);
	spin_unlock(&early_A);
	spin_unlock(&early_B);
	printf("went on\n");
}

/* The same, then a spinlock bug that the debug checks see without lockdep. */
static void too_many_then_spin_bug(void)
{
	lock_each_once();
	spin_unlock(&victim);	/* never locked */
	printf("went on\n");
}

/* One more lock held than MAX_LOCK_DEPTH, then all released. */
static void too_deep(void)
{
	static spinlock_t deep[MAX_LOCK_DEPTH + 4];
	static struct lock_class_key keys[MAX_LOCK_DEPTH + 4];
	const int n = MAX_LOCK_DEPTH + 4;

	for (int i = 0; i < n; i++) {
		spin_lock_init(&deep[i]);
		lockdep_set_class(&deep[i], &keys[i]);
	}
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < n; i++)
			spin_lock(&deep[i]);
		for (int i = n - 1; i >= 0; i--)
			spin_unlock(&deep[i]);
	}
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "too_many_classes", too_many_classes },
	{ "too_many_then_spin_bug", too_many_then_spin_bug },
	{ "too_deep", too_deep },
	{ NULL, NULL },
};

static struct ktest_child c;

static void expect_one_stop(const char *name, const char *const *env, const char *bug)
{
	RUN_CHILD(&c, name, env, 60000);
	CHECK_OUT(&c, "went on");
	CHECK_EQ(ktest_count(c.out, bug), 1);
	CHECK_EQ(ktest_count(c.out, "turning off the locking correctness validator."), 1);
	CHECK_NOT_OUT(&c, "bad unlock balance");
	CHECK_NOT_OUT(&c, "circular locking dependency");
	CHECK_NOT_OUT(&c, "still has locks held");
}

static void test_classes_run_out(void)
{
	expect_one_stop("too_many_classes", lockdep_env, "BUG: MAX_LOCKDEP_KEYS too low!");
	expect_one_stop("too_many_classes", keep_env, "BUG: MAX_LOCKDEP_KEYS too low!");
}

static void test_depth_runs_out(void)
{
	expect_one_stop("too_deep", lockdep_env, "BUG: MAX_LOCK_DEPTH too low!");
	expect_one_stop("too_deep", keep_env, "BUG: MAX_LOCK_DEPTH too low!");
}

/* Without KSYNC_KEEP_GOING the first report is the last; with it, not. */
static void test_other_checks_go_on(void)
{
	expect_one_stop("too_many_then_spin_bug", lockdep_env, "BUG: MAX_LOCKDEP_KEYS too low!");
	CHECK_NOT_OUT(&c, "BUG: spinlock already unlocked");
	expect_one_stop("too_many_then_spin_bug", keep_env, "BUG: MAX_LOCKDEP_KEYS too low!");
	CHECK_OUT(&c, "BUG: spinlock already unlocked");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_classes_run_out);
	RUN(test_depth_runs_out);
	RUN(test_other_checks_go_on);
	return 0;
}
