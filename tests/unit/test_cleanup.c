// SPDX-License-Identifier: MIT
/*
 * <ksync/cleanup.h>: guards release on every way out of a scope, the
 * conditional (_try) guards skip their body when the lock is not taken,
 * __free()/no_free_ptr()/return_ptr() and DEFINE_CLASS/CLASS.
 */
#include <ksync/cleanup.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static DEFINE_SPINLOCK(lock);
static DEFINE_RAW_SPINLOCK(rlock);

static int guarded_return(int x)
{
	guard(spinlock)(&lock);
	CHECK(spin_is_locked(&lock));
	if (x)
		return 1;		/* early return unlocks */
	return 0;
}

static void test_guard_releases_on_return(void)
{
	CHECK_EQ(guarded_return(1), 1);
	CHECK(!spin_is_locked(&lock));
	CHECK_EQ(guarded_return(0), 0);
	CHECK(!spin_is_locked(&lock));
	CHECK_EQ(preempt_count(), 0);
}

static void test_guard_until_end_of_block(void)
{
	{
		guard(raw_spinlock)(&rlock);
		CHECK(raw_spin_is_locked(&rlock));
	}
	CHECK(!raw_spin_is_locked(&rlock));
}

static void test_scoped_guard_break_and_continue(void)
{
	int bodies = 0;

	for (int i = 0; i < 4; i++) {
		scoped_guard(spinlock, &lock) {
			bodies++;
			CHECK(spin_is_locked(&lock));
			if (i == 1)
				continue;	/* leaves the scope: unlocks */
			if (i == 2)
				break;		/* leaves only the guard's scope */
		}
		CHECK(!spin_is_locked(&lock));
	}
	CHECK_EQ(bodies, 4);
	CHECK(!spin_is_locked(&lock));
}

static int scoped_return(void)
{
	scoped_guard(spinlock, &lock)
		return spin_is_locked(&lock);
	return -1;
}

static void test_scoped_guard_return(void)
{
	CHECK_EQ(scoped_return(), 1);
	CHECK(!spin_is_locked(&lock));
}

static void test_try_guard_skips_body_when_busy(void)
{
	int ran = 0;

	scoped_guard(spinlock_try, &lock)
		ran = spin_is_locked(&lock);
	CHECK_EQ(ran, 1);
	CHECK(!spin_is_locked(&lock));

	ran = 0;
	spin_lock(&lock);
	scoped_guard(spinlock_try, &lock)
		ran = 1;		/* trylock fails: body skipped */
	CHECK_EQ(ran, 0);
	CHECK(spin_is_locked(&lock));	/* and the guard did not unlock */
	spin_unlock(&lock);
}

static int cond_guard(void)
{
	scoped_cond_guard(raw_spinlock_try, return -16, &rlock) {
		CHECK(raw_spin_is_locked(&rlock));
		return 0;
	}
	return 1;
}

static void test_scoped_cond_guard(void)
{
	CHECK_EQ(cond_guard(), 0);
	CHECK(!raw_spin_is_locked(&rlock));
	raw_spin_lock(&rlock);
	CHECK_EQ(cond_guard(), -16);	/* the fail statement ran */
	raw_spin_unlock(&rlock);
}

static int frees;

static void counted_free(void *p)
{
	frees++;
	free(p);
}

DEFINE_FREE(counted, char *, if (_T) counted_free(_T))

static char *make_and_keep(void)
{
	char *p __free(counted) = malloc(16);

	return_ptr(p);			/* handed to the caller: not freed */
}

static void test_free_and_no_free_ptr(void)
{
	frees = 0;
	{
		char *p __free(counted) = malloc(16);

		CHECK(p != NULL);
	}
	CHECK_EQ(frees, 1);
	{
		char *p __free(counted) = malloc(16);
		char *kept = no_free_ptr(p);

		CHECK(p == NULL);
		free(kept);
	}
	CHECK_EQ(frees, 1);
	char *q = make_and_keep();
	CHECK_EQ(frees, 1);
	free(q);
}

struct counter_ref {
	int *count;
};

static int live;

DEFINE_CLASS(counter_ref, struct counter_ref, (*_T.count)--,
	     ({ (*c)++; (struct counter_ref){ c }; }), int *c)

static void test_class(void)
{
	{
		CLASS(counter_ref, r)(&live);
		CHECK_EQ(live, 1);
		CHECK(r.count == &live);
	}
	CHECK_EQ(live, 0);
}

int main(void)
{
	RUN(test_guard_releases_on_return);
	RUN(test_guard_until_end_of_block);
	RUN(test_scoped_guard_break_and_continue);
	RUN(test_scoped_guard_return);
	RUN(test_try_guard_skips_body_when_busy);
	RUN(test_scoped_cond_guard);
	RUN(test_free_and_no_free_ptr);
	RUN(test_class);
	return 0;
}
