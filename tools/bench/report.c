// SPDX-License-Identifier: MIT
/*
 * The report on stdout: a header that says where and how the numbers were
 * taken, then per section a throughput table, a fairness table and a
 * worst-wait table, as far as the section measures them.
 */
#include <string.h>
#include <time.h>

#include <ksync/debug_locks.h>

#include "bench.h"

#define NAME_W		24	/* fits "pthread_mutex adaptive" */
#define SOLO_W		12
#define COL_W		8

static void print_threads_list(const struct bench_opts *o)
{
	for (unsigned int i = 0; i < o->nthreads; i++)
		printf("%s%u", i ? "," : "", o->threads[i]);
}

static void print_date(void)
{
	char buf[64];
	time_t now = time(NULL);

	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	printf("date:        %s\n", buf);
}

/* With a debug switch on, the spinlock_t rows time the debug paths. */
static void print_debug_state(void)
{
	unsigned int flags = __atomic_load_n(&ksync_debug_flags, __ATOMIC_RELAXED);

	if (!flags) {
		printf("ksync debug: off (the fast paths are measured)\n");
		return;
	}
	printf("ksync debug: on:%s%s%s - rows built without KSYNC_NO_DEBUG measure the debug paths\n",
	       flags & KSYNC_DEBUG_CHECKS ? " KSYNC_DEBUG" : "",
	       flags & KSYNC_DEBUG_LOCKDEP ? " KSYNC_LOCKDEP" : "",
	       flags & KSYNC_DEBUG_STAT ? " KSYNC_LOCK_STAT" : "");
}

void bench_print_header(const struct bench_opts *o,
			const struct bench_result *res, unsigned int n,
			double estimate_s)
{
	char buf[512];

	bench_ksync_version(buf, sizeof(buf));
	printf("ksync-bench: ksync %s\n", buf);
	bench_cpu_model(buf, sizeof(buf));
	printf("machine:     %u CPUs, %s\n", bench_nproc(), buf);
	print_date();
	print_debug_state();
	printf("parameters:  repeats %u, duration %u ms, threads ", o->repeats,
	       o->duration_ms);
	print_threads_list(o);
	printf(", uncontended samples ~50 ms; medians over repeats\n");
	printf("sections:   ");
	for (unsigned int i = 0; i < n; i++)
		printf(" %s (%u lock%s)", res[i].section->name, res[i].nrows,
		       res[i].nrows == 1 ? "" : "s");
	printf("\nestimate:    about %.0f s (more if a lock collapses)\n\n",
	       estimate_s < 1 ? 1 : estimate_s);
	fflush(stdout);
}

/*
 * About three significant digits, without exponents; a worst wait of a
 * few microseconds still shows as more than 0.000 ms.
 */
static void format_value(char *buf, size_t len, double v)
{
	if (v >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (v >= 0.1)
		snprintf(buf, len, "%.2f", v);
	else if (v >= 0.01)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.4f", v);
}

static bool measures(const struct bench_result *res, unsigned int what)
{
	return res->section->measures & what;
}

static void print_thread_heads(const struct bench_opts *o)
{
	char head[16];

	for (unsigned int t = 0; t < o->nthreads; t++) {
		snprintf(head, sizeof(head), "T=%u", o->threads[t]);
		printf(" %*s", COL_W, head);
	}
}

static void print_main_heads(const struct bench_result *res,
			     const struct bench_opts *o)
{
	bool solo = measures(res, BENCH_MEASURE_UNCONTENDED);
	bool tput = measures(res, BENCH_MEASURE_THROUGHPUT);

	printf("%-*s", NAME_W, "");
	if (solo)
		printf(" %*s", SOLO_W, "uncontended");
	if (tput)
		printf("  M acquisitions/s with T threads");
	printf("\n%-*s", NAME_W, "lock");
	if (solo)
		printf(" %*s", SOLO_W, "ns/pair");
	if (tput)
		print_thread_heads(o);
	printf("\n");
}

static void print_main_row(const struct bench_result *res,
			   const struct bench_row *row,
			   const struct bench_opts *o)
{
	char buf[32];

	printf("%-*s", NAME_W, row->lock->name);
	if (measures(res, BENCH_MEASURE_UNCONTENDED))
		printf(" %*.2f", SOLO_W, bench_row_solo_ns(row, o));
	if (measures(res, BENCH_MEASURE_THROUGHPUT)) {
		for (unsigned int t = 0; t < o->nthreads; t++) {
			format_value(buf, sizeof(buf), bench_row_mops(row, o, t, NULL));
			printf(" %*s", COL_W, buf);
		}
	}
	printf("%s%s\n", row->lost_update ? "  LOST UPDATE" : "",
	       row->torn_read ? "  TORN READ" : "");
}

static void print_fairness(const struct bench_result *res,
			   const struct bench_opts *o)
{
	printf("\nfairness: min/max acquisitions per thread, in the median run\n");
	printf("%-*s", NAME_W, "lock");
	print_thread_heads(o);
	printf("\n");
	for (unsigned int i = 0; i < res->nrows; i++) {
		const struct bench_row *row = &res->rows[i];

		printf("%-*s", NAME_W, row->lock->name);
		for (unsigned int t = 0; t < o->nthreads; t++) {
			double fair;

			bench_row_mops(row, o, t, &fair);
			printf(" %*.2f", COL_W, fair);
		}
		printf("\n");
	}
}

/* A row without a timed loop shows "-": it has no worst wait to give. */
static void print_worst_wait(const struct bench_result *res,
			     const struct bench_opts *o)
{
	char buf[32];

	printf("\nworst wait (ms): longest time one lock call waited, median of runs\n");
	printf("%-*s", NAME_W, "lock");
	print_thread_heads(o);
	printf("\n");
	for (unsigned int i = 0; i < res->nrows; i++) {
		const struct bench_row *row = &res->rows[i];

		printf("%-*s", NAME_W, row->lock->name);
		for (unsigned int t = 0; t < o->nthreads; t++) {
			if (row->lock->timed_worker)
				format_value(buf, sizeof(buf),
					     bench_row_worst_ms(row, o, t));
			else
				snprintf(buf, sizeof(buf), "-");
			printf(" %*s", COL_W, buf);
		}
		printf("\n");
	}
}

static void print_main_table(const struct bench_result *res,
			     const struct bench_opts *o)
{
	print_main_heads(res, o);
	for (unsigned int i = 0; i < res->nrows; i++)
		print_main_row(res, &res->rows[i], o);
}

void bench_print_section(const struct bench_result *res,
			 const struct bench_opts *o)
{
	printf("== %s: %s ==\n\n", res->section->name, res->section->title);
	if (measures(res, BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT))
		print_main_table(res, o);
	if (measures(res, BENCH_MEASURE_THROUGHPUT))
		print_fairness(res, o);
	if (measures(res, BENCH_MEASURE_WORST_WAIT))
		print_worst_wait(res, o);
	if (res->section->note)
		printf("\nnote: %s\n", res->section->note);
	bench_print_ratios(res, o);
	printf("\n");
	fflush(stdout);
	if (res->section->extra) {
		res->section->extra(res, o);
		printf("\n");
		fflush(stdout);
	}
}
