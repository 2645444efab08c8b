// SPDX-License-Identifier: MIT
/*
 * Condition variables: with a mutex, a spinlock_t (held plainly, with
 * interrupts masked, or with counted disabling) and a raw_spinlock_t.
 * Notifications are not remembered; notify_one() wakes one waiter in FIFO
 * order, notify_all() all; timeouts return 0 in time and the jiffies left
 * otherwise, with the lock held again either way; interruptible waits
 * return -EINTR; notifying from an interrupt handler wakes a sleeper,
 * which proves interrupts are on while it sleeps; producer/consumer
 * stress with exact counts for every lock type.  In children: a wait
 * without the lock (KSYNC_DEBUG) and a wait that would sleep in atomic
 * context.
 *
 * Waiters always re-test their condition in a loop (spurious wakeups are
 * allowed), and every wait has a deadline and fails loudly.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/condvar.h>
#include <ksync/interrupt.h>
#include <ksync/mutex.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest_deadline.h"
#include "ktest_waiter.h"

#define LONG_WAIT	((long)(KTEST_DEADLINE_S * HZ))

static int queued(struct condvar *cv)
{
	struct wait_queue_head *wq = &cv->wait_queue_head;
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

/* --- the lock types, behind one interface for the shared tests ---------------- */

enum kind { SPIN, SPIN_IRQ, SPIN_COUNTED, RAW_SPIN, MUTEX, NR_KINDS };

static const char *const kind_name[] = {
	"spin_lock", "spin_lock_irq", "spin_lock_irq_disable", "raw_spin_lock", "mutex",
};

struct any_lock {
	enum kind kind;
	spinlock_t spin;
	raw_spinlock_t raw;
	struct mutex mutex;
};

static void any_init(struct any_lock *l, enum kind kind)
{
	l->kind = kind;
	spin_lock_init(&l->spin);
	raw_spin_lock_init(&l->raw);
	mutex_init(&l->mutex);
}

static void any_lock(struct any_lock *l)
{
	switch (l->kind) {
	case SPIN:
		spin_lock(&l->spin);
		break;
	case SPIN_IRQ:
		spin_lock_irq(&l->spin);
		break;
	case SPIN_COUNTED:
		spin_lock_irq_disable(&l->spin);
		break;
	case RAW_SPIN:
		raw_spin_lock(&l->raw);
		break;
	default:
		mutex_lock(&l->mutex);
		break;
	}
}

static void any_unlock(struct any_lock *l)
{
	switch (l->kind) {
	case SPIN:
		spin_unlock(&l->spin);
		break;
	case SPIN_IRQ:
		spin_unlock_irq(&l->spin);
		break;
	case SPIN_COUNTED:
		spin_unlock_irq_enable(&l->spin);
		break;
	case RAW_SPIN:
		raw_spin_unlock(&l->raw);
		break;
	default:
		mutex_unlock(&l->mutex);
		break;
	}
}

/* The held state that must hold again after every wait. */
static void check_held(struct any_lock *l)
{
	switch (l->kind) {
	case SPIN:
		CHECK(spin_is_locked(&l->spin) && in_atomic() && !irqs_disabled());
		break;
	case SPIN_IRQ:
		CHECK(spin_is_locked(&l->spin) && irqs_disabled());
		break;
	case SPIN_COUNTED:
		CHECK(spin_is_locked(&l->spin) && irqs_disabled());
		CHECK_EQ(local_interrupt_disable_count(), 1);
		break;
	case RAW_SPIN:
		CHECK(raw_spin_is_locked(&l->raw) && in_atomic());
		break;
	default:
		CHECK(mutex_is_locked(&l->mutex) && !in_atomic());
		break;
	}
}

/*
 * One call site per lock type and form: the _Generic pick is under test.
 * An untimed wait returns 0 or -EINTR; a timed one the jiffies left, 0
 * or -EINTR.
 */
