// SPDX-License-Identifier: MIT
/*
 * rw_semaphore under load, with more threads than cores.
 *
 *  - Exact counts: writers increment two plain counters, one after the
 *    other, with a pause between; readers check that they are equal
 *    (a torn state means a reader got in beside a writer) and count how
 *    often they looked.  Every way in is used: down_write, the killable
 *    and trylock forms, downgrade_write, down_read and its interruptible,
 *    killable and trylock forms.  The totals must come out exact.
 *  - No writer starvation: readers take turns so that some reader is
 *    always inside; a writer must still get in, every time, within a
 *    generous bound (the handoff after 4 ms is what guarantees it).
 *  - No reader starvation: the same with a crowd of writers and one reader.
 *  - A read-mostly mix with short sections, 32 threads on however few
 *    cores (the benchmark's load): woken writers wait for a CPU while
 *    readers pass them in the fast path; the counts must still come out
 *    exact, nobody may be left asleep, and each write gets in within the
 *    same generous bound.
 */
#include <ksync/rwsem.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#define THREADS		16
#define WRITERS		4
#ifdef __SANITIZE_THREAD__
#define ROUNDS_EACH	10000	/* ThreadSanitizer: every access is costly */
#else
#define ROUNDS_EACH	50000
#endif
#define WRITES		ROUNDS_EACH	/* per writer */
#define READS		ROUNDS_EACH	/* per reader */
#define BOUND_S		2.0	/* worst wait allowed against a stream */

static DECLARE_RWSEM(sem);

/* Plain on purpose: the rw_semaphore alone must order them. */
static unsigned long counter_a, counter_b;
static long reads_seen[THREADS], torn_seen;

static void spin_a_little(unsigned int n)
{
	for (volatile unsigned int i = 0; i < n; i++)
		;
}

/*
 * Now and then the holder gives its CPU away inside the critical section
 * (allowed: this is a sleeping lock), so that the others pile up, queue
 * and sleep, and the slow paths and wake-ups are what gets tested.
 */
static void pause_inside(long i)
{
	if (i % 16 == 0)
		sched_yield();
	else
		spin_a_little(50);
}

static void write_locked_section(long i)
{
	counter_a++;
	pause_inside(i);
	counter_b++;
}

/*
 * A reader's look: the pair is never torn.  Slot 0 is shared by the
 * writers' downgraded looks, which may overlap: count atomically.
 */
static void read_locked_section(long id, long i)
{
	unsigned long a = counter_a;

	pause_inside(i);
	if (a != counter_a || counter_a != counter_b)
		__atomic_fetch_add(&torn_seen, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&reads_seen[id], 1, __ATOMIC_RELAXED);
}

static void writer_round(long i)
{
	switch (i % 4) {
	case 0:
		down_write(&sem);
		break;
	case 1:
		CHECK_EQ(down_write_killable(&sem), 0);
		break;
	case 2:
		/* A trylock never queues: give up after a few tries. */
		for (int tries = 0; !down_write_trylock(&sem); tries++) {
			if (tries == 3) {
				down_write(&sem);
				break;
			}
			sched_yield();
		}
		break;
	default:
		down_write(&sem);
		write_locked_section(i);
		/* Readers may join now; no writer may. */
		downgrade_write(&sem);
		read_locked_section(0, i + 1);
		up_read(&sem);
		return;
	}
	write_locked_section(i);
	up_write(&sem);
}

static void reader_round(long id, long i)
{
	switch (i % 4) {
	case 0:
		down_read(&sem);
		break;
	case 1:
		CHECK_EQ(down_read_interruptible(&sem), 0);
		break;
	case 2:
		CHECK_EQ(down_read_killable(&sem), 0);
		break;
	default:
		for (int tries = 0; !down_read_trylock(&sem); tries++) {
			if (tries == 3) {
				down_read(&sem);
				break;
			}
			sched_yield();
		}
		break;
	}
	read_locked_section(id, i);
	up_read(&sem);
}

static void *stress_thread(void *arg)
{
	long id = (long)arg;

	/* Yield now and then, so that the threads interleave on few cores. */
	if (id < WRITERS) {
		for (long i = 0; i < WRITES; i++) {
			writer_round(i);
			if (i % 64 == 63)
				sched_yield();
		}
	} else {
		for (long i = 0; i < READS; i++) {
			reader_round(id, i);
			if (i % 64 == 63)
				sched_yield();
		}
	}
	return NULL;
}

static void test_exact_counts(void)
{
	long reads = 0, downgraded_reads;
	double t0 = ktest_now();

	ktest_run_threads(THREADS, stress_thread);
	for (int i = 1; i < THREADS; i++)
		reads += reads_seen[i];
	/* Writers' downgraded looks are all counted in slot 0. */
	downgraded_reads = reads_seen[0];
	printf("# %d writers x %d, %d readers x %d, %.2f s\n", WRITERS, WRITES,
	       THREADS - WRITERS, READS, ktest_now() - t0);
	CHECK_EQ(torn_seen, 0);
	CHECK_EQ(counter_a, (unsigned long)WRITERS * WRITES);
	CHECK_EQ(counter_b, counter_a);
	CHECK_EQ(reads, (long)(THREADS - WRITERS) * READS);
	CHECK_EQ(downgraded_reads, (long)WRITERS * (WRITES / 4));
	CHECK_EQ(atomic_long_read(&sem.count), 0);
	CHECK(!rwsem_is_contended(&sem));
}

/* --- starvation ------------------------------------------------------------------ */

#define STREAM_THREADS	12
#define ROUNDS		20

static long stream_stop, inside_now, overlap_seen, stream_rounds;

