// SPDX-License-Identifier: MIT
/*
 * The measuring engine: uncontended samples, threaded throughput runs,
 * timed runs for the worst wait, and the order they run in.
 *
 * This machine is shared and noisy, so no row gets a quiet moment the
 * others did not: every repeat visits every row (and, for the threaded
 * runs, every row at one thread count before the next, its timed run
 * right after its throughput run), and tables report medians over the
 * repeats.
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

static const char *plural(unsigned int n)
{
	return n == 1 ? "" : "s";
}

static void check_counter(const char *section, struct bench_row *row,
			  unsigned int threads, long counter,
			  unsigned long updates)
{
	if ((unsigned long)counter == updates)
		return;
	bench_err("%s: %s: lost update with %u thread%s: counter is %ld, "
		  "the threads made %lu increments",
		  section, row->lock->name, threads, plural(threads),
		  counter, updates);
	row->lost_update = true;
	lost_update_seen = true;
}

/* A reader saw a writer's work half done: as wrong as a lost update. */
static void check_torn(const char *section, struct bench_row *row,
		       unsigned int threads, unsigned long torn)
{
	if (!torn)
		return;
	bench_err("%s: %s: torn read with %u thread%s: %lu reads saw the two "
		  "protected values differ", section, row->lock->name, threads,
		  plural(threads), torn);
	row->torn_read = true;
	lost_update_seen = true;
}

/* Both checks, on what one run's threads did together. */
static void check_run(const char *section, struct bench_row *row,
		      unsigned int threads, const struct bench_shared *sh,
		      unsigned long updates, unsigned long torn)
{
	check_counter(section, row, threads, sh->counter, updates);
	check_torn(section, row, threads, torn);
}

