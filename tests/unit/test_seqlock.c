// SPDX-License-Identifier: MIT
/*
 * seqcount_t, seqlock_t and the latch, call by call: the counts they
 * leave, readers that wait for a writer and retry after one, the
 * lockless-then-locking readers, the irq/bh forms of the write side and
 * of the locking readers, guards, and latch readers that never wait (in
 * an interrupt handler on the writer's own thread, and in other threads
 * while the writer is stalled half-way through an update).
 */
#include <sched.h>
#include <ksync/interrupt.h>
#include <ksync/seqlock.h>
#include <ksync/smp.h>
#include "ktest.h"

#define DEADLINE_S	10.0

static void set_flag(int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

static int flag_set(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void wait_flag(int *flag, const char *what)
{
	double deadline = ktest_now() + DEADLINE_S;

	while (!flag_set(flag)) {
		if (ktest_now() > deadline)
			KTEST_FAIL("timed out waiting for %s", what);
		ktest_sleep_ms(1);
	}
}

/* --- seqcount_t ---------------------------------------------------------------- */

static seqcount_t static_count = SEQCNT_ZERO(static_count);

static void test_seqcount_counts(void)
{
	seqcount_t s;
	unsigned int seq;

	CHECK(strcmp(static_count.dep_map.name, "static_count") == 0);
	memset(&s, 0x5a, sizeof(s));
	seqcount_init(&s);
	CHECK(strcmp(s.dep_map.name, "&s") == 0);
	CHECK_EQ(raw_read_seqcount(&s), 0);

	seq = read_seqcount_begin(&s);
	CHECK_EQ(seq, 0);
	CHECK(!read_seqcount_retry(&s, seq));

	preempt_disable();			/* a plain seqcount_t writer */
	write_seqcount_begin(&s);
	CHECK_EQ(raw_read_seqcount(&s), 1);	/* odd: a writer is inside */
	CHECK_EQ(raw_seqcount_begin(&s), 0);	/* masked: the retry will fail */
	CHECK(read_seqcount_retry(&s, seq));
	write_seqcount_end(&s);
	preempt_enable();
	CHECK_EQ(raw_read_seqcount(&s), 2);
	CHECK(read_seqcount_retry(&s, seq));	/* a writer ran: retry */
	CHECK(__read_seqcount_retry(&s, seq));

	seq = raw_read_seqcount_begin(&s);
	CHECK_EQ(seq, 2);
	write_seqcount_invalidate(&s);
	CHECK_EQ(raw_read_seqcount(&s), 4);
	CHECK(read_seqcount_retry(&s, seq));

	seq = __read_seqcount_begin(&s);
	raw_write_seqcount_barrier(&s);
	CHECK_EQ(raw_read_seqcount(&s), 6);
	CHECK(read_seqcount_retry(&s, seq));

	raw_write_seqcount_begin(&s);		/* no lockdep, no checks */
	CHECK_EQ(raw_read_seqcount(&s), 7);
	raw_write_seqcount_end(&s);
	preempt_disable();
	write_seqcount_begin_nested(&s, SINGLE_DEPTH_NESTING);
	write_seqcount_end(&s);
	preempt_enable();
	CHECK_EQ(raw_read_seqcount(&s), 10);
	CHECK_EQ(preempt_count(), 0);
}

/* read_seqcount_begin() waits while a writer is inside. */
static seqcount_t waited;
static int writer_inside, release_writer;

static void *slow_writer(void *arg)
{
	preempt_disable();
	write_seqcount_begin(&waited);
	preempt_enable();		/* to sleep; the count stays odd */
	set_flag(&writer_inside);
	wait_flag(&release_writer, "release_writer");
	preempt_disable();
	write_seqcount_end(&waited);
	preempt_enable();
	return arg;
}

static void *release_later(void *arg)
{
	ktest_sleep_ms(100);
	set_flag(&release_writer);
	return arg;
}

static void test_reader_waits_for_writer(void)
{
	pthread_t w, r;
	unsigned int seq;
	double t0;

	seqcount_init(&waited);
	CHECK(pthread_create(&w, NULL, slow_writer, NULL) == 0);
	wait_flag(&writer_inside, "the writer");
	CHECK_EQ(raw_read_seqcount(&waited), 1);
	CHECK(pthread_create(&r, NULL, release_later, NULL) == 0);
	t0 = ktest_now();
	seq = read_seqcount_begin(&waited);	/* waits about 100 ms */
	printf("# waited %.0f ms for the writer\n", (ktest_now() - t0) * 1e3);
	CHECK_EQ(seq, 2);
	CHECK(ktest_now() - t0 > 0.05);
	CHECK(pthread_join(w, NULL) == 0);
	CHECK(pthread_join(r, NULL) == 0);
}

/*
 * raw_write_seqcount_barrier() orders: the kernel's example.  The writer
 * sets Y, then the barrier, then clears X (and back the other way); a
 * reader whose pass succeeds never sees both clear.
 */
static seqcount_t barrier_seq;
static int bx = 1, by, barrier_stop, barrier_bad;

static void *barrier_writer(void *arg)
{
	while (!flag_set(&barrier_stop)) {
		WRITE_ONCE(by, 1);
		raw_write_seqcount_barrier(&barrier_seq);
		WRITE_ONCE(bx, 0);
		WRITE_ONCE(bx, 1);
		raw_write_seqcount_barrier(&barrier_seq);
		WRITE_ONCE(by, 0);
	}
	return arg;
}

static void *barrier_reader(void *arg)
{
	double end = ktest_now() + 0.1;

	while (ktest_now() < end) {
		unsigned int seq;
		int x, y;

		do {
			seq = read_seqcount_begin(&barrier_seq);
			x = READ_ONCE(bx);
			y = READ_ONCE(by);
		} while (read_seqcount_retry(&barrier_seq, seq));
		if (!x && !y)
			__atomic_fetch_add(&barrier_bad, 1, __ATOMIC_RELAXED);
	}
	return arg;
}

static void test_write_barrier_orders(void)
{
	pthread_t w, r[3];

	__seqcount_init(&barrier_seq, "barrier_seq", NULL);
	CHECK(pthread_create(&w, NULL, barrier_writer, NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&r[i], NULL, barrier_reader, NULL) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pthread_join(r[i], NULL) == 0);
	set_flag(&barrier_stop);
	CHECK(pthread_join(w, NULL) == 0);
	CHECK_EQ(barrier_bad, 0);
	CHECK_EQ(raw_read_seqcount(&barrier_seq) % 2, 0);
}

/* --- seqlock_t ----------------------------------------------------------------- */

static DEFINE_SEQLOCK(static_sl);

static void test_seqlock_basics(void)
{
	seqlock_t sl;
	unsigned int seq;

	CHECK(strcmp(static_sl.lock.rlock.dep_map.name, "static_sl") == 0);
	CHECK(strcmp(static_sl.seqcount.dep_map.name, "static_sl") == 0);
	seqlock_init(&sl);
	CHECK(strcmp(sl.lock.rlock.dep_map.name, "&(&sl)->lock") == 0);

	seq = read_seqbegin(&sl);
	CHECK_EQ(seq, 0);
	write_seqlock(&sl);
	CHECK(spin_is_locked(&sl.lock));
	CHECK(in_atomic());
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 1);
	write_sequnlock(&sl);
	CHECK(!spin_is_locked(&sl.lock));
	CHECK(read_seqretry(&sl, seq));
	seq = read_seqbegin(&sl);
	CHECK_EQ(seq, 2);
	CHECK(!read_seqretry(&sl, seq));

	read_seqlock_excl(&sl);			/* excludes writers, not readers */
	CHECK(spin_is_locked(&sl.lock));
	CHECK_EQ(read_seqbegin(&sl), 2);
	read_sequnlock_excl(&sl);
	CHECK(!read_seqretry(&sl, seq));	/* the count was left alone */
	CHECK_EQ(preempt_count(), 0);
}

/* --- the irq and bh forms ------------------------------------------------------- */

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

/* Under ThreadSanitizer a signal waits for the next intercepted call. */
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

static void test_write_side_irq_bh(void)
{
	DEFINE_SEQLOCK(sl);
	unsigned long flags;
	int before = counted_now();

	write_seqlock_irq(&sl);
	CHECK(irqs_disabled() && in_atomic());
	raise_count_irq();
	CHECK_EQ(counted_now(), before);
	write_sequnlock_irq(&sl);
	CHECK(!irqs_disabled());
	wait_counted(before + 1);

	write_seqlock_irqsave(&sl, flags);
	CHECK(irqs_disabled() && !irqs_disabled_flags(flags));
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 3);
	raise_count_irq();
	write_sequnlock_irqrestore(&sl, flags);
	CHECK(!irqs_disabled());
	wait_counted(before + 2);

	write_seqlock_bh(&sl);
	CHECK(in_softirq() && !in_serving_softirq());
	write_sequnlock_bh(&sl);
	CHECK(!in_softirq());
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 6);
	CHECK_EQ(preempt_count(), 0);
}

