// SPDX-License-Identifier: MIT
/*
 * Randomness and delays for the torture threads.
 *
 * Delays taken with a lock held spin on the clock instead of sleeping: a
 * spinlock holder counts as preempt-disabled, and sleeping there is the
 * very bug ksync's might_sleep() checks look for.  Spinning on
 * clock_gettime() needs no calibration run and stays right when the CPU
 * changes frequency; through the vDSO a read costs tens of nanoseconds,
 * well under the microsecond delays asked for.  Sleeps happen only
 * outside the lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <time.h>

#include <ksync/barrier.h>
#include "torture.h"

#define NSEC_PER_USEC	1000ull
#define NSEC_PER_MSEC	1000000ull
#define NSEC_PER_SEC	1000000000ull

uint64_t torture_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* splitmix64 spreads nearby seeds (thread numbers) over the whole range. */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void torture_rand_init(struct torture_rand *rand, uint64_t seed)
{
	rand->state = splitmix64(seed ^ torture_now_ns());
	if (!rand->state)
		rand->state = 1;	/* xorshift never leaves zero */
}

unsigned long torture_random(struct torture_rand *rand)
{
	uint64_t x = rand->state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rand->state = x;
	return (unsigned long)(x * 0x2545f4914f6cdd1dull);
}

/* True about once in n calls; never when n is 0. */
bool torture_one_in(struct torture_rand *rand, unsigned long long n)
{
	return n && torture_random(rand) % n == 0;
}

static void spin_until(uint64_t end_ns, bool stoppable)
{
	while (torture_now_ns() < end_ns) {
		if (stoppable && torture_must_stop())
			return;
		cpu_relax();
	}
}

void torture_udelay(unsigned long us)
{
	spin_until(torture_now_ns() + us * NSEC_PER_USEC, false);
}

/*
 * Long holds give up when the run ends, so that the end of the test is
 * not delayed by a hold that no longer tests anything.
 */
void torture_mdelay(unsigned long ms)
{
	spin_until(torture_now_ns() + ms * NSEC_PER_MSEC, true);
}

static unsigned long long per_thread_odds(int nthreads, unsigned long long n)
{
	return (unsigned long long)(nthreads > 0 ? nthreads : 1) * n;
}

/*
 * locktorture's rare long hold: about once in nthreads * 2000 * long_hold
 * acquisitions per thread, hold the lock for long_hold ms.  Scaling the
 * odds by the hold time keeps the share of time spent in long holds about
 * the same whatever --long-hold says; scaling by the thread count keeps it
 * the same however many threads take the lock.  The pile-up of waiters
 * behind such a hold is the point: it exercises the slow paths.
 */
void torture_long_hold_maybe(struct torture_rand *rand, int nthreads)
{
	unsigned long ms = (unsigned long)cxt.long_hold_ms;

	if (torture_one_in(rand, per_thread_odds(nthreads, 2000ull * ms)))
		torture_mdelay(ms);
}

/* The common short hold: us microseconds, about once in nthreads * 2 * us. */
void torture_short_delay_maybe(struct torture_rand *rand, int nthreads,
			       unsigned long us)
{
	if (torture_one_in(rand, per_thread_odds(nthreads, 2ull * us)))
		torture_udelay(us);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Between acquisitions, now and then give the CPU away: a yield about once
 * in nthreads * 20000 rounds (locktorture preempts the holder about as
 * often) and a short sleep about once in a million, so that waiters see
 * the lock change hands in every way a scheduler can arrange.
 */
void torture_outside_lock_pause(struct torture_rand *rand, int nthreads)
{
	if ((torture_random(rand) & 0xfffff) == 0)
		sleep_ms(1);
	if (torture_one_in(rand, per_thread_odds(nthreads, 20000)))
		sched_yield();
}
