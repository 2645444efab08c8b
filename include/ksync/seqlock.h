/* SPDX-License-Identifier: MIT */
/*
 * <ksync/seqlock.h> - sequence counters and sequential locks: readers that
 * never write and never block writers, and retry if a writer ran meanwhile.
 *
 *   seqcount_t          seqcount_init(&s), SEQCNT_ZERO(name)
 *     readers           read_seqcount_begin(&s), read_seqcount_retry(&s, seq)
 *                       raw_read_seqcount_begin, raw_read_seqcount,
 *                       raw_seqcount_begin, __read_seqcount_retry
 *     writers           write_seqcount_begin(&s) / write_seqcount_end(&s),
 *                       write_seqcount_begin_nested(&s, subclass),
 *                       raw_write_seqcount_begin / raw_write_seqcount_end,
 *                       raw_write_seqcount_barrier, write_seqcount_invalidate
 *   seqcount_LOCKNAME_t a seqcount_t and the lock that serialises its writers:
 *                       seqcount_spinlock_t, seqcount_raw_spinlock_t,
 *                       seqcount_rwlock_t, seqcount_mutex_t;
 *                       seqcount_LOCKNAME_init(&s, &lock),
 *                       SEQCNT_LOCKNAME_ZERO(name, &lock); every seqcount_t
 *                       call above takes them too (the kernel's seqprop,
 *                       with _Generic); write_seqcount_begin() checks that
 *                       the lock is held (lockdep_assert_held(), under
 *                       KSYNC_DEBUG or KSYNC_LOCKDEP), and for a mutex
 *                       disables preemption for the write section
 *   seqcount_latch_t    SEQCNT_LATCH_ZERO(name), seqcount_latch_init(&l),
 *                       raw_read_seqcount_latch / read_seqcount_latch,
 *                       raw_read_seqcount_latch_retry / read_seqcount_latch_retry,
 *                       raw_write_seqcount_latch, write_seqcount_latch_begin,
 *                       write_seqcount_latch, write_seqcount_latch_end
 *   seqlock_t           DEFINE_SEQLOCK(x), seqlock_init(&sl)
 *     readers           read_seqbegin(&sl), read_seqretry(&sl, seq)
 *     writers           write_seqlock / write_sequnlock and their _irq,
 *                       _irqsave(&sl, flags) / _irqrestore, _bh forms
 *     locking readers   read_seqlock_excl / read_sequnlock_excl, the same forms
 *     either            read_seqbegin_or_lock(&sl, &seq), need_seqretry,
 *                       done_seqretry, read_seqbegin_or_lock_irqsave,
 *                       done_seqretry_irqrestore, scoped_seqlock_read()
 *   guards              write_seqlock, write_seqlock_irq, write_seqlock_irqsave,
 *                       write_seqlock_bh, read_seqlock_excl and its three forms
 *
 * Data that readers read while a writer may write must be read with
 * READ_ONCE() and written with WRITE_ONCE() (the kernel's rule for
 * seqlock-protected data; in C11 a plain access there is a data race).
 *
 * --- memory orders ---
 *
 * A reader's data loads must happen between its two loads of the
 * sequence, and a writer's data stores between its two increments.  The
 * kernel says so with smp_rmb()/smp_wmb(), which in C11 are stand-alone
 * acquire/release fences.  ThreadSanitizer does not model stand-alone
 * fences (and gcc warns about them under -fsanitize=thread), so ksync has
 * two ways to say it, both correct under the C11 model:
 *
 *  - fences (the default): the reader re-reads the sequence after an
 *    acquire fence; a writer's odd increment is followed by a release
 *    fence; the even increment is a release store.  The kernel's code,
 *    free on x86, and readers never write to the counter.
 *  - read-don't-modify-write (under ThreadSanitizer, or with
 *    KSYNC_SEQCOUNT_RMW defined): the reader re-reads the sequence with a
 *    release fetch_add(0); every writer increment is an atomic RMW
 *    (acquire when entering, release when leaving).  If the reader's RMW
 *    comes before the writer's entry in the counter's modification order,
 *    the writer reads it, so the reader's data loads happen before the
 *    writer's data stores and cannot see them; if it comes after, it sees
 *    the new, different count and the reader retries.  Every step is an
 *    acquire or release operation, which ThreadSanitizer follows.  It
 *    costs readers a write to the counter's cache line.
 *
 * All code touching one counter must use the same mode (under
 * ThreadSanitizer all code is instrumented anyway).  See docs/seqlock.md.
 */
