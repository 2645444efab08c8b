/* SPDX-License-Identifier: MIT */
/*
 * The per-thread stack of held locks (the kernel's current->held_locks).
 *
 * Kept when KSYNC_DEBUG or KSYNC_LOCKDEP is on.  The debug checks use it
 * to report a thread that exits holding locks; lockdep also validates
 * every new entry against the dependency graph.
 */
#ifndef _KSYNC_SRC_HELD_LOCK_H
#define _KSYNC_SRC_HELD_LOCK_H

#include <stdint.h>
#include <ksync/compiler.h>
#include <ksync/lockdep_types.h>

struct ksync_held_lock {
	struct lockdep_map *instance;	/* the lock's map; identifies the lock */
	struct lockdep_map *nest_lock;	/* outer lock for nest_lock annotations */
	const struct ksync_site *site;	/* where it was taken */
	uintptr_t ip;			/* caller's address when site is NULL */
	uint64_t prev_chain_key;	/* chain key before this entry */
	uint64_t acquire_ns;		/* lock_stat: when the hold began */
	uint64_t wait_ns;		/* lock_stat: when a wait began */
	unsigned int class_idx;		/* lockdep class, 0 if none */
	unsigned int pin_count;		/* lockdep_pin_lock() cookies added */
	unsigned short references;	/* nest_lock merged acquisitions */
	unsigned char subclass;
	unsigned char read;		/* 0 write, 1 read, 2 recursive read */
	unsigned char trylock;
	unsigned char check;		/* validate dependencies */
	unsigned char hardirqs_off;	/* taken with interrupts masked */
	unsigned char irq_context;	/* bit 0 softirq, bit 1 hardirq */
};

struct ksync_held_locks {
	int depth;
	uint64_t chain_key;		/* hash of the held classes */
	struct ksync_held_lock stack[MAX_LOCK_DEPTH];
};

#endif /* _KSYNC_SRC_HELD_LOCK_H */
