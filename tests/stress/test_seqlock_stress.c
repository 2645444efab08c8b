// SPDX-License-Identifier: MIT
/*
 * Sequence counters under load, with more threads than cores: writers
 * rewrite a record field by field (a pair a, b = -a and a 128-bit value
 * in two words lo, hi), pausing between fields so that a reader often
 * catches the record half-written; readers (more of them than cores)
 * must never accept a torn record, must see the record's count never go
 * back, and at the end the count equals the number of writes.
 *
 * Three protections: seqlock_t (lockless readers, some falling back to
 * locking), seqcount_t serialised by a raw spinlock, and a latch whose
 * readers never wait.  Data are read with READ_ONCE() and written with
 * WRITE_ONCE(), the kernel's rule for data read under a sequence count.
 * A first phase reads without any protection and must catch torn
 * records: proof that the check would notice a broken protocol.
 */
#include <sched.h>
#include <ksync/seqlock.h>
#include "ktest.h"

#define NWRITERS	2
#define NREADERS	14
#define K		0x9e3779b97f4a7c15ull

static int phase_ms = 300;

struct record {
	uint64_t a, b;		/* b == -a */
	uint64_t lo, hi;	/* the 128-bit value a * (K + 2^64 * ~0): hi == ~lo */
};

static bool consistent(const struct record *r)
{
	return r->b == -r->a && r->lo == r->a * K && r->hi == ~r->lo;
}

static void pause_a_little(void)
{
	for (int i = 0; i < 16; i++)
		cpu_relax();
}

/* Field by field, with pauses: a reader in between sees a torn record. */
static void write_record(struct record *r, uint64_t n)
{
	WRITE_ONCE(r->a, n);
	pause_a_little();
	WRITE_ONCE(r->lo, n * K);
	pause_a_little();
	WRITE_ONCE(r->b, -n);
	pause_a_little();
	WRITE_ONCE(r->hi, ~(n * K));
}

/* Slowly too, so that writers often start while a reader is inside. */
static void read_record(const struct record *r, struct record *out)
{
	out->a = READ_ONCE(r->a);
	pause_a_little();
	out->lo = READ_ONCE(r->lo);
	pause_a_little();
	out->b = READ_ONCE(r->b);
	pause_a_little();
	out->hi = READ_ONCE(r->hi);
}

/* One phase: how to write and how to read. */
struct protection {
	const char *name;
	void (*write)(long writer);	/* one more write: count + 1 */
	uint64_t (*count_now)(void);	/* the count, once the writers are done */
	void (*read)(long reader, struct record *out);
};

static int writers_done;
static unsigned long writes[NWRITERS];
static unsigned long accepted[NREADERS], torn_accepted[NREADERS];
static unsigned long went_back[NREADERS];
static unsigned long retries;		/* read passes that had to be redone */
static const struct protection *prot;

static void count_retry(void)
{
	__atomic_fetch_add(&retries, 1, __ATOMIC_RELAXED);
}

/* --- seqlock_t ------------------------------------------------------------ */

static DEFINE_SEQLOCK(sl);
static struct record sl_rec = { 0, 0, 0, ~0ull };

/* Writers are serialised by the lock, so the record's count is stable. */
static void sl_write(long writer)
{
	unsigned long flags;

	if (writer == 0) {
		write_seqlock(&sl);
		write_record(&sl_rec, sl_rec.a + 1);
		write_sequnlock(&sl);
	} else {
		write_seqlock_irqsave(&sl, flags);
		write_record(&sl_rec, sl_rec.a + 1);
		write_sequnlock_irqrestore(&sl, flags);
	}
}

static uint64_t sl_current(void)
{
	return READ_ONCE(sl_rec.a);
}

static void sl_read(long reader, struct record *out)
{
	unsigned int seq;
	int s = 0;

	if (reader % 3 == 0) {
		/* Lockless first, then locking. */
		for (;;) {
			read_seqbegin_or_lock(&sl, &s);
			read_record(&sl_rec, out);
			if (!need_seqretry(&sl, s))
				break;
			count_retry();
			s = 1;
		}
		done_seqretry(&sl, s);
		return;
	}
	do {
		seq = read_seqbegin(&sl);
		read_record(&sl_rec, out);
	} while (read_seqretry(&sl, seq) && (count_retry(), 1));
}

static const struct protection seqlock_prot = {
	"seqlock_t", sl_write, sl_current, sl_read,
};

/* --- seqcount_t with a raw spinlock ----------------------------------------- */

static DEFINE_RAW_SPINLOCK(sc_lock);
static seqcount_t sc = SEQCNT_ZERO(sc);
static struct record sc_rec = { 0, 0, 0, ~0ull };

static void sc_write(long writer)
{
	(void)writer;
	raw_spin_lock(&sc_lock);		/* serialised, non-preemptible */
	write_seqcount_begin(&sc);
	write_record(&sc_rec, sc_rec.a + 1);
	write_seqcount_end(&sc);
	raw_spin_unlock(&sc_lock);
}

static uint64_t sc_current(void)
{
	return READ_ONCE(sc_rec.a);
}

static void sc_read(long reader, struct record *out)
{
	unsigned int seq;

	(void)reader;
	do {
		seq = read_seqcount_begin(&sc);
		read_record(&sc_rec, out);
	} while (read_seqcount_retry(&sc, seq) && (count_retry(), 1));
}

static const struct protection seqcount_prot = {
	"seqcount_t", sc_write, sc_current, sc_read,
};

