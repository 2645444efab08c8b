// SPDX-License-Identifier: MIT
/*
 * The ratio lines under a section's tables: each section lists them as
 * data (struct bench_ratio), this file only evaluates and prints them.
 * Every ratio uses numbers from this run only, never a stored baseline,
 * so both sides saw the same machine in the same mood.
 */
#include <string.h>

#include "bench.h"

/* A row's median of @metric; @tindex indexes --threads where it applies. */
static double row_metric(const struct bench_row *row,
			 const struct bench_opts *o, enum bench_metric metric,
			 unsigned int tindex)
{
	switch (metric) {
	case BENCH_METRIC_MOPS:
		return bench_row_mops(row, o, tindex, NULL);
	case BENCH_METRIC_WORST_WAIT:
		return bench_row_worst_ms(row, o, tindex);
	case BENCH_METRIC_FAIRNESS: {
		double fairness = 0;

		bench_row_mops(row, o, tindex, &fairness);
		return fairness;
	}
	case BENCH_METRIC_NS_PER_PAIR:
	default:
		return bench_row_solo_ns(row, o);
	}
}

/* The median a ratio needs, or false with why it is missing. */
static bool metric_value(const struct bench_result *res,
			 const struct bench_opts *o, const char *lock,
			 const struct bench_ratio *r, unsigned int threads,
			 double *v, char *why, size_t len)
{
	const struct bench_row *row = bench_find_row(res, lock);
	int t = 0;

	if (!row) {
		snprintf(why, len, "%s not measured", lock);
		return false;
	}
	if (r->metric != BENCH_METRIC_NS_PER_PAIR) {
		t = bench_thread_index(o, threads);
		if (t < 0) {
			snprintf(why, len, "T=%u not measured", threads);
			return false;
		}
	}
	*v = row_metric(row, o, r->metric, (unsigned int)t);
	/* A fairness of 0 is a figure (a thread starved), not a gap. */
	if (*v < 0 || (*v == 0 && r->metric != BENCH_METRIC_FAIRNESS)) {
		snprintf(why, len, "%s measured nothing", lock);
		return false;
	}
	return true;
}

/* "1.2" and "1.0", not "1.20" or "1". */
static void format_number(char *buf, size_t len, double v)
{
	size_t n;

	snprintf(buf, len, "%.2f", v);
	n = strlen(buf);
	if (n > 3 && buf[n - 1] == '0' && buf[n - 3] == '.')
		buf[n - 1] = '\0';
}

static const char *verdict(const struct bench_ratio *r, double shown)
{
	if (r->op == BENCH_TARGET_AT_MOST)
		return shown <= r->target ? "met" : "NOT met";
	return shown >= r->target ? "met" : "NOT met";
}

static void print_target(const struct bench_ratio *r, double shown)
{
	const char *unit = r->show == BENCH_SHOW_PERCENT ? "%" : "x";
	char t[32];

	if (r->op == BENCH_TARGET_NONE)
		return;
	format_number(t, sizeof(t), r->target);
	printf(" (target %s %s%s) %s",
	       r->op == BENCH_TARGET_AT_MOST ? "<=" : ">=", t, unit,
	       verdict(r, shown));
}

/* A ratio for every thread count of the run, rather than one. */
static bool every_t(const struct bench_ratio *r)
{
	return r->metric != BENCH_METRIC_NS_PER_PAIR && r->threads == BENCH_EVERY_T;
}

static void format_label(char *buf, size_t len, const struct bench_ratio *r,
			 unsigned int threads)
{
	if (every_t(r))
		snprintf(buf, len, "%s, T=%u", r->what, threads);
	else
		snprintf(buf, len, "%s", r->what);
}

static void print_ratio(const struct bench_result *res,
			const struct bench_opts *o,
			const struct bench_ratio *r, unsigned int threads,
			int width)
{
	double num, den, shown;
	char label[256], why[128];

	format_label(label, sizeof(label), r, threads);
	printf("  %s:%*s ", label, width - (int)strlen(label), "");
	/* No denominator: the figure itself (a fairness, say) is quoted. */
	den = 1;
	if (!metric_value(res, o, r->num, r, threads, &num, why, sizeof(why)) ||
	    (r->den && !metric_value(res, o, r->den, r, threads, &den, why,
				     sizeof(why)))) {
		printf("n/a (%s)\n", why);
		return;
	}
	shown = num / den;
	if (r->show == BENCH_SHOW_PERCENT) {
		shown = (shown - 1) * 100;
		printf("%+.1f%%", shown);
	} else if (!r->den) {
		printf("%.2f", shown);
	} else {
		printf("%.2fx", shown);
	}
	print_target(r, shown);
	printf("\n");
}

/* The widest label, so that the values line up. */
static int label_width(const struct bench_ratio *r, const struct bench_opts *o)
{
	char label[256];
	int width = 0;

	for (; r->what; r++) {
		unsigned int last = o->nthreads ? o->threads[o->nthreads - 1] : 0;

		/* The largest thread count has the most digits. */
		format_label(label, sizeof(label), r, last);
		if ((int)strlen(label) > width)
			width = (int)strlen(label);
	}
	return width;
}

void bench_print_ratios(const struct bench_result *res,
			const struct bench_opts *o)
{
	const struct bench_ratio *r = res->section->ratios;
	int width;

	if (!r || !r->what)
		return;
	width = label_width(r, o);
	printf("\nratios, from this run:\n");
	for (; r->what; r++) {
		if (!every_t(r)) {
			print_ratio(res, o, r, r->threads, width);
			continue;
		}
		for (unsigned int t = 0; t < o->nthreads; t++)
			print_ratio(res, o, r, o->threads[t], width);
	}
}
