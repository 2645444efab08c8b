// SPDX-License-Identifier: MIT
/*
 * The rest of the wait_event family, as kernel code spells it: the _idle,
 * _cmd, _lock_irq*, _interruptible_lock_irq* and _interruptible*_locked*
 * waits; wake_up_locked/_all_locked/_poll/_sync; wait_woken() with
 * woken_wake_function; schedule_timeout_interruptible/_killable/
 * _uninterruptible/_idle and io_schedule().  Each wait: woken by its
 * condition (0 or jiffies left), interrupted where it is interruptible
 * (-ERESTARTSYS, off the queue), timing out where it has a timeout (0).
 * Stress with exact counts, more threads than CPUs: tokens handed out
 * under the queue's lock to exclusive _locked waiters, and a ping-pong
 * through wait_woken().
 */
#define _GNU_SOURCE
#include <poll.h>
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include <ksync/wait.h>
#include "ktest_deadline.h"

#define LONG_WAIT	((long)(KTEST_DEADLINE_S * HZ))

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

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

/* --- one waiter, every form ---------------------------------------------------- */

enum form {
	F_IDLE, F_IDLE_EXCL, F_IDLE_TIMEOUT, F_IDLE_EXCL_TIMEOUT, F_CMD,
	F_LOCK_IRQ, F_LOCK_IRQ_CMD, F_LOCK_IRQ_TIMEOUT,
	F_INTR_LOCK_IRQ, F_INTR_LOCK_IRQ_CMD, F_INTR_LOCK_IRQ_TIMEOUT,
	F_INTR_LOCKED, F_INTR_LOCKED_IRQ, F_INTR_EXCL_LOCKED, F_INTR_EXCL_LOCKED_IRQ,
	F_KILL_TIMEOUT, F_WOKEN, NR_FORMS
};

static const char *const form_names[NR_FORMS] = {
	"idle", "idle_exclusive", "idle_timeout", "idle_exclusive_timeout", "cmd",
	"lock_irq", "lock_irq_cmd", "lock_irq_timeout",
	"interruptible_lock_irq", "interruptible_lock_irq_cmd",
	"interruptible_lock_irq_timeout",
	"interruptible_locked", "interruptible_locked_irq",
	"interruptible_exclusive_locked", "interruptible_exclusive_locked_irq",
	"killable_timeout", "wait_woken",
};

static bool interruptible(enum form f)
{
	return f >= F_INTR_LOCK_IRQ && f <= F_INTR_EXCL_LOCKED_IRQ;
}

static bool timed(enum form f)
{
	return f == F_IDLE_TIMEOUT || f == F_IDLE_EXCL_TIMEOUT ||
	       f == F_LOCK_IRQ_TIMEOUT || f == F_INTR_LOCK_IRQ_TIMEOUT ||
	       f == F_KILL_TIMEOUT;
}

/* The waker changes the condition under wq.lock for the _locked forms. */
static bool under_wq_lock(enum form f)
{
	return f >= F_INTR_LOCKED && f <= F_INTR_EXCL_LOCKED_IRQ;
}

static DECLARE_WAIT_QUEUE_HEAD(wq);
static DEFINE_SPINLOCK(cond_lock);
static int flag, waiter_cpu = -1, cmds_before, cmds_after, lock_held_in_cond;
static long waiter_result;
static long timeout_arg;

/* Under cond_lock: it is held while the condition is tested. */
static int flag_locked(void)
{
	if (!spin_is_locked(&cond_lock))
		store(&lock_held_in_cond, 0);
	return load(&flag);
}

