// SPDX-License-Identifier: MIT
/*
 * rwlock_t: every call, the lock word it leaves behind, readers sharing,
 * trylocks against the other side, the queued rwlock's fairness in task
 * context and its recursion rule in interrupt context, the irq/bh
 * variants, guards.
 *
 * Every wait has a deadline; a wait that could hang for good inside an
 * interrupt handler is watched by a watchdog thread that fails the test.
 */
#include <sched.h>
#include <ksync/interrupt.h>
#include <ksync/rwlock.h>
#include <ksync/smp.h>
#include "ktest.h"

#define DEADLINE_S	10.0

static unsigned int cnts_of(rwlock_t *l)
{
	return (unsigned int)atomic_read(&l->raw_lock.cnts);
}

static unsigned int readers_of(rwlock_t *l)
{
	return cnts_of(l) >> _QR_SHIFT;
}

/* Wait (sleeping) until *flag becomes nonzero; fail after the deadline. */
static void wait_flag(int *flag, const char *what)
{
	double deadline = ktest_now() + DEADLINE_S;

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("timed out waiting for %s", what);
		ktest_sleep_ms(1);
	}
}

static void wait_cnts_bit(rwlock_t *l, unsigned int bit, const char *what)
{
	double deadline = ktest_now() + DEADLINE_S;

	while (!(cnts_of(l) & bit)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("timed out waiting for %s (cnts %#x)", what, cnts_of(l));
		ktest_sleep_ms(1);
	}
}

