// SPDX-License-Identifier: MIT
/*
 * glibc's mutexes, as rows of more than one section (spinlock, mutex):
 * defined once, so that every section measures the very same loops.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "bench_loops.h"

BENCH_LOCK_DEFINE(pthread_mutex, "pthread_mutex_t", pthread_mutex_t,
		  bench_noctx_t,
		  pthread_mutex_init(lock, NULL),
		  pthread_mutex_lock(lock), pthread_mutex_unlock(lock),
		  pthread_mutex_destroy(lock));

/* glibc's adaptive mutex spins a while before it sleeps. */
static void init_adaptive_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
}

BENCH_LOCK_DEFINE(pthread_adaptive, "pthread_mutex adaptive", pthread_mutex_t,
		  bench_noctx_t,
		  init_adaptive_mutex(lock),
		  pthread_mutex_lock(lock), pthread_mutex_unlock(lock),
		  pthread_mutex_destroy(lock));