static void *form_waiter(void *arg)
{
	enum form f = (enum form)(long)arg;
	long r = 4242;

	store(&waiter_cpu, smp_processor_id());
	switch (f) {
	case F_IDLE:
		wait_event_idle(wq, load(&flag));
		r = 0;
		break;
	case F_IDLE_EXCL:
		wait_event_idle_exclusive(wq, load(&flag));
		r = 0;
		break;
	case F_IDLE_TIMEOUT:
		r = wait_event_idle_timeout(wq, load(&flag), timeout_arg);
		break;
	case F_IDLE_EXCL_TIMEOUT:
		r = wait_event_idle_exclusive_timeout(wq, load(&flag), timeout_arg);
		break;
	case F_CMD:
		wait_event_cmd(wq, load(&flag), cmds_before++, cmds_after++);
		r = 0;
		break;
	case F_LOCK_IRQ:
		spin_lock_irq(&cond_lock);
		wait_event_lock_irq(wq, flag_locked(), cond_lock);
		spin_unlock_irq(&cond_lock);
		r = 0;
		break;
	case F_LOCK_IRQ_CMD:
		spin_lock_irq(&cond_lock);
		wait_event_lock_irq_cmd(wq, flag_locked(), cond_lock, cmds_before++);
		spin_unlock_irq(&cond_lock);
		r = 0;
		break;
	case F_LOCK_IRQ_TIMEOUT:
		spin_lock_irq(&cond_lock);
		r = wait_event_lock_irq_timeout(wq, flag_locked(), cond_lock, timeout_arg);
		spin_unlock_irq(&cond_lock);
		break;
	case F_INTR_LOCK_IRQ:
		spin_lock_irq(&cond_lock);
		r = wait_event_interruptible_lock_irq(wq, flag_locked(), cond_lock);
		spin_unlock_irq(&cond_lock);
		break;
	case F_INTR_LOCK_IRQ_CMD:
		spin_lock_irq(&cond_lock);
		r = wait_event_interruptible_lock_irq_cmd(wq, flag_locked(), cond_lock,
							  cmds_before++);
		spin_unlock_irq(&cond_lock);
		break;
	case F_INTR_LOCK_IRQ_TIMEOUT:
		spin_lock_irq(&cond_lock);
		r = wait_event_interruptible_lock_irq_timeout(wq, flag_locked(), cond_lock,
							      timeout_arg);
		spin_unlock_irq(&cond_lock);
		break;
	case F_INTR_LOCKED:
		spin_lock(&wq.lock);
		r = wait_event_interruptible_locked(wq, load(&flag));
		spin_unlock(&wq.lock);
		break;
	case F_INTR_LOCKED_IRQ:
		spin_lock_irq(&wq.lock);
		r = wait_event_interruptible_locked_irq(wq, load(&flag));
		spin_unlock_irq(&wq.lock);
		break;
	case F_INTR_EXCL_LOCKED:
		spin_lock(&wq.lock);
		r = wait_event_interruptible_exclusive_locked(wq, load(&flag));
		spin_unlock(&wq.lock);
		break;
	case F_INTR_EXCL_LOCKED_IRQ:
		spin_lock_irq(&wq.lock);
		r = wait_event_interruptible_exclusive_locked_irq(wq, load(&flag));
		spin_unlock_irq(&wq.lock);
		break;
	case F_KILL_TIMEOUT:
		r = wait_event_killable_timeout(wq, load(&flag), timeout_arg);
		break;
	case F_WOKEN: {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		add_wait_queue(&wq, &wait);
		r = 0;
		while (!load(&flag)) {
			if (signal_pending(ksync_current())) {
				r = -ERESTARTSYS;
				break;
			}
			wait_woken(&wait, TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
		}
		remove_wait_queue(&wq, &wait);
		break;
	}
	case NR_FORMS:
		break;
	}
	__atomic_store_n(&waiter_result, r, __ATOMIC_RELEASE);
	return NULL;
}

static pthread_t start(enum form f, long timeout)
{
	pthread_t t;

	store(&flag, 0);
	store(&waiter_cpu, -1);
	store(&lock_held_in_cond, 1);
	cmds_before = cmds_after = 0;
	timeout_arg = timeout;
	waiter_result = 4242;
	CHECK(pthread_create(&t, NULL, form_waiter, (void *)(long)f) == 0);
	/* A short timeout may be over before we look: only long ones wait. */
	if (timeout >= LONG_WAIT)
		KTEST_WAIT_UNTIL(queued(&wq) == 1);
	return t;
}

static long result(void)
{
	return __atomic_load_n(&waiter_result, __ATOMIC_ACQUIRE);
}

static void make_true_and_wake(enum form f)
{
	if (under_wq_lock(f)) {
		spin_lock_irq(&wq.lock);
		store(&flag, 1);
		wake_up_locked(&wq);
		spin_unlock_irq(&wq.lock);
		return;
	}
	spin_lock_irq(&cond_lock);
	store(&flag, 1);
	spin_unlock_irq(&cond_lock);
	wake_up(&wq);
}

static void test_each_form_woken(void)
{
	for (int f = 0; f < NR_FORMS; f++) {
		pthread_t t = start(f, LONG_WAIT);

		ktest_current = form_names[f];
		make_true_and_wake(f);
		ktest_join_or_fail(t);
		if (timed(f))
			CHECK(result() > 0 && result() <= LONG_WAIT);
		else
			CHECK_EQ(result(), 0);
		CHECK(!waitqueue_active(&wq));
		CHECK(load(&lock_held_in_cond));
		CHECK_EQ(preempt_count(), 0);
		CHECK(!irqs_disabled());
	}
	/* The commands ran around the one sleep (or more: spurious wakeups). */
	ktest_current = "cmd";
}

static void test_cmds_run(void)
{
	pthread_t t = start(F_CMD, LONG_WAIT);

	make_true_and_wake(F_CMD);
	ktest_join_or_fail(t);
	CHECK(cmds_before >= 1);
	CHECK_EQ(cmds_before, cmds_after);
	t = start(F_LOCK_IRQ_CMD, LONG_WAIT);
	make_true_and_wake(F_LOCK_IRQ_CMD);
	ktest_join_or_fail(t);
	CHECK(cmds_before >= 1);
}

static irqreturn_t nop_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

/* Interruptible forms end with -ERESTARTSYS; the others sleep on. */
static void test_each_form_interrupted(void)
{
	for (int f = 0; f < NR_FORMS; f++) {
		pthread_t t = start(f, LONG_WAIT);

		ktest_current = form_names[f];
		CHECK_EQ(ksync_raise_irq(load(&waiter_cpu), SIGUSR1), 0);
		if (interruptible(f) || f == F_WOKEN) {
			ktest_join_or_fail(t);
			CHECK_EQ(result(), -ERESTARTSYS);
			CHECK(!waitqueue_active(&wq));
			continue;
		}
		ktest_sleep_ms(20);
		CHECK_EQ(result(), 4242);		/* still asleep */
		make_true_and_wake(f);
		ktest_join_or_fail(t);
		CHECK(result() >= 0);
	}
}

static void test_timeouts(void)
{
	static const enum form forms[] = { F_IDLE_TIMEOUT, F_IDLE_EXCL_TIMEOUT,
					   F_LOCK_IRQ_TIMEOUT, F_INTR_LOCK_IRQ_TIMEOUT,
					   F_KILL_TIMEOUT };

	for (unsigned int i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		pthread_t t = start(forms[i], 2);

		ktest_current = form_names[forms[i]];
		ktest_join_or_fail(t);
		CHECK_EQ(result(), 0);
		CHECK(!waitqueue_active(&wq));
	}
}

/* --- wakeups: _locked, _poll (the key), _sync (the flag) ------------------------ */

struct seen {
	struct wait_queue_entry wait;
	int calls, flags;
	void *key;
};

static int seeing_wake(struct wait_queue_entry *w, unsigned int mode, int flags, void *key)
{
	struct seen *s = (struct seen *)w;

	(void)mode;
	s->calls++;
	s->flags = flags;
	s->key = key;
	return 1;
}

static void test_wakeup_variants(void)
{
	struct wait_queue_head q;
	struct seen s[3];

	init_waitqueue_head(&q);
	for (int i = 0; i < 3; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		init_waitqueue_func_entry(&s[i].wait, seeing_wake);
		add_wait_queue_exclusive(&q, &s[i].wait);
	}
	wake_up_poll(&q, POLLIN | POLLRDNORM);
	CHECK_EQ(s[0].calls, 1);
	CHECK_EQ(s[1].calls, 0);
	CHECK(s[0].key == poll_to_key(POLLIN | POLLRDNORM));
	CHECK_EQ(key_to_poll(s[0].key), (unsigned int)(POLLIN | POLLRDNORM));
	wake_up_interruptible_poll(&q, POLLOUT);
	CHECK_EQ(s[0].calls, 2);
	CHECK(s[0].key == poll_to_key(POLLOUT));

	wake_up_sync(&q);
	CHECK_EQ(s[0].calls, 3);
	CHECK_EQ(s[0].flags, WF_SYNC);
	wake_up_interruptible_sync(&q);
	CHECK_EQ(s[0].calls, 4);
	wake_up_interruptible_sync_poll(&q, POLLIN);
	CHECK_EQ(s[0].calls, 5);
	CHECK_EQ(s[0].flags, WF_SYNC);

	spin_lock_irq(&q.lock);
	CHECK_EQ(wake_up_locked(&q), 1);
	CHECK_EQ(s[0].calls, 6);
	CHECK_EQ(s[1].calls, 0);
	wake_up_locked_poll(&q, POLLHUP);
	CHECK(s[0].key == poll_to_key(POLLHUP));
	CHECK_EQ(wake_up_all_locked(&q), 3);
	spin_unlock_irq(&q.lock);
	CHECK_EQ(s[1].calls, 1);
	CHECK_EQ(s[2].calls, 1);
	for (int i = 0; i < 3; i++)
		remove_wait_queue(&q, &s[i].wait);
}

/* --- schedule_timeout_*() and io_schedule() ------------------------------------ */

static int sleeper_cpu = -1;
static long sleeper_result;

static void *interruptible_sleeper(void *arg)
{
	(void)arg;
	store(&sleeper_cpu, smp_processor_id());
	__atomic_store_n(&sleeper_result, schedule_timeout_interruptible(LONG_WAIT),
			 __ATOMIC_RELEASE);
	return NULL;
}

static void test_schedule_timeout_forms(void)
{
	pthread_t t;

	CHECK_EQ(schedule_timeout_uninterruptible(1), 0);
	CHECK_EQ(schedule_timeout_interruptible(1), 0);
	CHECK_EQ(schedule_timeout_killable(1), 0);
	CHECK_EQ(schedule_timeout_idle(1), 0);
	__set_current_state(TASK_RUNNING);
	io_schedule();				/* running: returns at once */
	__set_current_state(TASK_RUNNING);
	CHECK_EQ(io_schedule_timeout(5), 5);	/* running: nothing slept */

	/* An interrupt ends the interruptible one early: jiffies left. */
	CHECK(pthread_create(&t, NULL, interruptible_sleeper, NULL) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&sleeper_result, __ATOMIC_ACQUIRE) != 0 ||
			 (load(&sleeper_cpu) >= 0 &&
			  ksync_raise_irq(load(&sleeper_cpu), SIGUSR1) && false));
	ktest_join_or_fail(t);
	CHECK(__atomic_load_n(&sleeper_result, __ATOMIC_ACQUIRE) > 0);
}

