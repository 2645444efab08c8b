// SPDX-License-Identifier: MIT
/*
 * rwlock_t under load, with more threads than cores: writers update two
 * plain counters one after the other, readers check they are equal, and
 * at the end both equal the number of writes exactly.  Two mixes (90%
 * reads and 99% reads); each thread uses one of the plain, _irq,
 * _irqsave and _bh forms, and sometimes the trylocks.  The counters are
 * plain variables, so ThreadSanitizer checks that the lock orders them.
 */
#include <sched.h>
#include <ksync/rwlock.h>
#include "ktest.h"

#define NTHREADS	16

static int ops_per_thread = 50000;

static DEFINE_RWLOCK(lock);
static unsigned long a, b;		/* protected by lock */

static int write_permille;
static unsigned long writes[NTHREADS], reads[NTHREADS], torn[NTHREADS];
static int inside, max_inside;		/* readers in at once */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void note_reader_in(void)
{
	int n = __atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED);
	int m = __atomic_load_n(&max_inside, __ATOMIC_RELAXED);

	while (n > m && !__atomic_compare_exchange_n(&max_inside, &m, n, 0,
						     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void reader_section(long id)
{
	note_reader_in();
	if (a != b)
		torn[id]++;
	for (int i = 0; i < 8; i++)
		cpu_relax();
	__atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
	reads[id]++;
}

/* a and b differ inside: a reader that gets in now sees it. */
static void writer_section(long id)
{
	a++;
	for (int i = 0; i < 8; i++)
		cpu_relax();
	b++;
	writes[id]++;
}

static void do_read(long id, uint64_t r)
{
	unsigned long flags;

	switch (id % 4) {
	case 0:
		if ((r >> 20) % 8 == 0) {
			if (!read_trylock(&lock))
				return;
		} else {
			read_lock(&lock);
		}
		reader_section(id);
		read_unlock(&lock);
		break;
	case 1:
		read_lock_irq(&lock);
		reader_section(id);
		read_unlock_irq(&lock);
		break;
	case 2:
		read_lock_irqsave(&lock, flags);
		reader_section(id);
		read_unlock_irqrestore(&lock, flags);
		break;
	default:
		read_lock_bh(&lock);
		reader_section(id);
		read_unlock_bh(&lock);
		break;
	}
}

static void do_write(long id, uint64_t r)
{
	unsigned long flags;

	switch (id % 4) {
	case 0:
		if ((r >> 20) % 8 == 0) {
			if (!write_trylock(&lock))
				return;
		} else {
			write_lock(&lock);
		}
		writer_section(id);
		write_unlock(&lock);
		break;
	case 1:
		write_lock_irq(&lock);
		writer_section(id);
		write_unlock_irq(&lock);
		break;
	case 2:
		if ((r >> 20) % 8 == 0) {
			if (!write_trylock_irqsave(&lock, flags))
				return;
		} else {
			write_lock_irqsave(&lock, flags);
		}
		writer_section(id);
		write_unlock_irqrestore(&lock, flags);
		break;
	default:
		write_lock_bh(&lock);
		writer_section(id);
		write_unlock_bh(&lock);
		break;
	}
}

static void *worker(void *arg)
{
	long id = (long)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);

	for (int i = 0; i < ops_per_thread; i++) {
		uint64_t r = xorshift(&seed);

		if ((int)(r % 1000) < write_permille)
			do_write(id, r);
		else
			do_read(id, r);
		if (i % 1024 == 0)
			sched_yield();	/* mix the interleavings up */
	}
	CHECK_EQ(preempt_count(), 0);
	CHECK(!irqs_disabled());
	return NULL;
}

static void run_mix(int permille)
{
	unsigned long total_writes = 0, total_reads = 0, total_torn = 0;
	double t0 = ktest_now();

	write_permille = permille;
	a = b = 0;
	max_inside = 0;
	memset(writes, 0, sizeof(writes));
	memset(reads, 0, sizeof(reads));
	memset(torn, 0, sizeof(torn));
	ktest_run_threads(NTHREADS, worker);
	for (int i = 0; i < NTHREADS; i++) {
		total_writes += writes[i];
		total_reads += reads[i];
		total_torn += torn[i];
	}
	printf("# %d%% writes: %lu writes, %lu reads, %.0f ms, up to %d readers inside together\n",
	       permille / 10, total_writes, total_reads, (ktest_now() - t0) * 1e3,
	       max_inside);
	CHECK_EQ(total_torn, 0);
	CHECK_EQ(a, total_writes);
	CHECK_EQ(b, total_writes);
	CHECK(total_writes > 0);
	CHECK_EQ(atomic_read(&lock.raw_lock.cnts), 0);
	CHECK(!rwlock_is_contended(&lock));
}

static void test_mix_90_10(void)
{
	run_mix(100);
}

static void test_mix_99_1(void)
{
	run_mix(10);
	CHECK(max_inside > 1);		/* readers did share */
}

int main(void)
{
	const char *ops = getenv("RWLOCK_STRESS_OPS");

	if (ops)
		ops_per_thread = atoi(ops);
	RUN(test_mix_90_10);
	RUN(test_mix_99_1);
	return 0;
}
