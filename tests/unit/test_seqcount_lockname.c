// SPDX-License-Identifier: MIT
/*
 * seqcount_LOCKNAME_t and seqcount_latch_t as kernel code spells them:
 * SEQCNT_*_ZERO and seqcount_*_init for spinlock_t, raw_spinlock_t,
 * rwlock_t and struct mutex; every reader and writer call on every type
 * (the kernel's _Generic seqprop); a seqcount_mutex_t write section with
 * preemption disabled.  Stress with exact counts, more threads than CPUs:
 * readers never see a torn pair, writers' increments all land; the latch's
 * readers never see a torn copy.  In children: write_seqcount_begin()
 * without the associated lock held is reported (lockdep_assert_held, with
 * KSYNC_DEBUG=1), and not with it held.
 */
#define _GNU_SOURCE
#include <ksync/mutex.h>
#include <ksync/rwlock.h>
#include <ksync/seqlock.h>
#include <ksync/spinlock.h>
#include "ktest_deadline.h"

static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };

static DEFINE_SPINLOCK(s_lock);
static DEFINE_RAW_SPINLOCK(r_lock);
static DEFINE_RWLOCK(w_lock);
static DEFINE_MUTEX(m_lock);

static seqcount_spinlock_t s_seq = SEQCNT_SPINLOCK_ZERO(s_seq, &s_lock);
static seqcount_raw_spinlock_t r_seq = SEQCNT_RAW_SPINLOCK_ZERO(r_seq, &r_lock);
static seqcount_rwlock_t w_seq = SEQCNT_RWLOCK_ZERO(w_seq, &w_lock);
static seqcount_mutex_t m_seq = SEQCNT_MUTEX_ZERO(m_seq, &m_lock);

struct pair {
	long a, b;
};

static struct pair s_data, r_data, w_data, m_data;

static void pair_write(struct pair *p)
{
	WRITE_ONCE(p->a, READ_ONCE(p->a) + 1);
	WRITE_ONCE(p->b, READ_ONCE(p->b) + 1);
}

/* A torn read returns a != b: counted by the callers. */
#define READ_PAIR(seq, data)						\
	({								\
		struct pair __p;					\
		unsigned int __start;					\
									\
		do {							\
			__start = read_seqcount_begin(seq);		\
			__p.a = READ_ONCE((data)->a);			\
			__p.b = READ_ONCE((data)->b);			\
		} while (read_seqcount_retry(seq, __start));		\
		__p;							\
	})

/* --- every call on every type -------------------------------------------------- */

static void test_api_each_type(void)
{
	seqcount_spinlock_t ds;
	seqcount_raw_spinlock_t dr;
	seqcount_rwlock_t dw;
	seqcount_mutex_t dm;
	struct pair p;
	unsigned int seq;

	seqcount_spinlock_init(&ds, &s_lock);
	seqcount_raw_spinlock_init(&dr, &r_lock);
	seqcount_rwlock_init(&dw, &w_lock);
	seqcount_mutex_init(&dm, &m_lock);
	CHECK(ds.lock == &s_lock && dr.lock == &r_lock);
	CHECK(dw.lock == &w_lock && dm.lock == &m_lock);

	spin_lock(&s_lock);
	write_seqcount_begin(&s_seq);
	CHECK(raw_read_seqcount(&s_seq) & 1);
	pair_write(&s_data);
	write_seqcount_end(&s_seq);
	spin_unlock(&s_lock);

	raw_spin_lock(&r_lock);
	write_seqcount_begin_nested(&r_seq, 0);
	pair_write(&r_data);
	write_seqcount_end(&r_seq);
	raw_spin_unlock(&r_lock);

	write_lock(&w_lock);
	write_seqcount_begin(&w_seq);
	pair_write(&w_data);
	write_seqcount_end(&w_seq);
	write_unlock(&w_lock);

	/* A mutex's writer is made non-preemptible for the section. */
	mutex_lock(&m_lock);
	write_seqcount_begin(&m_seq);
	CHECK_EQ(preempt_count(), 1);
	pair_write(&m_data);
	write_seqcount_end(&m_seq);
	CHECK_EQ(preempt_count(), 0);
	raw_write_seqcount_begin(&m_seq);
	CHECK_EQ(preempt_count(), 1);
	raw_write_seqcount_end(&m_seq);
	CHECK_EQ(preempt_count(), 0);
	mutex_unlock(&m_lock);

	p = READ_PAIR(&s_seq, &s_data);
	CHECK(p.a == 1 && p.b == 1);
	p = READ_PAIR(&r_seq, &r_data);
	CHECK(p.a == 1 && p.b == 1);
	p = READ_PAIR(&w_seq, &w_data);
	CHECK(p.a == 1 && p.b == 1);
	p = READ_PAIR(&m_seq, &m_data);
	CHECK(p.a == 1 && p.b == 1);

	/* The raw and barrier forms, on a counter with a lock. */
	seq = raw_read_seqcount_begin(&ds);
	CHECK_EQ(seq, raw_seqcount_begin(&ds));
	CHECK(!__read_seqcount_retry(&ds, seq));
	raw_write_seqcount_begin(&ds);
	CHECK_EQ(raw_seqcount_begin(&ds), seq);	/* odd rounds down */
	raw_write_seqcount_end(&ds);
	CHECK(read_seqcount_retry(&ds, seq));
	seq = __read_seqcount_begin(&ds);
	raw_write_seqcount_barrier(&ds);
	CHECK(read_seqcount_retry(&ds, seq));
	seq = read_seqcount_begin(&dw);
	write_seqcount_invalidate(&dw);
	CHECK(read_seqcount_retry(&dw, seq));
	CHECK_EQ(raw_read_seqcount(&dw) & 1, 0u);
	CHECK_EQ(raw_read_seqcount(&dm), 0u);
	CHECK_EQ(raw_read_seqcount(&dr), 0u);
	CHECK_EQ(preempt_count(), 0);
}