/* --- stress: tokens to exclusive _locked waiters, exact counts ------------------ */

#define TOKEN_THREADS	12
#define TOKENS_EACH	300

static DECLARE_WAIT_QUEUE_HEAD(token_wq);
static int tokens, consumed, producing_done;

static void *token_consumer(void *arg)
{
	int mine = 0;

	(void)arg;
	for (;;) {
		int r;

		spin_lock_irq(&token_wq.lock);
		r = wait_event_interruptible_exclusive_locked_irq(token_wq,
				tokens > 0 || producing_done);
		CHECK_EQ(r, 0);
		if (tokens > 0) {
			tokens--;
			consumed++;
			mine++;
		} else {
			/* Done and empty: pass the end on to the next waiter. */
			wake_up_locked(&token_wq);
			spin_unlock_irq(&token_wq.lock);
			break;
		}
		spin_unlock_irq(&token_wq.lock);
	}
	return (void *)(long)mine;
}

static void *token_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < TOKENS_EACH; i++) {
		spin_lock_irq(&token_wq.lock);
		tokens++;
		wake_up_locked(&token_wq);	/* one exclusive waiter */
		spin_unlock_irq(&token_wq.lock);
		if (!(i % 16))
			sched_yield();
	}
	return NULL;
}

static void test_locked_tokens_stress(void)
{
	pthread_t c[TOKEN_THREADS], p[TOKEN_THREADS / 2];
	long total = 0;

	for (int i = 0; i < TOKEN_THREADS; i++)
		CHECK(pthread_create(&c[i], NULL, token_consumer, NULL) == 0);
	for (int i = 0; i < TOKEN_THREADS / 2; i++)
		CHECK(pthread_create(&p[i], NULL, token_producer, NULL) == 0);
	for (int i = 0; i < TOKEN_THREADS / 2; i++)
		ktest_join_or_fail(p[i]);
	spin_lock_irq(&token_wq.lock);
	producing_done = 1;
	wake_up_all_locked(&token_wq);
	spin_unlock_irq(&token_wq.lock);
	for (int i = 0; i < TOKEN_THREADS; i++)
		total += (long)ktest_join_or_fail(c[i]);
	CHECK_EQ(total, (long)TOKEN_THREADS / 2 * TOKENS_EACH);
	CHECK_EQ(consumed, TOKEN_THREADS / 2 * TOKENS_EACH);
	CHECK_EQ(tokens, 0);
}

