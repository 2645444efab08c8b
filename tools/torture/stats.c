// SPDX-License-Identifier: MIT
/*
 * The test's output, in locktorture's format so that tools written for
 * the kernel's console logs can read it:
 *
 *   spin_lock-torture:--- Start of test: nwriters_stress=4 ...
 *   spin_lock-torture: Writes:  Total: 123  Max/Min: 40/20 ???  Fail: 0
 *   spin_lock-torture:--- End of test: SUCCESS: nwriters_stress=4 ...
 *
 * "???" flags unfairness (the busiest thread got more than twice what the
 * idlest got), "!!!" flags failures.  The counts are read while the
 * threads run, so a periodic line is a snapshot, not a consistent cut.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include <ksync/debug_locks.h>
#include "torture.h"

#define TORTURE_FLAG	"-torture:"

/* As locktorture's " [debug]": the checks slow the lock down. */
static const char *debug_tag(void)
{
	return ksync_debug_active() ? " [debug]" : "";
}

void torture_print_params(const char *tag)
{
	printf("%s" TORTURE_FLAG "--- %s%s: nwriters_stress=%d nreaders_stress=%d "
	       "stutter=%d duration=%d long_hold=%d\n",
	       cxt.ops->name, tag, debug_tag(), cxt.nwriters, cxt.nreaders,
	       cxt.stutter_s, cxt.duration_s, cxt.long_hold_ms);
	fflush(stdout);
}

struct stats_summary {
	long long sum;
	long max, min;
	bool fail;
};

/* One thread's counts, read once so that every figure in a print agrees. */
struct stats_snap {
	long acquired;
	long fail;
};

static void take_snapshot(struct stats_snap *snap, struct lock_stress_stats *st,
			  int n)
{
	for (int i = 0; i < n; i++) {
		snap[i].acquired = atomic_long_read(&st[i].n_lock_acquired);
		snap[i].fail = atomic_long_read(&st[i].n_lock_fail);
	}
}

static struct stats_summary summarize(const struct stats_snap *snap, int n)
{
	struct stats_summary s = { .min = n ? snap[0].acquired : 0 };

	for (int i = 0; i < n; i++) {
		long cur = snap[i].acquired;

		if (snap[i].fail)
			s.fail = true;
		s.sum += cur;
		if (s.max < cur)
			s.max = cur;
		if (s.min > cur)
			s.min = cur;
	}
	return s;
}

static void print_per_thread(const char *who, const struct stats_snap *snap,
			     int n)
{
	for (int i = 0; i < n; i++)
		printf("%s %d: acquisitions %ld failures %ld\n", who, i,
		       snap[i].acquired, snap[i].fail);
}

/* One "Writes:" or "Reads :" line; returns true if any thread failed. */
static bool print_kind(bool write, struct stats_snap *snap)
{
	int n = write ? cxt.nwriters : cxt.nreaders;
	struct stats_summary s;

	take_snapshot(snap, write ? cxt.wstats : cxt.rstats, n);
	s = summarize(snap, n);
	printf("%s" TORTURE_FLAG " %s:  Total: %lld  Max/Min: %ld/%ld %s  Fail: %d %s\n",
	       cxt.ops->name, write ? "Writes" : "Reads ", s.sum, s.max, s.min,
	       s.max / 2 > s.min ? "???" : "", s.fail, s.fail ? "!!!" : "");
	if (cxt.verbose)
		print_per_thread(write ? "writer" : "reader", snap, n);
	return s.fail;
}

/*
 * The snapshot buffer is allocated once, by the first call, which the
 * main thread makes; only the main thread prints.
 */
static struct stats_snap *snapshot_buffer(void)
{
	static struct stats_snap *snap;
	int n = cxt.nwriters > cxt.nreaders ? cxt.nwriters : cxt.nreaders;

	if (!snap) {
		snap = calloc((size_t)(n ? n : 1), sizeof(*snap));
		if (!snap) {
			fprintf(stderr, TORTURE_PROG ": out of memory\n");
			exit(TORTURE_EXIT_USAGE);
		}
	}
	return snap;
}

bool torture_stats_print(void)
{
	struct stats_snap *snap = snapshot_buffer();
	bool fail = print_kind(true, snap);

	if (torture_has_readers(cxt.ops))
		fail |= print_kind(false, snap);
	fflush(stdout);
	return fail;
}