/* --- stress ---------------------------------------------------------------------- */

#define WRITES		3000
#define WRITERS		2
#define READERS		6

static int stop;
static long torn;

static void *spin_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < WRITES; i++) {
		spin_lock(&s_lock);
		write_seqcount_begin(&s_seq);
		pair_write(&s_data);
		write_seqcount_end(&s_seq);
		spin_unlock(&s_lock);
		mutex_lock(&m_lock);
		write_seqcount_begin(&m_seq);
		pair_write(&m_data);
		write_seqcount_end(&m_seq);
		mutex_unlock(&m_lock);
		write_lock_irq(&w_lock);
		write_seqcount_begin(&w_seq);
		pair_write(&w_data);
		write_seqcount_end(&w_seq);
		write_unlock_irq(&w_lock);
		if (!(i % 32))
			sched_yield();
	}
	return NULL;
}

static void *pair_reader(void *arg)
{
	long bad = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct pair p = READ_PAIR(&s_seq, &s_data);

		bad += p.a != p.b;
		p = READ_PAIR(&m_seq, &m_data);
		bad += p.a != p.b;
		p = READ_PAIR(&w_seq, &w_data);
		bad += p.a != p.b;
		sched_yield();
	}
	__atomic_fetch_add(&torn, bad, __ATOMIC_RELAXED);
	return NULL;
}

static void test_stress_exact(void)
{
	pthread_t w[WRITERS], r[READERS];
	struct pair before[3] = {
		READ_PAIR(&s_seq, &s_data), READ_PAIR(&m_seq, &m_data),
		READ_PAIR(&w_seq, &w_data),
	};

	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&r[i], NULL, pair_reader, NULL) == 0);
	for (int i = 0; i < WRITERS; i++)
		CHECK(pthread_create(&w[i], NULL, spin_writer, NULL) == 0);
	for (int i = 0; i < WRITERS; i++)
		ktest_join_or_fail(w[i]);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		ktest_join_or_fail(r[i]);
	CHECK_EQ(torn, 0l);
	CHECK_EQ(s_data.a - before[0].a, (long)WRITERS * WRITES);
	CHECK_EQ(m_data.b - before[1].b, (long)WRITERS * WRITES);
	CHECK_EQ(w_data.a - before[2].a, (long)WRITERS * WRITES);
}

/* --- the latch, as the kernel's users write it ----------------------------------- */

struct latched {
	seqcount_latch_t seq;
	struct pair copy[2];
};

static struct latched lat = { .seq = SEQCNT_LATCH_ZERO(lat.seq) };
static int latch_stop;
static long latch_torn, latch_reads;

static void latch_update(long v)
{
	raw_write_seqcount_latch(&lat.seq);
	WRITE_ONCE(lat.copy[0].a, v);
	WRITE_ONCE(lat.copy[0].b, v);
	raw_write_seqcount_latch(&lat.seq);
	WRITE_ONCE(lat.copy[1].a, v);
	WRITE_ONCE(lat.copy[1].b, v);
}