#define WAIT_ON(cv, lock, intr, timeout)				\
	((timeout) == MAX_SCHEDULE_TIMEOUT ?				\
	 ((intr) ? condvar_wait_interruptible(cv, lock)			\
		 : (condvar_wait(cv, lock), 0)) :			\
	 ((intr) ? condvar_wait_interruptible_timeout(cv, lock, timeout) \
		 : condvar_wait_timeout(cv, lock, timeout)))

static long any_wait(struct condvar *cv, struct any_lock *l, int intr, long timeout)
{
	struct mutex *m = &l->mutex;
	raw_spinlock_t *raw = &l->raw;
	spinlock_t *spin = &l->spin;

	switch (l->kind) {
	case SPIN:
	case SPIN_IRQ:
	case SPIN_COUNTED:
		return WAIT_ON(cv, spin, intr, timeout);
	case RAW_SPIN:
		return WAIT_ON(cv, raw, intr, timeout);
	default:
		return WAIT_ON(cv, m, intr, timeout);
	}
}

/* --- the calls ---------------------------------------------------------------- */

static DEFINE_CONDVAR(static_cv);
static DEFINE_SPINLOCK(plain_lock);
static DEFINE_MUTEX(plain_mutex);

static void test_not_sticky_and_timeouts(void)
{
	struct condvar cv;
	double t0, dt;

	condvar_init(&cv);
	condvar_notify_one(&cv);		/* nobody waits: nothing happens */
	condvar_notify_all(&static_cv);
	spin_lock(&plain_lock);
	t0 = ktest_now();
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.050 && dt < 5.0);
	CHECK(spin_is_locked(&plain_lock) && in_atomic());
	CHECK_EQ(condvar_wait_interruptible_timeout(&static_cv, &plain_lock, 20), 0);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, 0), 0);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, -3), 0);
	spin_unlock(&plain_lock);

	mutex_lock(&plain_mutex);
	t0 = ktest_now();
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_mutex, 50), 0);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.050 && dt < 5.0);
	CHECK(mutex_is_locked(&plain_mutex));
	mutex_unlock(&plain_mutex);
	CHECK(!waitqueue_active(&cv.wait_queue_head));
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
}

/* --- one waiter, each lock type, each outcome ------------------------------------- */

static struct condvar cv1;
static struct any_lock lk;
static int flag;		/* under lk */

enum how { HOW_PLAIN, HOW_INTR, HOW_TIMEOUT, HOW_INTR_TIMEOUT };

static void one_waiter(struct ktest_waiter *w)
{
	enum how how = (enum how)w->how;
	long r = 0;

	any_lock(&lk);
	while (!flag) {
		switch (how) {
		case HOW_PLAIN:
			r = any_wait(&cv1, &lk, 0, MAX_SCHEDULE_TIMEOUT);
			break;
		case HOW_INTR:
			r = any_wait(&cv1, &lk, 1, MAX_SCHEDULE_TIMEOUT);
			break;
		case HOW_TIMEOUT:
			r = any_wait(&cv1, &lk, 0, LONG_WAIT);
			break;
		case HOW_INTR_TIMEOUT:
			r = any_wait(&cv1, &lk, 1, LONG_WAIT);
			break;
		}
		check_held(&lk);
		if (r < 0 || (r == 0 && (how == HOW_TIMEOUT || how == HOW_INTR_TIMEOUT)))
			break;
	}
	any_unlock(&lk);
	ktest_waiter_set_result(w, r);
}

static struct ktest_waiter waiter;

static void start_waiter(enum kind kind, enum how how)
{
	condvar_init(&cv1);
	any_init(&lk, kind);
	flag = 0;
	ktest_waiter_start(&waiter, one_waiter, NULL, how);
	KTEST_WAIT_UNTIL(queued(&cv1) == 1);
}

static void set_flag_and_notify(void)
{
	any_lock(&lk);
	flag = 1;
	any_unlock(&lk);
	condvar_notify_one(&cv1);
}

