// SPDX-License-Identifier: MIT
/*
 * Deadlines for the tests of sleeping primitives.  Needs _GNU_SOURCE
 * before the first system header (pthread_timedjoin_np()).
 */
#ifndef KSYNC_TEST_KTEST_DEADLINE_H
#define KSYNC_TEST_KTEST_DEADLINE_H

#include "ktest.h"

/*
 * Deadlines: a test whose wakeup got lost fails loudly, naming what it
 * waited for, instead of hanging until ctest gives up.
 */
#define KTEST_DEADLINE_S	20.0	/* for anything that should take far less */

/* Join t, or fail if it is still stuck after KTEST_DEADLINE_S. */
static inline void *ktest_join_or_fail(pthread_t t)
{
	struct timespec ts;
	void *ret;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)KTEST_DEADLINE_S;
	if (pthread_timedjoin_np(t, &ret, &ts) != 0)
		KTEST_FAIL("a thread is stuck: a lost wakeup?");
	return ret;
}

#define KTEST_WAIT_UNTIL(cond)						\
	do {								\
		double __end = ktest_now() + KTEST_DEADLINE_S;		\
		while (!(cond)) {					\
			if (ktest_now() > __end)			\
				KTEST_FAIL("timed out waiting for %s", #cond); \
			ktest_sleep_ms(1);				\
		}							\
	} while (0)

/*
 * For stress tests with waits that have no timeout (down(), wait_event(),
 * ...): the whole program fails after KTEST_WATCHDOG_S.
 */
#define KTEST_WATCHDOG_S	150

static inline void *ktest_watchdog(void *arg)
{
	ktest_sleep_ms(KTEST_WATCHDOG_S * 1000);
	fprintf(stderr, "FAIL %s: still running after %d s: a lost wakeup?\n",
		ktest_current, KTEST_WATCHDOG_S);
	_exit(1);
	return arg;
}

static inline void ktest_start_watchdog(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, ktest_watchdog, NULL) == 0);
	CHECK(pthread_detach(t) == 0);
}

#endif
