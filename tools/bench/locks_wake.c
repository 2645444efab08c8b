// SPDX-License-Identifier: MIT
/*
 * The "wakeup" section: struct semaphore, completion, wait queues and
 * condvar, each beside what a user would pick instead from glibc.
 *
 * The table rows are the semaphore used as a lock (count 1) against a
 * sem_t used the same way.  The section's own measurement (wake_pairs)
 * times two threads that wait for each other, once with both pinned to
 * one CPU and once on two CPUs, where every step is a sleep and a
 * wake-up: what these primitives are for.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <ksync/completion.h>
#include <ksync/condvar.h>
#include <ksync/mutex.h>
#include <ksync/semaphore.h>
#include <ksync/wait.h>

#include "bench_loops.h"

BENCH_LOCK_DEFINE(semaphore, "semaphore as lock", struct semaphore, bench_noctx_t,
		  sema_init(lock, 1), down(lock), up(lock), (void)0);

BENCH_LOCK_DEFINE(sem_t, "sem_t as lock", sem_t, bench_noctx_t,
		  sem_init(lock, 0, 1), sem_wait(lock), sem_post(lock),
		  sem_destroy(lock));

static const struct bench_lock *const wake_locks[] = {
	&bench_lock_semaphore,
	&bench_lock_sem_t,
	NULL,
};

static const struct bench_ratio wake_ratios[] = {
	{ "semaphore uncontended / sem_t",
	  "semaphore as lock", "sem_t as lock", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "semaphore as lock throughput / sem_t",
	  "semaphore as lock", "sem_t as lock", BENCH_METRIC_MOPS, BENCH_EVERY_T,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 1.0 },
	{ .what = NULL },
};

/* --- two threads that wait for each other ------------------------------------ */

/* Everything a pair shares; one per run, fresh for every sample. */
static struct {
	unsigned long n;
	struct completion c[2];
	struct semaphore s[2];
	sem_t ps[2];
	struct mutex m;
	struct condvar cv;
	pthread_mutex_t pm;
	pthread_cond_t pcv;
	int full;			/* mailbox: under m / pm */
	unsigned long item;
	wait_queue_head_t wq[2];
	uint32_t flag[2];		/* wait queue and futex ping-pong */
} pr;

/* completion: A completes c[0] and waits for c[1]; B the other way. */
static void completion_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0) {
			complete(&pr.c[0]);
			wait_for_completion(&pr.c[1]);
		} else {
			wait_for_completion(&pr.c[0]);
			complete(&pr.c[1]);
		}
	}
}

static void sem_t_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0) {
			sem_post(&pr.ps[0]);
			sem_wait(&pr.ps[1]);
		} else {
			sem_wait(&pr.ps[0]);
			sem_post(&pr.ps[1]);
		}
	}
}

/* A semaphore as a counter: one side up()s n units, the other down()s them. */
static void semaphore_count_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0)
			up(&pr.s[0]);
		else
			down(&pr.s[0]);
	}
}

static void sem_t_count_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0)
			sem_post(&pr.ps[0]);
		else
			sem_wait(&pr.ps[0]);
	}
}

/* A one-slot mailbox: side 0 produces, side 1 consumes. */
static void condvar_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		mutex_lock(&pr.m);
		while (pr.full == !me)
			condvar_wait(&pr.cv, &pr.m);
		pr.full = !me;
		pr.item++;
		condvar_notify_one(&pr.cv);
		mutex_unlock(&pr.m);
	}
}

static void pthread_cond_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		pthread_mutex_lock(&pr.pm);
		while (pr.full == !me)
			pthread_cond_wait(&pr.pcv, &pr.pm);
		pr.full = !me;
		pr.item++;
		pthread_cond_signal(&pr.pcv);
		pthread_mutex_unlock(&pr.pm);
	}
}

/* Wait queues: ping-pong on two flags, each with its own queue. */
static void waitqueue_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0) {
			__atomic_store_n(&pr.flag[0], 1, __ATOMIC_RELEASE);
			wake_up(&pr.wq[0]);
			wait_event(pr.wq[1], __atomic_exchange_n(&pr.flag[1], 0,
								 __ATOMIC_ACQUIRE));
		} else {
			wait_event(pr.wq[0], __atomic_exchange_n(&pr.flag[0], 0,
								 __ATOMIC_ACQUIRE));
			__atomic_store_n(&pr.flag[1], 1, __ATOMIC_RELEASE);
			wake_up(&pr.wq[1]);
		}
	}
}