/* Iterations for one ~50 ms uncontended sample; also warms the row up. */
static uint64_t calibrate(const struct bench_lock *lk)
{
	uint64_t iters = CALIBRATE_FIRST_ITERS, ns;

	for (;;) {
		struct bench_shared *sh = prepare(lk);
		struct bench_tally tally = { 0 };

		ns = lk->solo(sh, iters, &tally);
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
	struct bench_tally tally = { 0 };
	uint64_t ns = row->lock->solo(sh, row->solo_iters, &tally);

	check_run(section, row, 1, sh, tally.updates, tally.torn);
	row->lock->fini(sh->lock);
	return (double)ns / (double)row->solo_iters;
}

uint64_t bench_time_solo(const struct bench_lock *lk, uint64_t iters)
{
	struct bench_shared *sh = prepare(lk);
	struct bench_tally tally = { 0 };
	uint64_t ns = lk->solo(sh, iters, &tally);

	lk->fini(sh->lock);
	return ns;
}

/* One threaded run, as the main thread and its workers share it. */
struct run {
	bench_worker_fn *loop;		/* the row's worker or timed_worker */
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
	w->run->loop(w->run->sh, &w->tally);
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

/* The tallies of one run's threads, put together. */
struct sums {
	unsigned long acquisitions, updates, torn, min, max;
	uint64_t worst_wait_ns;
	uint64_t elapsed_ns;
};

static void add_tally(struct sums *s, const struct bench_tally *t)
{
	unsigned long a = __atomic_load_n(&t->acquisitions, __ATOMIC_ACQUIRE);
	uint64_t worst = __atomic_load_n(&t->worst_wait_ns, __ATOMIC_ACQUIRE);

	s->acquisitions += a;
	s->updates += __atomic_load_n(&t->updates, __ATOMIC_ACQUIRE);
	s->torn += __atomic_load_n(&t->torn, __ATOMIC_ACQUIRE);
	s->min = a < s->min ? a : s->min;
	s->max = a > s->max ? a : s->max;
	s->worst_wait_ns = worst > s->worst_wait_ns ? worst : s->worst_wait_ns;
}

static struct sums join_workers(struct worker *w, unsigned int n)
{
	struct sums s = { .min = (unsigned long)-1 };

	for (unsigned int i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		add_tally(&s, &w[i].tally);
	}
	return s;
}

/*
 * @threads workers run @loop on one fresh lock for @duration_ms, and the
 * run is checked for lost updates and torn reads.  The clock runs from
 * the start barrier's release to the moment stop is set; a lock that
 * collapses may take longer than that to notice, which costs time but
 * not accuracy: what it gets done late is a handful of acquisitions.
 */
static struct sums threaded_run(const char *section, struct bench_row *row,
				bench_worker_fn *loop, unsigned int threads,
				unsigned int duration_ms)
{
	struct worker *w = alloc_or_die(BENCH_BLOCK, threads * sizeof(*w));
	struct run run = { .loop = loop, .sh = prepare(row->lock) };
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
	s.elapsed_ns = elapsed;

	check_run(section, row, threads, run.sh, s.updates, s.torn);
	row->lock->fini(run.sh->lock);
	pthread_barrier_destroy(&run.start);
	free(w);
	return s;
}

static void throughput_sample(const char *section, struct bench_row *row,
			      unsigned int threads, unsigned int duration_ms,
			      double *mops, double *fairness)
{
	struct sums s = threaded_run(section, row, row->lock->worker, threads,
				     duration_ms);

	*mops = (double)s.acquisitions * 1e3 / (double)s.elapsed_ns;
	*fairness = s.max ? (double)s.min / (double)s.max : 0.0;
}

/* The longest any one lock call waited in the run, over all its threads. */
static double worst_wait_sample(const char *section, struct bench_row *row,
				unsigned int threads, unsigned int duration_ms)
{
	struct sums s = threaded_run(section, row, row->lock->timed_worker,
				     threads, duration_ms);

	return (double)s.worst_wait_ns / 1e6;
}

static void alloc_samples(struct bench_result *res, const struct bench_opts *o)
{
	size_t n = (size_t)o->repeats * o->nthreads;

	for (unsigned int i = 0; i < res->nrows; i++) {
		struct bench_row *row = &res->rows[i];

		row->solo_ns = calloc(o->repeats, sizeof(double));
		row->mops = calloc(n ? n : 1, sizeof(double));
		row->fairness = calloc(n ? n : 1, sizeof(double));
		row->worst_ms = calloc(n ? n : 1, sizeof(double));
		if (!row->solo_ns || !row->mops || !row->fairness ||
		    !row->worst_ms) {
			bench_err("out of memory");
			exit(BENCH_EXIT_ERROR);
		}
	}
}

static bool measures(const struct bench_result *res, unsigned int what)
{
	return res->section->measures & what;
}

/* Rows with a timed loop: a row without one shows no worst wait. */
static unsigned int timed_rows(const struct bench_result *res)
{
	unsigned int n = 0;

	if (!measures(res, BENCH_MEASURE_WORST_WAIT))
		return 0;
	for (unsigned int i = 0; i < res->nrows; i++)
		n += res->rows[i].lock->timed_worker != NULL;
	return n;
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
	per_repeat += (unsigned long)timed_rows(res) * o->nthreads;
	return calibration + per_repeat * o->repeats;
}

/* What the run should take if no lock collapses; thread start-up included. */
double bench_section_estimate_s(const struct bench_result *res,
				const struct bench_opts *o)
{
	double per_row = 0, calibration = 0, per_run;

	per_run = o->nthreads * (o->duration_ms / 1e3 + 0.002);
	if (measures(res, BENCH_MEASURE_UNCONTENDED)) {
		calibration = 0.02 * res->nrows;
		per_row += SOLO_SAMPLE_NS / 1e9;
	}
	if (measures(res, BENCH_MEASURE_THROUGHPUT))
		per_row += per_run;
	return calibration +
	       (per_row * res->nrows + per_run * timed_rows(res)) * o->repeats;
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

/* One row's threaded runs at one thread count, in one repeat. */
static void run_row_threaded(struct bench_result *res, struct bench_row *row,
			     unsigned int t, unsigned int r,
			     const struct bench_opts *o)
{
	const char *section = res->section->name;
	unsigned int threads = o->threads[t];
	size_t at = (size_t)t * o->repeats + r;
	char what[32];

	if (measures(res, BENCH_MEASURE_THROUGHPUT)) {
		snprintf(what, sizeof(what), "T=%u", threads);
		bench_progress_step(section, row->lock->name, what, r + 1,
				    o->repeats);
		throughput_sample(section, row, threads, o->duration_ms,
				  &row->mops[at], &row->fairness[at]);
	}
	if (measures(res, BENCH_MEASURE_WORST_WAIT) && row->lock->timed_worker) {
		snprintf(what, sizeof(what), "T=%u timed", threads);
		bench_progress_step(section, row->lock->name, what, r + 1,
				    o->repeats);
		row->worst_ms[at] = worst_wait_sample(section, row, threads,
						      o->duration_ms);
	}
}

static void run_threaded(struct bench_result *res, unsigned int r,
			 const struct bench_opts *o)
{
	for (unsigned int t = 0; t < o->nthreads; t++)
		for (unsigned int i = 0; i < res->nrows; i++)
			run_row_threaded(res, &res->rows[i], t, r, o);
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
		if (measures(res, BENCH_MEASURE_THROUGHPUT |
				     BENCH_MEASURE_WORST_WAIT))
			run_threaded(res, r, o);
	}
}
