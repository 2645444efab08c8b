// SPDX-License-Identifier: MIT
/*
 * Interrupt-state validation (kernel/locking/lockdep.c, TRACE_IRQFLAGS).
 *
 * Each class collects usage bits: used in hardirq (softirq) context, taken
 * with hardirqs (softirqs) enabled, each for writing or reading.  A class
 * used in an interrupt and also taken with that interrupt enabled can
 * deadlock against itself on one CPU ("inconsistent lock state").  Across
 * classes, a path in the graph from an irq-safe class to an irq-unsafe one
 * lets an interrupt close a cycle: checked when a bit is first set (irq
 * lock inversion) and when a new edge is added (safe -> unsafe order).
 *
 * In ksync an interrupt is a signal requested with request_irq(); hardirq
 * context and "interrupts enabled" are ksync's own soft state, and
 * softirqs run from local_bh_enable() and interrupt exit, so the rules
 * carry over unchanged.
 */
#define _GNU_SOURCE
#include <ksync/preempt.h>
#include "lockdep_internal.h"
#include "report.h"

/* Same state, other direction, no read bit: what new_bit conflicts with. */
static enum lock_usage_bit exclusive_bit(enum lock_usage_bit new_bit)
{
	unsigned int state = new_bit & LOCK_USAGE_STATE_MASK;
	unsigned int dir = new_bit & LOCK_USAGE_DIR_MASK;

	return (enum lock_usage_bit)(state | (dir ^ LOCK_USAGE_DIR_MASK));
}

/* USED_IN <-> ENABLED, keeping state and read. */
static unsigned int invert_dir_mask(unsigned int mask)
{
	return ((mask & LOCKF_ENABLED_IRQ_ALL) >> LOCK_USAGE_DIR_MASK) |
	       ((mask & LOCKF_USED_IN_IRQ_ALL) << LOCK_USAGE_DIR_MASK);
}

/*
 * The usages that conflict with mask: the other direction, read or not
 * (a read use in an irq deadlocks against a write use with irqs on, and
 * the other way round).
 */
static unsigned int exclusive_mask(unsigned int mask)
{
	unsigned int excl = invert_dir_mask(mask);

	excl |= (excl & LOCKF_IRQ_READ) >> LOCK_USAGE_READ_MASK;
	excl |= (excl & LOCKF_IRQ) << LOCK_USAGE_READ_MASK;
	return excl;
}

/* The usages that mask could have been the exclusive mask of. */
static unsigned int original_mask(unsigned int mask)
{
	return exclusive_mask(mask);
}

static bool find_exclusive_match(unsigned int mask, unsigned int excl_mask,
				 enum lock_usage_bit *bitp,
				 enum lock_usage_bit *excl_bitp)
{
	for (unsigned int bit = 0; bit < LOCK_USED; bit++) {
		enum lock_usage_bit excl;

		if (!(mask & LOCKF(bit)))
			continue;
		excl = exclusive_bit((enum lock_usage_bit)bit);
		if (excl_mask & LOCKF(excl)) {
			*bitp = (enum lock_usage_bit)bit;
			*excl_bitp = excl;
			return true;
		}
		if (excl_mask & LOCKF(excl | LOCK_USAGE_READ_MASK)) {
			*bitp = (enum lock_usage_bit)bit;
			*excl_bitp = (enum lock_usage_bit)(excl | LOCK_USAGE_READ_MASK);
			return true;
		}
	}
	return false;
}

/*
 * Which usages of a class on a path count: all if the path has an
 * exclusive (or non-recursive) end, only the non-read ones if it was only
 * -(S*)-> (backwards) or -(*R)-> (forwards).
 */
static unsigned int path_usage(const struct bfs_node *n)
{
	unsigned int usage = class_usage(n->class);

	return n->only_xr ? usage & LOCKF_IRQ : usage;
}

static bool usage_accumulate(const struct bfs_node *n, void *mask)
{
	*(unsigned int *)mask |= path_usage(n);
	return false;
}

