// SPDX-License-Identifier: MIT
/*
 * Progress on stderr, so that stdout stays the report.
 *
 * On a terminal, one line rewritten in place for every step.  Anywhere
 * else (a log, a CI job) rewriting would leave a mess of carriage returns,
 * so it prints one plain line per section and repeat instead.
 */
#include <stdarg.h>
#include <unistd.h>

#include "bench.h"

static bool on_tty;
static bool line_shown;
static unsigned long steps_total, steps_done;
static uint64_t started_ns;

void bench_progress_start(unsigned long total_steps)
{
	on_tty = isatty(STDERR_FILENO);
	steps_total = total_steps;
	steps_done = 0;
	started_ns = bench_now_ns();
}

static int digits(unsigned long n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* @repeat is 0 for steps outside the repeats (calibration). */
void bench_progress_step(const char *section, const char *lock,
			 const char *what, unsigned int repeat,
			 unsigned int repeats)
{
	int w = digits(steps_total);

	steps_done++;
	if (!on_tty)
		return;
	fprintf(stderr, "\r[%*lu/%lu] %s: %s %s", w, steps_done, steps_total,
		section, lock, what);
	if (repeat)
		fprintf(stderr, " rep %u/%u", repeat, repeats);
	/* Erase what a longer previous line left to the right. */
	fputs("\033[K", stderr);
	line_shown = true;
}

void bench_progress_repeat(const char *section, unsigned int repeat,
			   unsigned int repeats)
{
	if (on_tty)
		return;
	fprintf(stderr, "ksync-bench: %s: repeat %u/%u (step %lu/%lu, %.0f s)\n",
		section, repeat, repeats, steps_done + 1, steps_total,
		(double)(bench_now_ns() - started_ns) / 1e9);
}

void bench_progress_clear(void)
{
	if (!line_shown)
		return;
	fputs("\r\033[K", stderr);
	line_shown = false;
}

/* An error message, on a line of its own even mid-progress. */
void bench_err(const char *fmt, ...)
{
	va_list ap;

	bench_progress_clear();
	fputs("ksync-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
