// SPDX-License-Identifier: MIT
/*
 * The spin_* and raw_spin_* API: initialisers, lock/unlock, trylock's
 * return value, is_locked, is_contended, assert_spin_locked, _nested,
 * and the preemption count a held spinlock implies.
 */
#include <ksync/spinlock.h>
#include <ksync/smp.h>
#include "ktest.h"

static DEFINE_SPINLOCK(static_lock);
static DEFINE_RAW_SPINLOCK(static_raw);

struct obj {
	int pad;
	spinlock_t lock;
	raw_spinlock_t rlock;
};

static void test_static_initialisers(void)
{
	CHECK_EQ(static_lock.rlock.magic, SPINLOCK_MAGIC);
	CHECK(static_lock.rlock.owner == SPINLOCK_OWNER_INIT);
	CHECK_EQ((int)static_lock.rlock.owner_cpu, -1);
	CHECK(strcmp(static_lock.rlock.dep_map.name, "static_lock") == 0);
	/* Statically initialised locks are keyed by their address. */
	CHECK(static_lock.rlock.dep_map.key == NULL);
	CHECK(strcmp(static_raw.dep_map.name, "static_raw") == 0);
	CHECK(!spin_is_locked(&static_lock));
	CHECK(!raw_spin_is_locked(&static_raw));
}

static void test_runtime_init_names_and_keys(void)
{
	struct obj a, b;

	memset(&a, 0xa5, sizeof(a));
	spin_lock_init(&a.lock);
	raw_spin_lock_init(&a.rlock);
	CHECK_EQ(a.lock.rlock.magic, SPINLOCK_MAGIC);
	CHECK(strcmp(a.lock.rlock.dep_map.name, "&a.lock") == 0);
	CHECK(strcmp(a.rlock.dep_map.name, "&a.rlock") == 0);
	CHECK(!spin_is_locked(&a.lock));
	/* One class key per initialisation site. */
	for (int i = 0; i < 2; i++) {
		struct obj *o = i ? &b : &a;

		spin_lock_init(&o->lock);
	}
	CHECK(a.lock.rlock.dep_map.key != NULL);
	CHECK(a.lock.rlock.dep_map.key == b.lock.rlock.dep_map.key);
	CHECK(a.lock.rlock.dep_map.key != a.rlock.dep_map.key);
}

static void test_lock_unlock(void)
{
	spin_lock(&static_lock);
	CHECK(spin_is_locked(&static_lock));
	assert_spin_locked(&static_lock);
	spin_unlock(&static_lock);
	CHECK(!spin_is_locked(&static_lock));

	raw_spin_lock(&static_raw);
	CHECK(raw_spin_is_locked(&static_raw));
	assert_raw_spin_locked(&static_raw);
	raw_spin_unlock(&static_raw);
	CHECK(!raw_spin_is_locked(&static_raw));
}

static void test_trylock_returns_one_on_success(void)
{
	CHECK_EQ(spin_trylock(&static_lock), 1);
	CHECK_EQ(spin_trylock(&static_lock), 0);	/* held: fails */
	spin_unlock(&static_lock);
	CHECK_EQ(raw_spin_trylock(&static_raw), 1);
	CHECK_EQ(raw_spin_trylock(&static_raw), 0);
	raw_spin_unlock(&static_raw);
	CHECK_EQ(preempt_count(), 0);	/* a failed trylock leaves no trace */
}

static spinlock_t contended;
static int waiter_done;

static void *contend(void *arg)
{
	spin_lock(&contended);
	__atomic_store_n(&waiter_done, 1, __ATOMIC_RELAXED);
	spin_unlock(&contended);
	return arg;
}

static void test_is_contended(void)
{
	pthread_t t;

	spin_lock_init(&contended);
	spin_lock(&contended);
	CHECK(!spin_is_contended(&contended));	/* held, nobody waiting */
	CHECK(pthread_create(&t, NULL, contend, NULL) == 0);
	/* The waiter spins, then queues: the tail becomes non-zero. */
	while (!spin_is_contended(&contended))
		sched_yield();
	CHECK(spin_is_contended(&contended));
	CHECK(!__atomic_load_n(&waiter_done, __ATOMIC_RELAXED));
	spin_unlock(&contended);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(__atomic_load_n(&waiter_done, __ATOMIC_RELAXED));
	CHECK(!spin_is_contended(&contended));
	CHECK(!spin_is_locked(&contended));
}

static void test_trylock_fails_while_another_holds(void)
{
	pthread_t t;

	spin_lock_init(&contended);
	waiter_done = 0;
	spin_lock(&contended);
	CHECK(pthread_create(&t, NULL, contend, NULL) == 0);
	ktest_sleep_ms(5);
	CHECK_EQ(spin_trylock(&contended), 0);
	spin_unlock(&contended);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK_EQ(spin_trylock(&contended), 1);
	spin_unlock(&contended);
}

static void test_held_spinlock_is_atomic_context(void)
{
	CHECK_EQ(preempt_count(), 0);
	CHECK(!in_atomic());
	spin_lock(&static_lock);
	CHECK(in_atomic());
	CHECK_EQ(preempt_count(), 1);
	raw_spin_lock(&static_raw);
	CHECK_EQ(preempt_count(), 2);
	raw_spin_unlock(&static_raw);
	spin_unlock(&static_lock);
	CHECK(!in_atomic());
	CHECK(in_task());
	CHECK(!in_interrupt());
}

static void test_nested_and_out_of_order(void)
{
	struct obj a, b;

	spin_lock_init(&a.lock);
	spin_lock_init(&b.lock);
	spin_lock(&a.lock);
	spin_lock_nested(&b.lock, SINGLE_DEPTH_NESTING);
	CHECK(spin_is_locked(&a.lock) && spin_is_locked(&b.lock));
	spin_unlock(&a.lock);		/* release order need not be LIFO */
	spin_unlock(&b.lock);
	CHECK(!spin_is_locked(&a.lock) && !spin_is_locked(&b.lock));
	raw_spin_lock_init(&a.rlock);
	raw_spin_lock_nested(&a.rlock, 3);
	raw_spin_unlock(&a.rlock);
}

static void test_zero_filled_lock_works_without_debug(void)
{
	/* Without KSYNC_DEBUG a zeroed lock is an unlocked lock, as in the kernel. */
	static spinlock_t zero;

	spin_lock(&zero);
	CHECK(spin_is_locked(&zero));
	spin_unlock(&zero);
	CHECK(!spin_is_locked(&zero));
}

int main(void)
{
	RUN(test_static_initialisers);
	RUN(test_runtime_init_names_and_keys);
	RUN(test_lock_unlock);
	RUN(test_trylock_returns_one_on_success);
	RUN(test_is_contended);
	RUN(test_trylock_fails_while_another_holds);
	RUN(test_held_spinlock_is_atomic_context);
	RUN(test_nested_and_out_of_order);
	RUN(test_zero_filled_lock_works_without_debug);
	return 0;
}
