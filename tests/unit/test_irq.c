// SPDX-License-Identifier: MIT
/*
 * request_irq()/free_irq(): which signals can serve, the context a handler
 * runs in and on which thread, shared lines, raising by CPU number or with
 * pthread_kill(), and that signals never requested stay untouched (NMIs).
 */
#include <sys/syscall.h>
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include "ktest.h"

#define IRQ	SIGUSR1

struct seen {
	int calls;
	pid_t tid;
	int cpu;
	int irq;
	void *dev;
	int in_hardirq, in_interrupt, in_task, irqs_off;
	int preempt;
};

static struct seen seen1, seen2;
/*
 * Bumped (release) before each pthread_kill() and read (acquire) by the
 * handler: ThreadSanitizer does not see a signal as ordering the sender
 * before the handler.  (ksync_raise_irq() does this itself.)
 */
static int raise_gen;

static irqreturn_t record(int irq, void *dev)
{
	struct seen *s = dev;

	(void)__atomic_load_n(&raise_gen, __ATOMIC_ACQUIRE);
	s->tid = (pid_t)syscall(SYS_gettid);
	s->cpu = smp_processor_id();
	s->irq = irq;
	s->dev = dev;
	s->in_hardirq = !!in_hardirq();
	s->in_interrupt = !!in_interrupt();
	s->in_task = !!in_task();
	s->irqs_off = irqs_disabled();
	s->preempt = preempt_count();
	/* Release: the fields above are read after the count is seen. */
	__atomic_fetch_add(&s->calls, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static void test_rejects_signals_that_cannot_serve(void)
{
	const int bad[] = { 0, 65, 1000, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,
			    SIGFPE, SIGILL, SIGTRAP, SIGSYS, 32, 33 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(request_irq((unsigned)bad[i], record, 0, "bad", &seen1), -EINVAL);
	CHECK_EQ(request_irq(IRQ, NULL, 0, "null", &seen1), -EINVAL);
	/* Nothing requested: raising is refused too. */
	CHECK_EQ(ksync_raise_irq(smp_processor_id(), IRQ), -EINVAL);
}

/* A thread that registers, says which CPU it is, and waits to be told. */
static int worker_cpu = -1;
static pid_t worker_tid;
static int worker_stop;

static void *worker(void *arg)
{
	__atomic_store_n(&worker_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELAXED);
	__atomic_store_n(&worker_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&worker_stop, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	/* Back in task context, all traces of the handlers gone. */
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
	return arg;
}

static void wait_calls(struct seen *s, int n)
{
	double deadline = ktest_now() + 10;

	while (__atomic_load_n(&s->calls, __ATOMIC_ACQUIRE) < n) {
		if (ktest_now() > deadline)
			KTEST_FAIL("handler ran %d times, expected %d", s->calls, n);
		ktest_sleep_ms(1);
	}
}

static void test_handler_runs_in_hardirq_on_the_target_thread(void)
{
	pthread_t t;
	unsigned long before;

	CHECK_EQ(request_irq(IRQ, record, 0, "test-irq", &seen1), 0);
	CHECK(pthread_create(&t, NULL, worker, NULL) == 0);
	while (__atomic_load_n(&worker_cpu, __ATOMIC_ACQUIRE) < 0)
		ktest_sleep_ms(1);

	before = ksync_irqs_handled();
	CHECK_EQ(ksync_raise_irq(worker_cpu, IRQ), 0);
	wait_calls(&seen1, 1);
	CHECK_EQ(seen1.tid, worker_tid);
	CHECK_EQ(seen1.cpu, worker_cpu);
	CHECK_EQ(seen1.irq, IRQ);
	CHECK(seen1.dev == &seen1);
	CHECK(seen1.in_hardirq && seen1.in_interrupt && !seen1.in_task);
	CHECK(seen1.irqs_off);
	CHECK_EQ(seen1.preempt, HARDIRQ_OFFSET);
	CHECK_EQ(ksync_irqs_handled(), before);	/* counted on the worker */

	/* A plain pthread_kill() is an interrupt too. */
	__atomic_fetch_add(&raise_gen, 1, __ATOMIC_RELEASE);
	CHECK(pthread_kill(t, IRQ) == 0);
	wait_calls(&seen1, 2);
	CHECK_EQ(seen1.tid, worker_tid);

	__atomic_store_n(&worker_stop, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(free_irq(IRQ, &seen1) != NULL);
	/* Not online any more. */
	CHECK_EQ(request_irq(IRQ, record, 0, "test-irq", &seen1), 0);
	CHECK_EQ(ksync_raise_irq(KSYNC_NR_CPUS - 1, IRQ), -ESRCH);
	CHECK_EQ(ksync_raise_irq(-1, IRQ), -ESRCH);
	CHECK(free_irq(IRQ, &seen1) != NULL);
}

static void test_shared_lines(void)
{
	memset(&seen1, 0, sizeof(seen1));
	memset(&seen2, 0, sizeof(seen2));
	CHECK_EQ(request_irq(IRQ, record, 0, "one", &seen1), 0);
	/* Sharing needs IRQF_SHARED on both. */
	CHECK_EQ(request_irq(IRQ, record, IRQF_SHARED, "two", &seen2), -EBUSY);
	CHECK(strcmp(free_irq(IRQ, &seen1), "one") == 0);

	CHECK_EQ(request_irq(IRQ, record, IRQF_SHARED, "one", &seen1), 0);
	CHECK_EQ(request_irq(IRQ, record, IRQF_SHARED, "two", &seen2), 0);
	CHECK(pthread_kill(pthread_self(), IRQ) == 0);
	wait_calls(&seen1, 1);
	wait_calls(&seen2, 1);
	CHECK(strcmp(free_irq(IRQ, &seen1), "one") == 0);
	CHECK(pthread_kill(pthread_self(), IRQ) == 0);
	wait_calls(&seen2, 2);
	CHECK_EQ(__atomic_load_n(&seen1.calls, __ATOMIC_ACQUIRE), 1);
	CHECK(strcmp(free_irq(IRQ, &seen2), "two") == 0);
}

static void test_free_restores_the_old_disposition(void)
{
	CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR);
	CHECK_EQ(request_irq(SIGUSR2, record, 0, "x", &seen1), 0);
	CHECK(free_irq(SIGUSR2, &seen1) != NULL);
	CHECK(signal(SIGUSR2, SIG_DFL) == SIG_IGN);
}

/* A signal ksync never requested is an NMI: masking does not hold it. */
static volatile int nmi_ran, nmi_in_nmi;	/* set in a signal handler */

static void nmi_handler(int sig)
{
	(void)sig;
	nmi_enter();
	nmi_in_nmi = !!in_nmi();
	nmi_exit();
	nmi_ran++;
}

static void test_unrequested_signals_are_nmis(void)
{
	CHECK(signal(SIGUSR2, nmi_handler) != SIG_ERR);
	local_irq_disable();
	CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
	CHECK_EQ(nmi_ran, 1);		/* ran although interrupts are off */
	CHECK_EQ(nmi_in_nmi, 1);
	local_irq_enable();
	CHECK(!in_nmi());
	CHECK(signal(SIGUSR2, SIG_DFL) == nmi_handler);
}

int main(void)
{
	RUN(test_rejects_signals_that_cannot_serve);
	RUN(test_handler_runs_in_hardirq_on_the_target_thread);
	RUN(test_shared_lines);
	RUN(test_free_restores_the_old_disposition);
	RUN(test_unrequested_signals_are_nmis);
	return 0;
}
