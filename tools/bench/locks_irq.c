// SPDX-License-Identifier: MIT
/*
 * The "irq" section: what interrupt-safe spinlocks cost.
 *
 * spin_lock_irqsave() and friends beside a plain spin_lock(); the counted
 * spin_lock_irq_disable() with interrupts on and with them already off;
 * lock_with(); and a "naive" irqsave of the kind a userspace
 * port without a soft mask would write, which blocks signals with
 * pthread_sigmask() - two system calls per lock.
 *
 * After the table, the measurement quoted with the lock_with() patch
 * series (v17, on the Rust-for-Linux list):
 * the cost of 100 acquisitions, in several rounds.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>

#include <ksync/spinlock.h>

#include "bench_loops.h"

/* Per-thread context for rows that carry flags or a token. */
struct irq_ctx {
	unsigned long flags;
	local_interrupt_disabled_t token;
	sigset_t old;
};

BENCH_LOCK_DEFINE(irq_plain, "spin_lock", spinlock_t, bench_noctx_t,
		  spin_lock_init(lock), spin_lock(lock), spin_unlock(lock),
		  (void)0);

BENCH_LOCK_DEFINE(irq_save, "spin_lock_irqsave", spinlock_t, struct irq_ctx,
		  spin_lock_init(lock), spin_lock_irqsave(lock, ctx->flags),
		  spin_unlock_irqrestore(lock, ctx->flags), (void)0);

BENCH_LOCK_DEFINE(irq_irq, "spin_lock_irq", spinlock_t, bench_noctx_t,
		  spin_lock_init(lock), spin_lock_irq(lock),
		  spin_unlock_irq(lock), (void)0);

BENCH_LOCK_DEFINE(irq_bh, "spin_lock_bh", spinlock_t, bench_noctx_t,
		  spin_lock_init(lock), spin_lock_bh(lock),
		  spin_unlock_bh(lock), (void)0);

/* SpinLockIrq::lock(): counted disable; here interrupts were on. */
BENCH_LOCK_DEFINE(irq_counted_on, "lock(), irqs on", spinlock_t, bench_noctx_t,
		  spin_lock_init(lock), spin_lock_irq_disable(lock),
		  spin_unlock_irq_enable(lock), (void)0);

/* The same with interrupts already off: the count goes 1 -> 2 -> 1. */
BENCH_LOCK_DEFINE_SCOPED(irq_counted_off, "lock(), irqs off", spinlock_t,
			 struct irq_ctx, spin_lock_init(lock),
			 ctx->token = local_interrupt_disable(),
			 spin_lock_irq_disable(lock),
			 spin_unlock_irq_enable(lock),
			 local_interrupt_enable(), (void)0);

/* lock_with(): the token proves interrupts are off; a plain spin_lock. */
BENCH_LOCK_DEFINE_SCOPED(irq_with, "lock_with(), irqs off", spinlock_t,
			 struct irq_ctx, spin_lock_init(lock),
			 ctx->token = local_interrupt_disable(),
			 spin_lock_with(lock, &ctx->token), spin_unlock(lock),
			 local_interrupt_enable(), (void)0);

