/* SPDX-License-Identifier: MIT */
/*
 * <ksync/tsan.h> - telling ThreadSanitizer what ksync's locks do.
 *
 * A program built with -fsanitize=thread against the plain (uninstrumented)
 * libksync sees the inline fast paths of ksync's locks, which are in its
 * own code, but not the out-of-line paths in the library: a lock taken
 * after waiting, a debug path, a completion.  TSan then misses the
 * happens-before edge of the hand-over and reports the data the lock
 * guards as racy.  So when the including program is compiled with TSan,
 * the inline lock paths annotate themselves with TSan's interface for
 * custom mutexes (the one absl::Mutex uses): each lock and unlock tells
 * TSan which lock, read or write, try or not, and TSan keeps the
 * happens-before edges, the set of held locks in its reports, and its own
 * lock-order checks.  Primitives that are not mutex-shaped (completions,
 * a seqcount reader that waited in the library) use acquire/release on the
 * object's address.
 *
 * Without TSan every annotation below is an empty macro: nothing is
 * compiled in, and the layout of every type is the same either way, so
 * one libksync serves both kinds of program.
 *
 * KSYNC_NO_TSAN_ANNOTATIONS turns the annotations off.  The library
 * defines it for its own code (the inline wrappers in the caller annotate
 * each operation once, around the library call); a TSan build of ksync
 * (KSYNC_SANITIZE=thread) defines it for its users too, through CMake and
 * pkg-config, because TSan then sees the library's own atomics and the
 * annotations would only hide the library's code from its checks.
 */
#ifndef _KSYNC_TSAN_H
#define _KSYNC_TSAN_H

#include <ksync/compiler.h>

/* The including program is compiled with ThreadSanitizer. */
#if defined(__SANITIZE_THREAD__)
#define __KSYNC_UNDER_TSAN	1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define __KSYNC_UNDER_TSAN	1
#endif
#endif

#if defined(__KSYNC_UNDER_TSAN) && !defined(KSYNC_NO_TSAN_ANNOTATIONS)
#define __KSYNC_TSAN_ANNOTATE	1
#endif

/* The runtime's flag values (the header's __tsan_mutex_* constants). */
#define __KSYNC_TSAN_READ	(1U << 3)	/* __tsan_mutex_read_lock */
#define __KSYNC_TSAN_TRY	(1U << 4)	/* __tsan_mutex_try_lock */
#define __KSYNC_TSAN_FAILED	(1U << 5)	/* __tsan_mutex_try_lock_failed */

#ifdef __KSYNC_TSAN_ANNOTATE

/*
 * The TSan runtime's interface (<sanitizer/tsan_interface.h>, declared
 * here so that no compiler needs to ship that header).  The prototypes are
 * the header's own, so including both is fine.
 */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void __tsan_mutex_destroy(void *addr, unsigned flags);
void __tsan_mutex_pre_lock(void *addr, unsigned flags);
void __tsan_mutex_post_lock(void *addr, unsigned flags, int recursion);
int __tsan_mutex_pre_unlock(void *addr, unsigned flags);
void __tsan_mutex_post_unlock(void *addr, unsigned flags);

/*
 * A lock operation: pre before it, post after it with taken saying
 * whether it got the lock.  Between the two, TSan ignores the lock's own
 * memory accesses and atomics (its documented contract).
 */
#define __ksync_tsan_pre_lock(lock, flags)				\
	__tsan_mutex_pre_lock((void *)(lock), (flags))
#define __ksync_tsan_post_lock(lock, flags, taken)			\
	__tsan_mutex_post_lock((void *)(lock),				\
			       (flags) | ((taken) ? 0 : __KSYNC_TSAN_FAILED), 0)
#define __ksync_tsan_pre_unlock(lock, flags)				\
	((void)__tsan_mutex_pre_unlock((void *)(lock), (flags)))
#define __ksync_tsan_post_unlock(lock, flags)				\
	__tsan_mutex_post_unlock((void *)(lock), (flags))

/*
 * For a library call that releases or takes a lock among other work
 * (a wait that drops the caller's lock and retakes it): the whole
 * operation at once, said while the lock is really held, so that TSan's
 * idea of the owner never runs ahead of the lock's.
 */
#define __ksync_tsan_locked(lock, flags)				\
	do {								\
		__tsan_mutex_pre_lock((void *)(lock), (flags));		\
		__tsan_mutex_post_lock((void *)(lock), (flags), 0);	\
	} while (0)
#define __ksync_tsan_unlocking(lock, flags)				\
	do {								\
		(void)__tsan_mutex_pre_unlock((void *)(lock), (flags));	\
		__tsan_mutex_post_unlock((void *)(lock), (flags));	\
	} while (0)

#define __ksync_tsan_destroy(lock)	__tsan_mutex_destroy((void *)(lock), 0)
#define __ksync_tsan_acquire(addr)	__tsan_acquire((void *)(addr))
#define __ksync_tsan_release(addr)	__tsan_release((void *)(addr))

#else /* !__KSYNC_TSAN_ANNOTATE */

#define __ksync_tsan_pre_lock(lock, flags)		((void)0)
#define __ksync_tsan_post_lock(lock, flags, taken)	((void)0)
#define __ksync_tsan_pre_unlock(lock, flags)		((void)0)
#define __ksync_tsan_post_unlock(lock, flags)		((void)0)
#define __ksync_tsan_locked(lock, flags)		((void)0)
#define __ksync_tsan_unlocking(lock, flags)		((void)0)
#define __ksync_tsan_destroy(lock)			((void)0)
#define __ksync_tsan_acquire(addr)			((void)0)
#define __ksync_tsan_release(addr)			((void)0)

#endif /* __KSYNC_TSAN_ANNOTATE */

#endif /* _KSYNC_TSAN_H */
