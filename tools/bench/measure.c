// SPDX-License-Identifier: MIT
/*
 * The measuring engine: uncontended samples, threaded throughput runs, and
 * the order they run in.
 *
 * This machine is shared and noisy, so no row gets a quiet moment the
 * others did not: every repeat visits every row (and, for throughput,
 * every row at one thread count before the next), and tables report
 * medians over the repeats.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* One uncontended sample lasts about this long. */
#define SOLO_SAMPLE_NS		50000000.0
/* Calibration grows its trial until one lasts this long, then scales. */
#define CALIBRATE_TRIAL_NS	5000000u
#define CALIBRATE_FIRST_ITERS	1000u

static struct bench_shared *shared;
static bool lost_update_seen;

bool bench_lost_updates(void)
{
	return lost_update_seen;
}

static void *alloc_or_die(size_t align, size_t size)
{
	/* aligned_alloc() wants the size to be a multiple of the alignment. */
	void *p = aligned_alloc(align, (size + align - 1) / align * align);

	if (!p) {
		bench_err("out of memory");
		exit(BENCH_EXIT_ERROR);
	}
	memset(p, 0, size);
	return p;
}

/* The shared area, zeroed, with a freshly initialised lock in it. */
static struct bench_shared *prepare(const struct bench_lock *lk)
{
	if (!shared)
		shared = alloc_or_die(BENCH_BLOCK, sizeof(*shared));
	memset(shared, 0, sizeof(*shared));
	lk->init(shared->lock);
	return shared;
}

static void check_counter(const char *section, struct bench_row *row,
			  unsigned int threads, long counter,
			  unsigned long updates)
{
	if ((unsigned long)counter == updates)
		return;
	bench_err("%s: %s: lost update with %u thread%s: counter is %ld, "
		  "the threads made %lu increments",
		  section, row->lock->name, threads, threads == 1 ? "" : "s",
		  counter, updates);
	row->lost_update = true;
	lost_update_seen = true;
}

/* Iterations for one ~50 ms uncontended sample; also warms the row up. */
static uint64_t calibrate(const struct bench_lock *lk)
{
	uint64_t iters = CALIBRATE_FIRST_ITERS, ns;

	for (;;) {
		struct bench_shared *sh = prepare(lk);

		ns = lk->solo(sh, iters);
		lk->fini(sh->lock);
		if (ns >= CALIBRATE_TRIAL_NS || iters >= (1ull << 40))
			break;
		iters *= 2;
	}
	iters = (uint64_t)((double)iters * SOLO_SAMPLE_NS / (double)(ns ? ns : 1));
	return iters ? iters : 1;
}

/* One uncontended sample: nanoseconds per lock+unlock pair. */
static double solo_sample(const char *section, struct bench_row *row)
{
	struct bench_shared *sh = prepare(row->lock);
	uint64_t ns = row->lock->solo(sh, row->solo_iters);

	check_counter(section, row, 1, sh->counter, row->solo_iters);
	row->lock->fini(sh->lock);
	return (double)ns / (double)row->solo_iters;
}

uint64_t bench_time_solo(const struct bench_lock *lk, uint64_t iters)
{
	struct bench_shared *sh = prepare(lk);
	uint64_t ns = lk->solo(sh, iters);

	lk->fini(sh->lock);
	return ns;
}

/* One throughput run, as the main thread and its workers share it. */
struct run {
	const struct bench_lock *lock;
	struct bench_shared *sh;
	pthread_barrier_t start;
};

/* Each worker's slot in its own block: the tallies are written at the end. */
struct worker {
	struct run *run;
	pthread_t thread;
	struct bench_tally tally;
} __attribute__((aligned(BENCH_BLOCK)));

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&w->run->start);
	w->run->lock->worker(w->run->sh, &w->tally);
	return NULL;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ns / 1000000000u);
	until.tv_nsec += (long)(ns % 1000000000u);
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

static void start_workers(struct run *run, struct worker *w, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		int err;

		w[i].run = run;
		err = pthread_create(&w[i].thread, NULL, worker_main, &w[i]);
		if (err) {
			bench_err("cannot start thread %u of %u: %s", i + 1, n,
				  strerror(err));
			exit(BENCH_EXIT_ERROR);
		}
	}
}

struct sums {
	unsigned long acquisitions, updates, min, max;
};

static struct sums join_workers(struct worker *w, unsigned int n)
{
	struct sums s = { 0, 0, (unsigned long)-1, 0 };

	for (unsigned int i = 0; i < n; i++) {
		unsigned long a, u;

		pthread_join(w[i].thread, NULL);
		a = __atomic_load_n(&w[i].tally.acquisitions, __ATOMIC_ACQUIRE);
		u = __atomic_load_n(&w[i].tally.updates, __ATOMIC_ACQUIRE);
		s.acquisitions += a;
		s.updates += u;
		s.min = a < s.min ? a : s.min;
		s.max = a > s.max ? a : s.max;
	}
	return s;
}

/*
 * @threads workers race for one lock for @duration_ms.  The clock runs
 * from the start barrier's release to the moment stop is set; a lock
 * that collapses may take longer than that to notice, which costs time
 * but not accuracy: what it gets done late is a handful of acquisitions.
 */
