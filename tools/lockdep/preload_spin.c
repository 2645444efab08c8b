// SPDX-License-Identifier: MIT
/*
 * libksync-preload: pthread_spin_*.
 *
 * A pthread_spinlock_t is one int, all of it the C library's lock word,
 * with no room for a mark: a process-shared spinlock must stay the C
 * library's (another process, with or without ksync, may use it, at
 * another address), so it is told apart by what its int holds, never by
 * where it lives.  When replacing, pthread_spin_init() of a private
 * spinlock stores a tag and an index (SPIN_TAG | index, a value the C
 * library never stores: its words are 0, 1 or a small negative number)
 * that names a ksync queued spinlock in a table of ours, with its MCS
 * queue and its sleeping fallback when threads outnumber CPUs; any other
 * value is the C library's lock.  The table's locks sit a cache line
 * apart, and are recycled by pthread_spin_destroy().  Lockdep sees
 * spinlocks through their shadow maps in both modes.
 */
#include "preload.h"

#include <errno.h>
#include <sys/mman.h>

#include <ksync/qspinlock.h>

#define SPIN_TAG		0x6b000000u	/* 'k' */
#define SPIN_TAG_MASK		0xff000000u
#define SPIN_INDEX_BITS		24
#define SPIN_CHUNK_BITS		10		/* spinlocks per chunk: 1024 */
#define SPIN_CHUNKS		(1u << (SPIN_INDEX_BITS - SPIN_CHUNK_BITS))

struct spin_slot {
	arch_spinlock_t lock;
	uint32_t next_free;	/* index + 1 of the next free slot, 0: none */
} __attribute__((aligned(64)));

static struct spin_slot *chunks[SPIN_CHUNKS];
static uint32_t next_index;		/* slots handed out so far */
/* Free slots: index + 1 in the low half, a generation (against ABA) above. */
static uint64_t free_head;

static struct spin_slot *slot_at(uint32_t index)
{
	/* Consume-like: a slot's chunk was published before its index was. */
	struct spin_slot *c = __atomic_load_n(&chunks[index >> SPIN_CHUNK_BITS],
					      __ATOMIC_ACQUIRE);

	return c ? &c[index & ((1u << SPIN_CHUNK_BITS) - 1)] : NULL;
}

/* The queued spinlock a replaced spinlock names; NULL: the C library's. */
static arch_spinlock_t *qlock(pthread_spinlock_t *l)
{
	/*
	 * Relaxed: pthread_spin_init() wrote the int before the program let
	 * any other thread use the lock (POSIX requires it to), which orders
	 * that write before this read.
	 */
	uint32_t v = (uint32_t)__atomic_load_n(l, __ATOMIC_RELAXED);
	struct spin_slot *slot;

	if (__builtin_expect((v & SPIN_TAG_MASK) != SPIN_TAG, 0))
		return NULL;
	slot = slot_at(v & ~SPIN_TAG_MASK);
	return slot ? &slot->lock : NULL;
}

