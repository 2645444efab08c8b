// SPDX-License-Identifier: MIT
/*
 * The ratio lines under a section's tables: each section lists them as
 * data (struct bench_ratio), this file only evaluates and prints them.
 * Every ratio uses numbers from this run only, never a stored baseline,
 * so both sides saw the same machine in the same mood.
 */
#include <string.h>

#include "bench.h"

/* The median a ratio needs, or false with why it is missing. */
static bool metric_value(const struct bench_result *res,
			 const struct bench_opts *o, const char *lock,
			 const struct bench_ratio *r, double *v,
			 char *why, size_t len)
{
	const struct bench_row *row = bench_find_row(res, lock);
	int t;

	if (!row) {
		snprintf(why, len, "%s not measured", lock);
		return false;
	}
	if (r->metric == BENCH_METRIC_NS_PER_PAIR) {
		*v = bench_row_solo_ns(row, o);
	} else {
		t = bench_thread_index(o, r->threads);
		if (t < 0) {
			snprintf(why, len, "T=%u not measured", r->threads);
			return false;
		}
		*v = bench_row_mops(row, o, (unsigned int)t, NULL);
	}
	if (*v <= 0) {
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

static void print_ratio(const struct bench_result *res,
			const struct bench_opts *o,
			const struct bench_ratio *r, int width)
{
	double num, den, shown;
	char why[128];

	printf("  %s:%*s ", r->what, width - (int)strlen(r->what), "");
	if (!metric_value(res, o, r->num, r, &num, why, sizeof(why)) ||
	    !metric_value(res, o, r->den, r, &den, why, sizeof(why))) {
		printf("n/a (%s)\n", why);
		return;
	}
	shown = num / den;
	if (r->show == BENCH_SHOW_PERCENT) {
		shown = (shown - 1) * 100;
		printf("%+.1f%%", shown);
	} else {
		printf("%.2fx", shown);
	}
	print_target(r, shown);
	printf("\n");
}

void bench_print_ratios(const struct bench_result *res,
			const struct bench_opts *o)
{
	const struct bench_ratio *r = res->section->ratios;
	int width = 0;

	if (!r || !r->what)
		return;
	for (const struct bench_ratio *p = r; p->what; p++)
		if ((int)strlen(p->what) > width)
			width = (int)strlen(p->what);
	printf("\nratios, from this run:\n");
	for (; r->what; r++)
		print_ratio(res, o, r, width);
}
