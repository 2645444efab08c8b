// SPDX-License-Identifier: MIT
/*
 * When the torture threads may run: the stutter pauses and the final stop.
 *
 * Stutter stops every thread for a while and then lets them all go at
 * once, so that the lock sees a herd arriving together rather than only
 * the steady state.  A paused thread sleeps on a condition variable and
 * takes no lock; the main thread flips the phases.  Both flags are read
 * on every round without the mutex, so they are atomics; the mutex only
 * orders sleeping against waking.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "torture.h"

static atomic_t torture_stopping;
static atomic_t stutter_paused;
static pthread_mutex_t stutter_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stutter_cond = PTHREAD_COND_INITIALIZER;

bool torture_must_stop(void)
{
	return atomic_read(&torture_stopping) != 0;
}

static void stutter_set(atomic_t *flag, int val)
{
	pthread_mutex_lock(&stutter_mutex);
	atomic_set(flag, val);
	pthread_cond_broadcast(&stutter_cond);
	pthread_mutex_unlock(&stutter_mutex);
}

/* Ends the run: every thread stops after its current round. */
void torture_stop(void)
{
	stutter_set(&torture_stopping, 1);
}

void torture_stutter_pause(bool pause)
{
	stutter_set(&stutter_paused, pause);
}

/* Called by a thread between rounds, never with the lock held. */
void torture_stutter_wait(void)
{
	if (!atomic_read(&stutter_paused))
		return;
	pthread_mutex_lock(&stutter_mutex);
	while (atomic_read(&stutter_paused) && !torture_must_stop())
		pthread_cond_wait(&stutter_cond, &stutter_mutex);
	pthread_mutex_unlock(&stutter_mutex);
}