/* A chunk for the slot index, mapped on first need. */
static bool chunk_ready(uint32_t index)
{
	struct spin_slot **c = &chunks[index >> SPIN_CHUNK_BITS], *mine, *none = NULL;
	size_t len = sizeof(struct spin_slot) << SPIN_CHUNK_BITS;

	if (__atomic_load_n(c, __ATOMIC_ACQUIRE))
		return true;
	mine = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mine == MAP_FAILED)
		return false;
	/* Release: the zeroed chunk before its pointer. */
	if (!__atomic_compare_exchange_n(c, &none, mine, 0, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		munmap(mine, len);	/* another thread's came first */
	return true;
}

/* A free slot's index, or -1 if there is none to be had. */
static int64_t slot_get(void)
{
	/* Acquire: the slot's next_free, written before it was pushed. */
	uint64_t head = __atomic_load_n(&free_head, __ATOMIC_ACQUIRE), next;
	uint32_t index;

	while ((uint32_t)head) {
		struct spin_slot *slot;

		index = (uint32_t)head - 1;
		/* A slot on the free list was in use: its chunk is mapped. */
		slot = slot_at(index);
		if (!slot)
			return -1;
		/* May be stale if another thread popped it: the CAS then fails. */
		next = (head >> 32) + 1;
		next = next << 32 | __atomic_load_n(&slot->next_free, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&free_head, &head, next, 1, __ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			return index;
	}
	index = __atomic_fetch_add(&next_index, 1, __ATOMIC_RELAXED);
	if (index >= (1u << SPIN_INDEX_BITS) || !chunk_ready(index))
		return -1;	/* the slot is lost: memory is short anyway */
	return index;
}

static void slot_put(uint32_t index)
{
	struct spin_slot *slot = slot_at(index);
	uint64_t head = __atomic_load_n(&free_head, __ATOMIC_RELAXED), next;

	do {
		__atomic_store_n(&slot->next_free, (uint32_t)head, __ATOMIC_RELAXED);
		next = (((head >> 32) + 1) << 32) | (index + 1);
		/* Release: next_free before the slot is seen on the list. */
	} while (!__atomic_compare_exchange_n(&free_head, &head, next, 1, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/* Make the spinlock ours; false if the table is out of room. */
static bool replace_spin(pthread_spinlock_t *l)
{
	int64_t index = slot_get();

	if (index < 0)
		return false;
	/* Unlocked.  (Relaxed: ordered before any use by the program, as above.) */
	__atomic_store_n(&slot_at((uint32_t)index)->lock.val, 0, __ATOMIC_RELAXED);
	__atomic_store_n(l, (int)(SPIN_TAG | (uint32_t)index), __ATOMIC_RELAXED);
	return true;
}

PRELOAD_API int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	uintptr_t ip = RET_IP;
	int ret = 0;

	/* Shared, made for ksync itself, or no room: the C library's. */
	if (!preload_replacing(REPLACE_SPIN) || pshared != PTHREAD_PROCESS_PRIVATE ||
	    preload_in_ksync() || !replace_spin(l))
		ret = realfn()->real_spin_init(l, pshared);
	if (!ret && preload_validating())
		shadow_init((const void *)l, SHADOW_SPIN, ip);
	return ret;
}

PRELOAD_API int pthread_spin_destroy(pthread_spinlock_t *l)
{
	uint32_t v = (uint32_t)__atomic_load_n(l, __ATOMIC_RELAXED);
	struct shadow *s;

	if (preload_validating() && (s = shadow_find((const void *)l))) {
		ksync_debug_check_no_locks_freed(&s->map, sizeof(s->map));
		s->destroyed = 1;
	}
	if (!qlock(l))
		return realfn()->real_spin_destroy(l);
	/*
	 * The int holds the C library's unlocked value from now on: a use
	 * after destroy (undefined) does what it would without ksync.
	 */
	realfn()->real_spin_init(l, PTHREAD_PROCESS_PRIVATE);
	slot_put(v & ~SPIN_TAG_MASK);
	return 0;
}

PRELOAD_API int pthread_spin_lock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;
	struct shadow *s = NULL;
	arch_spinlock_t *q;

	if (preload_validating()) {
		s = shadow_get((const void *)l, SHADOW_SPIN, ip);
		preload_acquire(s, 0, 0, ip);
	}
	if ((q = qlock(l))) {
		if (s && preload_stat() && queued_spin_trylock(q))
			goto acquired;
		if (s && preload_stat())
			preload_contended(s, ip);
		queued_spin_lock(q);
	} else {
		if (s && preload_stat() && !realfn()->real_spin_trylock(l))
			goto acquired;
		if (s && preload_stat())
			preload_contended(s, ip);
		realfn()->real_spin_lock(l);
	}
acquired:
	preload_acquired(s, ip);
	return 0;
}

PRELOAD_API int pthread_spin_trylock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;
	arch_spinlock_t *q = qlock(l);
	int ret;

	if (q)
		ret = queued_spin_trylock(q) ? 0 : EBUSY;
	else
		ret = realfn()->real_spin_trylock(l);
	if (!ret && preload_validating())
		preload_acquire(shadow_get((const void *)l, SHADOW_SPIN, ip), 1, 0, ip);
	return ret;
}

PRELOAD_API int pthread_spin_unlock(pthread_spinlock_t *l)
{
	uintptr_t ip = RET_IP;
	arch_spinlock_t *q;

	if (preload_validating())
		preload_release(shadow_get((const void *)l, SHADOW_SPIN, ip), ip);
	if ((q = qlock(l))) {
		queued_spin_unlock(q);
		return 0;
	}
	return realfn()->real_spin_unlock(l);
}
