// SPDX-License-Identifier: MIT
/*
 * WARN() and BUG() (kernel/panic.c's __warn(), lib/bug.c's report_bug()):
 * the out-of-line halves of <ksync/bug.h>.
 */
#include <stdarg.h>
#include <stdlib.h>

#include <ksync/bug.h>
#include "report.h"

/* fmt may be NULL: no message line (ksync_vwarn() then leaves ap alone). */
static void warn(const struct ksync_site *site, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksync_vwarn(site, fmt, ap);
	va_end(ap);
}

KSYNC_API void ksync_warn_slowpath_null(const struct ksync_site *site)
{
	warn(site, NULL);
}

KSYNC_API void ksync_warn_slowpath_fmt(const struct ksync_site *site,
				       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ksync_vwarn(site, fmt, ap);
	va_end(ap);
}

KSYNC_API void ksync_bug(const struct ksync_site *site)
{
	char where[256];

	ksync_report_lock();
	ksync_printk("------------[ cut here ]------------\n");
	ksync_printk("kernel BUG at %s!\n",
		     ksync_site_str(site, 0, where, sizeof(where)));
	ksync_dump_stack();
	ksync_printk("---[ end trace 0000000000000000 ]---\n");
	ksync_report_unlock();
	abort();
}