static bool usage_match(const struct bfs_node *n, void *mask)
{
	return path_usage(n) & *(unsigned int *)mask;
}

static void print_bfs_error(enum bfs_result ret)
{
	if (lockdep_stop_report_begin()) {
		ksync_printk("lockdep bfs error:%d\n", ret);
		lockdep_report_end();
	}
}

/*
 * A new edge prev -> next must not connect a class used in an interrupt
 * (anywhere behind prev) to one taken with that interrupt enabled
 * (anywhere ahead of next).
 */
bool check_irq_usage(struct ksync_cpu *c, struct ksync_held_lock *prev,
		     struct ksync_held_lock *next)
{
	const struct bfs_node *fwd, *back;
	enum lock_usage_bit fwd_bit = 0, back_bit = 0;
	unsigned int usage = 0, mask;
	enum bfs_result ret;

	ret = lockdep_bfs_usage(prev, false, usage_accumulate, &usage, NULL);
	if (ret < 0)
		goto bfs_error;
	usage &= LOCKF_USED_IN_IRQ_ALL;
	if (!usage)
		return true;

	mask = exclusive_mask(usage);
	ret = lockdep_bfs_usage(next, true, usage_match, &mask, &fwd);
	if (ret < 0)
		goto bfs_error;
	if (ret == BFS_RNOMATCH)
		return true;

	/* Found an unsafe class ahead; find the safe one behind it pairs with. */
	mask = original_mask(class_usage(fwd->class) & LOCKF_ENABLED_IRQ_ALL);
	ret = lockdep_bfs_usage(prev, false, usage_match, &mask, &back);
	if (ret < 0)
		goto bfs_error;
	if (ret == BFS_RNOMATCH ||
	    !find_exclusive_match(class_usage(back->class), class_usage(fwd->class),
				  &back_bit, &fwd_bit))
		return true;	/* the graph moved under us: nothing to show */
	print_bad_irq_dependency(c, back, fwd, prev, next, back_bit, fwd_bit);
	return false;
bfs_error:
	print_bfs_error(ret);
	return false;
}

/* Setting new_bit: does the class itself already have bad_bit? */
static bool valid_state(struct ksync_cpu *c, struct ksync_held_lock *hl,
			enum lock_usage_bit new_bit, enum lock_usage_bit bad_bit)
{
	if (!(class_usage(hlock_class(hl)) & LOCKF(bad_bit)))
		return true;
	print_usage_bug(c, hl, bad_bit, new_bit);
	return false;
}

/* New USED_IN bit: nothing after this class may have the ENABLED one. */
static bool check_usage_forwards(struct ksync_cpu *c, struct ksync_held_lock *hl,
				 enum lock_usage_bit bit)
{
	enum lock_usage_bit read_bit = bit + LOCK_USAGE_READ_MASK;
	unsigned int mask = LOCKF(bit) | LOCKF(read_bit);
	const struct bfs_node *other;
	enum bfs_result ret = lockdep_bfs_usage(hl, true, usage_match, &mask, &other);

	if (ret == BFS_RNOMATCH)
		return true;
	if (ret < 0) {
		print_bfs_error(ret);
		return false;
	}
	print_irq_inversion_bug(c, other, hl, true,
				class_usage(other->class) & LOCKF(bit) ? bit : read_bit);
	return false;
}

/* New ENABLED bit: nothing before this class may have the USED_IN one. */
static bool check_usage_backwards(struct ksync_cpu *c, struct ksync_held_lock *hl,
				  enum lock_usage_bit bit)
{
	enum lock_usage_bit read_bit = bit + LOCK_USAGE_READ_MASK;
	unsigned int mask = LOCKF(bit) | LOCKF(read_bit);
	const struct bfs_node *other;
	enum bfs_result ret = lockdep_bfs_usage(hl, false, usage_match, &mask, &other);