static void test_locking_reader_irq_bh(void)
{
	DEFINE_SEQLOCK(sl);
	unsigned long flags;
	int before = counted_now();

	read_seqlock_excl_irq(&sl);
	CHECK(irqs_disabled() && spin_is_locked(&sl.lock));
	raise_count_irq();
	CHECK_EQ(counted_now(), before);
	read_sequnlock_excl_irq(&sl);
	wait_counted(before + 1);

	read_seqlock_excl_irqsave(&sl, flags);
	CHECK(irqs_disabled() && !irqs_disabled_flags(flags));
	read_sequnlock_excl_irqrestore(&sl, flags);
	CHECK(!irqs_disabled());

	read_seqlock_excl_bh(&sl);
	CHECK(in_softirq() && spin_is_locked(&sl.lock));
	read_sequnlock_excl_bh(&sl);
	CHECK(!in_softirq());
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 0);	/* never touched */
	CHECK_EQ(preempt_count(), 0);
}

/* --- lockless first, then locking ------------------------------------------- */

static DEFINE_SEQLOCK(fallback);
static int other_writer_started, other_writer_done;

static void *other_writer(void *arg)
{
	set_flag(&other_writer_started);
	write_seqlock(&fallback);		/* must wait for the locking reader */
	set_flag(&other_writer_done);
	write_sequnlock(&fallback);
	return arg;
}

