// SPDX-License-Identifier: MIT
/*
 * refcount_t's reports (lib/refcount.c's refcount_warn_saturate()).
 */
#include <stdarg.h>

#include <ksync/refcount.h>
#include "report.h"

/*
 * The kernel's text for each event; a NULL is a type the kernel does not
 * have, reported as the kernel's default case does.
 */
static const char *const saturation_what[] = {
	[REFCOUNT_ADD_NOT_ZERO_OVF]	= "saturated; leaking memory",
	[REFCOUNT_ADD_OVF]		= "saturated; leaking memory",
	[REFCOUNT_ADD_UAF]		= "addition on 0; use-after-free",
	[REFCOUNT_SUB_UAF]		= "underflow; use-after-free",
	[REFCOUNT_DEC_LEAK]		= "decrement hit 0; leaking memory",
};

#define NR_KINDS	ARRAY_SIZE(saturation_what)

/* One report per kind, as the kernel's WARN_ONCE() per switch case. */
static bool warned[NR_KINDS + 1];

static void warn(const struct ksync_site *site, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksync_vwarn(site, fmt, ap);
	va_end(ap);
}

KSYNC_API void ksync_refcount_warn_saturate(refcount_t *r,
					    enum refcount_saturation_type t,
					    const struct ksync_site *site)
{
	unsigned int kind = (unsigned int)t < NR_KINDS ? (unsigned int)t : NR_KINDS;

	/*
	 * Saturate first, whatever is printed: from now on the count stays
	 * near INT_MIN / 2, far from both 0 and overflow, so the object is
	 * never freed (it leaks); a later call on it reports its own kind
	 * if that was not reported yet, as the kernel's.
	 */
	refcount_set(r, REFCOUNT_SATURATED);
	/* Relaxed: the flag only makes one report per kind. */
	if (__atomic_exchange_n(&warned[kind], true, __ATOMIC_RELAXED))
		return;
	if (kind < NR_KINDS)
		warn(site, "refcount_t: %s.\n", saturation_what[kind]);
	else
		warn(site, "refcount_t: unknown saturation event!?\n");
}
