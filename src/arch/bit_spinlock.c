// SPDX-License-Identifier: MIT
/*
 * The waiting half of bit_spin_lock() (<ksync/bit_spinlock.h>).
 *
 * The kernel's waiter spins on the bit with preemption enabled, which is
 * right where a holder runs until it unlocks.  A userspace holder may be
 * preempted, and spinners then only keep it from running; the word is the
 * caller's, so there is nowhere to queue and nothing to wake us.  So the
 * wait is in three steps, each longer than the last:
 *
 *  - poll with pauses that double up to BIT_SPIN_MAX_PAUSES: about 50 us
 *    with a 25 ns pause, enough for any critical section whose holder is
 *    running (as qrwlock.c's waiters);
 *  - then sched_yield(), which lets a preempted holder on this CPU run;
 *  - after BIT_SPIN_YIELDS of those (milliseconds: the holder is not
 *    getting anywhere, or many waiters yield to each other), sleep
 *    BIT_SPIN_SLEEP_NS between looks, so a long hold costs waiters
 *    little CPU and a release is noticed within one sleep.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include <ksync/bit_spinlock.h>

#define BIT_SPIN_POLLS		64
#define BIT_SPIN_MAX_PAUSES	32
#define BIT_SPIN_YIELDS		1000
#define BIT_SPIN_SLEEP_NS	50000L

KSYNC_API void ksync_bit_spin_wait(unsigned long nr,
				   const volatile unsigned long *addr)
{
	unsigned int polls = 0, pauses = 1, yields = 0;

	while (test_bit(nr, addr)) {
		if (polls < BIT_SPIN_POLLS) {
			polls++;
			for (unsigned int i = 0; i < pauses; i++)
				cpu_relax();
			if (pauses < BIT_SPIN_MAX_PAUSES)
				pauses <<= 1;
		} else if (yields < BIT_SPIN_YIELDS) {
			yields++;
			sched_yield();
		} else {
			struct timespec ts = { 0, BIT_SPIN_SLEEP_NS };

			nanosleep(&ts, NULL);
		}
	}
}
