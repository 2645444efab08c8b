// SPDX-License-Identifier: MIT
/*
 * Waiting on bits and variables (kernel/sched/wait_bit.c).
 *
 * Objects that many waiters might wait on - a page's lock bit, a
 * reference count going to zero - do not each carry a wait queue.
 * Instead a table of wait queue heads, shared by all, is indexed by a
 * hash of (word, bit) or of the variable's address.  Each waiter's entry
 * carries its key, and the wake functions here wake only matching
 * entries, so sharing a head costs a longer walk, never a lost or
 * misdirected wakeup.  Everything else is wait.h's machinery, used
 * through its public entry points.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include <ksync/irqflags.h>
#include <ksync/wait_bit.h>
#include "kernel_compat.h"

#define WAIT_TABLE_BITS	8
#define WAIT_TABLE_SIZE	(1u << WAIT_TABLE_BITS)

static struct wait_queue_head bit_wait_table[WAIT_TABLE_SIZE]
	__attribute__((aligned(64)));

/* The site for reports on the table's queue locks. */
static const struct ksync_site table_site = {
	__FILE__, "wait_bit", "bit_wait_table", __LINE__
};

/*
 * The table is initialised once, by the first thread that needs it: 0
 * untouched, 1 being set up, 2 ready.  Acquire/release: a user sees the
 * heads as their initialiser left them.  Not in a constructor: that
 * would make every program's main thread a ksync CPU before main(),
 * which changes what its first lock calls see.  Interrupts are masked
 * while setting up, so that a handler on this thread that wakes a bit
 * does not wait for us.
 */
static int table_state;