static void test_seqbegin_or_lock_falls_back(void)
{
	int seq = 0, passes = 0, locked_passes = 0;
	pthread_t t = 0;

	do {
		read_seqbegin_or_lock(&fallback, &seq);
		passes++;
		if (seq & 1) {
			locked_passes++;
			CHECK(spin_is_locked(&fallback.lock));
			/* A writer in another thread cannot get in now. */
			CHECK(pthread_create(&t, NULL, other_writer, NULL) == 0);
			wait_flag(&other_writer_started, "the other writer");
			ktest_sleep_ms(50);
			CHECK(!flag_set(&other_writer_done));
		} else {
			CHECK(!spin_is_locked(&fallback.lock));
			/* A writer runs during the lockless pass: it must fail. */
			write_seqlock(&fallback);
			write_sequnlock(&fallback);
		}
		if (!need_seqretry(&fallback, seq))
			break;
		seq = 1;			/* the next pass locks */
	} while (1);
	done_seqretry(&fallback, seq);
	CHECK_EQ(passes, 2);
	CHECK_EQ(locked_passes, 1);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(flag_set(&other_writer_done));

	/* The _irqsave form disables interrupts in the locking pass only. */
	seq = 0;
	passes = 0;
	do {
		unsigned long flags = read_seqbegin_or_lock_irqsave(&fallback, &seq);

		passes++;
		CHECK_EQ(!!irqs_disabled(), seq & 1);
		if (!(seq & 1)) {
			write_seqlock(&fallback);
			write_sequnlock(&fallback);
		}
		if (!need_seqretry(&fallback, seq)) {
			done_seqretry_irqrestore(&fallback, seq, flags);
			break;
		}
		done_seqretry_irqrestore(&fallback, seq, flags);
		seq = 1;
	} while (1);
	CHECK_EQ(passes, 2);
	CHECK(!irqs_disabled());
	CHECK_EQ(preempt_count(), 0);
}

