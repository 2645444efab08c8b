// SPDX-License-Identifier: MIT
/*
 * The chain cache: every sequence of held classes that has been validated
 * once, by its 64-bit hash.  An acquisition whose sequence is found here
 * needs no graph search - the common case once a program has warmed up,
 * and what keeps lockdep affordable.
 *
 * An open-addressed table of keys: lookups read it without locks, inserts
 * happen under the graph lock.  A key, once in, never moves or leaves.
 */
#define _GNU_SOURCE
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

#define CHAINHASH_SIZE	(2 * MAX_LOCKDEP_CHAINS)	/* at most half full */
#define CHAINHASH_MASK	(CHAINHASH_SIZE - 1)

static uint64_t chainhash[CHAINHASH_SIZE];
static unsigned long nr_chains;
/* Where each chain went, so a flush clears only the slots in use. */
static unsigned int chain_slots[MAX_LOCKDEP_CHAINS];

/*
 * Relaxed would do - a key publishes nothing but itself, and the graph it
 * stands for is only read under the graph lock - but acquire/release
 * costs nothing on x86 and keeps the reasoning simple.
 */
static bool chain_cached(uint64_t key)
{
	for (uint64_t i = key & CHAINHASH_MASK;; i = (i + 1) & CHAINHASH_MASK) {
		uint64_t v = __atomic_load_n(&chainhash[i], __ATOMIC_ACQUIRE);

		if (v == key)
			return true;
		if (!v)
			return false;
	}
}

static void chain_insert(uint64_t key)
{
	uint64_t i = key & CHAINHASH_MASK;

	while (chainhash[i])
		i = (i + 1) & CHAINHASH_MASK;
	__atomic_store_n(&chainhash[i], key, __ATOMIC_RELEASE);
	chain_slots[nr_chains] = (unsigned int)i;
	__atomic_store_n(&nr_chains, nr_chains + 1, __ATOMIC_RELAXED);
}

/* Owner-only counter: a plain increment other threads may read. */
static void count(unsigned long *ctr)
{
	__atomic_store_n(ctr, __atomic_load_n(ctr, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

bool lookup_chain_cache_add(struct ksync_cpu *c, uint64_t key)
{
	if (!key)
		key = 1;		/* 0 marks an empty slot */
	count(&lockdep_cpu(c)->chain_lookups);
	if (chain_cached(key)) {
		count(&lockdep_cpu(c)->chain_hits);
		return false;
	}
	graph_lock();
	if (chain_cached(key)) {
		graph_unlock();
		return false;
	}
	if (nr_chains >= MAX_LOCKDEP_CHAINS) {
		print_lockdep_off("BUG: MAX_LOCKDEP_CHAINS too low!");
		graph_unlock();
		return false;
	}
	/* In before validation: a report is made once per chain. */
	chain_insert(key);
	return true;
}

/*
 * A chain key hashes class indexes, and a freed class's index is reused:
 * an old chain would pass a new sequence unvalidated.  Lookups that race
 * with this miss and validate again under the graph lock, which we hold.
 */
void lockdep_flush_chains(void)
{
	for (unsigned long n = 0; n < nr_chains; n++)
		__atomic_store_n(&chainhash[chain_slots[n]], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&nr_chains, 0, __ATOMIC_RELAXED);
}

unsigned long lockdep_nr_chains(void)
{
	return __atomic_load_n(&nr_chains, __ATOMIC_RELAXED);
}

void lockdep_chain_stats(unsigned long *lookups, unsigned long *hits)
{
	*lookups = *hits = 0;
	for (int cpu = 0; cpu < KSYNC_NR_CPUS; cpu++) {
		struct ksync_cpu *c = ksync_cpu_peek(cpu);

		if (!c) {
			cpu += 63;	/* a whole chunk is missing */
			continue;
		}
		*lookups += __atomic_load_n(&lockdep_cpu(c)->chain_lookups, __ATOMIC_RELAXED);
		*hits += __atomic_load_n(&lockdep_cpu(c)->chain_hits, __ATOMIC_RELAXED);
	}
}