static void init_table(void)
{
	unsigned long flags;
	int untouched = 0;

	raw_local_irq_save(flags);
	if (__atomic_compare_exchange_n(&table_state, &untouched, 1, 0,
					__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		/* One lock class for the whole table, as the kernel's. */
		for (unsigned int i = 0; i < WAIT_TABLE_SIZE; i++)
			init_waitqueue_head(&bit_wait_table[i]);
		__atomic_store_n(&table_state, 2, __ATOMIC_RELEASE);
	}
	raw_local_irq_restore(flags);
	while (__atomic_load_n(&table_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}

static inline struct wait_queue_head *table_head(unsigned long hash)
{
	if (unlikely(__atomic_load_n(&table_state, __ATOMIC_ACQUIRE) != 2))
		init_table();
	return &bit_wait_table[hash];
}

/* The top WAIT_TABLE_BITS bits of a multiplicative (Fibonacci) hash. */
static inline unsigned long hash_bits(unsigned long val)
{
	return (unsigned long)(((uint64_t)val * 0x61c8864680b583ebull) >>
			       (64 - WAIT_TABLE_BITS));
}

KSYNC_API struct wait_queue_head *ksync_bit_waitqueue(void *word, int bit)
{
	const int shift = BITS_PER_LONG == 32 ? 5 : 6;
	unsigned long val = (unsigned long)word << shift | (unsigned long)bit;

	return table_head(hash_bits(val));
}

KSYNC_API struct wait_queue_head *ksync___var_waitqueue(void *p)
{
	return table_head(hash_bits((unsigned long)p));
}

/* --- waking ------------------------------------------------------------------ */

static inline struct wait_bit_queue_entry *to_wbq(struct wait_queue_entry *e)
{
	return container_of(e, struct wait_bit_queue_entry, wq_entry);
}

/* Only entries waiting on this bit, and only if the bit is clear now. */
KSYNC_API int ksync_wake_bit_function(struct wait_queue_entry *wq_entry,
				      unsigned int mode, int sync, void *arg)
{
	struct wait_bit_key *key = arg;
	struct wait_bit_queue_entry *wbq = to_wbq(wq_entry);

	if (wbq->key.flags != key->flags || wbq->key.bit_nr != key->bit_nr ||
	    test_bit((unsigned long)key->bit_nr, key->flags))
		return 0;
	return autoremove_wake_function(wq_entry, mode, sync, key);
}

static int var_wake_function(struct wait_queue_entry *wq_entry,
			     unsigned int mode, int sync, void *arg)
{
	struct wait_bit_key *key = arg;
	struct wait_bit_queue_entry *wbq = to_wbq(wq_entry);

	if (wbq->key.flags != key->flags || wbq->key.bit_nr != key->bit_nr)
		return 0;
	return autoremove_wake_function(wq_entry, mode, sync, key);
}

/*
 * The kernel tests waitqueue_active() here and asks every caller for
 * smp_mb() before it.  wq_has_sleeper() is that barrier and that test in
 * one (wait.c): a caller that forgot it still loses no wakeup, and
 * ThreadSanitizer sees the ordering, which it does not see in a fence.
 */
KSYNC_API void ksync___wake_up_bit(struct wait_queue_head *wq_head, void *word,
				   int bit)
{
	struct wait_bit_key key = __WAIT_BIT_KEY_INITIALIZER(word, bit);

	if (wq_has_sleeper(wq_head))
		ksync___wake_up(wq_head, TASK_NORMAL, 1, &key, &table_site);
}

KSYNC_API void ksync_wake_up_bit(void *word, int bit)
{
	ksync___wake_up_bit(ksync_bit_waitqueue(word, bit), word, bit);
}

KSYNC_API void ksync_wake_up_var(void *var)
{
	ksync___wake_up_bit(ksync___var_waitqueue(var), var, -1);
}

/* --- waiting ----------------------------------------------------------------- */

KSYNC_API void ksync_init_wait_var_entry(struct wait_bit_queue_entry *wbq_entry,
					 void *var, int flags)
{
	wbq_entry->key.flags = var;
	wbq_entry->key.bit_nr = -1;
	wbq_entry->key.timeout = 0;
	ksync_init_wait_entry(&wbq_entry->wq_entry, flags);
	wbq_entry->wq_entry.func = var_wake_function;
}

static void init_wait_bit_entry(struct wait_bit_queue_entry *wbq_entry,
				void *word, int bit)
{
	wbq_entry->key.flags = word;
	wbq_entry->key.bit_nr = bit;
	wbq_entry->key.timeout = 0;
	ksync_init_wait_entry(&wbq_entry->wq_entry, 0);
	wbq_entry->wq_entry.func = ksync_wake_bit_function;
}

/*
 * An interrupt may have come before prepare_to_wait() set our state, and
 * ksync's schedule() does not look for one (the kernel's does): look
 * first, then sleep, then look again.
 */
static bool interrupted(unsigned int mode)
{
	return ksync_signal_pending_state(mode, ksync_current()) != 0;
}

/* The kernel's bit_wait(): sleep once; -EINTR if interrupted. */
KSYNC_API int ksync_bit_wait(struct wait_bit_key *key, int mode)
{
	(void)key;
	if (!interrupted((unsigned int)mode))
		ksync_schedule();
	else
		ksync___set_current_state(TASK_RUNNING);
	return interrupted((unsigned int)mode) ? -EINTR : 0;
}

/* The same until key->timeout: -EAGAIN once it has passed. */
KSYNC_API int ksync_bit_wait_timeout(struct wait_bit_key *key, int mode)
{
	unsigned long now = ksync_jiffies();

	if (time_after_eq(now, key->timeout)) {
		ksync___set_current_state(TASK_RUNNING);
		return -EAGAIN;
	}
	if (!interrupted((unsigned int)mode))
		ksync_schedule_timeout((long)(key->timeout - now));
	else
		ksync___set_current_state(TASK_RUNNING);
	return interrupted((unsigned int)mode) ? -EINTR : 0;
}

/*
 * Sleep while the bit is set, until action says stop.  The last test is
 * acquire: what the clearer did before clear_bit_unlock() happens before
 * our return.
 */
KSYNC_API int ksync___wait_on_bit(struct wait_queue_head *wq_head,
				  struct wait_bit_queue_entry *wbq_entry,
				  wait_bit_action_f *action, unsigned int mode)
{
	unsigned long bit = (unsigned long)wbq_entry->key.bit_nr;
	unsigned long *word = wbq_entry->key.flags;
	int ret = 0;

	do {
		ksync_prepare_to_wait(wq_head, &wbq_entry->wq_entry, mode, false,
				      &table_site);
		if (test_bit(bit, word))
			ret = action(&wbq_entry->key, (int)mode);
	} while (test_bit_acquire(bit, word) && !ret);
	ksync_finish_wait(wq_head, &wbq_entry->wq_entry, &table_site);
	return ret;
}

/*
 * Sleep until we set the bit ourselves.  Exclusive: one clear wakes one
 * waiter, who takes the bit.  A waiter that gives up (action returned an
 * error) leaves the queue before its last try, so a wakeup meant for it
 * goes to another waiter instead of being lost with it.
 */
KSYNC_API int ksync___wait_on_bit_lock(struct wait_queue_head *wq_head,
				       struct wait_bit_queue_entry *wbq_entry,
				       wait_bit_action_f *action,
				       unsigned int mode)
{
	unsigned long bit = (unsigned long)wbq_entry->key.bit_nr;
	unsigned long *word = wbq_entry->key.flags;
	int ret = 0;

	for (;;) {
		ksync_prepare_to_wait(wq_head, &wbq_entry->wq_entry, mode, true,
				      &table_site);
		if (test_bit(bit, word)) {
			ret = action(&wbq_entry->key, (int)mode);
			if (ret)
				ksync_finish_wait(wq_head, &wbq_entry->wq_entry,
						  &table_site);
		}
		/* Fully ordered: taking the bit acquires the last holder's work. */
		if (!test_and_set_bit(bit, word)) {
			if (!ret)
				ksync_finish_wait(wq_head, &wbq_entry->wq_entry,
						  &table_site);
			return 0;
		} else if (ret) {
			return ret;
		}
	}
}

KSYNC_API int ksync_out_of_line_wait_on_bit(void *word, int bit,
					    wait_bit_action_f *action,
					    unsigned int mode)
{
	struct wait_bit_queue_entry wbq;

	init_wait_bit_entry(&wbq, word, bit);
	return ksync___wait_on_bit(ksync_bit_waitqueue(word, bit), &wbq, action, mode);
}

KSYNC_API int ksync_out_of_line_wait_on_bit_timeout(void *word, int bit,
						    wait_bit_action_f *action,
						    unsigned int mode,
						    unsigned long timeout)
{
	struct wait_bit_queue_entry wbq;

	init_wait_bit_entry(&wbq, word, bit);
	wbq.key.timeout = ksync_jiffies() + timeout;
	return ksync___wait_on_bit(ksync_bit_waitqueue(word, bit), &wbq, action, mode);
}

KSYNC_API int ksync_out_of_line_wait_on_bit_lock(void *word, int bit,
						 wait_bit_action_f *action,
						 unsigned int mode)
{
	struct wait_bit_queue_entry wbq;

	init_wait_bit_entry(&wbq, word, bit);
	return ksync___wait_on_bit_lock(ksync_bit_waitqueue(word, bit), &wbq,
					action, mode);
}
