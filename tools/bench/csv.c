// SPDX-License-Identifier: MIT
/*
 * --csv: the medians as long-format rows, one value per line, so that a
 * script can filter on any column without knowing the table's shape:
 *
 *   section,lock,metric,threads,value
 *   spinlock,spinlock_t,ns_per_pair,1,5.210
 *   spinlock,spinlock_t,mops,2,41.2345
 *   spinlock,spinlock_t,fairness,2,0.830
 *   mutex,mutex,worst_wait_ms,2,0.012345
 */
#include <string.h>

#include "bench.h"

/* RFC 4180 quoting, for names that ever carry a comma or a quote. */
static void put_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void put_row(FILE *f, const struct bench_result *res,
		    const struct bench_row *row, const char *metric,
		    unsigned int threads, int decimals, double v)
{
	put_field(f, res->section->name);
	fputc(',', f);
	put_field(f, row->lock->name);
	fprintf(f, ",%s,%u,%.*f\n", metric, threads, decimals, v);
}

static void put_section(FILE *f, const struct bench_result *res,
			const struct bench_opts *o)
{
	unsigned int m = res->section->measures;

	for (unsigned int i = 0; i < res->nrows; i++) {
		const struct bench_row *row = &res->rows[i];

		if (m & BENCH_MEASURE_UNCONTENDED)
			put_row(f, res, row, "ns_per_pair", 1, 3,
				bench_row_solo_ns(row, o));
		for (unsigned int t = 0; t < o->nthreads; t++) {
			double fair, mops = bench_row_mops(row, o, t, &fair);

			if (m & BENCH_MEASURE_THROUGHPUT) {
				put_row(f, res, row, "mops", o->threads[t], 4, mops);
				put_row(f, res, row, "fairness", o->threads[t], 3, fair);
			}
			/* To the nanosecond: waits span microseconds to seconds. */
			if ((m & BENCH_MEASURE_WORST_WAIT) && row->lock->timed_worker)
				put_row(f, res, row, "worst_wait_ms", o->threads[t], 6,
					bench_row_worst_ms(row, o, t));
		}
	}
}

int bench_csv_write(FILE *f, const struct bench_result *res, unsigned int n,
		    const struct bench_opts *o)
{
	fputs("section,lock,metric,threads,value\n", f);
	for (unsigned int i = 0; i < n; i++)
		put_section(f, &res[i], o);
	return ferror(f) ? -1 : 0;
}
