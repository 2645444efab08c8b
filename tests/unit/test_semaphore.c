// SPDX-License-Identifier: MIT
/*
 * struct semaphore: every call; the count; waiters woken in order, lock
 * stealing and the handoff that bounds it;
 * down_timeout() in time; interruptible and killable waits; up() from an
 * interrupt handler; guards; exact-count stress with more threads than
 * cores, as a lock and as a counting semaphore; and, in children, the
 * reports for sleeping in atomic context and for a count overflow.
 *
 * Every wait in here has a deadline and fails loudly, so a lost wakeup
 * shows as a failure, not as a hang.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/interrupt.h>
#include <ksync/semaphore.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest_deadline.h"
#include "ktest_waiter.h"

#define THREADS		16

/* Under the semaphore's lock, as the semaphore itself reads them. */
static int queued(struct semaphore *sem)
{
	unsigned long flags;
	int n = 0;

	raw_spin_lock_irqsave(&sem->lock, flags);
	for (struct ksync_list_head *p = sem->wait_list.next; p != &sem->wait_list;
	     p = p->next)
		n++;
	raw_spin_unlock_irqrestore(&sem->lock, flags);
	return n;
}

/* The free units: changed by compare-and-swap, outside the lock too. */
static unsigned int count_of(struct semaphore *sem)
{
	return (unsigned int)(__atomic_load_n(&sem->word, __ATOMIC_RELAXED) &
			      KSYNC_SEM_COUNT_MASK);
}

/* --- the calls ------------------------------------------------------------- */

static DEFINE_SEMAPHORE(one_unit);
static DEFINE_SEMAPHORE(three_units, 3);

static void test_definitions(void)
{
	struct semaphore s;

	CHECK_EQ(count_of(&one_unit), 1);	/* DEFINE_SEMAPHORE(name) */
	CHECK_EQ(count_of(&three_units), 3);	/* DEFINE_SEMAPHORE(name, n) */
	CHECK_EQ(queued(&three_units), 0);
	sema_init(&s, 5);
	CHECK_EQ(count_of(&s), 5);
	sema_init(&s, 0);
	CHECK_EQ(count_of(&s), 0);
	CHECK_EQ(down_trylock(&s), 1);
}

static void test_down_up_counts(void)
{
	struct semaphore s;

	sema_init(&s, 2);
	down(&s);
	CHECK_EQ(count_of(&s), 1);
	CHECK_EQ(down_interruptible(&s), 0);
	CHECK_EQ(count_of(&s), 0);
	CHECK_EQ(down_trylock(&s), 1);		/* 1: failed, as the kernel */
	up(&s);
	CHECK_EQ(down_killable(&s), 0);
	up(&s);
	CHECK_EQ(down_timeout(&s, 100), 0);
	up(&s);
	up(&s);
	CHECK_EQ(count_of(&s), 2);
	CHECK_EQ(down_trylock(&s), 0);		/* 0: taken */
	CHECK_EQ(down_trylock(&s), 0);
	CHECK_EQ(down_trylock(&s), 1);
	up(&s);
	up(&s);
	up(&s);					/* more than sema_init gave: fine */
	CHECK_EQ(count_of(&s), 3);
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
}

static void test_down_timeout_in_time(void)
{
	struct semaphore s;
	double t0, dt;

	sema_init(&s, 0);
	t0 = ktest_now();
	CHECK_EQ(down_timeout(&s, 50), -ETIME);
	dt = ktest_now() - t0;
	CHECK(dt >= 0.050);
	CHECK(dt < 5.0);
	CHECK_EQ(queued(&s), 0);		/* it left the queue */

	t0 = ktest_now();
	CHECK_EQ(down_timeout(&s, 0), -ETIME);	/* no time: at once */
	CHECK_EQ(down_timeout(&s, -5), -ETIME);
	CHECK(ktest_now() - t0 < 1.0);
	up(&s);
	CHECK_EQ(down_timeout(&s, 0), 0);	/* a unit: no need to wait */
}

