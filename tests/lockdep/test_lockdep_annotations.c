// SPDX-License-Identifier: MIT
/*
 * A user's own lock annotated with the kernel's lockdep names, exactly as
 * kernel code spells them (spin_acquire(&l->dep_map, 0, 0, _RET_IP_),
 * LOCK_CONTENDED, mutex_acquire_nest, rwsem_acquire_read, ...): lockdep
 * sees it as it sees ksync's own locks, which annotate the same way.  Each
 * scenario runs in a child process with KSYNC_LOCKDEP=1.
 */
#include <ksync/lockdep.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

/* A test-and-set lock of the user's, with a map. */
struct my_lock {
	int word;
	struct lockdep_map dep_map;
};

static int my_trylock_raw(struct my_lock *l)
{
	return !__atomic_exchange_n(&l->word, 1, __ATOMIC_ACQUIRE);
}

static void my_lock_raw(struct my_lock *l)
{
	while (!my_trylock_raw(l))
		;
}

static __attribute__((noinline)) void my_lock(struct my_lock *l)
{
	spin_acquire(&l->dep_map, 0, 0, _RET_IP_);
	LOCK_CONTENDED(l, my_trylock_raw, my_lock_raw);
}

static __attribute__((noinline)) void my_unlock(struct my_lock *l)
{
	spin_release(&l->dep_map, _RET_IP_);
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
}

static struct lock_class_key key_a, key_b, key_big;
static struct my_lock a, b, big;

static void init_locks(void)
{
	lockdep_init_map(&a.dep_map, "my_lock_a", &key_a, 0);
	lockdep_init_map(&b.dep_map, "my_lock_b", &key_b, 0);
	lockdep_init_map(&big.dep_map, "my_big_lock", &key_big, 0);
}

static void in_order(void)
{
	init_locks();
	for (int i = 0; i < 3; i++) {
		my_lock(&a);
		my_lock(&b);
		my_unlock(&b);
		my_unlock(&a);
	}
	printf("went on\n");
}

static void abba(void)
{
	init_locks();
	my_lock(&a);
	my_lock(&b);
	my_unlock(&b);
	my_unlock(&a);
	my_lock(&b);
	my_lock(&a);
	my_unlock(&a);
	my_unlock(&b);
	printf("went on\n");
}

static void recursive(void)
{
	init_locks();
	my_lock(&a);
	spin_acquire(&a.dep_map, 0, 0, _THIS_IP_);	/* as if taken again */
	printf("went on\n");
}

static void unlock_unheld(void)
{
	init_locks();
	spin_release(&a.dep_map, KSYNC_SITE_IP(KSYNC_SITE("&a"), 0));
	printf("went on\n");
}

/* Two of one class under a nest lock: the kernel's mutex_acquire_nest. */
static void nested_under_big(void)
{
	static struct lock_class_key key;	/* a key must be static */
	struct lockdep_map m1, m2;

	init_locks();
	lockdep_init_map(&m1, "item", &key, 0);
	lockdep_init_map(&m2, "item", &key, 0);
	mutex_acquire(&big.dep_map, 0, 0, _RET_IP_);
	mutex_acquire_nest(&m1, 0, 0, &big.dep_map, _RET_IP_);
	mutex_acquire_nest(&m2, 0, 0, &big.dep_map, _RET_IP_);
	mutex_release(&m2, _RET_IP_);
	mutex_release(&m1, _RET_IP_);
	mutex_release(&big.dep_map, _RET_IP_);
	printf("went on\n");
}

/* Readers of an rwsem-like lock nest; a writer inside a reader is ABBA. */
static void readers(void)
{
	init_locks();
	rwsem_acquire_read(&a.dep_map, 0, 0, _RET_IP_);
	rwsem_acquire(&b.dep_map, 0, 0, _RET_IP_);
	rwsem_release(&b.dep_map, _RET_IP_);
	rwsem_release(&a.dep_map, _RET_IP_);
	rwsem_acquire(&b.dep_map, 0, 0, _RET_IP_);
	rwsem_acquire_read(&a.dep_map, 0, 0, _RET_IP_);
	rwsem_release(&a.dep_map, _RET_IP_);
	rwsem_release(&b.dep_map, _RET_IP_);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "in_order", in_order },
	{ "abba", abba },
	{ "recursive", recursive },
	{ "unlock_unheld", unlock_unheld },
	{ "nested_under_big", nested_under_big },
	{ "readers", readers },
	{ NULL, NULL },
};

static struct ktest_child c;
static char self[4096];

static void run_ok(const char *name)
{
	ktest_spawn(&c, self, name, lockdep_env, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "went on");
}

static void test_correct_order_is_silent(void)
{
	run_ok("in_order");
	CHECK_NOT_OUT(&c, "WARNING");
	run_ok("nested_under_big");
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_abba_reported(void)
{
	run_ok("abba");
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "(my_lock_a){");
	CHECK_OUT(&c, "(my_lock_b){");
	/* _RET_IP_ of my_lock(): the report names the caller, abba(). */
	CHECK_OUT(&c, ", at: abba+");
}

static void test_recursion_reported(void)
{
	run_ok("recursive");
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	CHECK_OUT(&c, "(my_lock_a){");
}

static void test_site_ip_names_the_line(void)
{
	run_ok("unlock_unheld");
	CHECK_OUT(&c, "WARNING: bad unlock balance detected!");
	CHECK_OUT(&c, "is trying to release lock (my_lock_a) at:\ntest_lockdep_annotations.c:");
}

static void test_shared_then_exclusive_reported(void)
{
	run_ok("readers");
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	snprintf(self, sizeof(self), "%s", argv[0]);
	RUN(test_correct_order_is_silent);
	RUN(test_abba_reported);
	RUN(test_recursion_reported);
	RUN(test_site_ip_names_the_line);
	RUN(test_shared_then_exclusive_reported);
	return 0;
}
