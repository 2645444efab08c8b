// SPDX-License-Identifier: MIT
/*
 * Bit spinlocks and wait_bit: exclusion with exact counts and more
 * threads than CPUs (so holders get preempted and waiters must yield),
 * the preemption count, the debug checks (in child processes), and
 * wait_on_bit()/wake_up_bit()/wait_var_event() losing no wakeup, and
 * returning what they should when interrupted.
 */
#define _GNU_SOURCE
#include <ksync/ksync.h>
#include "ktest_deadline.h"

#define THREADS	32
#define ROUNDS	5000
#define NLOCKS	4

static int load(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* --- bit spinlocks ------------------------------------------------------------------ */

/* Bits 0..NLOCKS-1 are locks; the others are flags that others flip. */
static unsigned long lock_word;
static long counters[NLOCKS];
static long trylock_wins[NLOCKS];
static int inside[NLOCKS];

static void locked_update(int b, bool by_trylock)
{
	CHECK_EQ(preempt_count(), 1);
	CHECK_EQ(inside[b]++, 0);	/* plain data: the bit lock protects it */
	counters[b]++;
	trylock_wins[b] += by_trylock;
	inside[b]--;
}

static void *bit_lock_thread(void *arg)
{
	long me = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		int b = (int)((me + i) % NLOCKS);

		bit_spin_lock(b, &lock_word);
		locked_update(b, false);
		bit_spin_unlock(b, &lock_word);
		CHECK_EQ(preempt_count(), 0);
		/* Other bits of the same word change under the locks. */
		change_bit((unsigned long)(NLOCKS + me % 8), &lock_word);
		if (bit_spin_trylock(b, &lock_word)) {
			locked_update(b, true);
			bit_spin_unlock(b, &lock_word);
		}
		CHECK_EQ(preempt_count(), 0);
	}
	return NULL;
}

static void test_bit_spin_lock_exclusion(void)
{
	long total = 0, tries = 0;

	ktest_run_threads(THREADS, bit_lock_thread);
	for (int b = 0; b < NLOCKS; b++) {
		total += counters[b];
		tries += trylock_wins[b];
		CHECK(!bit_spin_is_locked(b, &lock_word));
	}
	CHECK_EQ(total, (long)THREADS * ROUNDS + tries);
	/* Each flag bit is flipped by 4 threads, ROUNDS times each: even. */
	CHECK_EQ(lock_word, 0);
}

/* __bit_spin_unlock(): a word nobody else writes while it is held. */
static unsigned long plain_word;
static long plain_counter;

static void *plain_unlock_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		bit_spin_lock(7, &plain_word);
		plain_counter++;
		__bit_spin_unlock(7, &plain_word);
	}
	return NULL;
}

static void test_plain_unlock_exclusion(void)
{
	ktest_run_threads(THREADS, plain_unlock_thread);
	CHECK_EQ(plain_counter, (long)THREADS * ROUNDS);
	CHECK_EQ(plain_word, 0);
}

/* --- misuse, in child processes ------------------------------------------------ */

static void child_unlock_unlocked(void)
{
	unsigned long word = 0;

	preempt_disable();	/* as if locked, so the count stays sane */
	printf("before\n");
	fflush(stdout);
	bit_spin_unlock(2, &word);
	printf("unreachable\n");
}

static void child_sleep_under_bit_lock(void)
{
	unsigned long word = 0;

	bit_spin_lock(0, &word);
	might_sleep();
	bit_spin_unlock(0, &word);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "unlock_unlocked", child_unlock_unlocked },
	{ "sleep_under_bit_lock", child_sleep_under_bit_lock },
	{ NULL, NULL },
};

static struct ktest_child c;
static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };

