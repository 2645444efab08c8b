// SPDX-License-Identifier: MIT
/*
 * Wait queues: every call; who a wakeup reaches (non-exclusive always,
 * exclusive nr at a time, interruptible-only wakeups); wait_event*() and
 * their timeouts and return values; -ERESTARTSYS for interruptible and killable
 * waits; wake_up() from an interrupt handler; hand-written wait loops;
 * and stress with exact counts: a bounded buffer between producers and
 * consumers, and a ping-pong that wakes through wq_has_sleeper().  In a
 * child, might_sleep() for a wait under a spinlock.
 *
 * Every wait in here has a deadline and fails loudly.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include <ksync/wait.h>
#include "ktest_deadline.h"
#include "ktest_waiter.h"

#define LONG_WAIT	((long)(KTEST_DEADLINE_S * HZ))

/* Entries on the queue, counted under its lock. */
static int queued(struct wait_queue_head *wq)
{
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&wq->lock, flags);
	for (struct ksync_list_head *p = wq->head.next; p != &wq->head; p = p->next)
		n++;
	spin_unlock_irqrestore(&wq->lock, flags);
	return n;
}

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* --- initialisation and the queue ---------------------------------------------- */

static DECLARE_WAIT_QUEUE_HEAD(static_wq);

static void test_init_and_active(void)
{
	DECLARE_WAIT_QUEUE_HEAD_ONSTACK(on_stack);
	struct wait_queue_head dyn;
	DEFINE_WAIT(a);
	DEFINE_WAIT(b);

	init_waitqueue_head(&dyn);
	CHECK(!waitqueue_active(&static_wq));
	CHECK(!waitqueue_active(&on_stack));
	CHECK(!wq_has_sleeper(&dyn));
	CHECK(!wq_has_single_sleeper(&dyn));

	prepare_to_wait(&dyn, &a, TASK_UNINTERRUPTIBLE);
	CHECK(waitqueue_active(&dyn));
	CHECK(wq_has_sleeper(&dyn));
	CHECK(wq_has_single_sleeper(&dyn));
	prepare_to_wait(&dyn, &a, TASK_UNINTERRUPTIBLE);	/* already queued */
	CHECK_EQ(queued(&dyn), 1);
	finish_wait(&dyn, &a);
	CHECK(!waitqueue_active(&dyn));

	CHECK(prepare_to_wait_exclusive(&dyn, &a, TASK_INTERRUPTIBLE));	/* first */
	CHECK(!prepare_to_wait_exclusive(&dyn, &b, TASK_INTERRUPTIBLE));
	CHECK(!wq_has_single_sleeper(&dyn));
	CHECK_EQ(queued(&dyn), 2);
	/* Our own entries: wake_up() makes us runnable and takes one off. */
	CHECK_EQ(wake_up(&dyn), 1);
	CHECK_EQ(queued(&dyn), 1);
	finish_wait(&dyn, &a);
	finish_wait(&dyn, &b);
	CHECK(!waitqueue_active(&dyn));
	CHECK_EQ(preempt_count(), 0);
}

/* --- who a wakeup reaches: wake functions that only count ----------------------- */

struct counted {
	struct wait_queue_entry wait;
	int calls;
	int ret;		/* what the wake function returns */
	unsigned int mode;
	void *key;
};

static int counting_wake(struct wait_queue_entry *w, unsigned int mode, int flags,
			 void *key)
{
	struct counted *c = (struct counted *)w;

	(void)flags;
	c->calls++;
	c->mode = mode;
	c->key = key;
	return c->ret;
}

