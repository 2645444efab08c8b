/* SPDX-License-Identifier: MIT */
/* Sites of lock calls (site.c). */
#ifndef _KSYNC_SRC_SITE_H
#define _KSYNC_SRC_SITE_H

#include <ksync/compiler.h>

/*
 * The site a report should show for a lock call: the guard() line for lock
 * calls written inside a guard class (expression "_T" or "_T->..."),
 * otherwise the call's own site.
 */
const struct ksync_site *ksync_site_resolve(const struct ksync_site *site);

#endif /* _KSYNC_SRC_SITE_H */
