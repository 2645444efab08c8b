// SPDX-License-Identifier: MIT
/*
 * The report machinery itself, each case in a child process matched on
 * its output:
 *  - reports raised on a thread with the smallest stack glibc allows
 *    (PTHREAD_STACK_MIN, 16 KiB on x86-64) print in full, symbolised,
 *    and the thread goes on: a lockdep AB-BA report, a bad unlock, a
 *    sleep in atomic context, and one from an interrupt handler (which
 *    symbolises with dladdr() only, on the thread's stack);
 *  - a call site known only by its return address (no ksync_site, as
 *    for ksync-lockdep's programs) is named by the line of the call, not
 *    the line after it.
 */
#include <dlfcn.h>
#include <limits.h>
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include "ktest.h"

/* --- reports on a small stack ---------------------------------------------- */

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static DEFINE_MUTEX(sleepy);
static DEFINE_MUTEX(never_locked);

static DEFINE_SPINLOCK(irq_unsafe);

/* Taken with interrupts on in task context: lockdep reports it here. */
static irqreturn_t takes_irq_unsafe(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	spin_lock(&irq_unsafe);
	spin_unlock(&irq_unsafe);
	return IRQ_HANDLED;
}

static void *small_stack_reports(void *arg)
{
	prctl(PR_SET_NAME, "smallstack");
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	spin_lock(&lock_b);
	spin_lock(&lock_a);		/* AB-BA: lockdep's report */
	spin_unlock(&lock_a);
	spin_unlock(&lock_b);
	mutex_unlock(&never_locked);	/* a bad unlock */
	spin_lock(&lock_a);
	mutex_lock(&sleepy);		/* sleeping in atomic context */
	mutex_unlock(&sleepy);
	spin_unlock(&lock_a);
	spin_lock(&irq_unsafe);
	spin_unlock(&irq_unsafe);
	pthread_kill(pthread_self(), SIGUSR1);
	ksync_irqs_handled();		/* (TSan delivers at a libc call) */
	printf("thread returned\n");
	return arg;
}

static void child_small_stack(void)
{
	pthread_attr_t attr;
	pthread_t t;

	CHECK(request_irq(SIGUSR1, takes_irq_unsafe, 0, "unsafe", NULL) == 0);
	CHECK(pthread_attr_init(&attr) == 0);
	CHECK(pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN) == 0);
	CHECK(pthread_create(&t, &attr, small_stack_reports, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("went on\n");
}

/* --- call sites from return addresses --------------------------------------- */

static struct lockdep_map site_less;
static struct lock_class_key site_less_key;

/* A lock of the program's own that tells lockdep its caller's address. */
static __attribute__((noinline)) void my_unlock(struct lockdep_map *map)
{
	lock_release(map, _RET_IP_);
	__asm__ volatile("" ::: "memory");	/* not a tail call */
}

static volatile int after;

static void child_return_address_site(void)
{
	ksync_lockdep_init_map(&site_less, "site_less", &site_less_key, 0,
			       LD_WAIT_SLEEP, KSYNC_LOCK_OTHER);
	printf("unlocked at line %d\n", __LINE__ + 1);
	my_unlock(&site_less);		/* never taken: unlock imbalance */
	after = 1;			/* the return address's line */
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "small_stack", child_small_stack },
	{ "return_address_site", child_return_address_site },
	{ NULL, NULL },
};

/* --- the checks ---------------------------------------------------------------- */

static struct ktest_child c;

/* libdw is optional; with it, backtraces name file:line. */
static int have_libdw(void)
{
	void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);

	if (h)
		dlclose(h);
	return h != NULL;
}

static void test_reports_on_small_stack(void)
{
	static const char *const env[] = {
		"KSYNC_LOCKDEP=1", "KSYNC_KEEP_GOING=1", NULL
	};

	RUN_CHILD(&c, "small_stack", env, 60000);
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "WARNING: bad unlock balance detected!");
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_report.c:");
	/* From the handler, symbolised with dladdr() only. */
	CHECK_OUT(&c, "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.");
	CHECK_OUT(&c, "Call Trace:");
	if (have_libdw())
		CHECK_OUT(&c, "small_stack_reports+0x");
	CHECK_OUT(&c, "thread returned");
	CHECK_OUT(&c, "went on");
}

static void test_return_address_names_call_line(void)
{
	static const char *const env[] = { "KSYNC_LOCKDEP=1", NULL };
	char want[64];
	const char *p;
	int line;

	RUN_CHILD(&c, "return_address_site", env, 60000);
	CHECK_OUT(&c, "WARNING: bad unlock balance detected!");
	p = strstr(c.out, "unlocked at line ");
	CHECK(p && sscanf(p, "unlocked at line %d", &line) == 1);
	if (!have_libdw()) {
		printf("# libdw.so.1 missing: no file:line to check\n");
		return;
	}
	snprintf(want, sizeof(want), "(test_report.c:%d)", line);
	CHECK_OUT(&c, "child_return_address_site+0x");
	CHECK_OUT(&c, want);
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_reports_on_small_stack);
	RUN(test_return_address_names_call_line);
	return 0;
}