static void test_wake_up_reach(void)
{
	struct wait_queue_head wq;
	struct counted ne[2], ex[4];
	int key;

	init_waitqueue_head(&wq);
	for (int i = 0; i < 2; i++) {
		memset(&ne[i], 0, sizeof(ne[i]));
		init_waitqueue_func_entry(&ne[i].wait, counting_wake);
		ne[i].ret = 1;
		add_wait_queue(&wq, &ne[i].wait);
	}
	for (int i = 0; i < 4; i++) {
		memset(&ex[i], 0, sizeof(ex[i]));
		init_waitqueue_func_entry(&ex[i].wait, counting_wake);
		ex[i].ret = 1;
		add_wait_queue_exclusive(&wq, &ex[i].wait);
	}
	/* Non-exclusive always, then exclusive ones in the order they came. */
	CHECK_EQ(wake_up(&wq), 1);
	CHECK(ne[0].calls == 1 && ne[1].calls == 1);
	CHECK(ex[0].calls == 1 && ex[1].calls == 0);
	CHECK_EQ(ne[0].mode, TASK_NORMAL);
	CHECK_EQ(wake_up_nr(&wq, 2), 2);
	CHECK(ne[0].calls == 2 && ex[0].calls == 2 && ex[1].calls == 1 && ex[2].calls == 0);
	CHECK_EQ(wake_up_all(&wq), 4);
	for (int i = 0; i < 4; i++)
		CHECK(ex[i].calls >= 1);
	CHECK_EQ(ex[3].calls, 1);
	CHECK_EQ(wake_up_interruptible(&wq), 1);
	CHECK_EQ(ne[1].mode, TASK_INTERRUPTIBLE);
	CHECK_EQ(wake_up_interruptible_nr(&wq, 3), 3);
	CHECK_EQ(wake_up_interruptible_all(&wq), 4);

	/* An exclusive waiter that was not woken does not count. */
	for (int i = 0; i < 4; i++)
		ex[i].calls = 0;
	ex[0].ret = 0;
	CHECK_EQ(wake_up(&wq), 1);
	CHECK(ex[0].calls == 1 && ex[1].calls == 1 && ex[2].calls == 0);
	/* A negative return stops the walk; the key reaches the function. */
	ex[0].ret = -1;
	CHECK_EQ(__wake_up(&wq, TASK_NORMAL, 0, &key), 0);
	CHECK(ex[0].key == &key && ex[1].calls == 1);

	for (int i = 0; i < 2; i++)
		remove_wait_queue(&wq, &ne[i].wait);
	for (int i = 0; i < 4; i++)
		remove_wait_queue(&wq, &ex[i].wait);
	CHECK(!waitqueue_active(&wq));
	CHECK_EQ(wake_up_all(&wq), 0);
}

/* --- the same with sleeping threads ---------------------------------------------- */

static struct wait_queue_head sleep_wq;
static int sleepers_queued, sleepers_woken;

struct sleeper_args {
	bool exclusive;
	unsigned int state;
};

static void *sleeper(void *arg)
{
	const struct sleeper_args *a = arg;
	DEFINE_WAIT(w);
	long left;

	if (a->exclusive)
		(void)prepare_to_wait_exclusive(&sleep_wq, &w, a->state);
	else
		prepare_to_wait(&sleep_wq, &w, a->state);
	__atomic_fetch_add(&sleepers_queued, 1, __ATOMIC_RELEASE);
	left = schedule_timeout(LONG_WAIT);
	finish_wait(&sleep_wq, &w);
	if (!left)
		KTEST_FAIL("a sleeper was never woken");
	__atomic_fetch_add(&sleepers_woken, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void start_sleepers(pthread_t *t, struct sleeper_args *a, int n)
{
	int before = load(&sleepers_queued);

	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, sleeper, &a[i]) == 0);
	KTEST_WAIT_UNTIL(load(&sleepers_queued) == before + n);
}

/* The woken count reaches want and stays there. */
static void expect_woken(int want)
{
	KTEST_WAIT_UNTIL(load(&sleepers_woken) >= want);
	ktest_sleep_ms(20);
	CHECK_EQ(load(&sleepers_woken), want);
}

