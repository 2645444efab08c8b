// SPDX-License-Identifier: MIT
/*
 * Medians over repeats.  The median is an actual sample (the lower middle
 * one when the count is even), so the fairness quoted beside a median
 * throughput is that same run's fairness.
 */
#include "bench.h"

#define MAX_SORTED	1024

/* Index into @v of its median; @n is small (the repeat count). */
unsigned int bench_median_index(const double *v, unsigned int n)
{
	unsigned int idx[MAX_SORTED];

	if (n > MAX_SORTED)
		n = MAX_SORTED;
	/* Insertion sort of indices: n is a handful, and stays stable. */
	for (unsigned int i = 0; i < n; i++) {
		unsigned int j = i;

		while (j > 0 && v[idx[j - 1]] > v[i]) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return n ? idx[(n - 1) / 2] : 0;
}

double bench_row_solo_ns(const struct bench_row *row, const struct bench_opts *o)
{
	return row->solo_ns[bench_median_index(row->solo_ns, o->repeats)];
}

/* Median throughput at thread-count index @tindex, and its run's fairness. */
double bench_row_mops(const struct bench_row *row, const struct bench_opts *o,
		      unsigned int tindex, double *fairness)
{
	size_t base = (size_t)tindex * o->repeats;
	unsigned int m = bench_median_index(row->mops + base, o->repeats);

	if (fairness)
		*fairness = row->fairness[base + m];
	return row->mops[base + m];
}

/* Median over repeats of each run's worst wait at thread-count index @tindex. */
double bench_row_worst_ms(const struct bench_row *row,
			  const struct bench_opts *o, unsigned int tindex)
{
	const double *v = row->worst_ms + (size_t)tindex * o->repeats;

	return v[bench_median_index(v, o->repeats)];
}

/* Index of @threads in --threads, or -1 if this run did not measure it. */
int bench_thread_index(const struct bench_opts *o, unsigned int threads)
{
	for (unsigned int i = 0; i < o->nthreads; i++)
		if (o->threads[i] == threads)
			return (int)i;
	return -1;
}