/* --- stress: a ping-pong through wait_woken(), exact count --------------------- */

#define PINGS	3000

static DECLARE_WAIT_QUEUE_HEAD(ping_wq);
static int ball;	/* whose turn: 0 or 1 */
static int hits[2];

static void *woken_player(void *arg)
{
	int me = (int)(long)arg;
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(&ping_wq, &wait);
	for (int i = 0; i < PINGS; i++) {
		while (load(&ball) != me)
			wait_woken(&wait, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
		hits[me]++;
		store(&ball, !me);
		wake_up(&ping_wq);
	}
	remove_wait_queue(&ping_wq, &wait);
	return NULL;
}

static void test_wait_woken_ping_pong(void)
{
	pthread_t t[2];

	for (long i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, woken_player, (void *)i) == 0);
	for (int i = 0; i < 2; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(hits[0], PINGS);
	CHECK_EQ(hits[1], PINGS);
}

int main(void)
{
	CHECK_EQ(request_irq(SIGUSR1, nop_handler, 0, "wait-family", NULL), 0);
	ktest_start_watchdog();
	RUN(test_each_form_woken);
	RUN(test_cmds_run);
	RUN(test_each_form_interrupted);
	RUN(test_timeouts);
	RUN(test_wakeup_variants);
	RUN(test_schedule_timeout_forms);
	RUN(test_locked_tokens_stress);
	RUN(test_wait_woken_ping_pong);
	return 0;
}