static void test_scoped_seqlock_read(void)
{
	DEFINE_SEQLOCK(sl);
	int passes = 0, locked = 0;

	scoped_seqlock_read (&sl, ss_lock) {
		passes++;
		if (spin_is_locked(&sl.lock))
			locked++;
		if (passes == 1) {		/* a writer spoils the first pass */
			write_seqlock(&sl);
			write_sequnlock(&sl);
		}
	}
	CHECK_EQ(passes, 2);
	CHECK_EQ(locked, 1);
	CHECK(!spin_is_locked(&sl.lock));

	passes = 0;
	scoped_seqlock_read (&sl, ss_lock_irqsave) {
		passes++;
		CHECK_EQ(!!irqs_disabled(), passes == 2);
		if (passes == 1) {
			write_seqlock(&sl);
			write_sequnlock(&sl);
		}
	}
	CHECK_EQ(passes, 2);
	CHECK(!irqs_disabled());

	passes = 0;
	scoped_seqlock_read (&sl, ss_lockless) {
		passes++;
		CHECK(!spin_is_locked(&sl.lock));
		if (passes < 3) {
			write_seqlock(&sl);
			write_sequnlock(&sl);
		}
	}
	CHECK_EQ(passes, 3);

	/* Leaving a locked pass early unlocks. */
	passes = 0;
	scoped_seqlock_read (&sl, ss_lock) {
		if (++passes == 1) {
			write_seqlock(&sl);
			write_sequnlock(&sl);
			continue;
		}
		break;
	}
	CHECK_EQ(passes, 2);
	CHECK(!spin_is_locked(&sl.lock));
	CHECK_EQ(preempt_count(), 0);
}

/*
 * scoped_guard() builds the same classes as guard(); it is used here
 * because clang 14 warns that guard()'s hidden variable is unused.
 */
static void test_guards(void)
{
	DEFINE_SEQLOCK(sl);

	scoped_guard(write_seqlock, &sl) {
		CHECK(spin_is_locked(&sl.lock) && (raw_read_seqcount(&sl.seqcount) & 1));
	}
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 2);
	scoped_guard(write_seqlock_irq, &sl) {
		CHECK(irqs_disabled());
	}
	scoped_guard(write_seqlock_irqsave, &sl) {
		CHECK(irqs_disabled());
	}
	scoped_guard(write_seqlock_bh, &sl)
		CHECK(in_softirq());
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 8);
	scoped_guard(read_seqlock_excl, &sl) {
		CHECK(spin_is_locked(&sl.lock));
	}
	scoped_guard(read_seqlock_excl_irq, &sl) {
		CHECK(irqs_disabled());
	}
	scoped_guard(read_seqlock_excl_irqsave, &sl) {
		CHECK(irqs_disabled());
	}
	scoped_guard(read_seqlock_excl_bh, &sl) {
		CHECK(in_softirq());
	}
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 8);
	CHECK(!spin_is_locked(&sl.lock) && !irqs_disabled());
	CHECK_EQ(preempt_count(), 0);
}

/* --- the latch --------------------------------------------------------------------- */

struct pair {
	unsigned long a, b;		/* b == ~a when consistent */
};

struct latched {
	seqcount_latch_t seq;
	struct pair data[2];
};

static struct latched latch = { .seq = SEQCNT_LATCH_ZERO(latch.seq) };

static struct pair latch_query(struct latched *l)
{
	struct pair p;
	unsigned int seq;

	do {
		seq = read_seqcount_latch(&l->seq);
		p.a = READ_ONCE(l->data[seq & 1].a);
		p.b = READ_ONCE(l->data[seq & 1].b);
	} while (read_seqcount_latch_retry(&l->seq, seq));
	return p;
}

static void write_pair(struct pair *p, unsigned long v, void (*midway)(void))
{
	WRITE_ONCE(p->a, v);
	if (midway)
		midway();
	WRITE_ONCE(p->b, ~v);
}

static void latch_update(struct latched *l, unsigned long v, void (*midway)(void))
{
	write_seqcount_latch_begin(&l->seq);	/* readers: copy 1 */
	write_pair(&l->data[0], v, midway);
	write_seqcount_latch(&l->seq);		/* readers: copy 0 */
	write_pair(&l->data[1], v, NULL);
	write_seqcount_latch_end(&l->seq);
}

/* An "NMI" on the writer's own thread, in the middle of copy 0. */
static int nmi_handled;
static struct pair nmi_saw;

static irqreturn_t latch_reader_handler(int n, void *dev)
{
	(void)n;
	(void)dev;
	nmi_saw = latch_query(&latch);
	set_flag(&nmi_handled);
	return IRQ_HANDLED;
}

static void interrupt_midway(void)
{
	double deadline = ktest_now() + DEADLINE_S;

	CHECK(pthread_kill(pthread_self(), SIGRTMIN + 2) == 0);
	while (!flag_set(&nmi_handled) && ktest_now() < deadline)
		ktest_sleep_ms(1);		/* ThreadSanitizer delivers here */
}