static void test_unlock_of_unlocked_bit(void)
{
	ktest_spawn(&c, "/proc/self/exe", "unlock_unlocked", debug_env, 20000);
	CHECK(!c.timed_out && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
	CHECK_OUT(&c, "------------[ cut here ]------------\nkernel BUG at test_bit_spinlock.c:");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_NOT_OUT(&c, "unreachable");
	/* Without KSYNC_DEBUG, not checked, as without CONFIG_DEBUG_SPINLOCK. */
	ktest_spawn(&c, "/proc/self/exe", "unlock_unlocked", NULL, 20000);
	CHECK_NOT_OUT(&c, "kernel BUG");
}

static void test_sleep_under_bit_lock(void)
{
	ktest_spawn(&c, "/proc/self/exe", "sleep_under_bit_lock", NULL, 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at test_bit_spinlock.c:");
	CHECK_OUT(&c, "went on");
}

/* --- wait_on_bit_lock() as a sleeping lock: no lost wakeup, exact counts ------ */

#define BIT_LOCK	5
static unsigned long sleep_word;
static long sleep_counter;
static int sleep_inside;

static void *wait_on_bit_lock_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS / 5; i++) {
		CHECK_EQ(wait_on_bit_lock(&sleep_word, BIT_LOCK, TASK_UNINTERRUPTIBLE), 0);
		CHECK_EQ(sleep_inside++, 0);
		sleep_counter++;
		if (!(i % 64))
			sched_yield();		/* let waiters queue up behind us */
		sleep_inside--;
		clear_and_wake_up_bit(BIT_LOCK, &sleep_word);
	}
	return NULL;
}

static void test_wait_on_bit_lock_exclusion(void)
{
	ktest_start_watchdog();		/* a lost wakeup hangs: fail instead */
	ktest_run_threads(THREADS, wait_on_bit_lock_thread);
	CHECK_EQ(sleep_counter, (long)THREADS * (ROUNDS / 5));
	CHECK_EQ(sleep_word, 0);
}

/* --- wait_on_bit(): every waiter wakes when the bit clears ----------------------- */

#define WAITERS	16
#define BIT_BUSY 9
static unsigned long busy_word;
static int generation;		/* the round whose bit clear waiters wait for */
static int woken;

