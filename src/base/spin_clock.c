// SPDX-License-Identifier: MIT
/*
 * The clock of spin budgets: calibration (spin_clock.h says what and why).
 *
 * Reads are lock-free and may race with the one-time calibration: a
 * reader sees either no rate (and reads clock_gettime()) or the final
 * rate; both give the same time to within the calibration error (a few
 * tens of ns over the 2 ms window, about 0.002%), and budgets are
 * differences of a few microseconds, so a spin that straddles the
 * switch is not measurably longer or shorter.
 */
#define _GNU_SOURCE
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <ksync/barrier.h>
#include "layer_hooks.h"
#include "spin_clock.h"

enum {
	SPIN_CLOCK_NONE,	/* not started yet */
	SPIN_CLOCK_GETTIME,	/* no usable counter: clock_gettime() */
	SPIN_CLOCK_TSC,		/* x86-64 invariant TSC, rate calibrated */
	SPIN_CLOCK_CNTVCT,	/* arm64 generic timer, rate known */
};

#define CALIBRATE_AFTER_NS	2000000ull	/* 2 ms between the two pairs */
#define RELAX_SAMPLE_ROUNDS	64
#define RELAX_SAMPLES		4
#define RELAX_NS_GUESS		25		/* AMD EPYC VM, before measuring */

struct ksync_spin_clock ksync_spin_clock = { .relax_ns = RELAX_NS_GUESS };

static uint64_t gettime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
/* CPUID 8000_0007h EDX bit 8: the TSC ticks at a constant rate always. */
static bool tsc_invariant(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000007, &a, &b, &c, &d))
		return false;
	return d & (1u << 8);
}
#endif

/* The counter is not calibrated (yet): time it against CLOCK_MONOTONIC. */
uint64_t ksync_spin_now_slow(void)
{
	uint64_t ns = gettime_ns();

	if (__atomic_load_n(&ksync_spin_clock.kind, __ATOMIC_ACQUIRE) == SPIN_CLOCK_TSC &&
	    ns - ksync_spin_clock.ns0 >= CALIBRATE_AFTER_NS) {
		uint64_t ticks = ksync_spin_ticks() - ksync_spin_clock.tick0;
		unsigned __int128 scaled =
			(unsigned __int128)(ns - ksync_spin_clock.ns0) << 32;

		/*
		 * Release: tick0 and ns0 (written at start-up, before kind)
		 * go with the rate.  Racing calibrators store nearly equal
		 * rates; any of them will do.
		 */
		if (ticks)
			__atomic_store_n(&ksync_spin_clock.mult,
					 (uint64_t)(scaled / ticks), __ATOMIC_RELEASE);
	}
	return ns;
}

/* The cheapest of a few timings of RELAX_SAMPLE_ROUNDS cpu_relax() calls. */
static unsigned int measure_relax_ns(void)
{
	uint64_t best = UINT64_MAX;

	for (int s = 0; s < RELAX_SAMPLES; s++) {
		uint64_t t0 = gettime_ns(), t;

		for (int i = 0; i < RELAX_SAMPLE_ROUNDS; i++)
			cpu_relax();
		t = gettime_ns() - t0;
		if (t < best)
			best = t;
	}
	best /= RELAX_SAMPLE_ROUNDS;
	return best ? (unsigned int)best : 1;
}

static void spin_clock_init(void)
{
	int kind = SPIN_CLOCK_GETTIME;

	__atomic_store_n(&ksync_spin_clock.relax_ns, measure_relax_ns(),
			 __ATOMIC_RELAXED);
#if defined(__x86_64__)
	if (tsc_invariant()) {
		ksync_spin_clock.ns0 = gettime_ns();
		ksync_spin_clock.tick0 = ksync_spin_ticks();
		kind = SPIN_CLOCK_TSC;
	}
#elif defined(__aarch64__)
	uint64_t freq;

	__asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(freq));
	if (freq) {
		ksync_spin_clock.tick0 = ksync_spin_ticks();
		ksync_spin_clock.ns0 = gettime_ns();
		__atomic_store_n(&ksync_spin_clock.mult,
				 (uint64_t)((1000000000ull << 32) / freq),
				 __ATOMIC_RELEASE);
		kind = SPIN_CLOCK_CNTVCT;
	}
#endif
	/* Release: the start-up pair before anyone calibrates from it. */
	__atomic_store_n(&ksync_spin_clock.kind, kind, __ATOMIC_RELEASE);
}

KSYNC_HOOKS(spin_clock_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.init = spin_clock_init,
};
