/* SPDX-License-Identifier: MIT */
/*
 * ksync-bench: shared declarations.
 *
 * The benchmark is a registry of sections (sections.c).  A section is a
 * list of lock rows plus what to measure on them and which ratios to
 * quote.  A lock row carries pointers to loops that were generated for its
 * lock type by BENCH_LOCK_DEFINE() (bench_loops.h), so the lock and unlock
 * inside those loops are inlined: the engine (measure.c) makes one
 * indirect call per sample or per worker thread, never one per lock op.
 */
#ifndef KSYNC_BENCH_H
#define KSYNC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Exit statuses. */
#define BENCH_EXIT_OK		0
#define BENCH_EXIT_LOST_UPDATE	1	/* a lock let two threads in: a lost
					   update, or a torn read */
#define BENCH_EXIT_USAGE	2
#define BENCH_EXIT_ERROR	3	/* could not run, or write an output */

/*
 * Everything shared between threads sits in its own 128-byte block: two
 * 64-byte lines, because the adjacent-line prefetcher moves lines in pairs
 * and would otherwise make neighbours share after all.
 */
#define BENCH_BLOCK		128
#define BENCH_LOCK_MAX		256	/* bytes the lock block can hold */

#define BENCH_MAX_THREAD_COUNTS	16
#define BENCH_MAX_THREADS	1024

/*
 * The memory every run uses, at one address for every lock, so that no
 * lock wins or loses by where it happens to sit.
 */
struct bench_shared {
	/* The lock under test, alone in its block. */
	unsigned char lock[BENCH_LOCK_MAX] __attribute__((aligned(BENCH_BLOCK)));
	/* The data it protects: deliberately a plain long, not an atomic. */
	long counter __attribute__((aligned(BENCH_BLOCK)));
	/* Reader-writer rows: writers keep it equal to counter. */
	long mirror;
	/* Set by the main thread to end a throughput run. */
	int stop __attribute__((aligned(BENCH_BLOCK)));
	/* Workers number themselves from it (reader-writer rows). */
	unsigned int next_thread __attribute__((aligned(BENCH_BLOCK)));
};

/* What one worker thread did, handed to the main thread when it ends. */
struct bench_tally {
	unsigned long acquisitions;
	unsigned long updates;	/* increments of the protected counter */
	unsigned long torn;	/* reads that saw counter != mirror */
	uint64_t worst_wait_ns;	/* timed loops only: longest lock call */
};

typedef uint64_t bench_solo_fn(struct bench_shared *sh, uint64_t iters,
			       struct bench_tally *tally);
typedef void bench_worker_fn(struct bench_shared *sh, struct bench_tally *tally);

/* One lock row: defined with BENCH_LOCK_DEFINE(), see bench_loops.h. */
struct bench_lock {
	const char *name;		/* as shown in tables, --locks, CSV */
	void (*init)(void *lock);
	void (*fini)(void *lock);
	/*
	 * One thread, @iters lock/update/unlock pairs (or reader-writer
	 * operations); fills the tally, returns elapsed ns.
	 */
	bench_solo_fn *solo;
	/* One of T threads: pairs until sh->stop, then fills the tally. */
	bench_worker_fn *worker;
	/*
	 * The same, reading the clock around every lock call to find the
	 * longest wait; NULL if the row has no timed loop.
	 */
	bench_worker_fn *timed_worker;
};

/* What a section measures (bits). */
#define BENCH_MEASURE_UNCONTENDED	0x1u
#define BENCH_MEASURE_THROUGHPUT	0x2u	/* and fairness */
#define BENCH_MEASURE_WORST_WAIT	0x4u	/* timed runs beside throughput's */

enum bench_metric {
	BENCH_METRIC_NS_PER_PAIR,	/* uncontended: lower is better */
	BENCH_METRIC_MOPS,		/* throughput at some T: higher is better */
	BENCH_METRIC_WORST_WAIT,	/* worst wait at some T: lower is better */
	BENCH_METRIC_FAIRNESS,		/* min/max per thread at some T (den NULL) */
};

/* bench_ratio.threads: one line for each thread count of the run. */
#define BENCH_EVERY_T			0u

enum bench_show {
	BENCH_SHOW_TIMES,		/* num / den, as "1.05x" */
	BENCH_SHOW_PERCENT,		/* (num / den - 1), as "+5.0%" */
};

enum bench_target {
	BENCH_TARGET_NONE,		/* informational: no verdict */
	BENCH_TARGET_AT_MOST,
	BENCH_TARGET_AT_LEAST,
};