static int handler_flag;

/* No lock in here: notifying needs none (and the waiter's may sleep). */
static irqreturn_t notify_handler(int irq, void *dev)
{
	(void)irq;
	__atomic_store_n(&handler_flag, 1, __ATOMIC_RELEASE);
	condvar_notify_all(dev);
	return IRQ_HANDLED;
}

static void test_each_lock_type(void)
{
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "condvar-test", NULL), 0);
	for (int k = 0; k < NR_KINDS; k++) {
		long r;

		printf("# %s\n", kind_name[k]);
		for (int how = HOW_PLAIN; how <= HOW_INTR_TIMEOUT; how++) {
			start_waiter(k, how);
			set_flag_and_notify();
			r = ktest_waiter_join(&waiter);
			if (how == HOW_TIMEOUT || how == HOW_INTR_TIMEOUT)
				CHECK(r >= 1 && r <= LONG_WAIT);	/* Woken */
			else
				CHECK_EQ(r, 0);
		}
		/* Signal: -EINTR, with the lock held again (checked inside). */
		start_waiter(k, HOW_INTR);
		CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -EINTR);
		start_waiter(k, HOW_INTR_TIMEOUT);
		CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -EINTR);
		/* The uninterruptible ones sleep through it. */
		start_waiter(k, HOW_TIMEOUT);
		CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
		ktest_sleep_ms(30);
		CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
		set_flag_and_notify();
		CHECK(ktest_waiter_join(&waiter) >= 1);
		CHECK(!waitqueue_active(&cv1.wait_queue_head));
	}
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/*
 * An interrupt raised at the sleeping waiter runs its handler there,
 * which is only possible if the wait unmasked the interrupts that the
 * caller's lock had masked; the handler's notify then wakes the waiter.
 */
static void irq_woken_waiter(struct ktest_waiter *w)
{
	long r = 0;

	any_lock(&lk);
	while (!load(&handler_flag) && r == 0) {
		r = any_wait(&cv1, &lk, 0, LONG_WAIT) ? 0 : -ETIME;
		check_held(&lk);
	}
	any_unlock(&lk);
	ktest_waiter_set_result(w, r);
}

static void test_notify_from_handler(void)
{
	CHECK_EQ(request_irq(SIGUSR2, notify_handler, 0, "notify", &cv1), 0);
	for (int k = 0; k < NR_KINDS; k++) {
		condvar_init(&cv1);
		any_init(&lk, k);
		__atomic_store_n(&handler_flag, 0, __ATOMIC_RELEASE);
		ktest_waiter_start(&waiter, irq_woken_waiter, NULL, 0);
		KTEST_WAIT_UNTIL(queued(&cv1) == 1);
		CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);
	}
	CHECK(free_irq(SIGUSR2, &cv1) != NULL);
}

/* --- notify_one() wakes one, first come first woken; notify_all() all ------------- */

#define CROWD	5

static struct condvar crowd_cv;
static DEFINE_MUTEX(crowd_mutex);
static int crowd_order[CROWD], crowd_woken;

static void *crowd_waiter(void *arg)
{
	long r;

	mutex_lock(&crowd_mutex);
	/* One wait, no loop: the test counts wakeups, not conditions. */
	r = condvar_wait_timeout(&crowd_cv, &crowd_mutex, LONG_WAIT);
	if (!r)
		KTEST_FAIL("waiter %ld never notified", (long)arg);
	crowd_order[crowd_woken++] = (int)(long)arg;	/* under the mutex */
	mutex_unlock(&crowd_mutex);
	return NULL;
}

static int woken(void)
{
	int n;

	mutex_lock(&crowd_mutex);
	n = crowd_woken;
	mutex_unlock(&crowd_mutex);
	return n;
}

static void expect_woken(int want)
{
	KTEST_WAIT_UNTIL(woken() >= want);
	ktest_sleep_ms(20);
	CHECK_EQ(woken(), want);
}

