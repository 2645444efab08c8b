// SPDX-License-Identifier: MIT
/*
 * Completions: every call; events are counted; complete_all() releases
 * every waiter and stays done until reinit_completion(); timeouts return
 * 0 in time and the jiffies left otherwise; interruptible and killable
 * waits return -ERESTARTSYS and leave the event for the next waiter; complete()
 * from an interrupt handler; completion_done() makes freeing after
 * complete() safe; no wakeup is ever lost under stress; and, in a child,
 * the might_sleep() report.
 *
 * Every wait in here has a deadline and fails loudly.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/completion.h>
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest_deadline.h"
#include "ktest_waiter.h"

#define LONG_WAIT	((unsigned long)(KTEST_DEADLINE_S * HZ))

/* Waiters queued, counted under the completion's lock. */
static int queued(struct completion *x)
{
	unsigned long flags;
	int n = 0;

	raw_spin_lock_irqsave(&x->wait.lock, flags);
	for (struct ksync_list_head *p = x->wait.task_list.next;
	     p != &x->wait.task_list; p = p->next)
		n++;
	raw_spin_unlock_irqrestore(&x->wait.lock, flags);
	return n;
}

static unsigned int done_of(struct completion *x)
{
	return __atomic_load_n(&x->done, __ATOMIC_RELAXED);
}

/* --- the calls ------------------------------------------------------------- */

static DECLARE_COMPLETION(static_done);

static void test_initial_state(void)
{
	DECLARE_COMPLETION_ONSTACK(on_stack);
	struct completion dyn;

	init_completion(&dyn);
	CHECK(!completion_done(&static_done));
	CHECK(!completion_done(&on_stack));
	CHECK(!completion_done(&dyn));
	CHECK(!try_wait_for_completion(&static_done));
	CHECK(!try_wait_for_completion(&on_stack));
	CHECK_EQ(wait_for_completion_timeout(&dyn, 0), 0);
	complete(&on_stack);
	CHECK(completion_done(&on_stack));
	wait_for_completion(&on_stack);
	CHECK(!completion_done(&on_stack));
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
}

static void test_events_are_counted(void)
{
	struct completion x;

	init_completion(&x);
	complete(&x);
	complete(&x);
	complete(&x);
	CHECK_EQ(done_of(&x), 3);
	CHECK(try_wait_for_completion(&x));
	wait_for_completion(&x);
	CHECK_EQ(wait_for_completion_timeout(&x, 0), 1);	/* at least 1 */
	CHECK(!try_wait_for_completion(&x));
	CHECK(!completion_done(&x));
	complete(&x);
	CHECK_EQ(wait_for_completion_interruptible(&x), 0);
	complete(&x);
	CHECK_EQ(wait_for_completion_killable(&x), 0);
	complete(&x);
	CHECK_EQ(wait_for_completion_timeout(&x, 100), 100);	/* no wait */
	complete(&x);
	CHECK_EQ(wait_for_completion_interruptible_timeout(&x, 100), 100);
	complete(&x);
	CHECK_EQ(wait_for_completion_killable_timeout(&x, 7), 7);
	complete(&x);
	CHECK_EQ(wait_for_completion_state(&x, TASK_UNINTERRUPTIBLE), 0);
	complete(&x);
	wait_for_completion_io(&x);
	complete(&x);
	CHECK_EQ(wait_for_completion_io_timeout(&x, 5), 5);
	CHECK_EQ(done_of(&x), 0);
}

/* --- complete_all() --------------------------------------------------------- */

#define ALL_WAITERS	40	/* more than one wake batch */

static struct completion all_done;
static int all_returned;

