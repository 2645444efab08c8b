// SPDX-License-Identifier: MIT
/*
 * Which site a report shows for a lock call: the guard() line for lock
 * calls written inside a guard class (<ksync/cleanup.h> records it in
 * ksync_tls.guard_site), otherwise the call's own site.
 */
#include <ksync/percpu.h>
#include "site.h"

const struct ksync_site *ksync_site_resolve(const struct ksync_site *site)
{
	const struct ksync_site *g;

	/* A guard class's lock call names its argument "_T" or "_T->...". */
	if (!site || site->expr[0] != '_' || site->expr[1] != 'T' ||
	    (site->expr[2] != '\0' && site->expr[2] != '-'))
		return site;
	g = __atomic_load_n(&ksync_tls.guard_site, __ATOMIC_RELAXED);
	return g ? g : site;
}