static struct pair latch_query(void)
{
	struct pair p;
	unsigned int seq, idx;

	do {
		seq = raw_read_seqcount_latch(&lat.seq);
		idx = seq & 1;
		p.a = READ_ONCE(lat.copy[idx].a);
		p.b = READ_ONCE(lat.copy[idx].b);
	} while (raw_read_seqcount_latch_retry(&lat.seq, seq));
	return p;
}

static void *latch_reader(void *arg)
{
	long bad = 0, n = 0;

	(void)arg;
	while (!__atomic_load_n(&latch_stop, __ATOMIC_ACQUIRE)) {
		struct pair p = latch_query();

		bad += p.a != p.b;
		if (!(++n % 64))
			sched_yield();
	}
	__atomic_fetch_add(&latch_torn, bad, __ATOMIC_RELAXED);
	__atomic_fetch_add(&latch_reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void test_latch(void)
{
	pthread_t r[READERS];
	seqcount_latch_t dyn;

	seqcount_latch_init(&dyn);
	CHECK_EQ(raw_read_seqcount_latch(&dyn), 0u);
	for (int i = 0; i < READERS; i++)
		CHECK(pthread_create(&r[i], NULL, latch_reader, NULL) == 0);
	for (long v = 1; v <= 20000; v++) {
		latch_update(v);
		if (!(v % 256))
			sched_yield();
	}
	__atomic_store_n(&latch_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		ktest_join_or_fail(r[i]);
	CHECK_EQ(latch_torn, 0l);
	CHECK(latch_query().a == 20000);
	CHECK_EQ(raw_read_seqcount_latch(&lat.seq), 40000u);
}

/* --- the writer's lock assertion ------------------------------------------------- */

static void child_spin_unlocked(void)
{
	write_seqcount_begin(&s_seq);		/* s_lock not held */
	pair_write(&s_data);
	write_seqcount_end(&s_seq);
	printf("went on\n");
}

static void child_mutex_unlocked(void)
{
	write_seqcount_begin(&m_seq);		/* m_lock not held */
	write_seqcount_end(&m_seq);
	printf("went on, preempt_count %d\n", preempt_count());
}

static void child_all_locked(void)
{
	spin_lock(&s_lock);
	write_seqcount_begin(&s_seq);
	write_seqcount_end(&s_seq);
	spin_unlock(&s_lock);
	raw_spin_lock(&r_lock);
	write_seqcount_begin(&r_seq);
	write_seqcount_end(&r_seq);
	raw_spin_unlock(&r_lock);
	read_lock(&w_lock);			/* any mode, as lockdep_assert_held() */
	write_seqcount_begin(&w_seq);
	write_seqcount_end(&w_seq);
	read_unlock(&w_lock);
	mutex_lock(&m_lock);
	write_seqcount_begin(&m_seq);
	write_seqcount_end(&m_seq);
	mutex_unlock(&m_lock);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "spin_unlocked", child_spin_unlocked },
	{ "mutex_unlocked", child_mutex_unlocked },
	{ "all_locked", child_all_locked },
	{ NULL, NULL },
};

static struct ktest_child c;

static void spawn(const char *name, const char *const *env)
{
	ktest_spawn(&c, "/proc/self/exe", name, env, 20000);
	if (!ktest_exited(&c, 0))
		KTEST_FAIL("%s: child failed:\n%s", name, c.out);
}

static void test_writer_lock_asserted(void)
{
	spawn("spin_unlocked", debug_env);
	CHECK_OUT(&c, "------------[ cut here ]------------\n"
		  "lockdep_assert_held((&s_seq)->lock): lock not held\n"
		  "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_seqcount_lockname.c:");
	CHECK_OUT(&c, "child_spin_unlocked");
	CHECK_OUT(&c, "went on\n");

	spawn("mutex_unlocked", lockdep_env);
	CHECK_OUT(&c, "lockdep_assert_held((&m_seq)->lock): lock not held\n");
	CHECK_OUT(&c, "went on, preempt_count 0\n");

	/* Nothing without the switches, as the kernel without lockdep. */
	spawn("spin_unlocked", NULL);
	CHECK_NOT_OUT(&c, "lockdep_assert_held");
	CHECK_OUT(&c, "went on\n");

	spawn("all_locked", lockdep_env);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "BUG");
	CHECK_OUT(&c, "went on\n");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	ktest_start_watchdog();
	RUN(test_api_each_type);
	RUN(test_stress_exact);
	RUN(test_latch);
	RUN(test_writer_lock_asserted);
	return 0;
}