static void test_guards(void)
{
	struct semaphore s;

	sema_init(&s, 1);
	/* scoped_guard, not guard(): clang 14 calls a guard() variable unused. */
	scoped_guard(semaphore, &s) {
		CHECK_EQ(count_of(&s), 0);
		scoped_guard(semaphore_try, &s)
			KTEST_FAIL("took a unit that was not there");
	}
	CHECK_EQ(count_of(&s), 1);
	scoped_guard(semaphore_try, &s)
		CHECK_EQ(count_of(&s), 0);
	CHECK_EQ(count_of(&s), 1);
	scoped_guard(semaphore_intr, &s)
		CHECK_EQ(count_of(&s), 0);
	CHECK_EQ(count_of(&s), 1);
}

/* --- FIFO, hand-off -------------------------------------------------------- */

static struct semaphore fifo_sem;
static int got_order[4];
static int got_slot, got_next;

/* Record who got a unit, then publish the record (release). */
static void *fifo_waiter(void *arg)
{
	down(&fifo_sem);
	got_order[__atomic_fetch_add(&got_slot, 1, __ATOMIC_RELAXED)] = (int)(long)arg;
	__atomic_fetch_add(&got_next, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int got_count(void)
{
	return __atomic_load_n(&got_next, __ATOMIC_ACQUIRE);
}

/*
 * Waiters are woken in the order they queued: up() raises the count and
 * wakes the first one only, and nobody else runs to take the unit.
 */
static void test_waiters_served_in_order(void)
{
	pthread_t t[3];

	sema_init(&fifo_sem, 0);
	got_slot = got_next = 0;
	for (long i = 0; i < 3; i++) {
		CHECK(pthread_create(&t[i], NULL, fifo_waiter, (void *)i) == 0);
		KTEST_WAIT_UNTIL(queued(&fifo_sem) == i + 1);	/* queued in this order */
	}
	for (int i = 0; i < 3; i++) {
		up(&fifo_sem);
		KTEST_WAIT_UNTIL(got_count() == i + 1);
		CHECK_EQ(got_order[i], i);
		CHECK_EQ(count_of(&fifo_sem), 0);
		CHECK_EQ(queued(&fifo_sem), 2 - i);
	}
	for (int i = 0; i < 3; i++)
		ktest_join_or_fail(t[i]);
	CHECK_EQ(queued(&fifo_sem), 0);
}

/*
 * up() with a waiter raises the count: a running thread may take the
 * unit before the woken waiter does (lock stealing, docs/semaphore.md).
 * Whichever way the race goes, exactly one of them has the unit; if we
 * took it, the waiter went back to sleep and gets the next one.
 */
static void test_up_then_trylock_one_unit(void)
{
	for (int round = 0; round < 20; round++) {
		pthread_t t;
		int stole;

		sema_init(&fifo_sem, 0);
		got_slot = got_next = 0;
		CHECK(pthread_create(&t, NULL, fifo_waiter, (void *)7) == 0);
		KTEST_WAIT_UNTIL(queued(&fifo_sem) == 1);
		up(&fifo_sem);
		stole = !down_trylock(&fifo_sem);
		if (stole) {
			CHECK_EQ(count_of(&fifo_sem), 0);
			CHECK_EQ(got_count(), 0);	/* it has no unit to go with */
			CHECK_EQ(queued(&fifo_sem), 1);	/* still waiting, or back */
			up(&fifo_sem);
		}
		KTEST_WAIT_UNTIL(got_count() == 1);
		ktest_join_or_fail(t);
		CHECK_EQ(count_of(&fifo_sem), 0);
		CHECK_EQ(queued(&fifo_sem), 0);
		CHECK_EQ(down_trylock(&fifo_sem), 1);
	}
}

/*
 * The bound on stealing, deterministically.  An interrupt handler on the
 * sleeping waiter's own thread gives a unit back and steals it at once
 * (the waiter cannot run meanwhile): the waiter is woken, finds the
 * count at 0 and, having waited over 1 ms as the first waiter, asks for
 * a handoff.  From then on a unit given back is the waiter's: a
 * down_trylock() right after up() fails, and the waiter gets it.
 */
static int handler_stole;

static irqreturn_t up_and_steal_handler(int irq, void *dev)
{
	(void)irq;
	up(dev);				/* wakes the waiter: this thread */
	__atomic_store_n(&handler_stole, !down_trylock(dev), __ATOMIC_RELAXED);
	return IRQ_HANDLED;
}

static void test_starving_waiter_gets_handoff(void)
{
	pthread_t t;

	sema_init(&fifo_sem, 0);
	got_slot = got_next = 0;
	__atomic_store_n(&handler_stole, -1, __ATOMIC_RELAXED);
	CHECK_EQ(request_irq(SIGUSR2, up_and_steal_handler, 0, "sem-steal", &fifo_sem), 0);
	CHECK(pthread_create(&t, NULL, fifo_waiter, (void *)5) == 0);
	KTEST_WAIT_UNTIL(queued(&fifo_sem) == 1);
	ktest_sleep_ms(3);			/* first waiter for over 1 ms */
	CHECK(pthread_kill(t, SIGUSR2) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&handler_stole, __ATOMIC_RELAXED) >= 0);
	CHECK_EQ(__atomic_load_n(&handler_stole, __ATOMIC_RELAXED), 1);	/* stolen */
	/* The waiter woke, found nothing and asked for the next unit. */
	KTEST_WAIT_UNTIL(__atomic_load_n(&fifo_sem.word, __ATOMIC_RELAXED) &
			 KSYNC_SEM_HANDOFF);
	CHECK_EQ(got_count(), 0);
	CHECK_EQ(down_trylock(&fifo_sem), 1);	/* nothing for newcomers */
	up(&fifo_sem);				/* the stolen unit, back */
	CHECK_EQ(down_trylock(&fifo_sem), 1);	/* handed over, not counted */
	CHECK_EQ(count_of(&fifo_sem), 0);
	KTEST_WAIT_UNTIL(got_count() == 1);
	CHECK_EQ(got_order[0], 5);
	ktest_join_or_fail(t);
	CHECK_EQ(queued(&fifo_sem), 0);
	CHECK_EQ(__atomic_load_n(&fifo_sem.word, __ATOMIC_RELAXED), 0);	/* no flags left */
	CHECK(free_irq(SIGUSR2, &fifo_sem) != NULL);
}

/*
 * A stealing storm: threads that keep taking the unit with
 * down_trylock(), hold it a while and give it back, so that a unit is
 * almost never free when a woken waiter looks.  A sleeping waiter must
 * still get its units: after HANDOFF_NS (1 ms) as the first waiter it
 * asks for the next one, and up() hands it over.  Without that bound
 * the waiter starves and the test fails at its deadline.
 */
#define STORM_STEALERS	3
#define STORM_ROUNDS	30

static struct semaphore storm_sem;
static int storm_stop;
static long storm_stolen[STORM_STEALERS];

static void *storm_stealer(void *arg)
{
	long i = (long)arg;

	while (!__atomic_load_n(&storm_stop, __ATOMIC_RELAXED)) {
		if (down_trylock(&storm_sem))
			continue;
		for (int k = 0; k < 2000; k++)	/* hold it: the others fail */
			cpu_relax();
		__atomic_fetch_add(&storm_stolen[i], 1, __ATOMIC_RELAXED);
		up(&storm_sem);
	}
	return NULL;
}

static long storm_total(void)
{
	long sum = 0;

	for (int i = 0; i < STORM_STEALERS; i++)
		sum += __atomic_load_n(&storm_stolen[i], __ATOMIC_RELAXED);
	return sum;
}

static void test_waiter_not_starved_by_stealers(void)
{
	pthread_t t[STORM_STEALERS];
	long sum = 0;

	sema_init(&storm_sem, 1);
	storm_stop = 0;
	for (long i = 0; i < STORM_STEALERS; i++) {
		storm_stolen[i] = 0;
		CHECK(pthread_create(&t[i], NULL, storm_stealer, (void *)i) == 0);
	}
	KTEST_WAIT_UNTIL(storm_total() > 0);	/* the storm is on */
	for (int r = 0; r < STORM_ROUNDS; r++) {
		if (down_timeout(&storm_sem, (long)(KTEST_DEADLINE_S * HZ)))
			KTEST_FAIL("the waiter starved: no unit in %.0f s", KTEST_DEADLINE_S);
		up(&storm_sem);
	}
	__atomic_store_n(&storm_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < STORM_STEALERS; i++)
		ktest_join_or_fail(t[i]);
	sum = storm_total();
	CHECK(sum > 0);			/* the storm did take units */
	CHECK_EQ(count_of(&storm_sem), 1);
	CHECK_EQ(queued(&storm_sem), 0);
}

/*
 * A waiter that times out leaves; the unit goes to the one behind it.  The
 * timeout (1 s) leaves the second waiter time to queue behind the first
 * even on a loaded machine under a sanitizer (30 ms did not, at times).
 */
static void *timing_out_waiter(void *arg)
{
	long r = down_timeout(&fifo_sem, 1000);

	return (void *)r;
}

static void test_timed_out_waiter_leaves_queue(void)
{
	pthread_t a, b;

	sema_init(&fifo_sem, 0);
	got_slot = got_next = 0;
	CHECK(pthread_create(&a, NULL, timing_out_waiter, NULL) == 0);
	KTEST_WAIT_UNTIL(queued(&fifo_sem) == 1);
	CHECK(pthread_create(&b, NULL, fifo_waiter, (void *)7) == 0);
	KTEST_WAIT_UNTIL(queued(&fifo_sem) == 2);
	CHECK_EQ((long)ktest_join_or_fail(a), -ETIME);
	CHECK_EQ(queued(&fifo_sem), 1);
	up(&fifo_sem);
	KTEST_WAIT_UNTIL(got_count() == 1);
	CHECK_EQ(got_order[0], 7);
	ktest_join_or_fail(b);
	CHECK_EQ(count_of(&fifo_sem), 0);
}

/* --- interruptible, killable, interrupt handlers -------------------------------- */

static struct semaphore sig_sem;

enum how { HOW_DOWN, HOW_INTERRUPTIBLE, HOW_KILLABLE };

static void signal_waiter(struct ktest_waiter *w)
{
	int r = 0;

	switch ((enum how)w->how) {
	case HOW_DOWN:
		down(&sig_sem);
		break;
	case HOW_INTERRUPTIBLE:
		r = down_interruptible(&sig_sem);
		break;
	case HOW_KILLABLE:
		r = down_killable(&sig_sem);
		break;
	}
	ktest_waiter_set_result(w, r);
}

static struct ktest_waiter waiter;

/* Start a waiter and return once it is queued (and so in its sleep state). */
static void start_waiter(enum how how)
{
	sema_init(&sig_sem, 0);
	ktest_waiter_start(&waiter, signal_waiter, NULL, how);
	KTEST_WAIT_UNTIL(queued(&sig_sem) == 1);
}

static irqreturn_t up_handler(int irq, void *dev)
{
	(void)irq;
	up(dev);				/* from hardirq context */
	return IRQ_HANDLED;
}

static void test_interruptible_and_killable(void)
{
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "sem-test", NULL), 0);

	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR1), -EINTR);
	CHECK_EQ(queued(&sig_sem), 0);
	CHECK_EQ(count_of(&sig_sem), 0);

	/* Killable: an interrupt does not end it, a fatal signal does. */
	start_waiter(HOW_KILLABLE);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -EINTR);
	CHECK_EQ(queued(&sig_sem), 0);

	/* Interruptible ends on a fatal signal too. */
	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_kill_join(&waiter), -EINTR);

	/* down() sleeps through both, and takes the unit when it comes. */
	start_waiter(HOW_DOWN);
	CHECK_EQ(ktest_waiter_interrupt(&waiter, SIGUSR1), 0);
	CHECK_EQ(ktest_waiter_kill(&waiter), 0);
	ktest_sleep_ms(30);
	CHECK_EQ(ktest_waiter_result(&waiter), KTEST_STILL_WAITING);
	up(&sig_sem);
	CHECK_EQ(ktest_waiter_join(&waiter), 0);
	CHECK_EQ(count_of(&sig_sem), 0);

	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/* An interrupt that arrived before the wait began does not end it. */
