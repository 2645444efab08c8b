// SPDX-License-Identifier: MIT
/*
 * KSYNC_DEBUG=1: sequence-counter misuse, each provoked in a child process
 * and matched on its output: a preemptible seqcount_t writer, write
 * sections that do not pair up, a reader that interrupts its own CPU's
 * write section, a thread that exits inside a write section.  Correct use
 * says nothing; without KSYNC_DEBUG nothing is checked.
 */
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/seqlock.h>
#include "ktest.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

/* --- child scenarios ----------------------------------------------------- */

static seqcount_t plain_count = SEQCNT_ZERO(plain_count);

static void child_preemptible_writer(void)
{
	write_seqcount_begin(&plain_count);	/* preemption on: reported */
	write_seqcount_end(&plain_count);
	write_seqcount_begin(&plain_count);	/* the same site again: once only */
	write_seqcount_end(&plain_count);
	printf("sequence %u\n", raw_read_seqcount(&plain_count));
	printf("went on\n");
}

static void child_end_without_begin(void)
{
	preempt_disable();
	write_seqcount_end(&plain_count);	/* ignored: the count stays even */
	preempt_enable();
	printf("sequence %u\n", raw_read_seqcount(&plain_count));
	printf("went on\n");
}

static void child_begin_twice(void)
{
	preempt_disable();
	write_seqcount_begin(&plain_count);
	write_seqcount_begin(&plain_count);	/* the first was never ended */
	preempt_enable();
	printf("went on\n");
}

static DEFINE_SEQLOCK(written);

static irqreturn_t reads_written(int irq, void *dev)
{
	unsigned int seq;

	(void)irq;
	(void)dev;
	do {
		seq = read_seqbegin(&written);	/* spins: the writer is us */
	} while (read_seqretry(&written, seq));
	return IRQ_HANDLED;
}

static void child_reader_interrupts_writer(void)
{
	request_irq((unsigned)SIGRTMIN, reads_written, 0, "reader", NULL);
	write_seqlock(&written);		/* interrupts on: the bug */
	pthread_kill(pthread_self(), SIGRTMIN);
	ktest_sleep_ms(10);			/* ThreadSanitizer delivers it here */
	printf("unreachable\n");
}

static void *exit_in_write_section(void *arg)
{
	prctl(PR_SET_NAME, "leaver");
	write_seqlock(&written);
	return arg;
}

static void child_exit_in_write_section(void)
{
	pthread_t t;

	pthread_create(&t, NULL, exit_in_write_section, NULL);
	pthread_join(t, NULL);
	printf("went on\n");
}

static DEFINE_SEQLOCK(used_well);
static DEFINE_SPINLOCK(count_lock);
static int handler_reads;

static irqreturn_t reads_used_well(int irq, void *dev)
{
	unsigned int seq;

	(void)irq;
	(void)dev;
	do {
		seq = read_seqbegin(&used_well);
	} while (read_seqretry(&used_well, seq));
	handler_reads++;
	return IRQ_HANDLED;
}

static void child_correct_use(void)
{
	seqcount_t dyn;
	unsigned long flags;
	int seq;

	seqcount_init(&dyn);
	request_irq((unsigned)SIGRTMIN, reads_used_well, 0, "reader", NULL);
	for (int i = 0; i < 1000; i++) {
		spin_lock(&count_lock);
		write_seqcount_begin(&dyn);
		write_seqcount_end(&dyn);
		spin_unlock(&count_lock);
		raw_write_seqcount_begin(&dyn);	/* raw: no checks */
		raw_write_seqcount_end(&dyn);
		write_seqlock_irqsave(&used_well, flags);
		write_sequnlock_irqrestore(&used_well, flags);
		seq = 0;
		read_seqbegin_or_lock(&used_well, &seq);
		CHECK(!need_seqretry(&used_well, seq));
		done_seqretry(&used_well, seq);
	}
	/* A reader in a handler is fine when the writer masks interrupts. */
	write_seqlock_irq(&used_well);
	pthread_kill(pthread_self(), SIGRTMIN);
	write_sequnlock_irq(&used_well);
	ktest_sleep_ms(10);
	CHECK_EQ(handler_reads, 1);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "preemptible_writer", child_preemptible_writer },
	{ "end_without_begin", child_end_without_begin },
	{ "begin_twice", child_begin_twice },
	{ "reader_interrupts_writer", child_reader_interrupts_writer },
	{ "exit_in_write_section", child_exit_in_write_section },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

/* --- the checks ------------------------------------------------------------ */

static struct ktest_child c;

static void test_preemptible_writer(void)
{
	RUN_CHILD(&c, "preemptible_writer", debug_env, 10000);
	CHECK_OUT(&c, "------------[ cut here ]------------");
	CHECK_OUT(&c, "write_seqcount_begin(plain_count) with preemption enabled");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_seqlock_debug.c:");
	CHECK_EQ(ktest_count(c.out, "with preemption enabled"), 2);	/* two sites */
	CHECK_OUT(&c, "sequence 4\n");
	CHECK_OUT(&c, "went on");
}

static void test_end_without_begin(void)
{
	RUN_CHILD(&c, "end_without_begin", debug_env, 10000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(!(s->sequence & 1))");
	CHECK_OUT(&c, "write_seqcount_end(plain_count) without write_seqcount_begin()");
	CHECK_OUT(&c, "sequence 0\n");
	CHECK_OUT(&c, "went on");
}

static void test_begin_twice(void)
{
	RUN_CHILD(&c, "begin_twice", debug_env, 10000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(s->sequence & 1)");
	CHECK_OUT(&c, "write_seqcount_begin(plain_count): another write section is open");
}

static void test_reader_interrupts_writer(void)
{
	ktest_run_child(&c, "reader_interrupts_writer", debug_env, 1500);
	CHECK(c.timed_out);		/* reported, then spins for ever */
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(write_section_of_mine(s))");
	CHECK_OUT(&c, "read section of written on the CPU that is inside its write section");
	CHECK_OUT(&c, "(begun at test_seqlock_debug.c:");
	CHECK_NOT_OUT(&c, "unreachable");
}

static void test_exit_in_write_section(void)
{
	RUN_CHILD(&c, "exit_in_write_section", debug_env, 10000);
	CHECK_OUT(&c, " still has locks held!");
	CHECK_OUT(&c, "2 locks held by leaver/");
	CHECK_OUT(&c, "(written), at: test_seqlock_debug.c:");
}

static void test_silent_without_debug(void)
{
	RUN_CHILD(&c, "preemptible_writer", NULL, 10000);
	CHECK_NOT_OUT(&c, "WARNING");
	RUN_CHILD(&c, "end_without_begin", NULL, 10000);
	CHECK_NOT_OUT(&c, "WARN");
	CHECK_OUT(&c, "sequence 1\n");	/* unchecked: the count went odd */
}

static void test_correct_use_is_silent(void)
{
	RUN_CHILD(&c, "correct_use", debug_env, 20000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARN");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_preemptible_writer);
	RUN(test_end_without_begin);
	RUN(test_begin_twice);
	RUN(test_reader_interrupts_writer);
	RUN(test_exit_in_write_section);
	RUN(test_silent_without_debug);
	RUN(test_correct_use_is_silent);
	return 0;
}
