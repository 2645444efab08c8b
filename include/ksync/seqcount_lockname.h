/* SPDX-License-Identifier: MIT */
/*
 * <ksync/seqcount_lockname.h> - part of <ksync/seqlock.h>, which includes
 * it after defining seqcount_t; include <ksync/seqlock.h>, not this.
 */
#ifndef _KSYNC_SEQCOUNT_LOCKNAME_H
#define _KSYNC_SEQCOUNT_LOCKNAME_H

#ifndef _KSYNC_SEQLOCK_H
#error "include <ksync/seqlock.h>, not <ksync/seqcount_lockname.h>"
#endif

/*
 * --- seqcount_LOCKNAME_t -----------------------------------------------------
 *
 * The kernel's "sequence counters with associated locks": the counter
 * knows the lock its writers hold, so write_seqcount_begin() can check it
 * (lockdep_assert_held(s->lock), the kernel's __seqprop_assert()) instead
 * of demanding a non-preemptible writer.  The kernel keeps the lock
 * pointer only under CONFIG_LOCKDEP; ksync chooses debugging at run
 * time, so it is always there.  A mutex's writer may be preempted, so the
 * write section disables preemption (the kernel's seqprop_preemptible()).
 */
#define SEQCOUNT_LOCKNAME(lockname, locktype, preemptible)		\
	typedef struct seqcount_##lockname {				\
		seqcount_t seqcount;					\
		locktype *lock;						\
	} seqcount_##lockname##_t;					\
									\
	static __always_inline seqcount_t *				\
	__seqprop_##lockname##_ptr(seqcount_##lockname##_t *s)		\
	{								\
		return &s->seqcount;					\
	}								\
									\
	static __always_inline bool					\
	__seqprop_##lockname##_preemptible(const seqcount_##lockname##_t *s) \
	{								\
		(void)s;						\
		return preemptible;					\
	}								\
									\
	static __always_inline void					\
	__seqprop_##lockname##_assert(const seqcount_##lockname##_t *s,	\
				      const struct ksync_site *site)	\
	{								\
		if (ksync_debug_active() &&				\
		    ksync_lock_is_held_type(&s->lock->dep_map, -1) ==	\
		    LOCK_STATE_NOT_HELD)				\
			ksync_lockdep_assert_failed(site, "lock not held"); \
	}

SEQCOUNT_LOCKNAME(raw_spinlock, raw_spinlock_t, false)
SEQCOUNT_LOCKNAME(spinlock, spinlock_t, false)
SEQCOUNT_LOCKNAME(rwlock, rwlock_t, false)
SEQCOUNT_LOCKNAME(mutex, struct mutex, true)

/* A plain seqcount_t: the writer must be non-preemptible (checked later). */
static __always_inline seqcount_t *__seqprop_ptr(seqcount_t *s)
{
	return s;
}

static __always_inline bool __seqprop_preemptible(const seqcount_t *s)
{
	(void)s;
	return false;
}

static __always_inline void __seqprop_assert(const seqcount_t *s,
					     const struct ksync_site *site)
{
	(void)s;
	(void)site;
}

/*
 * The kernel's seqprop dispatch: one name for every counter type.  The
 * casts are there because every branch must compile whatever s is.
 */
#define __seqprop_case(s, lockname, prop)				\
	seqcount_##lockname##_t: __seqprop_##lockname##_##prop((seqcount_##lockname##_t *)(s))

#define __seqprop(s, prop)						\
	_Generic(*(s),							\
		 seqcount_t: __seqprop_##prop((seqcount_t *)(s)),	\
		 __seqprop_case((s), raw_spinlock, prop),		\
		 __seqprop_case((s), spinlock, prop),			\
		 __seqprop_case((s), rwlock, prop),			\
		 __seqprop_case((s), mutex, prop))

#define __seqprop_assert_case(s, lockname, site)			\
	seqcount_##lockname##_t: __seqprop_##lockname##_assert((seqcount_##lockname##_t *)(s), site)

#define seqprop_ptr(s)		__seqprop(s, ptr)
#define seqprop_preemptible(s)	__seqprop(s, preemptible)
/* The plain seqcount_t's writer is checked for preemption instead. */
#define seqprop_is_plain(s)	_Generic(*(s), seqcount_t: true, default: false)
#define seqprop_assert(s, site)						\
	_Generic(*(s),							\
		 seqcount_t: __seqprop_assert((seqcount_t *)(s), site),	\
		 __seqprop_assert_case((s), raw_spinlock, site),	\
		 __seqprop_assert_case((s), spinlock, site),		\
		 __seqprop_assert_case((s), rwlock, site),		\
		 __seqprop_assert_case((s), mutex, site))

/* One lockdep class per place in the source that initialises counters. */
#define __ksync_seqcount_lockname_init(s, _lock)			\
	do {								\
		static struct lock_class_key __key;			\
		ksync_seqcount_init(&(s)->seqcount, #s, &__key);	\
		(s)->lock = (_lock);					\
	} while (0)
#define seqcount_raw_spinlock_init(s, lock)	__ksync_seqcount_lockname_init(s, lock)
#define seqcount_spinlock_init(s, lock)		__ksync_seqcount_lockname_init(s, lock)
#define seqcount_rwlock_init(s, lock)		__ksync_seqcount_lockname_init(s, lock)
#define seqcount_mutex_init(s, lock)		__ksync_seqcount_lockname_init(s, lock)

#define SEQCOUNT_LOCKNAME_ZERO(seq_name, assoc_lock)			\
	{ .seqcount = SEQCNT_ZERO(seq_name.seqcount), .lock = (assoc_lock) }
#define SEQCNT_RAW_SPINLOCK_ZERO(name, lock)	SEQCOUNT_LOCKNAME_ZERO(name, lock)
#define SEQCNT_SPINLOCK_ZERO(name, lock)	SEQCOUNT_LOCKNAME_ZERO(name, lock)
#define SEQCNT_RWLOCK_ZERO(name, lock)		SEQCOUNT_LOCKNAME_ZERO(name, lock)
#define SEQCNT_MUTEX_ZERO(name, lock)		SEQCOUNT_LOCKNAME_ZERO(name, lock)

#endif /* _KSYNC_SEQCOUNT_LOCKNAME_H */