static void test_latch_reader_interrupts_writer(void)
{
	seqcount_latch_t fresh;

	seqcount_latch_init(&fresh);
	CHECK_EQ(raw_read_seqcount_latch(&fresh), 0);
	raw_write_seqcount_latch(&fresh);
	CHECK_EQ(read_seqcount_latch(&fresh), 1);	/* readers: copy 1 */
	CHECK(read_seqcount_latch_retry(&fresh, 0));

	latch_update(&latch, 41, NULL);
	CHECK_EQ(raw_read_seqcount_latch(&latch.seq), 2);
	latch_update(&latch, 42, interrupt_midway);
	CHECK(flag_set(&nmi_handled));
	/* Copy 0 was half-written; the handler read copy 1, whole. */
	CHECK_EQ(nmi_saw.a, 41);
	CHECK_EQ(nmi_saw.b, ~41UL);
	CHECK_EQ(latch_query(&latch).a, 42);
	CHECK_EQ(raw_read_seqcount_latch(&latch.seq), 4);
	CHECK(!raw_read_seqcount_latch_retry(&latch.seq, 4));
}

/* Readers keep completing while the writer is stalled half-way. */
#define NR_LATCH_READERS	4

static struct latched stall = {
	.seq = SEQCNT_LATCH_ZERO(stall.seq),
	.data = { { 0, ~0UL }, { 0, ~0UL } },	/* consistent from the start */
};
static int stalled, stall_over;
static int reads_during_stall[NR_LATCH_READERS];
static int latch_torn;

static void stall_midway(void)
{
	set_flag(&stalled);
	ktest_sleep_ms(200);
}

static void *stalling_writer(void *arg)
{
	latch_update(&stall, 1, NULL);
	latch_update(&stall, 2, stall_midway);
	set_flag(&stall_over);
	return arg;
}

static void *latch_reader(void *arg)
{
	long id = (long)arg;
	double deadline = ktest_now() + DEADLINE_S;

	while (!flag_set(&stall_over) && ktest_now() < deadline) {
		struct pair p = latch_query(&stall);
		bool during = flag_set(&stalled) && !flag_set(&stall_over);

		if (p.b != ~p.a)
			__atomic_fetch_add(&latch_torn, 1, __ATOMIC_RELAXED);
		if (during)
			reads_during_stall[id]++;
		sched_yield();
	}
	return NULL;
}

static void test_latch_readers_never_wait(void)
{
	pthread_t w, r[NR_LATCH_READERS];

	for (long i = 0; i < NR_LATCH_READERS; i++)
		CHECK(pthread_create(&r[i], NULL, latch_reader, (void *)i) == 0);
	CHECK(pthread_create(&w, NULL, stalling_writer, NULL) == 0);
	CHECK(pthread_join(w, NULL) == 0);
	for (int i = 0; i < NR_LATCH_READERS; i++)
		CHECK(pthread_join(r[i], NULL) == 0);
	printf("# reads while the writer was stalled:");
	for (int i = 0; i < NR_LATCH_READERS; i++) {
		printf(" %d", reads_during_stall[i]);
		CHECK(reads_during_stall[i] > 0);
	}
	printf("\n");
	CHECK_EQ(latch_torn, 0);
}

int main(void)
{
	CHECK_EQ(request_irq((unsigned)SIGRTMIN + 1, count_handler, 0, "seq-count", NULL), 0);
	CHECK_EQ(request_irq((unsigned)SIGRTMIN + 2, latch_reader_handler, 0,
			     "seq-latch", NULL), 0);
	RUN(test_seqcount_counts);
	RUN(test_reader_waits_for_writer);
	RUN(test_write_barrier_orders);
	RUN(test_seqlock_basics);
	RUN(test_write_side_irq_bh);
	RUN(test_locking_reader_irq_bh);
	RUN(test_seqbegin_or_lock_falls_back);
	RUN(test_scoped_seqlock_read);
	RUN(test_guards);
	RUN(test_latch_reader_interrupts_writer);
	RUN(test_latch_readers_never_wait);
	CHECK(free_irq((unsigned)SIGRTMIN + 1, NULL) != NULL);
	CHECK(free_irq((unsigned)SIGRTMIN + 2, NULL) != NULL);
	return 0;
}