	if (ret == BFS_RNOMATCH)
		return true;
	if (ret < 0) {
		print_bfs_error(ret);
		return false;
	}
	print_irq_inversion_bug(c, other, hl, false,
				class_usage(other->class) & LOCKF(bit) ? bit : read_bit);
	return false;
}

static bool mark_lock_irq(struct ksync_cpu *c, struct ksync_held_lock *hl,
			  enum lock_usage_bit new_bit)
{
	enum lock_usage_bit excl_bit = exclusive_bit(new_bit);
	bool read = new_bit & LOCK_USAGE_READ_MASK;

	if (!valid_state(c, hl, new_bit, excl_bit))
		return false;
	/* A write use conflicts with the read form of the other direction too. */
	if (!read && !valid_state(c, hl, new_bit, excl_bit + LOCK_USAGE_READ_MASK))
		return false;
	if (new_bit & LOCK_USAGE_DIR_MASK)
		return check_usage_backwards(c, hl, excl_bit);
	return check_usage_forwards(c, hl, excl_bit);
}

/*
 * Set a usage bit on hl's class; the first time, record where and check
 * the new state.  site/ip: where the usage happened (the acquisition, or
 * the local_irq_enable() that made a held lock irq-unsafe).
 */
static bool mark_lock(struct ksync_cpu *c, struct ksync_held_lock *hl,
		      enum lock_usage_bit new_bit, const struct ksync_site *site,
		      uintptr_t ip)
{
	struct lock_class *class = hlock_class(hl);
	unsigned int mask;
	bool ok = true;

	if (new_bit == LOCK_USED && hl->read)
		new_bit = LOCK_USED_READ;
	mask = LOCKF(new_bit);
	if (class_usage(class) & mask)
		return true;
	graph_lock();
	if (!(class->usage_mask & mask)) {
		lockdep_save_where(&class->usage[new_bit], site, ip, new_bit < LOCK_USED);
		/* Release: the where above is complete before the bit shows. */
		__atomic_fetch_or(&class->usage_mask, mask, __ATOMIC_RELEASE);
		if (new_bit < LOCK_USED)
			ok = mark_lock_irq(c, hl, new_bit);
	}
	graph_unlock();
	return ok;
}

/*
 * Set the bits the class lacks one by one, in the kernel's order (so the
 * first conflict found is the one the kernel would report).  Usually
 * every bit is set already: usage_marked() decides that inline.
 */
bool mark_usage(struct ksync_cpu *c, struct ksync_held_lock *hl)
{
	static const enum lock_usage_bit order[] = {
		LOCK_USED_IN_HARDIRQ, LOCK_USED_IN_HARDIRQ_READ,
		LOCK_USED_IN_SOFTIRQ, LOCK_USED_IN_SOFTIRQ_READ,
		LOCK_ENABLED_HARDIRQ, LOCK_ENABLED_HARDIRQ_READ,
		LOCK_ENABLED_SOFTIRQ, LOCK_ENABLED_SOFTIRQ_READ,
		LOCK_USED, LOCK_USED_READ,
	};
	unsigned int need = lockdep_usage_of(hl), have = class_usage(hlock_class(hl));

	if (__ksync_likely((have & need) == need))
		return true;
	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum lock_usage_bit bit = order[i];

		if ((need & LOCKF(bit)) && !(have & LOCKF(bit)) &&
		    !mark_lock(c, hl, bit == LOCK_USED_READ ? LOCK_USED : bit,
			       hl->site, hl->ip))
			return false;
	}
	return true;
}

bool mark_held_locks(struct ksync_cpu *c, enum lock_usage_bit base,
		     const struct ksync_site *site, uintptr_t ip)
{
	for (int i = 0; i < lockdep_cpu(c)->held.depth; i++) {
		struct ksync_held_lock *hl = &lockdep_cpu(c)->held.stack[i];
		enum lock_usage_bit bit = base + (hl->read ? LOCK_USAGE_READ_MASK : 0);

		if (!hl->check || !hl->class_idx)
			continue;
		if (!mark_lock(c, hl, bit, site, ip))
			return false;
	}
	return true;
}