/*
 * A ratio line quoted under a section's tables, computed from this run
 * only.  @num and @den are row names (@den NULL: @num's figure itself, for
 * BENCH_METRIC_FAIRNESS); @threads picks the thread count for
 * BENCH_METRIC_MOPS and _WORST_WAIT (BENCH_EVERY_T: one line for each
 * thread count of the run, its label followed by ", T=n").  @target is in
 * the unit @show prints (times or percent).  A table of these ends with
 * an entry whose @what is NULL.
 */
struct bench_ratio {
	const char *what;
	const char *num;
	const char *den;
	enum bench_metric metric;
	unsigned int threads;
	enum bench_show show;
	enum bench_target op;
	double target;
};

struct bench_result;
struct bench_opts;

/* One section of the registry (sections.c); see locks_spin.c for one. */
struct bench_section {
	const char *name;			/* for --section */
	const char *title;			/* one line: what it compares */
	unsigned int measures;			/* BENCH_MEASURE_* */
	const struct bench_lock *const *locks;	/* table order, NULL-ended */
	const struct bench_ratio *ratios;	/* NULL-ended on .what, or NULL */
	const char *note;			/* said under the table, or NULL */
	/*
	 * Optional: a measurement of the section's own, run and printed
	 * after its table (the irq section's rounds of 100
	 * acquisitions, say).
	 */
	void (*extra)(const struct bench_result *res, const struct bench_opts *o);
};

/* The registry, NULL-terminated, in --list and run order. */
extern const struct bench_section *const bench_sections[];

struct bench_opts {
	unsigned int threads[BENCH_MAX_THREAD_COUNTS];	/* ascending */
	unsigned int nthreads;
	unsigned int duration_ms;
	unsigned int repeats;
	const char *sections;		/* comma list, NULL: all */
	const char *locks;		/* comma list, NULL: all */
	const char *csv_path;
	const char *plot_path;
};

/* One lock row being measured in this run, with its raw samples. */
struct bench_row {
	const struct bench_lock *lock;
	uint64_t solo_iters;		/* calibrated: ~50 ms per sample */
	double *solo_ns;		/* [repeat]: ns per lock+unlock pair */
	double *mops;			/* [tindex * repeats + repeat] */
	double *fairness;		/* same layout: min/max per-thread count */
	double *worst_ms;		/* same layout: longest wait in a run */
	bool lost_update;
	bool torn_read;
};

/* One section as selected and measured in this run. */
struct bench_result {
	const struct bench_section *section;
	struct bench_row *rows;
	unsigned int nrows;
};

/* sections.c */
int bench_select(const struct bench_opts *o, struct bench_result **out,
		 unsigned int *nout);
void bench_free_results(struct bench_result *res, unsigned int n);
void bench_list_sections(FILE *f);
const struct bench_row *bench_find_row(const struct bench_result *res,
				       const char *name);

/* measure.c */
unsigned long bench_section_steps(const struct bench_result *res,
				  const struct bench_opts *o);
double bench_section_estimate_s(const struct bench_result *res,
				const struct bench_opts *o);
void bench_run_section(struct bench_result *res, const struct bench_opts *o);
bool bench_lost_updates(void);
/* One uncontended run of @iters pairs on a fresh lock: elapsed ns. */
uint64_t bench_time_solo(const struct bench_lock *lk, uint64_t iters);

/* stats.c: medians are the lower median when the count is even. */
unsigned int bench_median_index(const double *v, unsigned int n);
double bench_row_solo_ns(const struct bench_row *row, const struct bench_opts *o);
double bench_row_mops(const struct bench_row *row, const struct bench_opts *o,
		      unsigned int tindex, double *fairness);
double bench_row_worst_ms(const struct bench_row *row,
			  const struct bench_opts *o, unsigned int tindex);
int bench_thread_index(const struct bench_opts *o, unsigned int threads);

/* progress.c */
void bench_progress_start(unsigned long total_steps);
void bench_progress_step(const char *section, const char *lock,
			 const char *what, unsigned int repeat,
			 unsigned int repeats);
void bench_progress_repeat(const char *section, unsigned int repeat,
			   unsigned int repeats);
void bench_progress_clear(void);
void bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* report.c, ratio.c */
void bench_print_header(const struct bench_opts *o,
			const struct bench_result *res, unsigned int n,
			double estimate_s);
void bench_print_section(const struct bench_result *res,
			 const struct bench_opts *o);
void bench_print_ratios(const struct bench_result *res,
			const struct bench_opts *o);

/* csv.c, plot.c */
int bench_csv_write(FILE *f, const struct bench_result *res, unsigned int n,
		    const struct bench_opts *o);
bool bench_plot_available(void);
int bench_plot_write(const char *path, const struct bench_result *res,
		     unsigned int n, const struct bench_opts *o);

/* sysinfo.c */
unsigned int bench_nproc(void);
void bench_cpu_model(char *buf, size_t len);
void bench_ksync_version(char *buf, size_t len);

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* KSYNC_BENCH_H */