#ifndef _KSYNC_SEQLOCK_H
#define _KSYNC_SEQLOCK_H

#include <ksync/compiler.h>
#include <ksync/barrier.h>
#include <ksync/bottom_half.h>
#include <ksync/cleanup.h>
#include <ksync/debug_locks.h>
#include <ksync/irqflags.h>
#include <ksync/lockdep.h>
#include <ksync/lockdep_types.h>
#include <ksync/mutex.h>
#include <ksync/preempt.h>
#include <ksync/rwlock_types.h>
#include <ksync/spinlock.h>
#include <ksync/tsan.h>

#if defined(KSYNC_SEQCOUNT_RMW) || defined(__KSYNC_UNDER_TSAN)
#define __KSYNC_SEQCOUNT_RMW	1
#endif

/*
 * Sequence counter.  Odd while a writer is inside.  The lockdep map is
 * always there (debugging is chosen at run time); it names the counter in
 * reports and puts write sections on the held-lock stack.
 */
typedef struct seqcount {
	unsigned int sequence;
	struct lockdep_map dep_map;
} seqcount_t;

#define SEQCOUNT_DEP_MAP_INIT(lockname)					\
	.dep_map = { .name = #lockname, .kind = KSYNC_LOCK_SEQLOCK }

#define SEQCNT_ZERO(name)	{ .sequence = 0, SEQCOUNT_DEP_MAP_INIT(name) }

KSYNC_API void ksync_seqcount_init(seqcount_t *s, const char *name,
				   struct lock_class_key *key);

#define __seqcount_init(s, name, key)	ksync_seqcount_init((s), (name), (key))

/* One lockdep class per place in the source that initialises counters. */
#define seqcount_init(s)						\
	do {								\
		static struct lock_class_key __key;			\
		ksync_seqcount_init((s), #s, &__key);			\
	} while (0)

/* seqcount_spinlock_t and its kin, and the seqprop dispatch over them. */
#include <ksync/seqcount_lockname.h>

/* --- out of line (src/seqlock.c) ------------------------------------------ */

/* Wait until no writer is inside; returns the (even) count, acquire. */
KSYNC_API unsigned int ksync_seqcount_wait_even(const seqcount_t *s,
						const struct ksync_site *site);
/* Debug paths: lockdep and the misuse checks. */
KSYNC_API void ksync_seqcount_reader_debug(const seqcount_t *s,
					   const struct ksync_site *site);
KSYNC_API void ksync_seqcount_write_begin_debug(seqcount_t *s, int subclass,
						bool must_be_atomic,
						const struct ksync_site *site);
KSYNC_API bool ksync_seqcount_write_end_debug(seqcount_t *s,
					      const struct ksync_site *site);

/* --- the memory-order protocol (see the top of this file) ----------------- */

/* Reader, first load.  Acquire: pairs with the release of the even count. */
static __always_inline unsigned int __seqcount_load(const seqcount_t *s)
{
	return __atomic_load_n(&s->sequence, __ATOMIC_ACQUIRE);
}

/* Reader, second load: after every data load before it. */
static __always_inline unsigned int __seqcount_reload(const seqcount_t *s)
{
#ifdef __KSYNC_SEQCOUNT_RMW
	/* Release: our data loads come first; the writer's RMW reads this. */
	return __atomic_fetch_add((unsigned int *)&s->sequence, 0, __ATOMIC_RELEASE);
#else
	/* smp_rmb(): data loads that saw a writer's stores see its odd count. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->sequence, __ATOMIC_RELAXED);
#endif
}

/* Writer, entering (odd): before every data store after it. */
static __always_inline void __seqcount_write_enter(seqcount_t *s)
{
#ifdef __KSYNC_SEQCOUNT_RMW
	/* Acquire: reads the readers' RMWs, so their loads come first. */
	__atomic_fetch_add(&s->sequence, 1, __ATOMIC_ACQUIRE);
#else
	/* Writers are serialised: a load and a store suffice, then smp_wmb(). */
	__atomic_store_n(&s->sequence,
			 __atomic_load_n(&s->sequence, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
}

/* Writer, leaving (+add, even): after every data store before it. */
static __always_inline void __seqcount_write_leave(seqcount_t *s, unsigned int add)
{
#ifdef __KSYNC_SEQCOUNT_RMW
	__atomic_fetch_add(&s->sequence, add, __ATOMIC_RELEASE);
#else
	__atomic_store_n(&s->sequence,
			 __atomic_load_n(&s->sequence, __ATOMIC_RELAXED) + add,
			 __ATOMIC_RELEASE);
#endif
}

/* Latch writer: after the stores before it and before the stores after it. */
static __always_inline void __seqcount_write_flip(seqcount_t *s)
{
#ifdef __KSYNC_SEQCOUNT_RMW
	__atomic_fetch_add(&s->sequence, 1, __ATOMIC_ACQ_REL);
#else
	__seqcount_write_leave(s, 1);
	__atomic_thread_fence(__ATOMIC_RELEASE);
#endif
}

/* --- seqcount_t readers ------------------------------------------------------ */

static __always_inline unsigned int
__ksync_raw_read_seqcount_begin(const seqcount_t *s, const struct ksync_site *site)
{
	unsigned int seq = __seqcount_load(s);

	/*
	 * A writer is inside: wait for it out of line (backoff, then yield).
	 * The library's acquire load there is invisible to ThreadSanitizer:
	 * say it (<ksync/tsan.h>), so that what the writer stored before its
	 * even count is ours to read, as with the inline load.
	 */
	if (__ksync_unlikely(seq & 1)) {
		seq = ksync_seqcount_wait_even(s, site);
		__ksync_tsan_acquire(&s->sequence);
	}
	return seq;
}

static __always_inline unsigned int
__ksync_read_seqcount_begin(const seqcount_t *s, const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_seqcount_reader_debug(s, site);
	return __ksync_raw_read_seqcount_begin(s, site);
}

static __always_inline int
__ksync_read_seqcount_retry(const seqcount_t *s, unsigned int start)
{
	return __ksync_unlikely(__seqcount_reload(s) != start);
}

#define __KSYNC_SEQ_HERE(s)	KSYNC_SITE(#s)

#define raw_read_seqcount_begin(s)					\
	__ksync_raw_read_seqcount_begin(seqprop_ptr(s), __KSYNC_SEQ_HERE(s))
/* The kernel's form without smp_rmb(); here the first load is acquire anyway. */
#define __read_seqcount_begin(s)	raw_read_seqcount_begin(s)
#define read_seqcount_begin(s)						\
	__ksync_read_seqcount_begin(seqprop_ptr(s), __KSYNC_SEQ_HERE(s))

/* The count as it is, odd or even: no waiting, no lockdep. */
#define raw_read_seqcount(s)		__seqcount_load(seqprop_ptr(s))
/* Odd (a writer inside) becomes a count that read_seqcount_retry() fails. */
#define raw_seqcount_begin(s)		(__seqcount_load(seqprop_ptr(s)) & ~1U)

#define read_seqcount_retry(s, start)					\
	__ksync_read_seqcount_retry(seqprop_ptr(s), (start))
/*
 * Without the ordering: the caller orders its data loads before it (for
 * instance with smp_rmb(), or acquire loads), as in the kernel.
 */
#define __read_seqcount_retry(s, start)					\
	__ksync_unlikely(READ_ONCE(seqprop_ptr(s)->sequence) != (start))

/* --- seqcount_t writers ------------------------------------------------------ */

/*
 * Writers must be serialised (a lock) and, for a plain seqcount_t,
 * non-preemptible: a reader that runs while the writer is off its CPU
 * waits for it.  With KSYNC_DEBUG, write_seqcount_begin() reports a writer
 * that is preemptible (preempt_count() 0 and interrupts on), as lockdep's
 * lockdep_assert_preemption_disabled() does.  The raw_ forms skip lockdep
 * and the checks.
 */
static __always_inline void
__ksync_do_write_seqcount_begin(seqcount_t *s, int subclass, bool must_be_atomic,
				const struct ksync_site *site)
{
	if (ksync_debug_active())
		ksync_seqcount_write_begin_debug(s, subclass, must_be_atomic, site);
	__seqcount_write_enter(s);
}

static __always_inline void
__ksync_do_write_seqcount_end(seqcount_t *s, const struct ksync_site *site)
{
	/* An end without a begin would leave the count odd for good. */
	if (ksync_debug_active() && ksync_seqcount_write_end_debug(s, site))
		return;
	__seqcount_write_leave(s, 1);
}

/*
 * A seqcount_mutex_t's writer disables preemption for the section, as
 * the kernel's: a reader spinning on an odd count must not wait for a
 * writer that gave its CPU away.
 */
#define raw_write_seqcount_begin(s)					\
	do {								\
		if (seqprop_preemptible(s))				\
			preempt_disable();				\
		__seqcount_write_enter(seqprop_ptr(s));			\
	} while (0)
#define raw_write_seqcount_end(s)					\
	do {								\
		__seqcount_write_leave(seqprop_ptr(s), 1);		\
		if (seqprop_preemptible(s))				\
			preempt_enable();				\
	} while (0)

/*
 * The associated lock must be held (seqprop_assert(), reported at the
 * caller's line as lockdep_assert_held(s->lock) is); a plain seqcount_t's
 * writer must be non-preemptible instead (checked out of line).
 */
#define write_seqcount_begin_nested(s, subclass)			\
	do {								\
		seqprop_assert((s), KSYNC_SITE("lockdep_assert_held((" #s ")->lock)")); \
		if (seqprop_preemptible(s))				\
			preempt_disable();				\
		__ksync_do_write_seqcount_begin(seqprop_ptr(s), (subclass), \
						seqprop_is_plain(s),	\
						__KSYNC_SEQ_HERE(s));	\
	} while (0)
#define write_seqcount_begin(s)		write_seqcount_begin_nested(s, 0)
#define write_seqcount_end(s)						\
	do {								\
		__ksync_do_write_seqcount_end(seqprop_ptr(s), __KSYNC_SEQ_HERE(s)); \
		if (seqprop_preemptible(s))				\
			preempt_enable();				\
	} while (0)

/*
 * Two increments around a release fence: readers inside retry, and the
 * stores before it are ordered before the stores after it.
 */
static __always_inline void __ksync_raw_write_seqcount_barrier(seqcount_t *s)
{
	__seqcount_write_enter(s);
	__seqcount_write_leave(s, 1);
}
#define raw_write_seqcount_barrier(s)					\
	__ksync_raw_write_seqcount_barrier(seqprop_ptr(s))

/* Readers that began before this fail, even though no data changes. */
static __always_inline void __ksync_write_seqcount_invalidate(seqcount_t *s)
{
	__seqcount_write_leave(s, 2);
}
#define write_seqcount_invalidate(s)					\
	__ksync_write_seqcount_invalidate(seqprop_ptr(s))

/* --- latch: two copies, readers pick the stable one and never wait --------- */

typedef struct {
	seqcount_t seqcount;
} seqcount_latch_t;

#define SEQCNT_LATCH_ZERO(seq_name)					\
	{ .seqcount = SEQCNT_ZERO(seq_name.seqcount) }
#define seqcount_latch_init(s)	seqcount_init(&(s)->seqcount)

/* The count, odd or even: copy (seq & 1) is the one not being written. */
static __always_inline unsigned int raw_read_seqcount_latch(const seqcount_latch_t *s)
{
	/* Acquire: that copy's last update happens before our reads of it. */
	return __seqcount_load(&s->seqcount);
}

static __always_inline unsigned int read_seqcount_latch(const seqcount_latch_t *s)
{
	return raw_read_seqcount_latch(s);
}

static __always_inline int
raw_read_seqcount_latch_retry(const seqcount_latch_t *s, unsigned int start)
{
	return __ksync_unlikely(__seqcount_reload(&s->seqcount) != start);
}

static __always_inline int
read_seqcount_latch_retry(const seqcount_latch_t *s, unsigned int start)
{
	return raw_read_seqcount_latch_retry(s, start);
}

/* Send readers to the other copy. */
static __always_inline void raw_write_seqcount_latch(seqcount_latch_t *s)
{
	__seqcount_write_flip(&s->seqcount);
}

/* Readers to copy 1; then modify copy 0. */
static __always_inline void write_seqcount_latch_begin(seqcount_latch_t *s)
{
	raw_write_seqcount_latch(s);
}

/* Readers back to copy 0; then modify copy 1. */
static __always_inline void write_seqcount_latch(seqcount_latch_t *s)
{
	raw_write_seqcount_latch(s);
}

static __always_inline void write_seqcount_latch_end(seqcount_latch_t *s)
{
	(void)s;
}

/* --- seqlock_t: a counter and the spinlock that serialises its writers ---- */

typedef struct {
	seqcount_t seqcount;
	spinlock_t lock;
} seqlock_t;

#define __SEQLOCK_UNLOCKED(lockname)					\
	{								\
		.seqcount = SEQCNT_ZERO(lockname),			\
		.lock = __SPIN_LOCK_INITIALIZER(lockname),		\
	}

#define DEFINE_SEQLOCK(sl)	seqlock_t sl = __SEQLOCK_UNLOCKED(sl)

#define seqlock_init(sl)						\
	do {								\
		spin_lock_init(&(sl)->lock);				\
		seqcount_init(&(sl)->seqcount);				\
	} while (0)

static __always_inline unsigned int
__ksync_read_seqbegin(const seqlock_t *sl, const struct ksync_site *site)
{
	return __ksync_read_seqcount_begin(&sl->seqcount, site);
}

static __always_inline unsigned int
__ksync_read_seqretry(const seqlock_t *sl, unsigned int start)
{
	return (unsigned int)__ksync_read_seqcount_retry(&sl->seqcount, start);
}

/* The lock's context first (as spin_lock*), then the odd count. */
static __always_inline void
__ksync_write_seqlock(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_raw_spin_lock(spinlock_check(&sl->lock), 0, site);
	__ksync_do_write_seqcount_begin(&sl->seqcount, 0, false, site);
}

static __always_inline void
__ksync_write_sequnlock(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_do_write_seqcount_end(&sl->seqcount, site);
	__ksync_raw_spin_unlock(spinlock_check(&sl->lock), site);
}

static __always_inline void
__ksync_write_seqlock_bh(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_raw_spin_lock_bh(spinlock_check(&sl->lock), site);
	__ksync_do_write_seqcount_begin(&sl->seqcount, 0, false, site);
}

static __always_inline void
__ksync_write_sequnlock_bh(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_do_write_seqcount_end(&sl->seqcount, site);
	__ksync_raw_spin_unlock_bh(spinlock_check(&sl->lock), site);
}

static __always_inline void
__ksync_write_seqlock_irq(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_raw_spin_lock_irq(spinlock_check(&sl->lock), site);
	__ksync_do_write_seqcount_begin(&sl->seqcount, 0, false, site);
}

static __always_inline void
__ksync_write_sequnlock_irq(seqlock_t *sl, const struct ksync_site *site)
{
	__ksync_do_write_seqcount_end(&sl->seqcount, site);
	__ksync_raw_spin_unlock_irq(spinlock_check(&sl->lock), site);
}

static __always_inline unsigned long
__ksync_write_seqlock_irqsave(seqlock_t *sl, const struct ksync_site *site)
{
	unsigned long flags;

	flags = __ksync_raw_spin_lock_irqsave(spinlock_check(&sl->lock), 0, site);
	__ksync_do_write_seqcount_begin(&sl->seqcount, 0, false, site);
	return flags;
}

static __always_inline void
__ksync_write_sequnlock_irqrestore(seqlock_t *sl, unsigned long flags,
				   const struct ksync_site *site)
{
	__ksync_do_write_seqcount_end(&sl->seqcount, site);
	__ksync_raw_spin_unlock_irqrestore(spinlock_check(&sl->lock), flags, site);
}

#define read_seqbegin(sl)	__ksync_read_seqbegin((sl), __KSYNC_SEQ_HERE(sl))
#define read_seqretry(sl, start)	__ksync_read_seqretry((sl), (start))

#define write_seqlock(sl)	__ksync_write_seqlock((sl), __KSYNC_SEQ_HERE(sl))
#define write_sequnlock(sl)	__ksync_write_sequnlock((sl), __KSYNC_SEQ_HERE(sl))
#define write_seqlock_bh(sl)	__ksync_write_seqlock_bh((sl), __KSYNC_SEQ_HERE(sl))
#define write_sequnlock_bh(sl)	__ksync_write_sequnlock_bh((sl), __KSYNC_SEQ_HERE(sl))
#define write_seqlock_irq(sl)	__ksync_write_seqlock_irq((sl), __KSYNC_SEQ_HERE(sl))
#define write_sequnlock_irq(sl)	__ksync_write_sequnlock_irq((sl), __KSYNC_SEQ_HERE(sl))
#define write_seqlock_irqsave(sl, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_write_seqlock_irqsave((sl), __KSYNC_SEQ_HERE(sl)); \
	} while (0)
#define write_sequnlock_irqrestore(sl, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_write_sequnlock_irqrestore((sl), (flags),	\
						   __KSYNC_SEQ_HERE(sl)); \
	} while (0)

/*
 * Locking readers: they exclude writers and each other, and leave the
 * count alone (lockless readers are not disturbed).  A plain spinlock.
 */
#define __KSYNC_SEQ_LOCK(sl)	spinlock_check(&(sl)->lock)

#define read_seqlock_excl(sl)						\
	__ksync_raw_spin_lock(__KSYNC_SEQ_LOCK(sl), 0, __KSYNC_SEQ_HERE(sl))
#define read_sequnlock_excl(sl)						\
	__ksync_raw_spin_unlock(__KSYNC_SEQ_LOCK(sl), __KSYNC_SEQ_HERE(sl))
#define read_seqlock_excl_bh(sl)					\
	__ksync_raw_spin_lock_bh(__KSYNC_SEQ_LOCK(sl), __KSYNC_SEQ_HERE(sl))
#define read_sequnlock_excl_bh(sl)					\
	__ksync_raw_spin_unlock_bh(__KSYNC_SEQ_LOCK(sl), __KSYNC_SEQ_HERE(sl))
#define read_seqlock_excl_irq(sl)					\
	__ksync_raw_spin_lock_irq(__KSYNC_SEQ_LOCK(sl), __KSYNC_SEQ_HERE(sl))
#define read_sequnlock_excl_irq(sl)					\
	__ksync_raw_spin_unlock_irq(__KSYNC_SEQ_LOCK(sl), __KSYNC_SEQ_HERE(sl))
#define read_seqlock_excl_irqsave(sl, flags)				\
	do {								\
		__ksync_check_flags(flags);				\
		(flags) = __ksync_raw_spin_lock_irqsave(__KSYNC_SEQ_LOCK(sl), 0, \
							__KSYNC_SEQ_HERE(sl)); \
	} while (0)
#define read_sequnlock_excl_irqrestore(sl, flags)			\
	do {								\
		__ksync_check_flags(flags);				\
		__ksync_raw_spin_unlock_irqrestore(__KSYNC_SEQ_LOCK(sl), (flags), \
						   __KSYNC_SEQ_HERE(sl)); \
	} while (0)

/*
 * Lockless first, locking if that failed.  *seq even (the caller starts
 * with 0): a lockless pass, *seq becomes the count.  Odd (the caller sets
 * it to 1 after need_seqretry()): a locking pass.
 */
static __always_inline void
__ksync_read_seqbegin_or_lock(seqlock_t *sl, int *seq, const struct ksync_site *site)
{
	if (!(*seq & 1))
		*seq = (int)__ksync_read_seqbegin(sl, site);
	else
		__ksync_raw_spin_lock(spinlock_check(&sl->lock), 0, site);
}

/* Interrupts are disabled only for a locking pass. */
static __always_inline unsigned long
__ksync_read_seqbegin_or_lock_irqsave(seqlock_t *sl, int *seq,
				      const struct ksync_site *site)
{
	unsigned long flags = 0;

	if (!(*seq & 1))
		*seq = (int)__ksync_read_seqbegin(sl, site);
	else
		flags = __ksync_raw_spin_lock_irqsave(spinlock_check(&sl->lock), 0, site);
	return flags;
}

static __always_inline int need_seqretry(seqlock_t *sl, int seq)
{
	return !(seq & 1) && __ksync_read_seqretry(sl, (unsigned int)seq);
}

static __always_inline void
__ksync_done_seqretry(seqlock_t *sl, int seq, const struct ksync_site *site)
{
	if (seq & 1)
		__ksync_raw_spin_unlock(spinlock_check(&sl->lock), site);
}

static __always_inline void
__ksync_done_seqretry_irqrestore(seqlock_t *sl, int seq, unsigned long flags,
				 const struct ksync_site *site)
{
	if (seq & 1)
		__ksync_raw_spin_unlock_irqrestore(spinlock_check(&sl->lock), flags, site);
}

#define read_seqbegin_or_lock(sl, seq)					\
	__ksync_read_seqbegin_or_lock((sl), (seq), __KSYNC_SEQ_HERE(sl))
#define read_seqbegin_or_lock_irqsave(sl, seq)				\
	__ksync_read_seqbegin_or_lock_irqsave((sl), (seq), __KSYNC_SEQ_HERE(sl))
#define done_seqretry(sl, seq)						\
	__ksync_done_seqretry((sl), (seq), __KSYNC_SEQ_HERE(sl))
#define done_seqretry_irqrestore(sl, seq, flags)			\
	__ksync_done_seqretry_irqrestore((sl), (seq), (flags), __KSYNC_SEQ_HERE(sl))

/*
 * scoped_seqlock_read(&sl, target) { ... }: the body runs locklessly
 * first; if a writer got in meanwhile it runs again as target says
 * (ss_lock, ss_lock_irqsave: locked, once; ss_lockless: lockless again,
 * until it succeeds).  Leaving the body early (break, return) unlocks.
 */
enum ss_state {
	ss_done = 0,
	ss_lock,
	ss_lock_irqsave,
	ss_lockless,
};

struct ss_tmp {
	enum ss_state state;
	unsigned long data;
	spinlock_t *lock;
	spinlock_t *lock_irqsave;
	const struct ksync_site *site;
};

static __always_inline void __scoped_seqlock_cleanup(struct ss_tmp *sst)
{
	if (sst->lock)
		__ksync_raw_spin_unlock(spinlock_check(sst->lock), sst->site);
	if (sst->lock_irqsave)
		__ksync_raw_spin_unlock_irqrestore(spinlock_check(sst->lock_irqsave),
						   sst->data, sst->site);
}

static __always_inline void
__scoped_seqlock_next(struct ss_tmp *sst, seqlock_t *sl, enum ss_state target)
{
	switch (sst->state) {
	case ss_done:
		return;
	case ss_lock:
	case ss_lock_irqsave:
		sst->state = ss_done;	/* a locked pass always succeeds */
		return;
	case ss_lockless:
		if (!__ksync_read_seqretry(sl, (unsigned int)sst->data)) {
			sst->state = ss_done;
			return;
		}
		break;
	}

	switch (target) {
	case ss_done:
		return;
	case ss_lock:
		sst->lock = &sl->lock;
		__ksync_raw_spin_lock(spinlock_check(sst->lock), 0, sst->site);
		sst->state = ss_lock;
		return;
	case ss_lock_irqsave:
		sst->lock_irqsave = &sl->lock;
		sst->data = __ksync_raw_spin_lock_irqsave(spinlock_check(sst->lock_irqsave),
							  0, sst->site);
		sst->state = ss_lock_irqsave;
		return;
	case ss_lockless:
		sst->data = __ksync_read_seqbegin(sl, sst->site);
		return;
	}
}

#define __scoped_seqlock_read(_seqlock, _target, _s)			\
	for (struct ss_tmp _s __cleanup(__scoped_seqlock_cleanup) = {	\
		.state = ss_lockless,					\
		.data = read_seqbegin(_seqlock),			\
		.site = __KSYNC_SEQ_HERE(_seqlock),			\
	     };								\
	     _s.state != ss_done;					\
	     __scoped_seqlock_next(&_s, (_seqlock), (_target)))

#define scoped_seqlock_read(_seqlock, _target)				\
	__scoped_seqlock_read(_seqlock, _target, __UNIQUE_ID(seqlock))

/* --- guards ------------------------------------------------------------------ */

DEFINE_LOCK_GUARD_1(write_seqlock, seqlock_t,
		    write_seqlock(_T->lock), write_sequnlock(_T->lock))
DEFINE_LOCK_GUARD_1(write_seqlock_irq, seqlock_t,
		    write_seqlock_irq(_T->lock), write_sequnlock_irq(_T->lock))
DEFINE_LOCK_GUARD_1(write_seqlock_irqsave, seqlock_t,
		    write_seqlock_irqsave(_T->lock, _T->flags),
		    write_sequnlock_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1(write_seqlock_bh, seqlock_t,
		    write_seqlock_bh(_T->lock), write_sequnlock_bh(_T->lock))

DEFINE_LOCK_GUARD_1(read_seqlock_excl, seqlock_t,
		    read_seqlock_excl(_T->lock), read_sequnlock_excl(_T->lock))
DEFINE_LOCK_GUARD_1(read_seqlock_excl_irq, seqlock_t,
		    read_seqlock_excl_irq(_T->lock), read_sequnlock_excl_irq(_T->lock))
DEFINE_LOCK_GUARD_1(read_seqlock_excl_irqsave, seqlock_t,
		    read_seqlock_excl_irqsave(_T->lock, _T->flags),
		    read_sequnlock_excl_irqrestore(_T->lock, _T->flags),
		    unsigned long flags)
DEFINE_LOCK_GUARD_1(read_seqlock_excl_bh, seqlock_t,
		    read_seqlock_excl_bh(_T->lock), read_sequnlock_excl_bh(_T->lock))

#endif /* _KSYNC_SEQLOCK_H */