static void *all_waiter(void *arg)
{
	long i = (long)arg;
	long r;

	switch (i % 4) {
	case 0:
		r = (long)wait_for_completion_timeout(&all_done, LONG_WAIT);
		break;
	case 1:
		r = wait_for_completion_interruptible_timeout(&all_done, LONG_WAIT);
		break;
	case 2:
		r = wait_for_completion_killable_timeout(&all_done, LONG_WAIT);
		break;
	default:
		wait_for_completion(&all_done);
		r = 1;
		break;
	}
	if (r <= 0)
		KTEST_FAIL("waiter %ld: %ld", i, r);
	__atomic_fetch_add(&all_returned, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_complete_all(void)
{
	pthread_t t[ALL_WAITERS];

	init_completion(&all_done);
	for (long i = 0; i < ALL_WAITERS; i++)
		CHECK(pthread_create(&t[i], NULL, all_waiter, (void *)i) == 0);
	KTEST_WAIT_UNTIL(queued(&all_done) == ALL_WAITERS);
	CHECK_EQ(all_returned, 0);
	complete_all(&all_done);
	for (int i = 0; i < ALL_WAITERS; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(all_returned, ALL_WAITERS);
	CHECK_EQ(queued(&all_done), 0);

	/* Done for good: waits do not use it up, complete() keeps it. */
	for (int i = 0; i < 5; i++) {
		wait_for_completion(&all_done);
		CHECK(try_wait_for_completion(&all_done));
		CHECK(completion_done(&all_done));
		CHECK_EQ(wait_for_completion_timeout(&all_done, 0), 1);
	}
	complete(&all_done);
	CHECK_EQ(done_of(&all_done), UINT_MAX);
	reinit_completion(&all_done);
	CHECK(!completion_done(&all_done));
	CHECK(!try_wait_for_completion(&all_done));
	CHECK_EQ(wait_for_completion_timeout(&all_done, 10), 0);
}

/* complete() wakes one waiter at a time, in the order they came. */
static struct completion one_done;
static int order[3], order_slot, order_next;

/* Record who was woken, then publish the record (release). */
static void *one_waiter(void *arg)
{
	if (!wait_for_completion_timeout(&one_done, LONG_WAIT))
		KTEST_FAIL("complete() never reached waiter %ld", (long)arg);
	order[__atomic_fetch_add(&order_slot, 1, __ATOMIC_RELAXED)] = (int)(long)arg;
	__atomic_fetch_add(&order_next, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_complete_wakes_one_fifo(void)
{
	pthread_t t[3];

	init_completion(&one_done);
	for (long i = 0; i < 3; i++) {
		CHECK(pthread_create(&t[i], NULL, one_waiter, (void *)i) == 0);
		KTEST_WAIT_UNTIL(queued(&one_done) == i + 1);
	}
	for (int i = 0; i < 3; i++) {
		complete(&one_done);
		KTEST_WAIT_UNTIL(__atomic_load_n(&order_next, __ATOMIC_ACQUIRE) == i + 1);
		ktest_sleep_ms(10);
		CHECK_EQ(__atomic_load_n(&order_next, __ATOMIC_ACQUIRE), i + 1);
		CHECK_EQ(order[i], i);
	}
	for (int i = 0; i < 3; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(done_of(&one_done), 0);
}

/* --- timeouts ---------------------------------------------------------------- */

static void *complete_later(void *arg)
{
	ktest_sleep_ms(20);
	complete(arg);
	return NULL;
}

static void test_timeouts(void)
{
	struct completion x;
	unsigned long left;
	pthread_t t;
	double t0, dt;
	long r;

	init_completion(&x);
	t0 = ktest_now();
	CHECK_EQ(wait_for_completion_timeout(&x, 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.050 && dt < 5.0);
	t0 = ktest_now();
	CHECK_EQ(wait_for_completion_interruptible_timeout(&x, 50), 0);
	CHECK_EQ(wait_for_completion_killable_timeout(&x, 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.100 && dt < 10.0);
	CHECK_EQ(queued(&x), 0);

	/* Completed early: the jiffies that were left. */
	CHECK(pthread_create(&t, NULL, complete_later, &x) == 0);
	t0 = ktest_now();
	left = wait_for_completion_timeout(&x, 5000);
	dt = ktest_now() - t0;
	ktest_join_or_fail(t);
	CHECK(left >= 1 && left <= 5000);
	CHECK((double)left >= 5000 - dt * 1000 - 1);
	CHECK(dt < 5.0);

	CHECK(pthread_create(&t, NULL, complete_later, &x) == 0);
	r = wait_for_completion_interruptible_timeout(&x, 5000);
	ktest_join_or_fail(t);
	CHECK(r >= 1 && r <= 5000);
	CHECK(pthread_create(&t, NULL, complete_later, &x) == 0);
	r = wait_for_completion_killable_timeout(&x, 5000);
	ktest_join_or_fail(t);
	CHECK(r >= 1 && r <= 5000);
	CHECK_EQ(done_of(&x), 0);
}

/* --- interruptible, killable, interrupt handlers --------------------------------- */

static struct completion sig_done;

enum how { HOW_PLAIN, HOW_INTERRUPTIBLE, HOW_KILLABLE, HOW_INTR_TIMEOUT,
	   HOW_KILL_TIMEOUT };

static void signal_waiter(struct ktest_waiter *w)
{
	long r = 0;

	switch ((enum how)w->how) {
	case HOW_PLAIN:
		wait_for_completion(&sig_done);
		break;
	case HOW_INTERRUPTIBLE:
		r = wait_for_completion_interruptible(&sig_done);
		break;
	case HOW_KILLABLE:
		r = wait_for_completion_killable(&sig_done);
		break;
	case HOW_INTR_TIMEOUT:
		r = wait_for_completion_interruptible_timeout(&sig_done, LONG_WAIT);
		break;
	case HOW_KILL_TIMEOUT:
		r = wait_for_completion_killable_timeout(&sig_done, LONG_WAIT);
		break;
	}
	ktest_waiter_set_result(w, r);
}

static struct ktest_waiter waiter;

static void start_waiter(enum how how)
{
	init_completion(&sig_done);
	ktest_waiter_start(&waiter, signal_waiter, NULL, how);
	KTEST_WAIT_UNTIL(queued(&sig_done) == 1);
}

static irqreturn_t complete_handler(int irq, void *dev)
{
	(void)irq;
	complete(dev);			/* from hardirq context */
	return IRQ_HANDLED;
}

static void test_interruptible_and_killable(void)
{
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "completion-test", NULL), 0);

	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -ERESTARTSYS);
	CHECK_EQ(queued(&sig_done), 0);

	start_waiter(HOW_INTR_TIMEOUT);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -ERESTARTSYS);

	/* Killable: an interrupt does not end it, a fatal signal does. */
	start_waiter(HOW_KILLABLE);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -ERESTARTSYS);

	start_waiter(HOW_KILL_TIMEOUT);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -ERESTARTSYS);

	/* The plain wait sleeps through both. */
	start_waiter(HOW_PLAIN);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	CHECK_EQ(ktest_waiter_kill(&waiter), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	complete(&sig_done);
	CHECK_EQ(ktest_waiter_join(&waiter), 0);

	/* An interrupted waiter did not consume the event. */
	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -ERESTARTSYS);
	complete(&sig_done);
	CHECK(try_wait_for_completion(&sig_done));

	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

static void test_complete_from_handler(void)
{
	CHECK_EQ(request_irq(SIGUSR2, complete_handler, 0, "complete", &sig_done), 0);
	/* On the sleeping thread itself: success, not an interruption. */
	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);
	start_waiter(HOW_PLAIN);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);

	/* On another thread. */
	start_waiter(HOW_KILL_TIMEOUT);
	CHECK(ktest_waiter_join_irq_elsewhere(&waiter, SIGUSR2) >= 1);
	CHECK(free_irq(SIGUSR2, &sig_done) != NULL);
}

/* --- completion_done(): freeing right after complete() ------------------------ */

static void *complete_it(void *arg)
{
	complete(arg);
	return NULL;
}

static void test_free_after_completion_done(void)
{
	for (int i = 0; i < 200; i++) {
		struct completion *x = malloc(sizeof(*x));
		pthread_t t;

		CHECK(x != NULL);
		init_completion(x);
		CHECK(pthread_create(&t, NULL, complete_it, x) == 0);
		KTEST_WAIT_UNTIL(completion_done(x));
		free(x);	/* complete() has let go of it: ASan would say */
		ktest_join_or_fail(t);
	}
}

/* --- stress: no event and no wakeup lost ------------------------------------------ */

#define PAIRS		8	/* 16 threads */
#define PING_ROUNDS	2000
#define SHARED_EVENTS	20000

static struct completion ping[PAIRS], pong[PAIRS];

static void *pinger(void *arg)
{
	long p = (long)arg;

	for (int r = 0; r < PING_ROUNDS; r++) {
		complete(&ping[p]);
		if (!wait_for_completion_timeout(&pong[p], LONG_WAIT))
			KTEST_FAIL("pair %ld round %d: pong lost", p, r);
	}
	return NULL;
}

static void *ponger(void *arg)
{
	long p = (long)arg;

	for (int r = 0; r < PING_ROUNDS; r++) {
		if (wait_for_completion_killable_timeout(&ping[p], LONG_WAIT) <= 0)
			KTEST_FAIL("pair %ld round %d: ping lost", p, r);
		complete(&pong[p]);
	}
	return NULL;
}

static void *ping_pong(void *arg)
{
	long i = (long)arg;

	return i % 2 ? ponger((void *)(i / 2)) : pinger((void *)(i / 2));
}

static void test_stress_ping_pong(void)
{
	for (int p = 0; p < PAIRS; p++) {
		init_completion(&ping[p]);
		init_completion(&pong[p]);
	}
	ktest_run_threads(2 * PAIRS, ping_pong);
	for (int p = 0; p < PAIRS; p++) {
		CHECK_EQ(done_of(&ping[p]), 0);
		CHECK_EQ(done_of(&pong[p]), 0);
	}
}

/* 8 threads complete, 8 consume, each event exactly once. */
static struct completion shared;
static long consumed[8];

static void *shared_stress(void *arg)
{
	long i = (long)arg, me = i / 2;

	if (i % 2 == 0) {
		for (int k = 0; k < SHARED_EVENTS / 8; k++)
			complete(&shared);
		return NULL;
	}
	for (int k = 0; k < SHARED_EVENTS / 8; k++) {
		switch (k % 4) {
		case 0:
			if (!wait_for_completion_timeout(&shared, LONG_WAIT))
				KTEST_FAIL("an event was lost");
			break;
		case 1:
			if (wait_for_completion_interruptible_timeout(&shared, LONG_WAIT) <= 0)
				KTEST_FAIL("an event was lost");
			break;
		case 2:
			wait_for_completion(&shared);
			break;
		default:
			while (!try_wait_for_completion(&shared))
				sched_yield();
			break;
		}
		consumed[me]++;
	}
	return NULL;
}

static void test_stress_shared(void)
{
	long sum = 0;

	init_completion(&shared);
	ktest_run_threads(16, shared_stress);
	for (int i = 0; i < 8; i++)
		sum += consumed[i];
	CHECK_EQ(sum, SHARED_EVENTS);
	CHECK_EQ(done_of(&shared), 0);
	CHECK_EQ(queued(&shared), 0);
}

/* --- misuse, in children --------------------------------------------------------- */

static DEFINE_SPINLOCK(outer_spin);
static DECLARE_COMPLETION(ready);

static void child_wait_in_atomic(void)
{
	prctl(PR_SET_NAME, "waiter");
	complete(&ready);
	spin_lock(&outer_spin);
	wait_for_completion(&ready);	/* done already: it does not sleep */
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static irqreturn_t complete_all_handler(int irq, void *dev)
{
	(void)irq;
	complete_all(dev);
	if (!completion_done(dev) || !try_wait_for_completion(dev))
		printf("not done\n");
	return IRQ_HANDLED;
}

static void child_complete_in_handler(void)
{
	request_irq(SIGUSR1, complete_all_handler, 0, "done", &ready);
	pthread_kill(pthread_self(), SIGUSR1);
	wait_for_completion(&ready);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "wait_in_atomic", child_wait_in_atomic },
	{ "complete_in_handler", child_complete_in_handler },
	{ NULL, NULL },
};

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static struct ktest_child c;

static void test_might_sleep_reported(void)
{
	RUN_CHILD(&c, "wait_in_atomic", NULL, 10000);
	/* A function without a site: its caller, by code address and line. */
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at child_");
	CHECK_OUT(&c, " (test_completion.c:");
	CHECK_OUT(&c, "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ");
	CHECK_OUT(&c, ", name: waiter\n");
	CHECK_OUT(&c, "went on");
	RUN_CHILD(&c, "wait_in_atomic", debug_env, 10000);
	CHECK_OUT(&c, "(outer_spin), at: test_completion.c:");
}

static void test_handler_use_is_silent(void)
{
	RUN_CHILD(&c, "complete_in_handler", debug_env, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "not done");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	ktest_start_watchdog();
	RUN(test_initial_state);
	RUN(test_events_are_counted);
	RUN(test_complete_all);
	RUN(test_complete_wakes_one_fifo);
	RUN(test_timeouts);
	RUN(test_interruptible_and_killable);
	RUN(test_complete_from_handler);
	RUN(test_free_after_completion_done);
	RUN(test_stress_ping_pong);
	RUN(test_stress_shared);
	RUN(test_might_sleep_reported);
	RUN(test_handler_use_is_silent);
	printf("all completion tests passed\n");
	return 0;
}
