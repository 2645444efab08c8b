// SPDX-License-Identifier: MIT
/*
 * The harness's checks and threads (ktest.h).
 */
#include "ktest.h"

const char *ktest_current = "";

double ktest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void ktest_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pthread_barrier_t start_together;
static void *(*thread_fn)(void *);

static void *thread_trampoline(void *arg)
{
	pthread_barrier_wait(&start_together);
	return thread_fn(arg);
}

void ktest_run_threads(int n, void *(*fn)(void *))
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	CHECK(t != NULL);
	thread_fn = fn;
	pthread_barrier_init(&start_together, NULL, (unsigned)n);
	for (long i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, thread_trampoline, (void *)i) == 0);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	pthread_barrier_destroy(&start_together);
	free(t);
}
