// SPDX-License-Identifier: MIT
/*
 * KSYNC_DEBUG=1: every rwlock misuse the debug checks know, each provoked
 * in a child process and matched on its output.  The same misuse without
 * KSYNC_DEBUG says nothing, and correct use with it says nothing.
 */
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/lockdep.h>
#include <ksync/rwlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

static void print_cnts(rwlock_t *l)
{
	printf("cnts %#x\n", (unsigned int)atomic_read(&l->raw_lock.cnts));
}

/* --- child scenarios ----------------------------------------------------- */

static rwlock_t never_initialised;	/* zero-filled */

static void child_bad_magic(void)
{
	read_lock(&never_initialised);
	read_unlock(&never_initialised);
	write_lock(&never_initialised);
	write_unlock(&never_initialised);
	printf("went on\n");
}

static DEFINE_RWLOCK(twice_write_unlocked);

static void child_write_already_unlocked(void)
{
	write_lock(&twice_write_unlocked);
	write_unlock(&twice_write_unlocked);
	write_unlock(&twice_write_unlocked);
	read_lock(&twice_write_unlocked);	/* still usable */
	read_unlock(&twice_write_unlocked);
	print_cnts(&twice_write_unlocked);
	printf("went on\n");
}

static DEFINE_RWLOCK(twice_read_unlocked);

static void child_read_already_unlocked(void)
{
	read_lock(&twice_read_unlocked);
	read_unlock(&twice_read_unlocked);
	read_unlock(&twice_read_unlocked);
	print_cnts(&twice_read_unlocked);	/* not driven below zero */
	write_lock(&twice_read_unlocked);	/* so a writer still gets in */
	write_unlock(&twice_read_unlocked);
	printf("went on\n");
}

static DEFINE_RWLOCK(owned_by_main);
static bool unlock_read_side;

static void *unlock_from_other_thread(void *arg)
{
	prctl(PR_SET_NAME, "intruder");
	if (unlock_read_side)
		read_unlock(&owned_by_main);
	else
		write_unlock(&owned_by_main);
	return arg;
}

