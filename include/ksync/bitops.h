/* SPDX-License-Identifier: MIT */
/*
 * <ksync/bitops.h> - the kernel's bit operations on arrays of unsigned long.
 *
 *   BITS_PER_LONG, BIT(nr), BIT_ULL(nr), BIT_MASK(nr), BIT_WORD(nr),
 *   BITS_TO_LONGS(nbits), DECLARE_BITMAP(name, nbits)
 *
 * Atomic (on one bit of addr[BIT_WORD(nr)]):
 *   set_bit, clear_bit, change_bit		unordered (relaxed)
 *   test_and_set_bit, test_and_clear_bit, test_and_change_bit
 *						fully ordered; return the old bit
 *   test_and_set_bit_lock			acquire (a lock taken when 0)
 *   clear_bit_unlock				release
 *   test_bit					a relaxed load; test_bit_acquire
 * Not atomic (the word must not change under them, as in the kernel):
 *   __set_bit, __clear_bit, __change_bit, __test_and_set_bit,
 *   __test_and_clear_bit, __test_and_change_bit,
 *   __clear_bit_unlock (a release store of the whole word: only when no
 *   other bit of the word can change meanwhile)
 * Searching (size in bits; the result is size when there is no such bit):
 *   find_first_bit, find_next_bit, find_first_zero_bit,
 *   find_next_zero_bit, for_each_set_bit(bit, addr, size),
 *   for_each_clear_bit(bit, addr, size)
 * Single words: __ffs, ffz, __fls, fls, fls64, hweight_long
 *
 * The atomic forms are GCC __atomic read-modify-writes (lock or/and/xor
 * on x86), each with the order named above and the comment why where it
 * is chosen.  They take a volatile unsigned long *, as the kernel's do, so
 * that both plain and volatile bitmaps can be passed.
 */
#ifndef _KSYNC_BITOPS_H
#define _KSYNC_BITOPS_H

#include <limits.h>
#include <ksync/compiler.h>
#include <ksync/barrier.h>

/*
 * Each only if the program has not defined its own (as <ksync/compiler.h>
 * does), so that a program with its own BIT() still compiles.
 */
/* A number the preprocessor can use too (#if BITS_PER_LONG == 64). */
#ifndef BITS_PER_LONG
#define BITS_PER_LONG		(__SIZEOF_LONG__ * 8)
#endif
#ifndef BITS_PER_LONG_LONG
#define BITS_PER_LONG_LONG	64
#endif
#ifndef BIT
#define BIT(nr)			(1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif
#ifndef BIT_MASK
#define BIT_MASK(nr)		(1UL << ((nr) % BITS_PER_LONG))
#endif
#ifndef BIT_WORD
#define BIT_WORD(nr)		((nr) / BITS_PER_LONG)
#endif
#ifndef BIT_ULL_MASK
#define BIT_ULL_MASK(nr)	(1ULL << ((nr) % BITS_PER_LONG_LONG))
#endif
#ifndef BIT_ULL_WORD
#define BIT_ULL_WORD(nr)	((nr) / BITS_PER_LONG_LONG)
#endif
#ifndef BITS_PER_BYTE
#define BITS_PER_BYTE		CHAR_BIT
#endif
#ifndef BITS_TO_LONGS
#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)
#endif
#ifndef DECLARE_BITMAP
#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]
#endif

/* The functions below use their own, whatever the program defined. */
#define __KSYNC_BITS_PER_LONG	(__SIZEOF_LONG__ * 8)
#define __KSYNC_BIT_MASK(nr)	(1UL << ((nr) % __KSYNC_BITS_PER_LONG))
#define __KSYNC_BIT_WORD(nr)	((nr) / __KSYNC_BITS_PER_LONG)

#define __ksync_bit_word(nr, addr)	(&(addr)[__KSYNC_BIT_WORD(nr)])

/* --- atomic ------------------------------------------------------------- */

/* Relaxed: the kernel documents these as unordered (atomic_t.txt). */
static __always_inline void set_bit(unsigned long nr, volatile unsigned long *addr)
{
	__atomic_fetch_or(__ksync_bit_word(nr, addr), __KSYNC_BIT_MASK(nr), __ATOMIC_RELAXED);
}

static __always_inline void clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	__atomic_fetch_and(__ksync_bit_word(nr, addr), ~__KSYNC_BIT_MASK(nr), __ATOMIC_RELAXED);
}

static __always_inline void change_bit(unsigned long nr, volatile unsigned long *addr)
{
	__atomic_fetch_xor(__ksync_bit_word(nr, addr), __KSYNC_BIT_MASK(nr), __ATOMIC_RELAXED);
}