static void test_exclusive_sleepers(void)
{
	struct sleeper_args a[6] = {
		{ false, TASK_UNINTERRUPTIBLE }, { false, TASK_INTERRUPTIBLE },
		{ true, TASK_UNINTERRUPTIBLE }, { true, TASK_INTERRUPTIBLE },
		{ true, TASK_KILLABLE }, { true, TASK_UNINTERRUPTIBLE },
	};
	pthread_t t[6];

	init_waitqueue_head(&sleep_wq);
	sleepers_queued = sleepers_woken = 0;
	start_sleepers(t, a, 6);
	CHECK_EQ(queued(&sleep_wq), 6);
	CHECK_EQ(wake_up(&sleep_wq), 1);	/* both non-exclusive and one more */
	expect_woken(3);
	CHECK_EQ(queued(&sleep_wq), 3);
	CHECK_EQ(wake_up_nr(&sleep_wq, 2), 2);
	expect_woken(5);
	CHECK_EQ(wake_up_all(&sleep_wq), 1);
	expect_woken(6);
	for (int i = 0; i < 6; i++)
		ktest_join_or_fail(t[i]);
	CHECK(!waitqueue_active(&sleep_wq));
}

static void test_interruptible_wakeups_only(void)
{
	struct sleeper_args a[3] = {
		{ false, TASK_UNINTERRUPTIBLE }, { false, TASK_INTERRUPTIBLE },
		{ true, TASK_KILLABLE },
	};
	pthread_t t[3];

	init_waitqueue_head(&sleep_wq);
	sleepers_queued = sleepers_woken = 0;
	start_sleepers(t, a, 3);
	CHECK_EQ(wake_up_interruptible_all(&sleep_wq), 0);
	expect_woken(1);			/* only the interruptible one */
	CHECK_EQ(queued(&sleep_wq), 2);
	CHECK_EQ(wake_up_interruptible(&sleep_wq), 0);
	CHECK_EQ(wake_up_interruptible_nr(&sleep_wq, 5), 0);
	expect_woken(1);
	CHECK_EQ(wake_up(&sleep_wq), 1);	/* the killable one is exclusive */
	expect_woken(3);
	for (int i = 0; i < 3; i++)
		ktest_join_or_fail(t[i]);
}

/* --- wait_event*() --------------------------------------------------------------- */

static struct wait_queue_head ev_wq;
static int ev_flag;

static void *set_flag_later(void *arg)
{
	ktest_sleep_ms(20);
	store(&ev_flag, 1);
	wake_up(&ev_wq);
	return arg;
}

static pthread_t setter(void)
{
	pthread_t t;

	store(&ev_flag, 0);
	CHECK(pthread_create(&t, NULL, set_flag_later, NULL) == 0);
	return t;
}

