// SPDX-License-Identifier: MIT
/*
 * LOCKED_BY(): the out-of-line report for <ksync/locked_by.h>.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <ksync/locked_by.h>
#include "report.h"

KSYNC_API void ksync_locked_by_mismatch(const void *owner, const void *lock,
					const struct ksync_site *site)
{
	char where[256];

	ksync_report_lock();
	ksync_printk("BUG: %s at %s: the data is protected by the lock at %p, "
		     "not by the lock at %p\n", site ? site->expr : "locked_by_access",
		     ksync_site_str(site, 0, where, sizeof(where)), owner, lock);
	ksync_dump_stack();
	ksync_report_unlock();
	abort();
}