static void futex_wait_flag(uint32_t *f)
{
	while (!__atomic_exchange_n(f, 0, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, f, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void futex_set_flag(uint32_t *f)
{
	__atomic_store_n(f, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, f, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* The raw futex a user would write: set a word, wake; wait on the other. */
static void futex_side(int me)
{
	for (unsigned long i = 0; i < pr.n; i++) {
		if (me == 0) {
			futex_set_flag(&pr.flag[0]);
			futex_wait_flag(&pr.flag[1]);
		} else {
			futex_wait_flag(&pr.flag[0]);
			futex_set_flag(&pr.flag[1]);
		}
	}
}

static void pair_setup(void)
{
	memset(&pr.flag, 0, sizeof(pr.flag));
	pr.full = 0;
	pr.item = 0;
	for (int i = 0; i < 2; i++) {
		init_completion(&pr.c[i]);
		sema_init(&pr.s[i], 0);
		sem_init(&pr.ps[i], 0, 0);
		init_waitqueue_head(&pr.wq[i]);
	}
	mutex_init(&pr.m);
	condvar_init(&pr.cv);
	pthread_mutex_init(&pr.pm, NULL);
	pthread_cond_init(&pr.pcv, NULL);
}

static void pair_teardown(void)
{
	for (int i = 0; i < 2; i++)
		sem_destroy(&pr.ps[i]);
	pthread_mutex_destroy(&pr.pm);
	pthread_cond_destroy(&pr.pcv);
}

struct pair_kind {
	const char *ksync_name, *glibc_name, *unit;
	void (*ksync_side)(int me);
	void (*glibc_side)(int me);
};

static const struct pair_kind pair_kinds[] = {
	{ "completion ping-pong", "sem_t ping-pong", "round trip",
	  completion_side, sem_t_side },
	{ "semaphore as counter", "sem_t as counter", "unit",
	  semaphore_count_side, sem_t_count_side },
	{ "condvar + mutex mailbox", "pthread_cond_t mailbox", "item",
	  condvar_side, pthread_cond_side },
	{ "wait queue ping-pong", "futex ping-pong", "round trip",
	  waitqueue_side, futex_side },
};

#define NKINDS		(sizeof(pair_kinds) / sizeof(pair_kinds[0]))
#define PLACEMENTS	2	/* both on CPU 0; CPU 0 and CPU 1 */

struct side_arg {
	void (*fn)(int me);
	int me;
};

static void *side_thread(void *p)
{
	struct side_arg *a = p;

	a->fn(a->me);
	return NULL;
}

/* One sample: ns per step for @n steps of @fn on the placement's CPUs. */
static double pair_sample(void (*fn)(int), unsigned long n, int placement)
{
	struct side_arg args[2] = { { fn, 0 }, { fn, 1 } };
	pthread_t t[2];
	uint64_t t0, t1;

	pair_setup();
	pr.n = n;
	t0 = bench_now_ns();
	for (int i = 0; i < 2; i++) {
		pthread_attr_t attr;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(placement ? i : 0, &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		if (pthread_create(&t[i], &attr, side_thread, &args[i])) {
			bench_err("pthread_create failed");
			exit(BENCH_EXIT_ERROR);
		}
		pthread_attr_destroy(&attr);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	t1 = bench_now_ns();
	pair_teardown();
	return (double)(t1 - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(n - 1) / 2];
}

/* Steps that take about @ms at the cost one short sample shows. */
static unsigned long steps_for(void (*fn)(int), int placement, unsigned int ms)
{
	double ns = pair_sample(fn, 200, placement);
	double n = (double)ms * 1e6 / (ns > 1 ? ns : 1);

	if (n < 200)
		n = 200;
	if (n > 1000000)
		n = 1000000;
	return (unsigned long)n;
}

static void wake_pairs(const struct bench_result *res, const struct bench_opts *o)
{
	int places = bench_nproc() >= 2 ? PLACEMENTS : 1;
	double med[NKINDS][2][PLACEMENTS];
	unsigned int reps = o->repeats ? o->repeats : 1;
	double *v = calloc(reps, sizeof(double));

	(void)res;
	if (!v)
		return;
	bench_progress_clear();
	for (unsigned int k = 0; k < NKINDS; k++) {
		for (int p = 0; p < places; p++) {
			void (*fn[2])(int) = { pair_kinds[k].ksync_side,
					       pair_kinds[k].glibc_side };
			unsigned long n[2];
			double *s[2] = { v, calloc(reps, sizeof(double)) };

			if (!s[1])
				return;
			for (int w = 0; w < 2; w++)
				n[w] = steps_for(fn[w], p, o->duration_ms / 2);
			/* Interleaved, so that drift hits both alike. */
			for (unsigned int r = 0; r < reps; r++)
				for (int w = 0; w < 2; w++)
					s[w][r] = pair_sample(fn[w], n[w], p);
			for (int w = 0; w < 2; w++)
				med[k][w][p] = median(s[w], reps);
			free(s[1]);
		}
	}
	free(v);

	printf("two threads waiting for each other: ns per step, median of %u\n", reps);
	printf("%-28s %-11s %12s %12s\n", "primitive", "step", "1 CPU", "2 CPUs");
	for (unsigned int k = 0; k < NKINDS; k++) {
		for (int w = 0; w < 2; w++) {
			printf("%-28s %-11s %12.0f",
			       w ? pair_kinds[k].glibc_name : pair_kinds[k].ksync_name,
			       pair_kinds[k].unit, med[k][w][0]);
			if (places > 1)
				printf(" %12.0f", med[k][w][1]);
			printf("\n");
		}
	}
	printf("\nratios, from this run (glibc's ns / ksync's: >= 1.0x is as fast or faster):\n");
	for (unsigned int k = 0; k < NKINDS; k++) {
		for (int p = 0; p < places; p++) {
			double r = med[k][1][p] / med[k][0][p];
			char label[128];

			snprintf(label, sizeof(label), "%s / %s, %s",
				 pair_kinds[k].ksync_name, pair_kinds[k].glibc_name,
				 p ? "2 CPUs" : "1 CPU");
			printf("  %-58s %.2fx (target >= 1.0x) %s\n", label, r,
			       r >= 1.0 ? "met" : "NOT met");
		}
	}
}

const struct bench_section bench_section_wakeup = {
	.name = "wakeup",
	.title = "semaphore, completion, wait queues, condvar against glibc",
	.measures = BENCH_MEASURE_UNCONTENDED | BENCH_MEASURE_THROUGHPUT |
		    BENCH_MEASURE_WORST_WAIT,
	.locks = wake_locks,
	.ratios = wake_ratios,
	.note = "the pairs below the ratios: both threads pinned to CPU 0, or "
		"one on CPU 0 and one on CPU 1; 'step' is what one sample counts",
	.extra = wake_pairs,
};