static void test_wait_event_returns(void)
{
	pthread_t t;
	double t0, dt;
	long r;

	init_waitqueue_head(&ev_wq);

	t = setter();
	wait_event(ev_wq, load(&ev_flag));
	ktest_join_or_fail(t);

	/* The kernel's timeout rule: 0 only if the condition is still false. */
	store(&ev_flag, 0);
	CHECK_EQ(wait_event_timeout(ev_wq, 1, 77), 77);
	CHECK_EQ(wait_event_timeout(ev_wq, 1, 0), 1);
	CHECK_EQ(wait_event_timeout(ev_wq, load(&ev_flag), 0), 0);
	t0 = ktest_now();
	CHECK_EQ(wait_event_timeout(ev_wq, load(&ev_flag), 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.050 && dt < 5.0);
	t0 = ktest_now();
	CHECK_EQ(wait_event_interruptible_timeout(ev_wq, load(&ev_flag), 50), 0);
	CHECK_EQ(wait_event_killable_timeout(ev_wq, load(&ev_flag), 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.100 && dt < 10.0);
	CHECK(!waitqueue_active(&ev_wq));

	t = setter();
	t0 = ktest_now();
	r = wait_event_timeout(ev_wq, load(&ev_flag), 5000);
	dt = ktest_now() - t0;
	ktest_join_or_fail(t);
	CHECK(r >= 1 && r <= 5000);
	CHECK((double)r >= 5000 - dt * 1000 - 1);

	t = setter();
	r = wait_event_interruptible_timeout(ev_wq, load(&ev_flag), 5000);
	ktest_join_or_fail(t);
	CHECK(r >= 1 && r <= 5000);
	t = setter();
	r = wait_event_killable_timeout(ev_wq, load(&ev_flag), 5000);
	ktest_join_or_fail(t);
	CHECK(r >= 1 && r <= 5000);
	t = setter();
	CHECK_EQ(wait_event_interruptible(ev_wq, load(&ev_flag)), 0);
	ktest_join_or_fail(t);
	t = setter();
	CHECK_EQ(wait_event_killable(ev_wq, load(&ev_flag)), 0);
	ktest_join_or_fail(t);
	t = setter();
	CHECK_EQ(wait_event_interruptible_exclusive(ev_wq, load(&ev_flag)), 0);
	ktest_join_or_fail(t);
	CHECK(!waitqueue_active(&ev_wq));
}

/* The condition is tested under the lock, released while asleep. */
static DEFINE_SPINLOCK(cond_lock);
static int under_lock;

static void *set_under_lock(void *arg)
{
	ktest_sleep_ms(20);
	spin_lock_irq(&cond_lock);
	under_lock = 1;
	spin_unlock_irq(&cond_lock);
	wake_up(&ev_wq);
	return arg;
}

static void test_wait_event_lock_irq(void)
{
	pthread_t t;

	init_waitqueue_head(&ev_wq);
	under_lock = 0;
	CHECK(pthread_create(&t, NULL, set_under_lock, NULL) == 0);
	spin_lock_irq(&cond_lock);
	wait_event_lock_irq(ev_wq, under_lock, cond_lock);
	CHECK(irqs_disabled());
	CHECK_EQ(under_lock, 1);
	spin_unlock_irq(&cond_lock);
	ktest_join_or_fail(t);
	CHECK(!irqs_disabled());
	CHECK_EQ(preempt_count(), 0);
}

/* --- signals and interrupt handlers ----------------------------------------------- */


enum how { HOW_INTERRUPTIBLE, HOW_INTR_TIMEOUT, HOW_KILLABLE, HOW_KILL_TIMEOUT,
	   HOW_PLAIN, HOW_INTR_EXCLUSIVE };

static void event_waiter(struct ktest_waiter *w)
{
	long r = 0;

	switch ((enum how)w->how) {
	case HOW_INTERRUPTIBLE:
		r = wait_event_interruptible(ev_wq, load(&ev_flag));
		break;
	case HOW_INTR_TIMEOUT:
		r = wait_event_interruptible_timeout(ev_wq, load(&ev_flag), LONG_WAIT);
		break;
	case HOW_KILLABLE:
		r = wait_event_killable(ev_wq, load(&ev_flag));
		break;
	case HOW_KILL_TIMEOUT:
		r = wait_event_killable_timeout(ev_wq, load(&ev_flag), LONG_WAIT);
		break;
	case HOW_PLAIN:
		wait_event(ev_wq, load(&ev_flag));
		break;
	case HOW_INTR_EXCLUSIVE:
		r = wait_event_interruptible_exclusive(ev_wq, load(&ev_flag));
		break;
	}
	ktest_waiter_set_result(w, r);
}

static struct ktest_waiter waiter;

static void start_waiter(enum how how)
{
	init_waitqueue_head(&ev_wq);
	store(&ev_flag, 0);
	ktest_waiter_start(&waiter, event_waiter, NULL, how);
	KTEST_WAIT_UNTIL(queued(&ev_wq) == 1);	/* queued: its state is set */
}

static irqreturn_t wake_handler(int irq, void *dev)
{
	(void)irq;
	store(&ev_flag, 1);		/* the condition first, then the wakeup */
	wake_up(dev);			/* from hardirq context */
	return IRQ_HANDLED;
}

static void test_interruptible_and_killable(void)
{
	static const enum how intr[] = { HOW_INTERRUPTIBLE, HOW_INTR_TIMEOUT,
					 HOW_INTR_EXCLUSIVE };
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "wait-test", NULL), 0);
	for (unsigned int i = 0; i < sizeof(intr) / sizeof(intr[0]); i++) {
		start_waiter(intr[i]);
		CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -ERESTARTSYS);
		CHECK(!waitqueue_active(&ev_wq));	/* it left the queue */
	}
	/* Killable: an interrupt does not end it, a fatal signal does. */
	start_waiter(HOW_KILLABLE);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -ERESTARTSYS);
	start_waiter(HOW_KILL_TIMEOUT);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -ERESTARTSYS);
	CHECK(!waitqueue_active(&ev_wq));
	/* wait_event() sleeps through both. */
	start_waiter(HOW_PLAIN);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	CHECK_EQ(ktest_waiter_kill(&waiter), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	store(&ev_flag, 1);
	wake_up(&ev_wq);
	CHECK_EQ(ktest_waiter_join(&waiter), 0);

	/* An interrupt before the wait began does not interrupt it. */
	store(&ev_flag, 0);
	CHECK(pthread_kill(pthread_self(), SIGUSR1) == 0);
	ktest_sleep_ms(1);		/* under TSan, the handler runs here */
	CHECK_EQ(wait_event_interruptible_timeout(ev_wq, load(&ev_flag), 20), 0);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

static void test_wake_up_from_handler(void)
{
	CHECK_EQ(request_irq(SIGUSR2, wake_handler, 0, "wake", &ev_wq), 0);
	/* On the sleeping thread itself: the condition holds, so 0. */
	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);
	start_waiter(HOW_PLAIN);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);
	/* On another thread. */
	start_waiter(HOW_KILL_TIMEOUT);
	CHECK(ktest_waiter_join_irq_elsewhere(&waiter, SIGUSR2) >= 1);
	CHECK(free_irq(SIGUSR2, &ev_wq) != NULL);
}