static void wrong_owner(bool read_side)
{
	pthread_t t;

	prctl(PR_SET_NAME, "rightful");
	unlock_read_side = read_side;
	if (read_side)
		read_lock(&owned_by_main);
	else
		write_lock(&owned_by_main);
	pthread_create(&t, NULL, unlock_from_other_thread, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

static void child_write_wrong_owner(void)
{
	wrong_owner(false);
}

static void child_read_wrong_owner(void)
{
	wrong_owner(true);
}

static DEFINE_RWLOCK(taken_twice);

static void child_write_recursion(void)
{
	write_lock(&taken_twice);
	write_lock(&taken_twice);	/* deadlocks, as in the kernel */
	printf("unreachable\n");
}

static void child_read_inside_write(void)
{
	write_lock(&taken_twice);
	read_lock(&taken_twice);	/* waits for the writer: us */
	printf("unreachable\n");
}

static void child_write_inside_read(void)
{
	read_lock(&taken_twice);
	write_lock(&taken_twice);	/* waits for the readers: us */
	printf("unreachable\n");
}

static irqreturn_t read_in_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	read_lock(&taken_twice);	/* its thread holds it for write */
	read_unlock(&taken_twice);
	return IRQ_HANDLED;
}

static void child_handler_reads_write_held(void)
{
	request_irq((unsigned)SIGRTMIN, read_in_handler, 0, "reader", NULL);
	write_lock(&taken_twice);	/* interrupts on: the handler can come */
	pthread_kill(pthread_self(), SIGRTMIN);
	ktest_sleep_ms(10);		/* ThreadSanitizer delivers it here */
	printf("unreachable\n");
}

static void child_held_lock_freed(void)
{
	rwlock_t *l = malloc(sizeof(*l));

	rwlock_init(l);
	read_lock(l);
	rwlock_init(l);			/* re-initialising a held lock */
	printf("went on\n");
	free(l);
}

static DEFINE_RWLOCK(left_held);

static void *exit_holding(void *arg)
{
	prctl(PR_SET_NAME, "leaver");
	read_lock(&left_held);
	return arg;			/* exits with the lock held */
}

static void child_exit_with_lock_held(void)
{
	pthread_t t;

	pthread_create(&t, NULL, exit_holding, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

static DEFINE_RWLOCK(used_well);
static int handler_reads;

static irqreturn_t read_used_well(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	read_lock(&used_well);		/* recursive read in interrupt context */
	handler_reads++;
	read_unlock(&used_well);
	return IRQ_HANDLED;
}

static void child_correct_use(void)
{
	rwlock_t dyn;
	unsigned long flags;

	rwlock_init(&dyn);
	request_irq((unsigned)SIGRTMIN, read_used_well, 0, "reader", NULL);
	for (int i = 0; i < 1000; i++) {
		read_lock(&used_well);
		CHECK_EQ(read_trylock(&used_well), 1);
		read_unlock(&used_well);
		write_lock(&dyn);
		CHECK_EQ(write_trylock(&dyn), 0);
		CHECK_EQ(read_trylock(&dyn), 0);
		write_unlock(&dyn);
		read_unlock(&used_well);
		write_lock_irqsave(&used_well, flags);
		write_unlock_irqrestore(&used_well, flags);
		read_lock_bh(&dyn);
		read_unlock_bh(&dyn);
		scoped_guard(write_lock_irq, &dyn)
			CHECK(irqs_disabled());
	}
	read_lock(&used_well);
	pthread_kill(pthread_self(), SIGRTMIN);
	ktest_sleep_ms(10);
	read_unlock(&used_well);
	CHECK_EQ(handler_reads, 1);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "bad_magic", child_bad_magic },
	{ "write_already_unlocked", child_write_already_unlocked },
	{ "read_already_unlocked", child_read_already_unlocked },
	{ "write_wrong_owner", child_write_wrong_owner },
	{ "read_wrong_owner", child_read_wrong_owner },
	{ "write_recursion", child_write_recursion },
	{ "read_inside_write", child_read_inside_write },
	{ "write_inside_read", child_write_inside_read },
	{ "handler_reads_write_held", child_handler_reads_write_held },
	{ "held_lock_freed", child_held_lock_freed },
	{ "exit_with_lock_held", child_exit_with_lock_held },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

/* --- the checks ------------------------------------------------------------ */

static struct ktest_child c;

static void test_bad_magic(void)
{
	RUN_CHILD(&c, "bad_magic", debug_env, 10000);
	CHECK_OUT(&c, "BUG: rwlock bad magic on CPU#");
	CHECK_OUT(&c, ", 0x");			/* the kernel's %p of the lock */
	/* Never initialised, so named by the expression the caller wrote. */
	CHECK_OUT(&c, " lock: &never_initialised, .magic: 00000000, .owner: <none>/-1, .owner_cpu: 0");
	CHECK_OUT(&c, " at: test_rwlock_debug.c:");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_OUT(&c, "went on");
}

static void test_write_already_unlocked(void)
{
	RUN_CHILD(&c, "write_already_unlocked", debug_env, 10000);
	CHECK_OUT(&c, "BUG: rwlock already unlocked on CPU#");
	CHECK_OUT(&c, " lock: twice_write_unlocked, .magic: deaf1eed, .owner: <none>/-1");
	CHECK_OUT(&c, ".readers: 0, .wlocked: no");
	CHECK_OUT(&c, "cnts 0\n");
	CHECK_OUT(&c, "went on");
}

static void test_read_already_unlocked(void)
{
	RUN_CHILD(&c, "read_already_unlocked", debug_env, 10000);
	CHECK_OUT(&c, "BUG: rwlock already unlocked on CPU#");
	CHECK_OUT(&c, " lock: twice_read_unlocked, .magic: deaf1eed");
	CHECK_OUT(&c, "cnts 0\n");		/* the unlock was skipped */
	CHECK_OUT(&c, "went on");
}

static void test_write_wrong_owner(void)
{
	RUN_CHILD(&c, "write_wrong_owner", debug_env, 10000);
	CHECK_OUT(&c, "BUG: rwlock wrong owner on CPU#");
	CHECK_OUT(&c, ", intruder/");
	CHECK_OUT(&c, " lock: owned_by_main, .magic: deaf1eed, .owner: rightful/");
}

static void test_read_wrong_owner(void)
{
	RUN_CHILD(&c, "read_wrong_owner", debug_env, 10000);
	CHECK_OUT(&c, "BUG: rwlock wrong owner on CPU#");
	CHECK_OUT(&c, ", intruder/");
	CHECK_OUT(&c, " lock: owned_by_main, .magic: deaf1eed, .owner: <none>/-1");
	CHECK_OUT(&c, ".readers: 1");
}

static void check_recursion(const char *child, const char *held)
{
	ktest_run_child(&c, child, debug_env, 1500);
	CHECK(c.timed_out);		/* reported, then deadlocked */
	CHECK_OUT(&c, "BUG: rwlock recursion on CPU#");
	CHECK_OUT(&c, " lock: taken_twice, .magic: deaf1eed");
	CHECK_OUT(&c, held);
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_recursion(void)
{
	check_recursion("write_recursion", ".wlocked: yes");
	check_recursion("read_inside_write", ".wlocked: yes");
	check_recursion("write_inside_read", ".readers: 1, .wlocked: no");
	check_recursion("handler_reads_write_held", ".wlocked: yes");
}

static void test_held_lock_freed(void)
{
	RUN_CHILD(&c, "held_lock_freed", debug_env, 10000);
	CHECK_OUT(&c, "WARNING: held lock freed!");
	CHECK_OUT(&c, "(l), at: test_rwlock_debug.c:");
}

static void test_exit_with_lock_held(void)
{
	RUN_CHILD(&c, "exit_with_lock_held", debug_env, 10000);
	CHECK_OUT(&c, " still has locks held!");
	CHECK_OUT(&c, "(left_held), at: test_rwlock_debug.c:");
}

static void test_silent_without_debug(void)
{
	RUN_CHILD(&c, "bad_magic", NULL, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	RUN_CHILD(&c, "write_already_unlocked", NULL, 10000);
	CHECK_NOT_OUT(&c, "BUG");
}

static void test_correct_use_is_silent(void)
{
	RUN_CHILD(&c, "correct_use", debug_env, 20000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_bad_magic);
	RUN(test_write_already_unlocked);
	RUN(test_read_already_unlocked);
	RUN(test_write_wrong_owner);
	RUN(test_read_wrong_owner);
	RUN(test_recursion);
	RUN(test_held_lock_freed);
	RUN(test_exit_with_lock_held);
	RUN(test_silent_without_debug);
	RUN(test_correct_use_is_silent);
	return 0;
}