/* --- latch --------------------------------------------------------------------- */

static DEFINE_SPINLOCK(latch_lock);
static seqcount_latch_t latch = SEQCNT_LATCH_ZERO(latch);
static struct record latch_rec[2] = { { 0, 0, 0, ~0ull }, { 0, 0, 0, ~0ull } };

static void latch_write(long writer)
{
	uint64_t n;

	(void)writer;
	spin_lock(&latch_lock);
	n = latch_rec[0].a + 1;
	write_seqcount_latch_begin(&latch);
	write_record(&latch_rec[0], n);
	write_seqcount_latch(&latch);
	write_record(&latch_rec[1], n);
	write_seqcount_latch_end(&latch);
	spin_unlock(&latch_lock);
}

static uint64_t latch_current(void)
{
	return READ_ONCE(latch_rec[0].a);
}

static void latch_read(long reader, struct record *out)
{
	unsigned int seq;

	(void)reader;
	do {
		seq = read_seqcount_latch(&latch);
		read_record(&latch_rec[seq & 1], out);
	} while (read_seqcount_latch_retry(&latch, seq) && (count_retry(), 1));
}

static const struct protection latch_prot = {
	"latch", latch_write, latch_current, latch_read,
};

/*
 * --- no protection at all -----------------------------------------------------
 * Readers read the record without a sequence count: they must catch torn
 * records, which shows the check above would notice a broken protocol.
 */

static DEFINE_SPINLOCK(bare_lock);
static struct record bare_rec = { 0, 0, 0, ~0ull };

static void bare_write(long writer)
{
	(void)writer;
	spin_lock(&bare_lock);
	write_record(&bare_rec, bare_rec.a + 1);
	spin_unlock(&bare_lock);
}

static uint64_t bare_current(void)
{
	return READ_ONCE(bare_rec.a);
}

static void bare_read(long reader, struct record *out)
{
	(void)reader;
	read_record(&bare_rec, out);
}

static const struct protection bare_prot = {
	"unprotected (must see torn records)", bare_write, bare_current, bare_read,
};

/* --- the threads ------------------------------------------------------------------ */

/* For phase_ms from when this writer starts (start-up can be slow). */
static void writer(long id)
{
	double stop = ktest_now() + phase_ms / 1000.0;

	do {
		for (int i = 0; i < 64; i++) {
			prot->write(id);
			writes[id]++;
			for (int j = 0; j < 4; j++)
				pause_a_little();	/* let readers in between */
		}
	} while (ktest_now() < stop);
}

static void *thread_fn(void *arg)
{
	long id = (long)arg;

	if (id < NWRITERS) {
		writer(id);
		__atomic_fetch_add(&writers_done, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	id -= NWRITERS;
	uint64_t last = 0;
	while (__atomic_load_n(&writers_done, __ATOMIC_ACQUIRE) < NWRITERS) {
		struct record r;

		prot->read(id, &r);
		accepted[id]++;
		if (!consistent(&r))
			torn_accepted[id]++;
		if (r.a < last)
			went_back[id]++;
		last = r.a;
		if (accepted[id] % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static unsigned long run(const struct protection *p)
{
	unsigned long total = 0, torn = 0, back = 0, nwrites = 0;
	double t0 = ktest_now();

	prot = p;
	writers_done = 0;
	retries = 0;
	memset(writes, 0, sizeof(writes));
	memset(accepted, 0, sizeof(accepted));
	memset(torn_accepted, 0, sizeof(torn_accepted));
	memset(went_back, 0, sizeof(went_back));
	ktest_run_threads(NWRITERS + NREADERS, thread_fn);
	for (int i = 0; i < NWRITERS; i++)
		nwrites += writes[i];
	for (int i = 0; i < NREADERS; i++) {
		total += accepted[i];
		torn += torn_accepted[i];
		back += went_back[i];
	}
	printf("# %s: %lu writes, %lu reads accepted (%lu torn), %lu passes retried, %.0f ms\n",
	       p->name, nwrites, total, torn, retries, (ktest_now() - t0) * 1e3);
	CHECK_EQ(p->count_now(), nwrites);
	CHECK(total > 0);
	CHECK_EQ(preempt_count(), 0);
	if (p != &bare_prot) {
		CHECK_EQ(torn, 0);
		CHECK_EQ(back, 0);
	}
	return torn;
}

static void test_detector_catches_torn_records(void)
{
	CHECK(run(&bare_prot) > 0);
}

static void test_seqlock_readers_never_accept_torn(void)
{
	run(&seqlock_prot);
	CHECK_EQ(raw_read_seqcount(&sl.seqcount), 2 * sl_current());
}

static void test_seqcount_readers_never_accept_torn(void)
{
	run(&seqcount_prot);
}

static void test_latch_readers_never_accept_torn(void)
{
	run(&latch_prot);
	CHECK(consistent(&latch_rec[1]));
}

int main(void)
{
	const char *ms = getenv("SEQLOCK_STRESS_MS");

	if (ms)
		phase_ms = atoi(ms);
#ifdef __KSYNC_SEQCOUNT_RMW
	printf("# read-don't-modify-write protocol\n");
#else
	printf("# fence protocol\n");
#endif
	RUN(test_detector_catches_torn_records);
	RUN(test_seqlock_readers_never_accept_torn);
	RUN(test_seqcount_readers_never_accept_torn);
	RUN(test_latch_readers_never_accept_torn);
	return 0;
}