/* Relaxed: a snapshot, as the kernel's plain volatile read. */
static __always_inline bool test_bit(unsigned long nr, const volatile unsigned long *addr)
{
	return (__atomic_load_n(__ksync_bit_word(nr, addr), __ATOMIC_RELAXED) >>
		(nr % __KSYNC_BITS_PER_LONG)) & 1;
}

/* Acquire: what the clearer did before clear_bit_unlock() is visible. */
static __always_inline bool test_bit_acquire(unsigned long nr,
					     const volatile unsigned long *addr)
{
	return (__atomic_load_n(__ksync_bit_word(nr, addr), __ATOMIC_ACQUIRE) >>
		(nr % __KSYNC_BITS_PER_LONG)) & 1;
}

/*
 * Value-returning RMWs are fully ordered (atomic_t.txt), built as in
 * <ksync/atomic.h>: a SEQ_CST RMW between the before/after barriers.
 */
#define __ksync_test_and_op(op, nr, addr, mask)				\
	({								\
		unsigned long __ksync_old;				\
		smp_mb__before_atomic();				\
		__ksync_old = op(__ksync_bit_word(nr, addr), (mask),	\
				 __ATOMIC_SEQ_CST);			\
		smp_mb__after_atomic();					\
		(__ksync_old & __KSYNC_BIT_MASK(nr)) != 0;			\
	})

static __always_inline bool test_and_set_bit(unsigned long nr,
					     volatile unsigned long *addr)
{
	return __ksync_test_and_op(__atomic_fetch_or, nr, addr, __KSYNC_BIT_MASK(nr));
}

static __always_inline bool test_and_clear_bit(unsigned long nr,
					       volatile unsigned long *addr)
{
	return __ksync_test_and_op(__atomic_fetch_and, nr, addr, ~__KSYNC_BIT_MASK(nr));
}

static __always_inline bool test_and_change_bit(unsigned long nr,
						volatile unsigned long *addr)
{
	return __ksync_test_and_op(__atomic_fetch_xor, nr, addr, __KSYNC_BIT_MASK(nr));
}

/*
 * Acquire: taking a bit lock; what the last holder did before
 * clear_bit_unlock() happens before our critical section.  A failure
 * (the bit was set) orders nothing, but it is one instruction ("lock
 * bts" on x86, as the kernel's).  Waiters that find the bit set should
 * then spin reading it (test_bit()), as bit_spin_lock() does, so that a
 * held lock's line is not written by every waiter.
 */
static __always_inline bool test_and_set_bit_lock(unsigned long nr,
						  volatile unsigned long *addr)
{
	unsigned long mask = __KSYNC_BIT_MASK(nr);

	return (__atomic_fetch_or(__ksync_bit_word(nr, addr), mask,
				  __ATOMIC_ACQUIRE) & mask) != 0;
}

/* Release: our critical section happens before the next holder's. */
static __always_inline void clear_bit_unlock(unsigned long nr,
					     volatile unsigned long *addr)
{
	__atomic_fetch_and(__ksync_bit_word(nr, addr), ~__KSYNC_BIT_MASK(nr), __ATOMIC_RELEASE);
}

/*
 * The unlock for a word whose other bits nobody changes while the lock is
 * held: a plain read and a release store, no locked instruction.
 */
static __always_inline void __clear_bit_unlock(unsigned long nr,
					       volatile unsigned long *addr)
{
	volatile unsigned long *p = __ksync_bit_word(nr, addr);
	/* Relaxed: only the lock holder writes the word now. */
	unsigned long old = __atomic_load_n(p, __ATOMIC_RELAXED);

	__atomic_store_n(p, old & ~__KSYNC_BIT_MASK(nr), __ATOMIC_RELEASE);
}

/* --- not atomic ------------------------------------------------------- */

static __always_inline void __set_bit(unsigned long nr, volatile unsigned long *addr)
{
	*(unsigned long *)__ksync_bit_word(nr, addr) |= __KSYNC_BIT_MASK(nr);
}

static __always_inline void __clear_bit(unsigned long nr, volatile unsigned long *addr)
{
	*(unsigned long *)__ksync_bit_word(nr, addr) &= ~__KSYNC_BIT_MASK(nr);
}

static __always_inline void __change_bit(unsigned long nr, volatile unsigned long *addr)
{
	*(unsigned long *)__ksync_bit_word(nr, addr) ^= __KSYNC_BIT_MASK(nr);
}