/* Real masking: block every signal around the lock, restore after. */
static __always_inline void naive_irqsave(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

BENCH_LOCK_DEFINE(irq_naive, "naive sigmask irqsave", spinlock_t,
		  struct irq_ctx, spin_lock_init(lock),
		  (naive_irqsave(&ctx->old), spin_lock(lock)),
		  (spin_unlock(lock), pthread_sigmask(SIG_SETMASK, &ctx->old, NULL)),
		  (void)0);

static const struct bench_lock *const irq_locks[] = {
	&bench_lock_irq_plain,
	&bench_lock_irq_save,
	&bench_lock_irq_irq,
	&bench_lock_irq_bh,
	&bench_lock_irq_counted_on,
	&bench_lock_irq_counted_off,
	&bench_lock_irq_with,
	&bench_lock_irq_naive,
	NULL,
};

static const struct bench_ratio irq_ratios[] = {
	{ "lock_with() / lock() with irqs already off",
	  "lock_with(), irqs off", "lock(), irqs off", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.0 },
	{ "spin_lock_irqsave / spin_lock",
	  "spin_lock_irqsave", "spin_lock", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_MOST, 1.5 },
	{ "naive sigmask irqsave / spin_lock",
	  "naive sigmask irqsave", "spin_lock", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_AT_LEAST, 20.0 },
	{ "naive sigmask irqsave / spin_lock_irqsave",
	  "naive sigmask irqsave", "spin_lock_irqsave", BENCH_METRIC_NS_PER_PAIR, 1,
	  BENCH_SHOW_TIMES, BENCH_TARGET_NONE, 0 },
	{ .what = NULL },
};

/* --- the patch series' table -------------------------------------------------------- */

#define SEED_ACQUISITIONS	100
#define SEED_ROUNDS_SHOWN	5
#define SEED_ROUNDS		2000

static const struct {
	const char *row;
	const char *seed_words;
} seed_rows[] = {
	{ "lock(), irqs off", "lock() when irq is disabled" },
	{ "lock_with(), irqs off", "lock_with() when irq is disabled" },
	{ "lock(), irqs on", "lock() when irq is enabled" },
};

#define NSEED	(sizeof(seed_rows) / sizeof(seed_rows[0]))

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Rounds of 100 acquisitions, each timed on its own as the patch series did, the
 * three variants one after the other in every round.
 */
static void seed_table(const struct bench_result *res, const struct bench_opts *o)
{
	uint64_t *ns[NSEED];
	const struct bench_row *row[NSEED];

	(void)o;
	for (unsigned int v = 0; v < NSEED; v++) {
		row[v] = bench_find_row(res, seed_rows[v].row);
		if (!row[v])
			return;		/* filtered out with --locks */
		ns[v] = calloc(SEED_ROUNDS, sizeof(uint64_t));
		if (!ns[v])
			return;
	}
	for (unsigned int r = 0; r < SEED_ROUNDS; r++)
		for (unsigned int v = 0; v < NSEED; v++)
			ns[v][r] = bench_time_solo(row[v]->lock, SEED_ACQUISITIONS);
	printf("the lock_with() series' measurement: ns for %d acquisitions of an irq spinlock\n",
	       SEED_ACQUISITIONS);
	printf("%-34s", "");
	for (unsigned int r = 0; r < SEED_ROUNDS_SHOWN; r++)
		printf(" round %u", r + 1);
	printf("  median of %d\n", SEED_ROUNDS);
	for (unsigned int v = 0; v < NSEED; v++) {
		printf("%-34s", seed_rows[v].seed_words);
		for (unsigned int r = 0; r < SEED_ROUNDS_SHOWN; r++)
			printf(" %7llu", (unsigned long long)ns[v][r]);
		qsort(ns[v], SEED_ROUNDS, sizeof(uint64_t), cmp_u64);
		printf("  %12llu\n", (unsigned long long)ns[v][SEED_ROUNDS / 2]);
		free(ns[v]);
	}
	printf("(the series, x86_64 VM on i7-13700H: 1002/729/1516 and 754/966/1227 ns;\n"
	       " aarch64 VM on M4: 500/292/834 and 459/291/709 ns)\n");
}

const struct bench_section bench_section_irq = {
	.name = "irq",
	.title = "interrupt-safe spinlocks: irqsave, counted disabling, lock_with()",
	.measures = BENCH_MEASURE_UNCONTENDED,
	.locks = irq_locks,
	.ratios = irq_ratios,
	.note = "irqs off/on: whether local interrupts were already disabled; "
		"the naive irqsave blocks signals with two pthread_sigmask() calls",
	.extra = seed_table,
};
