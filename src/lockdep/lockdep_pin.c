// SPDX-License-Identifier: MIT
/*
 * Pinning held locks (kernel/locking/lockdep.c: lock_pin_lock(),
 * lock_repin_lock(), lock_unpin_lock()).
 *
 * Code that calls out while holding a lock, and relies on the callee not
 * dropping it (the scheduler's rq->lock is the kernel's case), pins it:
 * the held entry's pin count grows by a cookie of 16 random bits plus
 * one, which the caller gives back to unpin.  Releasing a pinned lock
 * WARNs ("releasing a pinned lock", lockdep.c's release path); unpinning
 * with a cookie that was not handed out drives the count below zero
 * ("pin count corrupted").  The WARNs are the kernel's texts, placed at
 * the caller's lock or pin call rather than inside lockdep.
 */
#define _GNU_SOURCE
#include <stdarg.h>

#include "futex.h"
#include "lockdep_internal.h"
#include "report.h"

void lockdep_warn(const struct ksync_site *site, uintptr_t ip, const char *fmt, ...)
{
	uintptr_t caller = __atomic_load_n(&ksync_tls.caller_ip, __ATOMIC_RELAXED);
	va_list ap;

	/* No site: the WARN names the place of ip, as a preload's caller. */
	if (!site && ip && !caller)
		__atomic_store_n(&ksync_tls.caller_ip, ip, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	ksync_vwarn(site, fmt, ap);
	va_end(ap);
	if (!site && ip && !caller)
		__atomic_store_n(&ksync_tls.caller_ip, 0, __ATOMIC_RELAXED);
}

/* The held entry of map on c, searching the whole stack as the kernel's. */
static struct ksync_held_lock *held_entry(struct ksync_cpu *c, const struct lockdep_map *map)
{
	struct ksync_held_locks *h = &lockdep_cpu(c)->held;

	for (int i = 0; i < h->depth; i++)
		if (lockdep_match_held_lock(&h->stack[i], map))
			return &h->stack[i];
	return NULL;
}

KSYNC_API struct pin_cookie ksync_lock_pin_lock(struct lockdep_map *map, unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct pin_cookie cookie = NIL_COOKIE;
	struct ksync_held_lock *hl;
	struct ksync_cpu *c = lockdep_watched_cpu();
	unsigned long flags;

	if (!c)
		return cookie;
	flags = lockdep_enter(c);
	hl = held_entry(c, map);
	if (hl) {
		/* Unguessable enough, and room left for nested pins in 32 bits. */
		cookie.val = 1 + (unsigned int)(ksync_now_ns() & 0xffff);
		hl->pin_count += cookie.val;
	} else {
		lockdep_warn(site, ip, "pinning an unheld lock\n");
	}
	lockdep_exit(c, flags);
	return cookie;
}

KSYNC_API void ksync_lock_repin_lock(struct lockdep_map *map, struct pin_cookie cookie,
				     unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct ksync_held_lock *hl;
	struct ksync_cpu *c = lockdep_watched_cpu();
	unsigned long flags;

	if (!c)
		return;
	flags = lockdep_enter(c);
	hl = held_entry(c, map);
	if (hl)
		hl->pin_count += cookie.val;
	else
		lockdep_warn(site, ip, "pinning an unheld lock\n");
	lockdep_exit(c, flags);
}

KSYNC_API void ksync_lock_unpin_lock(struct lockdep_map *map, struct pin_cookie cookie,
				     unsigned long ip)
{
	const struct ksync_site *site = lockdep_ip_site(&ip);
	struct ksync_held_lock *hl;
	struct ksync_cpu *c = lockdep_watched_cpu();
	unsigned long flags;

	if (!c)
		return;
	flags = lockdep_enter(c);
	hl = held_entry(c, map);
	if (!hl) {
		lockdep_warn(site, ip, "unpinning an unheld lock\n");
	} else if (!hl->pin_count) {
		lockdep_warn(site, ip, "unpinning an unpinned lock\n");
	} else {
		hl->pin_count -= cookie.val;
		if ((int)hl->pin_count < 0) {
			lockdep_warn(site, ip, "pin count corrupted\n");
			hl->pin_count = 0;
		}
	}
	lockdep_exit(c, flags);
}