static void test_notify_one_fifo_and_all(void)
{
	pthread_t t[CROWD];

	condvar_init(&crowd_cv);
	crowd_woken = 0;
	for (long i = 0; i < CROWD; i++) {
		CHECK(pthread_create(&t[i], NULL, crowd_waiter, (void *)i) == 0);
		KTEST_WAIT_UNTIL(queued(&crowd_cv) == i + 1);
	}
	condvar_notify_one(&crowd_cv);
	expect_woken(1);
	condvar_notify_one(&crowd_cv);
	expect_woken(2);
	CHECK_EQ(crowd_order[0], 0);
	CHECK_EQ(crowd_order[1], 1);
	condvar_notify_all(&crowd_cv);
	expect_woken(CROWD);
	for (int i = 0; i < CROWD; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(queued(&crowd_cv), 0);
}

/*
 * A guard holds the lock the condvar releases and retakes.  (scoped_guard,
 * not guard(): clang 14 calls a guard() variable unused.)
 */
static void *guarded_waiter(void *arg)
{
	scoped_guard(mutex, &crowd_mutex) {
		while (!crowd_woken)
			if (!condvar_wait_timeout(&crowd_cv, &crowd_mutex, LONG_WAIT))
				KTEST_FAIL("never notified");
		crowd_woken++;
	}
	return arg;
}

static void test_with_guard(void)
{
	pthread_t t;

	condvar_init(&crowd_cv);
	crowd_woken = 0;
	CHECK(pthread_create(&t, NULL, guarded_waiter, NULL) == 0);
	KTEST_WAIT_UNTIL(queued(&crowd_cv) == 1);
	scoped_guard(mutex, &crowd_mutex)
		crowd_woken = 1;
	condvar_notify_one(&crowd_cv);
	ktest_join_or_fail(t);
	CHECK_EQ(crowd_woken, 2);
	CHECK(!mutex_is_locked(&crowd_mutex));
}

/* --- stress: producers and consumers, exact counts, every lock type ----------------- */

#define SLOTS		4
#define PRODUCERS	8
#define CONSUMERS	8
#define ITEMS		8000

static struct any_lock buf_lock;
static struct condvar not_full, not_empty;
static int buf[SLOTS], buf_head, buf_len;	/* under buf_lock */
static int next_item;				/* under buf_lock */
static unsigned char seen[ITEMS];

static void wait_for(struct condvar *cv, long i, long k)
{
	long r;

	/* Mix the forms; none may time out. */
	if ((i + k) % 3 == 0)
		r = any_wait(cv, &buf_lock, 1, LONG_WAIT);
	else
		r = any_wait(cv, &buf_lock, 0, LONG_WAIT);
	if (r <= 0)
		KTEST_FAIL("wait returned %ld: a lost notification?", r);
}

static void *produce(long i)
{
	for (long k = 0;; k++) {
		int v;

		any_lock(&buf_lock);
		while (buf_len == SLOTS && next_item < ITEMS)
			wait_for(&not_full, i, k);
		if (next_item == ITEMS) {
			any_unlock(&buf_lock);
			break;
		}
		v = next_item++;
		buf[(buf_head + buf_len++) % SLOTS] = v;
		any_unlock(&buf_lock);
		condvar_notify_one(&not_empty);
		/* The last item: producers waiting for room can stop. */
		if (v == ITEMS - 1)
			condvar_notify_all(&not_full);
	}
	return NULL;
}

static void *consume(long i)
{
	for (long k = 0; k < ITEMS / CONSUMERS; k++) {
		int v;

		any_lock(&buf_lock);
		while (buf_len == 0)
			wait_for(&not_empty, i, k);
		v = buf[buf_head];
		buf_head = (buf_head + 1) % SLOTS;
		buf_len--;
		any_unlock(&buf_lock);
		condvar_notify_one(&not_full);
		__atomic_fetch_add(&seen[v], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *buffer_stress(void *arg)
{
	long i = (long)arg;

	return i < PRODUCERS ? produce(i) : consume(i);
}

static void run_stress(enum kind kind)
{
	any_init(&buf_lock, kind);
	condvar_init(&not_full);
	condvar_init(&not_empty);
	buf_head = buf_len = next_item = 0;
	memset(seen, 0, sizeof(seen));
	ktest_run_threads(PRODUCERS + CONSUMERS, buffer_stress);
	for (int v = 0; v < ITEMS; v++)
		if (seen[v] != 1)
			KTEST_FAIL("%s: item %d consumed %d times", kind_name[kind], v,
				   seen[v]);
	CHECK_EQ(buf_len, 0);
	CHECK(!waitqueue_active(&not_full.wait_queue_head));
	CHECK(!waitqueue_active(&not_empty.wait_queue_head));
}

static void test_stress_producer_consumer(void)
{
	for (int k = 0; k < NR_KINDS; k++)
		run_stress(k);
}

/* --- misuse, in children --------------------------------------------------------- */

static DEFINE_SPINLOCK(outer_spin);

static void child_wait_without_spinlock(void)
{
	struct condvar cv;

	condvar_init(&cv);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, 10), 0);	/* not held */
	CHECK(!spin_is_locked(&plain_lock));
	printf("went on\n");
}

static void child_wait_without_mutex(void)
{
	struct condvar cv;

	condvar_init(&cv);
	CHECK_EQ(condvar_wait_interruptible_timeout(&cv, &plain_mutex, 10), 0);
	CHECK(!mutex_is_locked(&plain_mutex));
	printf("went on\n");
}

static void child_wait_in_atomic(void)
{
	struct condvar cv;

	prctl(PR_SET_NAME, "cvwaiter");
	condvar_init(&cv);
	spin_lock(&outer_spin);		/* still atomic once plain_lock goes */
	spin_lock(&plain_lock);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, 10), 0);
	spin_unlock(&plain_lock);
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static void child_correct_use(void)
{
	struct condvar cv;

	condvar_init(&cv);
	spin_lock_irq(&plain_lock);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_lock, 5), 0);
	spin_unlock_irq(&plain_lock);
	mutex_lock(&plain_mutex);
	CHECK_EQ(condvar_wait_timeout(&cv, &plain_mutex, 5), 0);
	mutex_unlock(&plain_mutex);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "wait_without_spinlock", child_wait_without_spinlock },
	{ "wait_without_mutex", child_wait_without_mutex },
	{ "wait_in_atomic", child_wait_in_atomic },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static struct ktest_child c;