static void *up_later(void *arg)
{
	ktest_sleep_ms(30);
	up(arg);
	return NULL;
}

static void test_earlier_interrupt_does_not_count(void)
{
	unsigned long handled = ksync_irqs_handled();
	pthread_t t;

	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "sem-test", NULL), 0);
	sema_init(&sig_sem, 0);
	CHECK(pthread_kill(pthread_self(), SIGUSR1) == 0);
	ktest_sleep_ms(1);	/* under TSan, the handler runs in this call */
	CHECK_EQ(ksync_irqs_handled(), handled + 1);
	CHECK(pthread_create(&t, NULL, up_later, &sig_sem) == 0);
	CHECK_EQ(down_interruptible(&sig_sem), 0);	/* not -EINTR */
	ktest_join_or_fail(t);
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/*
 * The interrupt lands on the sleeping thread itself, and its handler's
 * up() hands the unit to that very thread: the sleeper wakes with it, and
 * down_interruptible() reports success, not an interruption.
 */
static void test_up_from_handler_on_sleeper(void)
{
	CHECK_EQ(request_irq(SIGUSR2, up_handler, 0, "sem-up", &sig_sem), 0);
	start_waiter(HOW_DOWN);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);

	start_waiter(HOW_INTERRUPTIBLE);
	CHECK_EQ(ktest_waiter_interrupt_join(&waiter, SIGUSR2), 0);
	CHECK_EQ(count_of(&sig_sem), 0);
	CHECK(free_irq(SIGUSR2, &sig_sem) != NULL);
}