static __always_inline bool __test_and_set_bit(unsigned long nr,
					       volatile unsigned long *addr)
{
	unsigned long *p = (unsigned long *)__ksync_bit_word(nr, addr);
	unsigned long old = *p;

	*p = old | __KSYNC_BIT_MASK(nr);
	return (old & __KSYNC_BIT_MASK(nr)) != 0;
}

static __always_inline bool __test_and_clear_bit(unsigned long nr,
						 volatile unsigned long *addr)
{
	unsigned long *p = (unsigned long *)__ksync_bit_word(nr, addr);
	unsigned long old = *p;

	*p = old & ~__KSYNC_BIT_MASK(nr);
	return (old & __KSYNC_BIT_MASK(nr)) != 0;
}

static __always_inline bool __test_and_change_bit(unsigned long nr,
						  volatile unsigned long *addr)
{
	unsigned long *p = (unsigned long *)__ksync_bit_word(nr, addr);
	unsigned long old = *p;

	*p = old ^ __KSYNC_BIT_MASK(nr);
	return (old & __KSYNC_BIT_MASK(nr)) != 0;
}

/* --- single words ----------------------------------------------------- */

/* The lowest set bit's number; undefined for 0, as the kernel's. */
static __always_inline unsigned long __ffs(unsigned long word)
{
	return (unsigned long)__builtin_ctzl(word);
}

/* The lowest clear bit's number; undefined for ~0UL. */
static __always_inline unsigned long ffz(unsigned long word)
{
	return __ffs(~word);
}

/* The highest set bit's number; undefined for 0. */
static __always_inline unsigned long __fls(unsigned long word)
{
	return (unsigned long)(__KSYNC_BITS_PER_LONG - 1 - __builtin_clzl(word));
}

/* 1-based: fls(0) = 0, fls(1) = 1, fls(0x80000000) = 32. */
static __always_inline int fls(unsigned int x)
{
	return x ? (int)(sizeof(x) * CHAR_BIT) - __builtin_clz(x) : 0;
}

static __always_inline int fls64(unsigned long long x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

static __always_inline unsigned long hweight_long(unsigned long w)
{
	return (unsigned long)__builtin_popcountl(w);
}

/* --- searching (lib/find_bit.c) ------------------------------------------- */

/*
 * The first bit at or after offset whose value is not invert's, in the
 * first size bits; size if none.  Reads each word once, plainly: like the
 * kernel's, these are for bitmaps not being changed meanwhile, or whose
 * changes the caller tolerates.  The relaxed loads keep concurrent
 * set_bit()s from being data races.
 */
static inline unsigned long __ksync_find_bit(const unsigned long *addr,
					     unsigned long size,
					     unsigned long offset,
					     unsigned long invert)
{
	unsigned long word;

	if (offset >= size)
		return size;
	word = (__atomic_load_n(&addr[__KSYNC_BIT_WORD(offset)], __ATOMIC_RELAXED) ^ invert) &
	       (~0UL << (offset % __KSYNC_BITS_PER_LONG));
	offset -= offset % __KSYNC_BITS_PER_LONG;
	while (!word) {
		offset += __KSYNC_BITS_PER_LONG;
		if (offset >= size)
			return size;
		word = __atomic_load_n(&addr[__KSYNC_BIT_WORD(offset)], __ATOMIC_RELAXED) ^ invert;
	}
	offset += __ffs(word);
	return offset < size ? offset : size;
}

static inline unsigned long find_next_bit(const unsigned long *addr,
					  unsigned long size, unsigned long offset)
{
	return __ksync_find_bit(addr, size, offset, 0UL);
}

static inline unsigned long find_next_zero_bit(const unsigned long *addr,
					       unsigned long size,
					       unsigned long offset)
{
	return __ksync_find_bit(addr, size, offset, ~0UL);
}

static inline unsigned long find_first_bit(const unsigned long *addr,
					   unsigned long size)
{
	return __ksync_find_bit(addr, size, 0, 0UL);
}

static inline unsigned long find_first_zero_bit(const unsigned long *addr,
						unsigned long size)
{
	return __ksync_find_bit(addr, size, 0, ~0UL);
}

#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = 0;							\
	     ((bit) = find_next_bit((addr), (size), (bit))) < (size);	\
	     (bit)++)

#define for_each_clear_bit(bit, addr, size)				\
	for ((bit) = 0;							\
	     ((bit) = find_next_zero_bit((addr), (size), (bit))) < (size); \
	     (bit)++)

#endif /* _KSYNC_BITOPS_H */
