/* SPDX-License-Identifier: MIT */
/* Sites of lock calls (site.c). */
#ifndef _KSYNC_SRC_SITE_H
#define _KSYNC_SRC_SITE_H

#include <stdint.h>
#include <ksync/compiler.h>
#include <ksync/percpu.h>

/*
 * The site a report should show for a lock call: the guard() line for lock
 * calls written inside a guard class (expression "_T" or "_T->..."),
 * otherwise the call's own site.
 */
const struct ksync_site *ksync_site_resolve(const struct ksync_site *site);

/*
 * A library call made without a call site (a function such as complete(),
 * not a macro that records one): until ksync_site_caller_end(), the lock
 * calls and reports inside it that have no site of their own name the
 * library's caller at ip, as an interposer's calls name the program's
 * (<ksync/interpose.h>).  Returns what to restore.  Relaxed: this
 * thread's own field, read by its own signal handlers at most.
 */
static inline uintptr_t ksync_site_caller_begin(const struct ksync_site *site,
						uintptr_t ip)
{
	uintptr_t was = __atomic_load_n(&ksync_tls.caller_ip, __ATOMIC_RELAXED);

	if (!site && !was)
		__atomic_store_n(&ksync_tls.caller_ip, ip, __ATOMIC_RELAXED);
	return was;
}

static inline void ksync_site_caller_end(uintptr_t was)
{
	__atomic_store_n(&ksync_tls.caller_ip, was, __ATOMIC_RELAXED);
}

#endif /* _KSYNC_SRC_SITE_H */