/* The handler runs on another thread and wakes the sleeper from there. */
static void test_up_from_handler_elsewhere(void)
{
	CHECK_EQ(request_irq(SIGUSR2, up_handler, 0, "sem-up", &sig_sem), 0);
	start_waiter(HOW_KILLABLE);
	CHECK_EQ(ktest_waiter_join_irq_elsewhere(&waiter, SIGUSR2), 0);
	CHECK(free_irq(SIGUSR2, &sig_sem) != NULL);
}

/* --- stress -------------------------------------------------------------------- */

#define LOCK_ROUNDS	5000
#define COUNTING_UNITS	3
#define COUNTING_ROUNDS	400

static struct semaphore stress_sem;
static long counter;		/* protected by stress_sem as a lock */
static int inside;		/* threads inside the section */
static int max_inside;
static int stress_failed;

static void enter_section(int limit)
{
	int n = __atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED);
	int m = __atomic_load_n(&max_inside, __ATOMIC_RELAXED);

	if (n > limit)
		__atomic_store_n(&stress_failed, 1, __ATOMIC_RELAXED);
	while (n > m && !__atomic_compare_exchange_n(&max_inside, &m, n, 0,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void leave_section(void)
{
	__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
}

/* Every way in, in turn; each must end up holding a unit. */
static void take(long i, long round)
{
	switch ((i + round) % 5) {
	case 0:
		down(&stress_sem);
		break;
	case 1:
		if (down_interruptible(&stress_sem))
			KTEST_FAIL("down_interruptible() failed with no signal");
		break;
	case 2:
		if (down_killable(&stress_sem))
			KTEST_FAIL("down_killable() failed with no signal");
		break;
	case 3:
		if (down_timeout(&stress_sem, (long)(KTEST_DEADLINE_S * HZ)))
			KTEST_FAIL("down_timeout() timed out: a lost wakeup?");
		break;
	default:
		/*
		 * A trylock can lose for long while others queue (a first
		 * waiter that asked for a handoff gets the next unit): give
		 * up after a while.
		 */
		for (int tries = 0; down_trylock(&stress_sem); tries++) {
			if (tries == 100) {
				down(&stress_sem);
				break;
			}
			sched_yield();
		}
		break;
	}
}

static void *lock_stress(void *arg)
{
	long i = (long)arg;

	for (long r = 0; r < LOCK_ROUNDS; r++) {
		take(i, r);
		enter_section(1);
		counter++;		/* a plain add: the semaphore excludes */
		/*
		 * Give the CPU away now and then while holding: the others
		 * queue up behind us and the unit is handed down the line.
		 */
		if ((r + i) % 32 == 0)
			sched_yield();
		leave_section();
		up(&stress_sem);
		if (r % 16 == 0)
			sched_yield();	/* and let the others run */
	}
	return NULL;
}

static void test_stress_as_lock(void)
{
	sema_init(&stress_sem, 1);
	counter = 0;
	max_inside = 0;
	ktest_run_threads(THREADS, lock_stress);
	CHECK_EQ(stress_failed, 0);
	CHECK_EQ(counter, (long)THREADS * LOCK_ROUNDS);
	CHECK_EQ(max_inside, 1);
	CHECK_EQ(count_of(&stress_sem), 1);
	CHECK_EQ(queued(&stress_sem), 0);
}

static long per_thread_done[THREADS];

static void *counting_stress(void *arg)
{
	long i = (long)arg;

	for (long r = 0; r < COUNTING_ROUNDS; r++) {
		take(i, r);
		enter_section(COUNTING_UNITS);
		if (r % 8 == 0)
			usleep(100);	/* hold a while: a sleeping lock may */
		leave_section();
		per_thread_done[i]++;
		up(&stress_sem);
	}
	return NULL;
}

static void test_stress_counting(void)
{
	long sum = 0;

	sema_init(&stress_sem, COUNTING_UNITS);
	max_inside = 0;
	ktest_run_threads(THREADS, counting_stress);
	for (int i = 0; i < THREADS; i++)
		sum += per_thread_done[i];
	CHECK_EQ(stress_failed, 0);
	CHECK_EQ(sum, (long)THREADS * COUNTING_ROUNDS);
	CHECK(max_inside <= COUNTING_UNITS);
	CHECK(max_inside >= 2);		/* it did let several in at once */
	CHECK_EQ(count_of(&stress_sem), COUNTING_UNITS);
	CHECK_EQ(queued(&stress_sem), 0);
}

/* --- misuse, in children ----------------------------------------------------- */

static DEFINE_SPINLOCK(outer_spin);
static DEFINE_SEMAPHORE(available);

static void child_down_in_atomic(void)
{
	prctl(PR_SET_NAME, "downer");
	spin_lock(&outer_spin);
	down(&available);		/* a unit is there: it does not sleep */
	up(&available);
	spin_unlock(&outer_spin);
	printf("went on\n");
}

static void child_up_overflow(void)
{
	struct semaphore s;

	sema_init(&s, -1);		/* UINT_MAX units */
	up(&s);
	printf("count %u\n", count_of(&s));
}

static irqreturn_t trylock_handler(int irq, void *dev)
{
	(void)irq;
	if (!down_trylock(dev))		/* fine in a handler: never sleeps */
		up(dev);
	return IRQ_HANDLED;
}

static void child_trylock_in_handler(void)
{
	request_irq(SIGUSR1, trylock_handler, 0, "try", &available);
	pthread_kill(pthread_self(), SIGUSR1);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "down_in_atomic", child_down_in_atomic },
	{ "up_overflow", child_up_overflow },
	{ "trylock_in_handler", child_trylock_in_handler },
	{ NULL, NULL },
};

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static struct ktest_child c;

static void test_might_sleep_reported(void)
{
	RUN_CHILD(&c, "down_in_atomic", NULL, 10000);
	/* A function without a site: its caller, by code address and line. */
	CHECK_OUT(&c, "BUG: sleeping function called from invalid context at child_");
	CHECK_OUT(&c, " (test_semaphore.c:");
	CHECK_OUT(&c, "in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: ");
	CHECK_OUT(&c, ", name: downer\n");
	CHECK_OUT(&c, "went on");
	RUN_CHILD(&c, "down_in_atomic", debug_env, 10000);
	CHECK_OUT(&c, "(outer_spin), at: test_semaphore.c:");
}

static void test_overflow_reported(void)
{
	RUN_CHILD(&c, "up_overflow", NULL, 10000);
	CHECK_OUT(&c, "------------[ cut here ]------------");
	CHECK_OUT(&c, "up(): semaphore count overflow");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_semaphore.c:");
	CHECK_OUT(&c, "count 4294967295\n");
}

static void test_trylock_in_handler_silent(void)
{
	RUN_CHILD(&c, "trylock_in_handler", debug_env, 10000);
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_OUT(&c, "went on");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	ktest_start_watchdog();
	RUN(test_definitions);
	RUN(test_down_up_counts);
	RUN(test_down_timeout_in_time);
	RUN(test_guards);
	RUN(test_waiters_served_in_order);
	RUN(test_up_then_trylock_one_unit);
	RUN(test_starving_waiter_gets_handoff);
	RUN(test_waiter_not_starved_by_stealers);
	RUN(test_timed_out_waiter_leaves_queue);
	RUN(test_interruptible_and_killable);
	RUN(test_earlier_interrupt_does_not_count);
	RUN(test_up_from_handler_on_sleeper);
	RUN(test_up_from_handler_elsewhere);
	RUN(test_stress_as_lock);
	RUN(test_stress_counting);
	RUN(test_might_sleep_reported);
	RUN(test_overflow_reported);
	RUN(test_trylock_in_handler_silent);
	printf("all semaphore tests passed\n");
	return 0;
}