/* --- hand-written loops ------------------------------------------------------------ */

static void *manual_waiter(void *arg)
{
	DECLARE_WAITQUEUE(wait, ksync_current());
	long left = LONG_WAIT;

	/* add_wait_queue(): default_wake_function leaves us queued. */
	add_wait_queue(&ev_wq, &wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (load(&ev_flag))
			break;
		if (signal_pending(ksync_current()))
			KTEST_FAIL("no signal was sent");
		left = schedule_timeout(left);
		if (!left)
			KTEST_FAIL("never woken");
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&ev_wq, &wait);
	return arg;
}

static void test_hand_written_loops(void)
{
	pthread_t t;

	init_waitqueue_head(&ev_wq);
	store(&ev_flag, 0);
	CHECK(pthread_create(&t, NULL, manual_waiter, NULL) == 0);
	KTEST_WAIT_UNTIL(queued(&ev_wq) == 1);
	CHECK_EQ(wake_up(&ev_wq), 0);	/* non-exclusive: not counted */
	ktest_sleep_ms(10);
	CHECK_EQ(queued(&ev_wq), 1);	/* still queued, back to sleep */
	store(&ev_flag, 1);
	wake_up(&ev_wq);
	ktest_join_or_fail(t);
	CHECK(!waitqueue_active(&ev_wq));
}

/* --- stress: a bounded buffer, exact counts ----------------------------------------- */

#define SLOTS		8
#define PRODUCERS	8
#define CONSUMERS	8
#define ITEMS		40000

static DEFINE_SPINLOCK(buf_lock);
static int buf[SLOTS], buf_head, buf_len;
static struct wait_queue_head not_full, not_empty;
static unsigned char seen[ITEMS];
static int next_item;

static bool try_put(int v)
{
	bool ok;

	spin_lock(&buf_lock);
	ok = buf_len < SLOTS;
	if (ok)
		buf[(buf_head + buf_len++) % SLOTS] = v;
	spin_unlock(&buf_lock);
	return ok;
}

static bool try_get(int *v)
{
	bool ok;

	spin_lock(&buf_lock);
	ok = buf_len > 0;
	if (ok) {
		*v = buf[buf_head];
		buf_head = (buf_head + 1) % SLOTS;
		buf_len--;
	}
	spin_unlock(&buf_lock);
	return ok;
}

/* Half the wakers skip wake_up() when nobody sleeps, half always call it. */
static void wake(struct wait_queue_head *wq, long i)
{
	if (i % 2 == 0) {
		if (wq_has_sleeper(wq))
			wake_up(wq);
	} else {
		wake_up(wq);
	}
}