static void set_flag(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

/* --- a watchdog for waits that cannot time out themselves ----------------- */

static int watchdog_done;
static const char *watchdog_what;

static void *watchdog(void *arg)
{
	double deadline = ktest_now() + DEADLINE_S;

	while (!__atomic_load_n(&watchdog_done, __ATOMIC_ACQUIRE)) {
		if (ktest_now() > deadline) {
			fprintf(stderr, "FAIL %s: watchdog: %s\n", ktest_current,
				watchdog_what);
			_exit(1);
		}
		ktest_sleep_ms(5);
	}
	return arg;
}

static pthread_t watchdog_start(const char *what)
{
	pthread_t t;

	watchdog_what = what;
	__atomic_store_n(&watchdog_done, 0, __ATOMIC_RELAXED);
	CHECK(pthread_create(&t, NULL, watchdog, NULL) == 0);
	return t;
}

static void watchdog_stop(pthread_t t)
{
	__atomic_store_n(&watchdog_done, 1, __ATOMIC_RELEASE);
	CHECK(pthread_join(t, NULL) == 0);
}

/* --- single thread ------------------------------------------------------------ */

static DEFINE_RWLOCK(static_lock);

static void test_static_and_dynamic_init(void)
{
	rwlock_t dyn;

	CHECK_EQ(static_lock.magic, RWLOCK_MAGIC);
	CHECK(strcmp(static_lock.dep_map.name, "static_lock") == 0);
	CHECK_EQ(cnts_of(&static_lock), 0);

	memset(&dyn, 0x5a, sizeof(dyn));
	rwlock_init(&dyn);
	CHECK_EQ(dyn.magic, RWLOCK_MAGIC);
	CHECK(strcmp(dyn.dep_map.name, "&dyn") == 0);
	CHECK_EQ(cnts_of(&dyn), 0);
	CHECK_EQ(dyn.raw_lock.wait_lock.val, 0);
	write_lock(&dyn);
	write_unlock(&dyn);
	CHECK_EQ(cnts_of(&dyn), 0);
}

static void test_read_side(void)
{
	DEFINE_RWLOCK(l);

	read_lock(&l);
	CHECK_EQ(cnts_of(&l), _QR_BIAS);
	CHECK_EQ(preempt_count(), 1);
	CHECK(in_atomic());
	CHECK_EQ(read_trylock(&l), 1);		/* no writer waits: readers share */
	CHECK_EQ(readers_of(&l), 2);
	CHECK_EQ(preempt_count(), 2);
	CHECK_EQ(write_trylock(&l), 0);		/* readers keep writers out */
	CHECK_EQ(preempt_count(), 2);		/* a failed trylock gives it back */
	read_unlock(&l);
	read_unlock(&l);
	CHECK_EQ(cnts_of(&l), 0);
	CHECK_EQ(preempt_count(), 0);
	CHECK(!rwlock_is_contended(&l));
}

static void test_write_side(void)
{
	DEFINE_RWLOCK(l);

	write_lock(&l);
	CHECK_EQ(cnts_of(&l), _QW_LOCKED);
	CHECK_EQ(l.raw_lock.wlocked, 0xff);
	CHECK_EQ(preempt_count(), 1);
	CHECK_EQ(read_trylock(&l), 0);		/* a writer keeps readers out */
	CHECK_EQ(write_trylock(&l), 0);
	CHECK_EQ(cnts_of(&l), _QW_LOCKED);	/* the failed read backed out */
	CHECK_EQ(preempt_count(), 1);
	write_unlock(&l);
	CHECK_EQ(cnts_of(&l), 0);
	CHECK_EQ(preempt_count(), 0);

	CHECK_EQ(write_trylock(&l), 1);
	CHECK_EQ(cnts_of(&l), _QW_LOCKED);
	write_unlock(&l);
	write_lock_nested(&l, SINGLE_DEPTH_NESTING);
	CHECK_EQ(cnts_of(&l), _QW_LOCKED);
	write_unlock(&l);
	CHECK_EQ(cnts_of(&l), 0);
	CHECK_EQ(preempt_count(), 0);
}

/* --- trylocks across threads -------------------------------------------------- */

static DEFINE_RWLOCK(cross);
static int cross_held, cross_release;

static void *hold_cross(void *arg)
{
	if (arg)
		write_lock(&cross);
	else
		read_lock(&cross);
	set_flag(&cross_held);
	wait_flag(&cross_release, "cross_release");
	if (arg)
		write_unlock(&cross);
	else
		read_unlock(&cross);
	return NULL;
}

static void cross_check(bool writer)
{
	pthread_t t;

	cross_held = cross_release = 0;
	CHECK(pthread_create(&t, NULL, hold_cross, writer ? (void *)1 : NULL) == 0);
	wait_flag(&cross_held, "holder");
	CHECK_EQ(write_trylock(&cross), 0);
	if (writer) {
		CHECK_EQ(read_trylock(&cross), 0);
	} else {
		CHECK_EQ(read_trylock(&cross), 1);	/* a second reader shares */
		read_unlock(&cross);
	}
	set_flag(&cross_release);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK_EQ(write_trylock(&cross), 1);
	write_unlock(&cross);
	CHECK_EQ(read_trylock(&cross), 1);
	read_unlock(&cross);
	CHECK_EQ(preempt_count(), 0);
}

static void test_trylocks_across_threads(void)
{
	cross_check(false);
	cross_check(true);
}

/* --- readers really share ----------------------------------------------------- */

#define NR_SHARING	8

static DEFINE_RWLOCK(shared);
static int inside;

static void *reader_waits_for_all(void *arg)
{
	double deadline;

	read_lock(&shared);
	__atomic_fetch_add(&inside, 1, __ATOMIC_RELAXED);
	/* Spin politely: a spinning lock holder must not sleep. */
	deadline = ktest_now() + DEADLINE_S;
	while (__atomic_load_n(&inside, __ATOMIC_RELAXED) < NR_SHARING) {
		if (ktest_now() > deadline)
			KTEST_FAIL("only %d of %d readers got in together",
				   __atomic_load_n(&inside, __ATOMIC_RELAXED), NR_SHARING);
		sched_yield();
	}
	read_unlock(&shared);
	return arg;
}

static void test_readers_share(void)
{
	ktest_run_threads(NR_SHARING, reader_waits_for_all);
	CHECK_EQ(inside, NR_SHARING);
	CHECK_EQ(cnts_of(&shared), 0);
}

/* --- fairness: a reader in task context queues behind a waiting writer ---- */

static DEFINE_RWLOCK(fair);
static int r1_in, r1_release, order, w_order, r2_order, r2_started;

static void *first_reader(void *arg)
{
	read_lock(&fair);
	set_flag(&r1_in);
	wait_flag(&r1_release, "r1_release");
	read_unlock(&fair);
	return arg;
}

static void *waiting_writer(void *arg)
{
	write_lock(&fair);
	__atomic_store_n(&w_order, __atomic_add_fetch(&order, 1, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
	write_unlock(&fair);
	return arg;
}

static void *second_reader(void *arg)
{
	set_flag(&r2_started);
	read_lock(&fair);
	__atomic_store_n(&r2_order, __atomic_add_fetch(&order, 1, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
	read_unlock(&fair);
	return arg;
}

static void test_reader_queues_behind_waiting_writer(void)
{
	pthread_t r1, w, r2;

	CHECK(pthread_create(&r1, NULL, first_reader, NULL) == 0);
	wait_flag(&r1_in, "first reader");
	CHECK(pthread_create(&w, NULL, waiting_writer, NULL) == 0);
	wait_cnts_bit(&fair, _QW_WAITING, "the writer to wait");
	CHECK(rwlock_is_contended(&fair));	/* the writer holds wait_lock */

	CHECK(pthread_create(&r2, NULL, second_reader, NULL) == 0);
	wait_flag(&r2_started, "second reader");
	ktest_sleep_ms(100);
	/* Readers could share with r1, but the waiting writer comes first. */
	CHECK_EQ(__atomic_load_n(&r2_order, __ATOMIC_ACQUIRE), 0);
	CHECK_EQ(__atomic_load_n(&w_order, __ATOMIC_ACQUIRE), 0);
	CHECK_EQ(readers_of(&fair), 1);

	set_flag(&r1_release);
	CHECK(pthread_join(r1, NULL) == 0);
	CHECK(pthread_join(w, NULL) == 0);
	CHECK(pthread_join(r2, NULL) == 0);
	printf("# order: writer %d, second reader %d\n", w_order, r2_order);
	CHECK_EQ(w_order, 1);
	CHECK_EQ(r2_order, 2);
	CHECK_EQ(cnts_of(&fair), 0);
}

/* --- interrupt context: read_lock() does not queue behind the writer ------ */

static int irq;
static DEFINE_RWLOCK(irq_lock);
static int handler_got_it;
static int handler_in_interrupt;
static int irq_w_in;

static irqreturn_t reader_handler(int n, void *dev)
{
	(void)n;
	(void)dev;
	__atomic_store_n(&handler_in_interrupt, in_interrupt() ? 1 : 0, __ATOMIC_RELAXED);
	read_lock(&irq_lock);		/* its thread holds it for read */
	__atomic_fetch_add(&handler_got_it, 1, __ATOMIC_RELEASE);
	read_unlock(&irq_lock);
	return IRQ_HANDLED;
}

static void *irq_writer(void *arg)
{
	write_lock(&irq_lock);
	set_flag(&irq_w_in);
	write_unlock(&irq_lock);
	return arg;
}

static void test_irq_reader_recursion_with_writer_waiting(void)
{
	pthread_t w, dog;
	double deadline;

	read_lock(&irq_lock);
	CHECK(pthread_create(&w, NULL, irq_writer, NULL) == 0);
	wait_cnts_bit(&irq_lock, _QW_WAITING, "the writer to wait");

	dog = watchdog_start("the interrupt handler's read_lock() deadlocked");
	CHECK(pthread_kill(pthread_self(), irq) == 0);
	/*
	 * Under ThreadSanitizer the signal arrives at the next intercepted
	 * call, hence the sleeps; elsewhere it has run already.
	 */
	deadline = ktest_now() + DEADLINE_S;
	while (!__atomic_load_n(&handler_got_it, __ATOMIC_ACQUIRE) && ktest_now() < deadline)
		ktest_sleep_ms(1);
	watchdog_stop(dog);
	CHECK_EQ(handler_got_it, 1);
	CHECK_EQ(handler_in_interrupt, 1);
	CHECK_EQ(__atomic_load_n(&irq_w_in, __ATOMIC_ACQUIRE), 0);	/* still waiting */
	CHECK(cnts_of(&irq_lock) & _QW_WAITING);

	read_unlock(&irq_lock);
	CHECK(pthread_join(w, NULL) == 0);
	CHECK_EQ(irq_w_in, 1);
	CHECK_EQ(cnts_of(&irq_lock), 0);
	CHECK_EQ(preempt_count(), 0);
}

/* --- irq and bh variants mask and unmask as spinlocks do ---------------- */

static int counted;

static irqreturn_t count_handler(int n, void *dev)
{
	(void)n;
	(void)dev;
	__atomic_fetch_add(&counted, 1, __ATOMIC_RELAXED);
	return IRQ_HANDLED;
}

static int counted_now(void)
{
	return __atomic_load_n(&counted, __ATOMIC_RELAXED);
}

/*
 * Raise the counting interrupt on ourselves and let it in if it can come:
 * under ThreadSanitizer a signal waits for the next intercepted call.
 */
static void raise_count_irq(void)
{
	CHECK(pthread_kill(pthread_self(), SIGRTMIN + 1) == 0);
	ktest_sleep_ms(1);
}

static void wait_counted(int n)
{
	double deadline = ktest_now() + DEADLINE_S;

	while (counted_now() < n && ktest_now() < deadline)
		ktest_sleep_ms(1);
	CHECK_EQ(counted_now(), n);
}

static void test_irq_variants(void)
{
	DEFINE_RWLOCK(l);
	unsigned long flags, inner;
	int before = counted_now();

	read_lock_irq(&l);
	CHECK(irqs_disabled() && in_atomic());
	raise_count_irq();
	CHECK_EQ(counted_now(), before);	/* held back */
	read_unlock_irq(&l);
	CHECK(!irqs_disabled() && !in_atomic());
	wait_counted(before + 1);

	write_lock_irq(&l);
	CHECK(irqs_disabled() && in_atomic());
	raise_count_irq();
	CHECK_EQ(counted_now(), before + 1);
	write_unlock_irq(&l);
	CHECK(!irqs_disabled());
	wait_counted(before + 2);

	read_lock_irqsave(&l, flags);
	CHECK(!irqs_disabled_flags(flags) && irqs_disabled());
	write_lock_irqsave(&static_lock, inner);	/* nested: flags say "off" */
	CHECK(irqs_disabled_flags(inner));
	raise_count_irq();
	write_unlock_irqrestore(&static_lock, inner);
	CHECK(irqs_disabled());
	CHECK_EQ(counted_now(), before + 2);
	read_unlock_irqrestore(&l, flags);
	CHECK(!irqs_disabled());
	wait_counted(before + 3);

	CHECK_EQ(write_trylock_irqsave(&l, flags), 1);
	CHECK(irqs_disabled() && !irqs_disabled_flags(flags));
	write_unlock_irqrestore(&l, flags);
	CHECK(!irqs_disabled());
	read_lock(&l);
	CHECK_EQ(write_trylock_irqsave(&l, flags), 0);	/* failure restores */
	CHECK(!irqs_disabled());
	read_unlock(&l);
	CHECK_EQ(preempt_count(), 0);
}

static int softirq_ran;

static void count_softirq(struct softirq_action *a)
{
	(void)a;
	__atomic_fetch_add(&softirq_ran, 1, __ATOMIC_RELAXED);
}

static void test_bh_variants(void)
{
	DEFINE_RWLOCK(l);

	open_softirq(TASKLET_SOFTIRQ, count_softirq);
	read_lock_bh(&l);
	CHECK(in_softirq() && !in_serving_softirq() && in_atomic());
	CHECK(in_interrupt());		/* so a reader here would not queue */
	raise_softirq(TASKLET_SOFTIRQ);
	CHECK_EQ(softirq_ran, 0);	/* waits for the bh enable */
	read_unlock_bh(&l);
	CHECK_EQ(softirq_ran, 1);
	CHECK(!in_softirq());

	write_lock_bh(&l);
	CHECK(in_softirq() && in_atomic());
	CHECK_EQ(cnts_of(&l), _QW_LOCKED);
	raise_softirq(TASKLET_SOFTIRQ);
	CHECK_EQ(softirq_ran, 1);
	write_unlock_bh(&l);
	CHECK_EQ(softirq_ran, 2);
	CHECK_EQ(preempt_count(), 0);
}

/* --- guards ----------------------------------------------------------------- */

/*
 * scoped_guard() builds the same classes as guard(); it is used here
 * because clang 14 warns that guard()'s hidden variable is unused.
 */
static void test_guards(void)
{
	DEFINE_RWLOCK(l);

	scoped_guard(read_lock, &l) {
		CHECK_EQ(cnts_of(&l), _QR_BIAS);
		CHECK(in_atomic());
	}
	CHECK_EQ(cnts_of(&l), 0);
	scoped_guard(write_lock, &l) {
		CHECK_EQ(cnts_of(&l), _QW_LOCKED);
	}
	CHECK_EQ(cnts_of(&l), 0);
	scoped_guard(read_lock_irq, &l) {
		CHECK(irqs_disabled() && readers_of(&l) == 1);
	}
	CHECK(!irqs_disabled());
	scoped_guard(write_lock_irq, &l) {
		CHECK(irqs_disabled() && cnts_of(&l) == _QW_LOCKED);
	}
	scoped_guard(read_lock_irqsave, &l) {
		CHECK(irqs_disabled());
		scoped_guard(write_lock_irqsave, &static_lock) {
			CHECK(irqs_disabled());
		}
		CHECK(irqs_disabled());		/* the inner restore keeps them off */
	}
	CHECK(!irqs_disabled());
	scoped_guard(read_lock_bh, &l) {
		CHECK(in_softirq());
	}
	scoped_guard(write_lock_bh, &l) {
		CHECK(in_softirq() && cnts_of(&l) == _QW_LOCKED);
	}
	CHECK_EQ(cnts_of(&l), 0);
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
}

int main(void)
{
	irq = SIGRTMIN;
	CHECK_EQ(request_irq((unsigned)irq, reader_handler, 0, "rwlock-reader", NULL), 0);
	CHECK_EQ(request_irq((unsigned)SIGRTMIN + 1, count_handler, 0, "rwlock-count", NULL), 0);
	RUN(test_static_and_dynamic_init);
	RUN(test_read_side);
	RUN(test_write_side);
	RUN(test_trylocks_across_threads);
	RUN(test_readers_share);
	RUN(test_reader_queues_behind_waiting_writer);
	RUN(test_irq_reader_recursion_with_writer_waiting);
	RUN(test_irq_variants);
	RUN(test_bh_variants);
	RUN(test_guards);
	CHECK(free_irq((unsigned)irq, NULL) != NULL);
	CHECK(free_irq((unsigned)SIGRTMIN + 1, NULL) != NULL);
	return 0;
}
