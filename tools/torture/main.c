// SPDX-License-Identifier: MIT
/*
 * ksync-torture: start the threads, run the clock, stop, report.
 *
 * The main thread takes no lock.  It sleeps until the next event (a
 * stutter phase change, a statistics line, the end of the run), so the
 * run ends on time however many threads compete for however few CPUs:
 * at the deadline it raises the stop flag, which every thread checks
 * between acquisitions, and joins them.  SIGINT and SIGTERM end the run
 * early with the usual report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "torture.h"

#define NSEC_PER_SEC	1000000000ull
#define NEVER		UINT64_MAX

struct torture_cxt cxt;

static pthread_t *writer_tasks;
static pthread_t *reader_tasks;
static volatile sig_atomic_t torture_interrupted;

static void on_interrupt(int sig __maybe_unused)
{
	torture_interrupted = 1;
}

/* Only the main thread takes SIGINT/SIGTERM: its sleep is what they cut. */
static void setup_signals(sigset_t *blocked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(blocked);
	sigaddset(blocked, SIGINT);
	sigaddset(blocked, SIGTERM);
}

static void *alloc_or_die(size_t align, size_t n, size_t size)
{
	size_t bytes = (n ? n : 1) * size;
	void *p = aligned_alloc(align, (bytes + align - 1) / align * align);

	if (!p) {
		fprintf(stderr, TORTURE_PROG ": out of memory\n");
		exit(TORTURE_EXIT_USAGE);
	}
	memset(p, 0, bytes);
	return p;
}

static void alloc_stats(void)
{
	size_t st = sizeof(struct lock_stress_stats);

	cxt.wstats = alloc_or_die(64, (size_t)cxt.nwriters, st);
	cxt.rstats = alloc_or_die(64, (size_t)cxt.nreaders, st);
	writer_tasks = alloc_or_die(sizeof(void *), (size_t)cxt.nwriters, sizeof(pthread_t));
	reader_tasks = alloc_or_die(sizeof(void *), (size_t)cxt.nreaders, sizeof(pthread_t));
}

static void free_stats(void)
{
	free(cxt.wstats);
	free(cxt.rstats);
	free(writer_tasks);
	free(reader_tasks);
}

static void join_threads(int nw, int nr)
{
	for (int i = 0; i < nw; i++)
		pthread_join(writer_tasks[i], NULL);
	for (int i = 0; i < nr; i++)
		pthread_join(reader_tasks[i], NULL);
}

static void create_failed(int err, int nw, int nr)
{
	fprintf(stderr, TORTURE_PROG ": cannot create thread: %s\n", strerror(err));
	torture_stop();
	join_threads(nw, nr);
	exit(TORTURE_EXIT_USAGE);
}

/*
 * Writers and readers are created interleaved, as in locktorture, so
 * that neither kind gets a head start on the lock.
 */
static void start_threads(void)
{
	int nw = 0, nr = 0, err;

	while (nw < cxt.nwriters || nr < cxt.nreaders) {
		if (nw < cxt.nwriters) {
			err = pthread_create(&writer_tasks[nw], NULL,
					     lock_torture_writer, &cxt.wstats[nw]);
			if (err)
				create_failed(err, nw, nr);
			nw++;
		}
		if (nr < cxt.nreaders) {
			err = pthread_create(&reader_tasks[nr], NULL,
					     lock_torture_reader, &cxt.rstats[nr]);
			if (err)
				create_failed(err, nw, nr);
			nr++;
		}
	}
}

static uint64_t after_seconds(uint64_t t, int s)
{
	return s > 0 ? t + (uint64_t)s * NSEC_PER_SEC : NEVER;
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(t_ns % NSEC_PER_SEC),
	};

	/* An interruption returns early; the caller looks at the clock. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Runs the test's clock until the deadline or an interrupt. */
static void run_phases(void)
{
	uint64_t start = torture_now_ns(), now;
	uint64_t deadline = after_seconds(start, cxt.duration_s);
	uint64_t next_stutter = after_seconds(start, cxt.stutter_s);
	uint64_t next_stats = after_seconds(start, cxt.stat_interval_s);
	bool paused = false;

	while (!torture_interrupted && (now = torture_now_ns()) < deadline) {
		/* Statistics first, so a line describes the phase just ended. */
		if (now >= next_stats) {
			torture_stats_print();
			next_stats = after_seconds(next_stats, cxt.stat_interval_s);
		}
		if (now >= next_stutter) {
			paused = !paused;
			torture_stutter_pause(paused);
			next_stutter = after_seconds(next_stutter, cxt.stutter_s);
		}
		sleep_until(min3(deadline, next_stutter, next_stats));
	}
	if (torture_interrupted)
		fprintf(stderr, TORTURE_PROG ": interrupted, stopping early\n");
}

int main(int argc, char **argv)
{
	sigset_t blocked;
	bool fail;

	setvbuf(stdout, NULL, _IOLBF, 0);
	torture_parse_options(argc, argv);
	alloc_stats();
	if (cxt.ops->init)
		cxt.ops->init();
	torture_print_params("Start of test");

	setup_signals(&blocked);
	pthread_sigmask(SIG_BLOCK, &blocked, NULL);
	start_threads();
	pthread_sigmask(SIG_UNBLOCK, &blocked, NULL);

	run_phases();
	torture_stop();
	join_threads(cxt.nwriters, cxt.nreaders);

	fail = torture_stats_print();
	torture_print_params(fail ? "End of test: FAILURE" : "End of test: SUCCESS");
	if (cxt.ops->exit)
		cxt.ops->exit();
	free_stats();
	return fail ? TORTURE_EXIT_FAILURE : TORTURE_EXIT_SUCCESS;
}