static void *buffer_stress(void *arg)
{
	long i = (long)arg;
	int v;

	if (i < PRODUCERS) {
		while ((v = __atomic_fetch_add(&next_item, 1, __ATOMIC_RELAXED)) < ITEMS) {
			if (!wait_event_timeout(not_full, try_put(v), LONG_WAIT))
				KTEST_FAIL("producer never woken: a lost wakeup");
			wake(&not_empty, i);
		}
		return NULL;
	}
	for (int k = 0; k < ITEMS / CONSUMERS; k++) {
		if (k % 2) {
			if (!wait_event_timeout(not_empty, try_get(&v), LONG_WAIT))
				KTEST_FAIL("consumer never woken: a lost wakeup");
		} else if (wait_event_interruptible_exclusive(not_empty, try_get(&v))) {
			KTEST_FAIL("interrupted with no signal sent");
		}
		__atomic_fetch_add(&seen[v], 1, __ATOMIC_RELAXED);
		wake(&not_full, i);
	}
	return NULL;
}

static void test_stress_bounded_buffer(void)
{
	init_waitqueue_head(&not_full);
	init_waitqueue_head(&not_empty);
	ktest_run_threads(PRODUCERS + CONSUMERS, buffer_stress);
	for (int v = 0; v < ITEMS; v++)
		if (seen[v] != 1)
			KTEST_FAIL("item %d consumed %d times", v, seen[v]);
	CHECK_EQ(buf_len, 0);
	CHECK(!waitqueue_active(&not_full));
	CHECK(!waitqueue_active(&not_empty));
}

/* Ping-pong through flags, waking only through wq_has_sleeper(). */
#define PAIRS		8
#define ROUNDS		3000

static struct wait_queue_head pp_wq[PAIRS];
static int turn[PAIRS];

static void *ping_pong(void *arg)
{
	long i = (long)arg, p = i / 2, me = i % 2;

	for (int r = 0; r < ROUNDS; r++) {
		if (!wait_event_timeout(pp_wq[p], load(&turn[p]) == me, LONG_WAIT))
			KTEST_FAIL("pair %ld round %d: wakeup lost", p, r);
		store(&turn[p], !me);
		if (wq_has_sleeper(&pp_wq[p]))
			wake_up(&pp_wq[p]);
	}
	return NULL;
}

static void test_stress_has_sleeper(void)
{
	for (int p = 0; p < PAIRS; p++) {
		init_waitqueue_head(&pp_wq[p]);
		turn[p] = 0;
	}
	ktest_run_threads(2 * PAIRS, ping_pong);
	for (int p = 0; p < PAIRS; p++)
		CHECK_EQ(turn[p], 0);	/* an even number of turns each */
}

/* --- misuse, in a child ---------------------------------------------------------------- */

static DEFINE_SPINLOCK(outer_spin);

static void child_wait_in_atomic(void)
{
	prctl(PR_SET_NAME, "waiter");
	init_waitqueue_head(&ev_wq);
	spin_lock(&outer_spin);
	wait_event(ev_wq, 1);		/* true: it does not sleep */
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "wait_in_atomic", child_wait_in_atomic },
	{ NULL, NULL },
};

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static struct ktest_child c;

static void test_might_sleep_reported(void)
{
	RUN_CHILD(&c, "wait_in_atomic", NULL, 10000);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_wait.c:");
	CHECK_OUT(&c, ", name: waiter\n");
	CHECK_OUT(&c, "went on");
	RUN_CHILD(&c, "wait_in_atomic", debug_env, 10000);
	CHECK_OUT(&c, "(outer_spin), at: test_wait.c:");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	ktest_start_watchdog();
	RUN(test_init_and_active);
	RUN(test_wake_up_reach);
	RUN(test_exclusive_sleepers);
	RUN(test_interruptible_wakeups_only);
	RUN(test_wait_event_returns);
	RUN(test_wait_event_lock_irq);
	RUN(test_interruptible_and_killable);
	RUN(test_wake_up_from_handler);
	RUN(test_hand_written_loops);
	RUN(test_stress_bounded_buffer);
	RUN(test_stress_has_sleeper);
	RUN(test_might_sleep_reported);
	printf("all wait queue tests passed\n");
	return 0;
}