static void test_misuse_reported(void)
{
	RUN_CHILD(&c, "wait_without_spinlock", debug_env, 10000);
	CHECK_OUT(&c, "------------[ cut here ]------------");
	CHECK_OUT(&c, "condvar_wait(): &plain_lock (a spinlock_t) is not held by this "
		      "thread: waiting without releasing it");
	CHECK_OUT(&c, " at test_condvar.c:");
	CHECK_NOT_OUT(&c, "BUG: spinlock");	/* it left the lock alone */
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "wait_without_mutex", debug_env, 10000);
	CHECK_OUT(&c, "condvar_wait(): &plain_mutex (a mutex) is not held by this thread");
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "wait_in_atomic", NULL, 10000);
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_condvar.c:");
	CHECK_OUT(&c, ", name: cvwaiter\n");
	CHECK_OUT(&c, "went on");

	RUN_CHILD(&c, "correct_use", debug_env, 10000);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	ktest_start_watchdog();
	RUN(test_not_sticky_and_timeouts);
	RUN(test_each_lock_type);
	RUN(test_notify_from_handler);
	RUN(test_notify_one_fifo_and_all);
	RUN(test_with_guard);
	RUN(test_stress_producer_consumer);
	RUN(test_misuse_reported);
	printf("all condvar tests passed\n");
	return 0;
}