static long load(long *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * A stream of readers: each holds the read lock a while, and as they
 * overlap the lock is never free of readers for long.
 */
static void *reader_stream(void *arg)
{
	while (!load(&stream_stop)) {
		down_read(&sem);
		if (__atomic_add_fetch(&inside_now, 1, __ATOMIC_RELAXED) > 1)
			__atomic_store_n(&overlap_seen, 1, __ATOMIC_RELAXED);
		spin_a_little(20000);
		__atomic_fetch_sub(&inside_now, 1, __ATOMIC_RELAXED);
		up_read(&sem);
		__atomic_fetch_add(&stream_rounds, 1, __ATOMIC_RELAXED);
	}
	return arg;
}

static void *writer_stream(void *arg)
{
	while (!load(&stream_stop)) {
		down_write(&sem);
		write_locked_section(1);
		spin_a_little(5000);
		up_write(&sem);
		__atomic_fetch_add(&stream_rounds, 1, __ATOMIC_RELAXED);
	}
	return arg;
}

/* Time each of ROUNDS acquisitions by the lone thread against the stream. */
static double worst_wait_against(void *(*stream)(void *), bool lone_writes)
{
	pthread_t t[STREAM_THREADS];
	double worst = 0, total = 0;

	__atomic_store_n(&stream_stop, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&stream_rounds, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < STREAM_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, stream, NULL) == 0);
	ktest_sleep_ms(50);
	for (int round = 0; round < ROUNDS; round++) {
		double t0 = ktest_now(), waited;

		if (lone_writes)
			down_write(&sem);
		else
			down_read(&sem);
		waited = ktest_now() - t0;
		if (lone_writes) {
			CHECK_EQ(load(&inside_now), 0);
			write_locked_section(1);
			up_write(&sem);
		} else {
			CHECK_EQ(counter_a, counter_b);
			up_read(&sem);
		}
		total += waited;
		if (waited > worst)
			worst = waited;
		ktest_sleep_ms(5);
	}
	__atomic_store_n(&stream_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < STREAM_THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	printf("# lone %s against %d %s: mean %.2f ms, worst %.2f ms; the stream "
	       "made %ld rounds\n", lone_writes ? "writer" : "reader",
	       STREAM_THREADS, lone_writes ? "readers" : "writers",
	       total / ROUNDS * 1e3, worst * 1e3, load(&stream_rounds));
	CHECK(load(&stream_rounds) > ROUNDS);	/* the stream really ran */
	return worst;
}

static void test_writer_not_starved_by_readers(void)
{
	double worst;

	__atomic_store_n(&overlap_seen, 0, __ATOMIC_RELAXED);
	worst = worst_wait_against(reader_stream, true);
	CHECK(load(&overlap_seen));		/* readers did overlap */
	CHECK(worst < BOUND_S);
	CHECK_EQ(atomic_long_read(&sem.count), 0);
}

static void test_readers_not_starved_by_writers(void)
{
	double worst = worst_wait_against(writer_stream, false);

	CHECK(worst < BOUND_S);
	CHECK_EQ(counter_a, counter_b);
	CHECK_EQ(atomic_long_read(&sem.count), 0);
}

/* --- a read-mostly mix, many more threads than cores ------------------------------ */

#define MIX_THREADS	32
#ifdef __SANITIZE_THREAD__
#define MIX_OPS		10000
#else
#define MIX_OPS		200000
#endif

static long mix_writes, mix_torn, mix_started;
static double mix_worst_write;		/* seconds; written under the lock */

/* A thread's own pseudo-random numbers (the benchmark's kind of mix). */
static unsigned int mix_next(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void *mix_thread(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg * 2654435761u + 1;
	long writes = 0;

	/* All at once: the threads must overlap, not run one after another. */
	__atomic_fetch_add(&mix_started, 1, __ATOMIC_RELAXED);
	while (load(&mix_started) < MIX_THREADS)
		sched_yield();
	for (long i = 0; i < MIX_OPS; i++) {
		if (mix_next(&seed) % 32 == 0) {	/* about 97/3 */
			double t0 = ktest_now(), waited;

			down_write(&sem);
			waited = ktest_now() - t0;
			if (waited > mix_worst_write)
				mix_worst_write = waited;
			counter_a++;
			counter_b++;
			up_write(&sem);
			writes++;
		} else {
			down_read(&sem);
			if (counter_a != counter_b)
				__atomic_fetch_add(&mix_torn, 1, __ATOMIC_RELAXED);
			up_read(&sem);
		}
	}
	__atomic_fetch_add(&mix_writes, writes, __ATOMIC_RELAXED);
	return NULL;
}

static void test_read_mostly_mix(void)
{
	unsigned long before = counter_a;
	double t0 = ktest_now();

	ktest_run_threads(MIX_THREADS, mix_thread);
	printf("# %d threads x %d operations, %ld writes, %.2f s, worst write wait %.2f ms\n",
	       MIX_THREADS, MIX_OPS, mix_writes, ktest_now() - t0, mix_worst_write * 1e3);
	CHECK(mix_writes > 0);
	CHECK_EQ(mix_torn, 0);
	CHECK_EQ(counter_a - before, (unsigned long)mix_writes);
	CHECK_EQ(counter_b, counter_a);
	CHECK(mix_worst_write < BOUND_S);
	CHECK_EQ(atomic_long_read(&sem.count), 0);
	CHECK(!rwsem_is_contended(&sem));
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: test_rwsem_stress did not finish in time\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(280);
	RUN(test_exact_counts);
	RUN(test_writer_not_starved_by_readers);
	RUN(test_readers_not_starved_by_writers);
	RUN(test_read_mostly_mix);
	return 0;
}
