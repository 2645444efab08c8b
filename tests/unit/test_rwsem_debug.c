// SPDX-License-Identifier: MIT
/*
 * rw_semaphore misuse, each provoked in a child process and matched on
 * its output: sleeping in atomic context; with KSYNC_DEBUG=1, up_write()
 * by a thread that does not hold the lock, up_read()/up_write() of an
 * rw_semaphore that is not locked that way, downgrade_write() without the
 * write lock, an rw_semaphore never initialised, write-locking twice, a
 * thread that exits holding one.  After each report the count must be
 * intact (ksync refuses the bad call) and the program goes on.
 */
#include <sys/prctl.h>
#include <ksync/rwsem.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

static DECLARE_RWSEM(misused);
static DEFINE_SPINLOCK(outer_spin);

static void print_count(void)
{
	printf("count 0x%lx\n", (unsigned long)atomic_long_read(&misused.count));
}

/* --- children -------------------------------------------------------------- */

static void child_read_in_atomic(void)
{
	prctl(PR_SET_NAME, "atomic-reader");
	spin_lock(&outer_spin);
	down_read(&misused);		/* may sleep: reported */
	up_read(&misused);
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static void child_write_in_atomic(void)
{
	local_irq_disable();
	down_write(&misused);		/* may sleep: reported */
	up_write(&misused);
	local_irq_enable();
	printf("went on\n");
}

static void child_trylock_in_atomic_is_fine(void)
{
	spin_lock(&outer_spin);
	if (down_read_trylock(&misused))	/* does not sleep */
		up_read(&misused);
	if (down_write_trylock(&misused))
		up_write(&misused);
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static int owner_holds, stranger_done;

static void *take_write(void *arg)
{
	double deadline = ktest_now() + 10;

	prctl(PR_SET_NAME, "owner");
	down_write(&misused);
	__atomic_store_n(&owner_holds, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stranger_done, __ATOMIC_ACQUIRE) && ktest_now() < deadline)
		ktest_sleep_ms(1);
	up_write(&misused);		/* the owner's own unlock still works */
	return arg;
}

static void child_up_write_not_owner(void)
{
	double deadline = ktest_now() + 10;
	pthread_t t;

	prctl(PR_SET_NAME, "stranger");
	CHECK(pthread_create(&t, NULL, take_write, NULL) == 0);
	while (!__atomic_load_n(&owner_holds, __ATOMIC_ACQUIRE) && ktest_now() < deadline)
		ktest_sleep_ms(1);
	up_write(&misused);
	print_count();
	__atomic_store_n(&stranger_done, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	print_count();
}

static void child_up_write_unlocked(void)
{
	up_write(&misused);
	print_count();
}

static void child_up_write_read_locked(void)
{
	down_read(&misused);
	up_write(&misused);
	print_count();
	up_read(&misused);
}

static void child_up_read_unlocked(void)
{
	up_read(&misused);
	print_count();
	down_write(&misused);		/* still usable: nothing underflowed */
	up_write(&misused);
	printf("went on\n");
}

static void child_up_read_write_locked(void)
{
	down_write(&misused);
	up_read(&misused);
	print_count();
	up_write(&misused);
}

static void child_up_read_non_owner_unlocked(void)
{
	up_read_non_owner(&misused);
	print_count();
}

static void child_downgrade_unlocked(void)
{
	downgrade_write(&misused);
	print_count();
}

static void child_downgrade_read_locked(void)
{
	down_read(&misused);
	downgrade_write(&misused);
	print_count();
	up_read(&misused);
}

static struct rw_semaphore never_initialised;

static void child_uninitialised(void)
{
	down_read(&never_initialised);
	up_read(&never_initialised);
	down_write(&never_initialised);
	up_write(&never_initialised);
	printf("went on\n");
}

static void child_write_twice(void)
{
	down_write(&misused);
	down_write(&misused);		/* deadlocks, as in the kernel */
	printf("unreachable\n");
}

static void *exit_holding(void *arg)
{
	prctl(PR_SET_NAME, "leaver");
	down_read(&misused);
	return arg;
}

static void child_exit_holding(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, exit_holding, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("went on\n");
}

static void *release_for_owner(void *arg)
{
	up_read_non_owner(&misused);
	return arg;
}

static void child_non_owner_is_fine(void)
{
	pthread_t t;

	down_read_non_owner(&misused);
	CHECK(pthread_create(&t, NULL, release_for_owner, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	down_write(&misused);
	downgrade_write(&misused);
	up_read(&misused);
	print_count();
}

static void child_guard_misuse_site(void)
{
	/* The report names the guard's line, not the header's. */
	scoped_guard(rwsem_read, &never_initialised)
		printf("inside\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "read_in_atomic", child_read_in_atomic },
	{ "write_in_atomic", child_write_in_atomic },
	{ "trylock_in_atomic", child_trylock_in_atomic_is_fine },
	{ "up_write_not_owner", child_up_write_not_owner },
	{ "up_write_unlocked", child_up_write_unlocked },
	{ "up_write_read_locked", child_up_write_read_locked },
	{ "up_read_unlocked", child_up_read_unlocked },
	{ "up_read_write_locked", child_up_read_write_locked },
	{ "up_read_non_owner_unlocked", child_up_read_non_owner_unlocked },
	{ "downgrade_unlocked", child_downgrade_unlocked },
	{ "downgrade_read_locked", child_downgrade_read_locked },
	{ "uninitialised", child_uninitialised },
	{ "write_twice", child_write_twice },
	{ "exit_holding", child_exit_holding },
	{ "non_owner_is_fine", child_non_owner_is_fine },
	{ "guard_site", child_guard_misuse_site },
	{ NULL, NULL },
};

/* --- checks ---------------------------------------------------------------- */

static struct ktest_child c;

/* The DEBUG_LOCKS_WARN_ON layout, at a line of this file. */
static void check_warning(const char *cond, const char *msg)
{
	CHECK_OUT(&c, "------------[ cut here ]------------");
	CHECK_OUT(&c, cond);
	CHECK_OUT(&c, msg);
	CHECK_OUT(&c, "count = 0x");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_rwsem_debug.c:");
}

static void test_might_sleep(void)
{
	ktest_run_child(&c, "read_in_atomic", NULL, 10000);	/* always checked */
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_rwsem_debug.c:");
	CHECK_OUT(&c, "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ");
	CHECK_OUT(&c, ", name: atomic-reader\n");
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "read_in_atomic", debug_env, 10000);
	CHECK_OUT(&c, "(outer_spin), at: test_rwsem_debug.c:");

	RUN_CHILD(&c, "write_in_atomic", NULL, 10000);
	CHECK_OUT(&c, "in_atomic(): 0, irqs_disabled(): 1,");

	RUN_CHILD(&c, "trylock_in_atomic", debug_env, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_up_write_misuse(void)
{
	RUN_CHILD(&c, "up_write_not_owner", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(rwsem_owner(sem) != current)",
		      "up_write(misused): write-locked by owner/");
	CHECK_OUT(&c, ", not by this thread\n");
	/* Refused: still write-locked; then the owner's unlock works. */
	CHECK_OUT(&c, "count 0x1\ncount 0x0\n");

	RUN_CHILD(&c, "up_write_unlocked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(!(count & RWSEM_WRITER_LOCKED))",
		      "up_write(misused): the rw_semaphore is not write-locked\n");
	CHECK_OUT(&c, "count 0x0\n");

	RUN_CHILD(&c, "up_write_read_locked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(!(count & RWSEM_WRITER_LOCKED))",
		      "up_write(misused): the rw_semaphore is not write-locked (it is read-locked)");
	CHECK_OUT(&c, "count 0x100\n");
}

static void test_up_read_misuse(void)
{
	RUN_CHILD(&c, "up_read_unlocked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(count < 0)",
		      "up_read(misused): the rw_semaphore is not locked (reader count underflow)");
	CHECK_OUT(&c, "count 0x0\n");
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "up_read_write_locked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(!is_rwsem_reader_owned(sem))",
		      "up_read(misused): the rw_semaphore is write-locked, not read-locked");
	CHECK_OUT(&c, "count 0x1\n");

	RUN_CHILD(&c, "up_read_non_owner_unlocked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(count < 0)",
		      "up_read_non_owner(misused): the rw_semaphore is not locked");
	CHECK_OUT(&c, "count 0x0\n");
}

static void test_downgrade_misuse(void)
{
	RUN_CHILD(&c, "downgrade_unlocked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(!(count & RWSEM_WRITER_LOCKED))",
		      "downgrade_write(misused): the rw_semaphore is not write-locked\n");
	CHECK_OUT(&c, "count 0x0\n");

	RUN_CHILD(&c, "downgrade_read_locked", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(!(count & RWSEM_WRITER_LOCKED))",
		      "downgrade_write(misused): the rw_semaphore is not write-locked (it is read-locked)");
	CHECK_OUT(&c, "count 0x100\n");
}

static void test_uninitialised(void)
{
	RUN_CHILD(&c, "uninitialised", debug_env, 10000);
	check_warning("DEBUG_LOCKS_WARN_ON(sem->magic != sem)",
		      "down_read(&never_initialised): rw_semaphore used without "
		      "init_rwsem() or DECLARE_RWSEM()");
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "guard_site", debug_env, 10000);
	CHECK_OUT(&c, "down_read(guard(rwsem_read)): rw_semaphore used without");
	CHECK_OUT(&c, " at test_rwsem_debug.c:");
	CHECK_NOT_OUT(&c, " at rwsem.h:");
	CHECK_OUT(&c, "inside");

	/* Without debugging a zero-filled rw_semaphore just works. */
	RUN_CHILD(&c, "uninitialised", NULL, 10000);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "went on");
}

static void test_write_twice(void)
{
	ktest_run_child(&c, "write_twice", debug_env, 1500);
	CHECK(c.timed_out);			/* a real deadlock */
	check_warning("DEBUG_LOCKS_WARN_ON(rwsem_owner(sem) == current)",
		      "down_write(misused): this thread holds it for writing already");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_exit_holding(void)
{
	RUN_CHILD(&c, "exit_holding", debug_env, 10000);
	CHECK_OUT(&c, "WARNING: leaver/");
	CHECK_OUT(&c, " still has locks held!");
	CHECK_OUT(&c, "(misused), at: test_rwsem_debug.c:");
	CHECK_OUT(&c, "went on");
}

static void test_correct_use_is_silent(void)
{
	RUN_CHILD(&c, "non_owner_is_fine", debug_env, 10000);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_OUT(&c, "count 0x0\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_might_sleep);
	RUN(test_up_write_misuse);
	RUN(test_up_read_misuse);
	RUN(test_downgrade_misuse);
	RUN(test_uninitialised);
	RUN(test_write_twice);
	RUN(test_exit_holding);
	RUN(test_correct_use_is_silent);
	return 0;
}