static void *wait_on_bit_thread(void *arg)
{
	(void)arg;
	for (int round = 1; round <= 50; round++) {
		/* Wait for the round to start (the bit set), then for its end. */
		while (load(&generation) < round)
			sched_yield();
		CHECK_EQ(wait_on_bit(&busy_word, BIT_BUSY, TASK_UNINTERRUPTIBLE), 0);
		CHECK(!test_bit(BIT_BUSY, &busy_word) || load(&generation) > round);
		__atomic_fetch_add(&woken, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_wait_on_bit_wakes_all(void)
{
	pthread_t t[WAITERS];

	for (int i = 0; i < WAITERS; i++)
		CHECK(pthread_create(&t[i], NULL, wait_on_bit_thread, NULL) == 0);
	for (int round = 1; round <= 50; round++) {
		set_bit(BIT_BUSY, &busy_word);
		__atomic_store_n(&generation, round, __ATOMIC_RELEASE);
		if (round % 2)
			ktest_sleep_ms(1);	/* some rounds: waiters asleep */
		clear_and_wake_up_bit(BIT_BUSY, &busy_word);
		KTEST_WAIT_UNTIL(load(&woken) == round * WAITERS);
	}
	for (int i = 0; i < WAITERS; i++)
		ktest_join_or_fail(t[i]);
}

static void test_wait_on_bit_timeout(void)
{
	unsigned long word = BIT(1);

	CHECK_EQ(wait_on_bit_timeout(&word, 1, TASK_UNINTERRUPTIBLE, 5), -EAGAIN);
	CHECK(test_bit(1, &word));
	clear_bit(1, &word);
	CHECK_EQ(wait_on_bit_timeout(&word, 1, TASK_UNINTERRUPTIBLE, 5), 0);
}

/* --- wait_var_event() ----------------------------------------------------------- */

static int var_value;
static int other_var;

static void *var_waiter(void *arg)
{
	long want = (long)arg;

	wait_var_event(&var_value, load(&var_value) >= want);
	return NULL;
}

static void test_wait_var_event(void)
{
	pthread_t t[WAITERS];

	for (long i = 0; i < WAITERS; i++)
		CHECK(pthread_create(&t[i], NULL, var_waiter, (void *)(i + 1)) == 0);
	for (int v = 1; v <= WAITERS; v++) {
		if (v % 4 == 0)
			ktest_sleep_ms(1);
		__atomic_store_n(&var_value, v, __ATOMIC_RELEASE);
		wake_up_var(&other_var);	/* another key: wakes nobody */
		wake_up_var(&var_value);
	}
	for (int i = 0; i < WAITERS; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(wait_var_event_timeout(&var_value, load(&var_value) > WAITERS, 3), 0);
	CHECK(wait_var_event_timeout(&var_value, load(&var_value) == WAITERS, 3) >= 1);
}

/* --- interrupted waits ------------------------------------------------------------- */

enum how { ON_BIT_INTR, ON_BIT_LOCK_INTR, ON_BIT_KILLABLE, VAR_INTR, VAR_KILLABLE,
	   EVENT_INTR };

static int waiter_cpu = -1;
static long waiter_result;
static unsigned long held_word = BIT(0);
static int never;
static DECLARE_WAIT_QUEUE_HEAD(ref_wq);

static void *interruptible_waiter(void *arg)
{
	long r = 0;

	__atomic_store_n(&waiter_cpu, smp_processor_id(), __ATOMIC_RELEASE);
	switch ((enum how)(long)arg) {
	case ON_BIT_INTR:
		r = wait_on_bit(&held_word, 0, TASK_INTERRUPTIBLE);
		break;
	case ON_BIT_LOCK_INTR:
		r = wait_on_bit_lock(&held_word, 0, TASK_INTERRUPTIBLE);
		break;
	case ON_BIT_KILLABLE:
		r = wait_on_bit(&held_word, 0, TASK_KILLABLE);
		break;
	case VAR_INTR:
		r = wait_var_event_interruptible(&never, load(&never));
		break;
	case VAR_KILLABLE:
		r = wait_var_event_killable(&never, load(&never));
		break;
	case EVENT_INTR:
		r = wait_event_interruptible(ref_wq, load(&never));
		break;
	}
	__atomic_store_n(&waiter_result, r, __ATOMIC_RELEASE);
	return NULL;
}

static irqreturn_t nop_handler(int irq, void *dev)
{
	(void)irq;
	(void)dev;
	return IRQ_HANDLED;
}

static struct wait_queue_head *queue_of(enum how how)
{
	if (how == EVENT_INTR)
		return &ref_wq;
	if (how == VAR_INTR || how == VAR_KILLABLE)
		return __var_waitqueue(&never);
	return bit_waitqueue(&held_word, 0);
}

static long interrupt_waiter(enum how how, bool fatal)
{
	pthread_t t;

	waiter_cpu = -1;
	waiter_result = 12345;
	CHECK(pthread_create(&t, NULL, interruptible_waiter, (void *)(long)how) == 0);
	KTEST_WAIT_UNTIL(load(&waiter_cpu) >= 0 && waitqueue_active(queue_of(how)));
	if (fatal)
		CHECK_EQ(ksync_send_fatal_signal(waiter_cpu), 0);
	else
		CHECK_EQ(ksync_raise_irq(waiter_cpu, SIGUSR1), 0);
	ktest_join_or_fail(t);
	CHECK(!waitqueue_active(queue_of(how)));	/* it left the queue */
	return __atomic_load_n(&waiter_result, __ATOMIC_ACQUIRE);
}

static void test_interrupted_waits(void)
{
	long event_ret;

	CHECK_EQ(request_irq(SIGUSR1, nop_handler, 0, "wait-bit-test", NULL), 0);
	/* The kernel's bit_wait() returns -EINTR (not -ERESTARTSYS). */
	CHECK_EQ(interrupt_waiter(ON_BIT_INTR, false), -EINTR);
	CHECK_EQ(interrupt_waiter(ON_BIT_LOCK_INTR, false), -EINTR);
	CHECK_EQ(interrupt_waiter(ON_BIT_KILLABLE, true), -EINTR);
	CHECK(test_bit(0, &held_word));		/* the lock form took nothing */
	/* wait_var_event_*() return what wait_event_interruptible() does. */
	event_ret = interrupt_waiter(EVENT_INTR, false);
	CHECK(event_ret < 0);
	CHECK_EQ(interrupt_waiter(VAR_INTR, false), event_ret);
	CHECK_EQ(interrupt_waiter(VAR_KILLABLE, true), event_ret);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_bit_spin_lock_exclusion);
	RUN(test_plain_unlock_exclusion);
	RUN(test_unlock_of_unlocked_bit);
	RUN(test_sleep_under_bit_lock);
	RUN(test_wait_on_bit_lock_exclusion);
	RUN(test_wait_on_bit_wakes_all);
	RUN(test_wait_on_bit_timeout);
	RUN(test_wait_var_event);
	RUN(test_interrupted_waits);
	/* Under KSYNC_DEBUG/KSYNC_LOCKDEP (the .cmake variants): no report. */
	CHECK_EQ(debug_locks, 1);
	return 0;
}
