/* SPDX-License-Identifier: MIT */
/*
 * <ksync/kref.h> - the kernel's kref: an object's reference count with a
 * release function, on refcount_t (so it saturates and warns as that does).
 *
 *   struct kref ref = KREF_INIT(1);	or kref_init(&ref): 1
 *   kref_get(&ref)
 *   kref_get_unless_zero(&ref)		0 if the count was 0 (being freed)
 *   kref_put(&ref, release)		1 if release(&ref) was called
 *   kref_put_mutex(&ref, release, &mutex)	release called with mutex held
 *   kref_put_lock(&ref, release, &spinlock)	release called with lock held
 *   kref_read(&ref)
 *
 * release is void (*)(struct kref *), which finds its object with
 * container_of(kref, struct foo, ref); with the _mutex and _lock forms it
 * must drop the lock itself, as in the kernel.
 */
#ifndef _KSYNC_KREF_H
#define _KSYNC_KREF_H

#include <stddef.h>
#include <ksync/refcount.h>

/*
 * A release function finds its object with container_of(), as in the
 * kernel; defined only if the program has not (the text is ksync's
 * sources' own, so the two definitions agree).
 */
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

struct kref {
	refcount_t refcount;
};

#define KREF_INIT(n)	{ .refcount = REFCOUNT_INIT(n), }

static __always_inline void kref_init(struct kref *kref)
{
	refcount_set(&kref->refcount, 1);
}

static __always_inline unsigned int kref_read(const struct kref *kref)
{
	return refcount_read(&kref->refcount);
}

#define __KSYNC_KREF_SITE(kref)	KSYNC_SITE(#kref)

static __always_inline int
__ksync_kref_put(struct kref *kref, void (*release)(struct kref *kref),
		 const struct ksync_site *site)
{
	if (__ksync_refcount_sub_and_test(1, &kref->refcount, NULL, site)) {
		release(kref);
		return 1;
	}
	return 0;
}

static __always_inline int
__ksync_kref_put_mutex(struct kref *kref, void (*release)(struct kref *kref),
		       struct mutex *lock, const struct ksync_site *site)
{
	if (__ksync_refcount_dec_and_mutex_lock(&kref->refcount, lock, site)) {
		release(kref);
		return 1;
	}
	return 0;
}

static __always_inline int
__ksync_kref_put_lock(struct kref *kref, void (*release)(struct kref *kref),
		      spinlock_t *lock, const struct ksync_site *site)
{
	if (__ksync_refcount_dec_and_lock(&kref->refcount, lock, site)) {
		release(kref);
		return 1;
	}
	return 0;
}

#define kref_get(kref)							\
	__ksync_refcount_add(1, &(kref)->refcount, NULL, __KSYNC_KREF_SITE(kref))
#define kref_get_unless_zero(kref)					\
	((int)__ksync_refcount_add_not_zero(1, &(kref)->refcount, NULL,	\
					    __KSYNC_KREF_SITE(kref)))
#define kref_put(kref, release)						\
	__ksync_kref_put((kref), (release), __KSYNC_KREF_SITE(kref))
#define kref_put_mutex(kref, release, lock)				\
	__ksync_kref_put_mutex((kref), (release), (lock), KSYNC_SITE(#lock))
#define kref_put_lock(kref, release, lock)				\
	__ksync_kref_put_lock((kref), (release), (lock), KSYNC_SITE(#lock))

#endif /* _KSYNC_KREF_H */
