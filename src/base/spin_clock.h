/* SPDX-License-Identifier: MIT */
/*
 * Time for spin budgets (docs/design-spinning.md says why in time).
 *
 * A spin budget counted in cpu_relax() rounds means different times on
 * different CPUs: PAUSE takes about 10 ns on AMD Zen and about 40 ns on
 * Intel Skylake and later, YIELD on arm64 next to nothing.  So every
 * budget here is in nanoseconds, and the loops read this clock every few
 * rounds.
 *
 * ksync_spin_now() is the cycle counter (x86-64 TSC when it is invariant,
 * arm64's virtual counter) scaled to nanoseconds: a few ns a read, no
 * vDSO call.  The TSC's rate is calibrated against CLOCK_MONOTONIC once,
 * in spin_clock.c: start-up records a (TSC, ns) pair, and the first read
 * at least 2 ms later turns the second pair into the rate; until then,
 * and where there is no usable counter, the reads are clock_gettime().
 * The same reads measure what one cpu_relax() costs, so that backoff
 * steps (a few relax rounds between two looks at a lock) can be sized in
 * time too.
 */
#ifndef _KSYNC_SRC_SPIN_CLOCK_H
#define _KSYNC_SRC_SPIN_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct ksync_spin_clock {
	uint64_t mult;		/* ns per tick << 32; 0: not calibrated */
	uint64_t tick0, ns0;	/* the start-up pair */
	unsigned int relax_ns;	/* one cpu_relax(), at least 1 */
	int kind;		/* SPIN_CLOCK_* in spin_clock.c */
};

extern struct ksync_spin_clock ksync_spin_clock;

uint64_t ksync_spin_now_slow(void);

static inline uint64_t ksync_spin_ticks(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
#else
	return 0;
#endif
}

/* Monotonic nanoseconds, cheap: for spin deadlines only. */
static inline uint64_t ksync_spin_now(void)
{
	/*
	 * Acquire: pairs with the calibrator's release, so tick0 and ns0
	 * (written at start-up) are seen with the rate.
	 */
	uint64_t mult = __atomic_load_n(&ksync_spin_clock.mult, __ATOMIC_ACQUIRE);

	if (__builtin_expect(mult != 0, 1)) {
		uint64_t d = ksync_spin_ticks() - ksync_spin_clock.tick0;

		return ksync_spin_clock.ns0 +
		       (uint64_t)(((unsigned __int128)d * mult) >> 32);
	}
	return ksync_spin_now_slow();
}

/* How many cpu_relax() rounds take about @ns here (at least 1). */
static inline unsigned int ksync_relax_rounds(unsigned int ns)
{
	unsigned int r = ns / __atomic_load_n(&ksync_spin_clock.relax_ns,
					      __ATOMIC_RELAXED);

	return r ? r : 1;
}

/*
 * A spin budget: a deadline, read every few calls.  Callers poll it once
 * per backoff step or every KSYNC_SPIN_CLOCK_EVERY relax rounds.
 */
#define KSYNC_SPIN_CLOCK_EVERY	8u

static inline uint64_t ksync_spin_deadline(uint64_t budget_ns)
{
	return ksync_spin_now() + budget_ns;
}

static inline bool ksync_spin_expired(uint64_t deadline)
{
	return ksync_spin_now() >= deadline;
}

#endif /* _KSYNC_SRC_SPIN_CLOCK_H */
