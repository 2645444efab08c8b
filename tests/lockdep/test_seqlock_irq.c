// SPDX-License-Identifier: MIT
/*
 * KSYNC_LOCKDEP=1, sequence counters and hard interrupts.  The timekeeping
 * pattern - a writer in a hard interrupt, lockless readers in task context
 * with interrupts on - is correct (a reader never holds anything the
 * interrupt needs) and the kernel is silent on it: its reader annotation
 * is made with interrupts saved and masked, so a reader never marks the
 * counter as used with interrupts on.  What the kernel does report, ksync
 * must report too: a writer with interrupts on and a writer in a hard
 * interrupt, or a reader in a hard interrupt and a writer with interrupts
 * on (the reader would spin for ever on the writer it interrupted).
 * Each scenario runs in a child, matched on its output.
 */
#include <signal.h>
#include <ksync/interrupt.h>
#include <ksync/seqlock.h>
#include <ksync/smp.h>
#include "ktest.h"

#define IRQ	SIGUSR1

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

static seqcount_t tk_seq = SEQCNT_ZERO(tk_seq);
static DEFINE_SEQLOCK(tk_lock);
static DEFINE_SPINLOCK(writers);		/* serialises task-context writers */
static unsigned long tk_ns;
static volatile int handled;
static int dev_id;

static irqreturn_t seqcount_writer(int irq, void *dev)
{
	write_seqcount_begin(&tk_seq);
	WRITE_ONCE(tk_ns, READ_ONCE(tk_ns) + 1);
	write_seqcount_end(&tk_seq);
	handled++;
	return IRQ_HANDLED;
}

static irqreturn_t seqlock_writer(int irq, void *dev)
{
	write_seqlock(&tk_lock);
	WRITE_ONCE(tk_ns, READ_ONCE(tk_ns) + 1);
	write_sequnlock(&tk_lock);
	handled++;
	return IRQ_HANDLED;
}

static unsigned long seqcount_read(void)
{
	unsigned long ns;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&tk_seq);
		ns = READ_ONCE(tk_ns);
	} while (read_seqcount_retry(&tk_seq, seq));
	return ns;
}

static irqreturn_t seqcount_reader(int irq, void *dev)
{
	(void)seqcount_read();
	handled++;
	return IRQ_HANDLED;
}

/* Raise the interrupt on this thread and wait until handler has run. */
static void interrupt_now(irq_handler_t handler)
{
	int before = handled;

	if (request_irq(IRQ, handler, 0, "seqlock-irq-test", &dev_id) != 0) {
		printf("request_irq failed\n");
		exit(3);
	}
	ksync_raise_irq(smp_processor_id(), IRQ);
	while (handled == before)
		ktest_sleep_ms(1);	/* TSan delivers at the next libc call */
	free_irq(IRQ, &dev_id);
}

/* Task context, interrupts on, a writer serialised and non-preemptible. */
static void task_writer(void)
{
	spin_lock(&writers);
	write_seqcount_begin(&tk_seq);
	WRITE_ONCE(tk_ns, READ_ONCE(tk_ns) + 1);
	write_seqcount_end(&tk_seq);
	spin_unlock(&writers);
}

/* --- correct: silent, as in the kernel -------------------------------------- */

static void seqcount_reader_then_irq_writer(void)
{
	CHECK(!irqs_disabled());
	printf("read %lu\n", seqcount_read());
	interrupt_now(seqcount_writer);
	printf("read %lu\n", seqcount_read());
	printf("went on\n");
}

static void irq_writer_then_seqcount_reader(void)
{
	interrupt_now(seqcount_writer);
	CHECK(!irqs_disabled());
	printf("read %lu\n", seqcount_read());
	printf("went on\n");
}

static void seqlock_reader_then_irq_writer(void)
{
	unsigned long ns;
	unsigned int seq;

	for (int round = 0; round < 2; round++) {
		do {
			seq = read_seqbegin(&tk_lock);
			ns = READ_ONCE(tk_ns);
		} while (read_seqretry(&tk_lock, seq));
		printf("read %lu\n", ns);
		interrupt_now(seqlock_writer);
	}
	printf("went on\n");
}

/* The reader's own interrupt state is left as it was. */
static void reader_keeps_irq_state(void)
{
	unsigned long flags;

	(void)seqcount_read();
	CHECK(!irqs_disabled());
	local_irq_save(flags);
	(void)seqcount_read();
	CHECK(irqs_disabled());
	local_irq_restore(flags);
	CHECK(!irqs_disabled());
	printf("went on\n");
}

/* --- the kernel reports these: so must ksync --------------------------------- */

static void task_writer_then_irq_writer(void)
{
	task_writer();
	interrupt_now(seqcount_writer);
	printf("went on\n");
}

static void irq_reader_then_task_writer(void)
{
	interrupt_now(seqcount_reader);
	task_writer();
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "seqcount_reader_then_irq_writer", seqcount_reader_then_irq_writer },
	{ "irq_writer_then_seqcount_reader", irq_writer_then_seqcount_reader },
	{ "seqlock_reader_then_irq_writer", seqlock_reader_then_irq_writer },
	{ "reader_keeps_irq_state", reader_keeps_irq_state },
	{ "task_writer_then_irq_writer", task_writer_then_irq_writer },
	{ "irq_reader_then_task_writer", irq_reader_then_task_writer },
	{ NULL, NULL },
};

/* --- the parent ---------------------------------------------------------------- */

static struct ktest_child c;

static void run(const char *name)
{
	RUN_CHILD(&c, name, lockdep_env, 20000);
	CHECK_OUT(&c, "went on");
}

static void test_task_readers_irq_writer_silent(void)
{
	run("seqcount_reader_then_irq_writer");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "read 0\nread 1\n");
	run("irq_writer_then_seqcount_reader");
	CHECK_NOT_OUT(&c, "WARNING");
	run("seqlock_reader_then_irq_writer");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "read 0\nread 1\n");
	run("reader_keeps_irq_state");
	CHECK_NOT_OUT(&c, "WARNING");
}

static void test_writer_inconsistency_reported(void)
{
	run("task_writer_then_irq_writer");
	CHECK_OUT(&c, "WARNING: inconsistent lock state\n");
	CHECK_OUT(&c, "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.\n");
	CHECK_OUT(&c, "(tk_seq){");
}

static void test_irq_reader_task_writer_reported(void)
{
	run("irq_reader_then_task_writer");
	CHECK_OUT(&c, "WARNING: inconsistent lock state\n");
	CHECK_OUT(&c, "inconsistent {IN-HARDIRQ-R} -> {HARDIRQ-ON-W} usage.\n");
	CHECK_OUT(&c, "(tk_seq){");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_task_readers_irq_writer_silent);
	RUN(test_writer_inconsistency_reported);
	RUN(test_irq_reader_task_writer_reported);
	return 0;
}