static void throughput_sample(const char *section, struct bench_row *row,
			      unsigned int threads, unsigned int duration_ms,
			      double *mops, double *fairness)
{
	struct worker *w = alloc_or_die(BENCH_BLOCK, threads * sizeof(*w));
	struct run run = { .lock = row->lock, .sh = prepare(row->lock) };
	uint64_t start, elapsed;
	struct sums s;

	pthread_barrier_init(&run.start, NULL, threads + 1);
	start_workers(&run, w, threads);
	pthread_barrier_wait(&run.start);
	start = bench_now_ns();
	sleep_ns((uint64_t)duration_ms * 1000000u);
	elapsed = bench_now_ns() - start;
	__atomic_store_n(&run.sh->stop, 1, __ATOMIC_RELAXED);
	s = join_workers(w, threads);

	check_counter(section, row, threads, run.sh->counter, s.updates);
	row->lock->fini(run.sh->lock);
	pthread_barrier_destroy(&run.start);
	free(w);
	*mops = (double)s.acquisitions * 1e3 / (double)elapsed;
	*fairness = s.max ? (double)s.min / (double)s.max : 0.0;
}

static void alloc_samples(struct bench_result *res, const struct bench_opts *o)
{
	size_t n = (size_t)o->repeats * o->nthreads;

	for (unsigned int i = 0; i < res->nrows; i++) {
		struct bench_row *row = &res->rows[i];

		row->solo_ns = calloc(o->repeats, sizeof(double));
		row->mops = calloc(n ? n : 1, sizeof(double));
		row->fairness = calloc(n ? n : 1, sizeof(double));
		if (!row->solo_ns || !row->mops || !row->fairness) {
			bench_err("out of memory");
			exit(BENCH_EXIT_ERROR);
		}
	}
}

static bool measures(const struct bench_result *res, unsigned int what)
{
	return res->section->measures & what;
}

unsigned long bench_section_steps(const struct bench_result *res,
				  const struct bench_opts *o)
{
	unsigned long per_repeat = 0, calibration = 0;

	if (measures(res, BENCH_MEASURE_UNCONTENDED)) {
		calibration = res->nrows;
		per_repeat += res->nrows;
	}
	if (measures(res, BENCH_MEASURE_THROUGHPUT))
		per_repeat += (unsigned long)res->nrows * o->nthreads;
	return calibration + per_repeat * o->repeats;
}

/* What the run should take if no lock collapses; thread start-up included. */
double bench_section_estimate_s(const struct bench_result *res,
				const struct bench_opts *o)
{
	double per_row = 0, calibration = 0;

	if (measures(res, BENCH_MEASURE_UNCONTENDED)) {
		calibration = 0.02 * res->nrows;
		per_row += SOLO_SAMPLE_NS / 1e9;
	}
	if (measures(res, BENCH_MEASURE_THROUGHPUT))
		per_row += o->nthreads * (o->duration_ms / 1e3 + 0.002);
	return calibration + per_row * res->nrows * o->repeats;
}

static void run_calibration(struct bench_result *res)
{
	const char *section = res->section->name;

	for (unsigned int i = 0; i < res->nrows; i++) {
		struct bench_row *row = &res->rows[i];

		bench_progress_step(section, row->lock->name, "calibrating", 0, 0);
		row->solo_iters = calibrate(row->lock);
	}
}

static void run_uncontended(struct bench_result *res, unsigned int r,
			    const struct bench_opts *o)
{
	const char *section = res->section->name;

	for (unsigned int i = 0; i < res->nrows; i++) {
		struct bench_row *row = &res->rows[i];

		bench_progress_step(section, row->lock->name, "uncontended",
				    r + 1, o->repeats);
		row->solo_ns[r] = solo_sample(section, row);
	}
}

static void run_throughput(struct bench_result *res, unsigned int r,
			   const struct bench_opts *o)
{
	const char *section = res->section->name;

	for (unsigned int t = 0; t < o->nthreads; t++) {
		unsigned int threads = o->threads[t];
		size_t at = (size_t)t * o->repeats + r;
		char what[32];

		snprintf(what, sizeof(what), "T=%u", threads);
		for (unsigned int i = 0; i < res->nrows; i++) {
			struct bench_row *row = &res->rows[i];

			bench_progress_step(section, row->lock->name, what,
					    r + 1, o->repeats);
			throughput_sample(section, row, threads, o->duration_ms,
					  &row->mops[at], &row->fairness[at]);
		}
	}
}

/* Calibrate once per row, then interleave: each repeat visits every row. */
void bench_run_section(struct bench_result *res, const struct bench_opts *o)
{
	alloc_samples(res, o);
	if (measures(res, BENCH_MEASURE_UNCONTENDED))
		run_calibration(res);
	for (unsigned int r = 0; r < o->repeats; r++) {
		bench_progress_repeat(res->section->name, r + 1, o->repeats);
		if (measures(res, BENCH_MEASURE_UNCONTENDED))
			run_uncontended(res, r, o);
		if (measures(res, BENCH_MEASURE_THROUGHPUT))
			run_throughput(res, r, o);
	}
}
