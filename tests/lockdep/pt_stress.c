// SPDX-License-Identifier: MIT
/*
 * Exact counts under contention, more threads than cores: a plain pthread
 * program for ksync-lockdep --replace (and the C library) to pass.
 *
 *   pt_stress [THREADS]        (default 16)
 *
 * Each thread: mutex-protected increments (normal and recursive mutex),
 * rwlock writes keeping two fields equal while readers check them, spin
 * increments, and a bounded queue between producer and consumer threads
 * over condition variables.  Prints "stress ok" or what went wrong.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS	20000
#define QSIZE	8

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rec = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t spin;
static long mcount, rcount, scount, pair_a, pair_b, torn;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER;
static pthread_cond_t notempty = PTHREAD_COND_INITIALIZER;
static int q[QSIZE], qhead, qlen;
static long consumed_sum;

static void *worker(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&m);
		mcount++;
		pthread_mutex_unlock(&m);
		pthread_mutex_lock(&rec);
		pthread_mutex_lock(&rec);
		rcount++;
		pthread_mutex_unlock(&rec);
		pthread_mutex_unlock(&rec);
		if (rand_r(&seed) % 10 == 0) {
			pthread_rwlock_wrlock(&rw);
			pair_a++;
			pair_b++;
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			if (pair_a != pair_b)
				__atomic_fetch_add(&torn, 1, __ATOMIC_RELAXED);
			pthread_rwlock_unlock(&rw);
		}
		pthread_spin_lock(&spin);
		scount++;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void *producer(void *arg)
{
	for (int i = 1; i <= ITERS; i++) {
		pthread_mutex_lock(&qlock);
		while (qlen == QSIZE)
			pthread_cond_wait(&notfull, &qlock);
		q[(qhead + qlen++) % QSIZE] = i;
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&qlock);
	}
	return arg;
}

static void *consumer(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		pthread_mutex_lock(&qlock);
		while (!qlen)
			pthread_cond_wait(&notempty, &qlock);
		consumed_sum += q[qhead];
		qhead = (qhead + 1) % QSIZE;
		qlen--;
		pthread_cond_signal(&notfull);
		pthread_mutex_unlock(&qlock);
	}
	return arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 16;
	pthread_t *t = calloc((size_t)n + 4, sizeof(*t));
	long want = (long)n * ITERS, wsum = 2L * ITERS * (ITERS + 1) / 2;
	int bad = 0;

	pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 2; i++) {
		pthread_create(&t[n + 2 * i], NULL, producer, NULL);
		pthread_create(&t[n + 2 * i + 1], NULL, consumer, NULL);
	}
	for (int i = 0; i < n + 4; i++)
		pthread_join(t[i], NULL);
	if (mcount != want || rcount != want || scount != want) {
		printf("lost updates: mutex %ld recursive %ld spin %ld of %ld\n",
		       mcount, rcount, scount, want);
		bad = 1;
	}
	if (torn || pair_a != pair_b) {
		printf("torn reads: %ld\n", torn);
		bad = 1;
	}
	if (consumed_sum != wsum) {
		printf("queue: consumed %ld, want %ld\n", consumed_sum, wsum);
		bad = 1;
	}
	if (!bad)
		printf("stress ok\n");
	return bad;
}
