/* SPDX-License-Identifier: MIT */
/*
 * <ksync/bug.h> - the kernel's WARN and BUG assertions.
 *
 *   WARN_ON(cond)			report if cond; returns !!cond
 *   WARN_ON_ONCE(cond)		the same, reported once per call site
 *   WARN(cond, fmt, ...)		report with a message; returns !!cond
 *   WARN_ONCE(cond, fmt, ...)	the same, once per call site
 *   BUG(), BUG_ON(cond)		report and abort()
 *   BUILD_BUG_ON(cond), BUILD_BUG_ON_MSG(cond, msg)	compile-time checks
 *
 * The reports are the kernel's layouts, written through ksync's report
 * stream (stderr, or the KSYNC_LOG file), serialised with every other
 * ksync report:
 *
 *	------------[ cut here ]------------
 *	message, for WARN() and WARN_ONCE()
 *	WARNING: CPU: 0 PID: 4242 at file.c:42 function
 *	Comm: prog Not tainted ksync 1.0
 *	Call Trace:
 *	 <TASK>
 *	 ...
 *	 </TASK>
 *	---[ end trace 0000000000000000 ]---
 *
 *	------------[ cut here ]------------
 *	kernel BUG at file.c:42!
 *	CPU: 0 PID: 4242 Comm: prog Not tainted ksync 1.0
 *	Call Trace: ...
 *
 * A WARN goes on (the kernel taints and continues); a BUG aborts the
 * process (the kernel kills the task: SIGABRT is the closest).  They are
 * always on, as in the kernel, whatever KSYNC_DEBUG says.  The message is
 * formatted by ksync's signal-safe formatter, which knows the
 * conversions %d %i %u %x %X %p %s %c with the h, l, ll and z sizes, and
 * flags, width and precision; not floating point nor the kernel's %p
 * extensions.
 *
 * Each macro is defined only if the program has not defined its own.
 */
#ifndef _KSYNC_BUG_H
#define _KSYNC_BUG_H

#include <ksync/compiler.h>

KSYNC_API void ksync_warn_slowpath_null(const struct ksync_site *site);
KSYNC_API void ksync_warn_slowpath_fmt(const struct ksync_site *site,
				       const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
KSYNC_API void ksync_bug(const struct ksync_site *site)
	__attribute__((noreturn, cold));

#define __KSYNC_BUG_SITE(what)	KSYNC_SITE(what)

#ifndef WARN_ON
#define WARN_ON(condition)						\
	({								\
		int __ret_warn_on = !!(condition);			\
		if (__ksync_unlikely(__ret_warn_on))			\
			ksync_warn_slowpath_null(__KSYNC_BUG_SITE(#condition)); \
		(int)__ksync_unlikely(__ret_warn_on);		\
	})
#endif

#ifndef WARN
#define WARN(condition, ...)						\
	({								\
		int __ret_warn_on = !!(condition);			\
		if (__ksync_unlikely(__ret_warn_on))			\
			ksync_warn_slowpath_fmt(__KSYNC_BUG_SITE(#condition), \
						__VA_ARGS__);		\
		(int)__ksync_unlikely(__ret_warn_on);		\
	})
#endif

/*
 * Once per call site: the first thread to find the flag clear reports.
 * Relaxed: the flag orders nothing, the exchange only makes it one report.
 */
#define __KSYNC_WARN_ONCE_FIRST()					\
	({								\
		static bool __warned;					\
		!__atomic_load_n(&__warned, __ATOMIC_RELAXED) &&	\
		!__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED); \
	})

#ifndef WARN_ON_ONCE
#define WARN_ON_ONCE(condition)						\
	({								\
		int __ret_warn_once = !!(condition);			\
		if (__ksync_unlikely(__ret_warn_once) &&		\
		    __KSYNC_WARN_ONCE_FIRST())				\
			ksync_warn_slowpath_null(__KSYNC_BUG_SITE(#condition)); \
		(int)__ksync_unlikely(__ret_warn_once);		\
	})
#endif

#ifndef WARN_ONCE
#define WARN_ONCE(condition, ...)					\
	({								\
		int __ret_warn_once = !!(condition);			\
		if (__ksync_unlikely(__ret_warn_once) &&		\
		    __KSYNC_WARN_ONCE_FIRST())				\
			ksync_warn_slowpath_fmt(__KSYNC_BUG_SITE(#condition), \
						__VA_ARGS__);		\
		(int)__ksync_unlikely(__ret_warn_once);		\
	})
#endif

#ifndef BUG
#define BUG()	ksync_bug(__KSYNC_BUG_SITE("BUG()"))
#endif

#ifndef BUG_ON
#define BUG_ON(condition)						\
	do {								\
		if (__ksync_unlikely(condition))			\
			ksync_bug(__KSYNC_BUG_SITE(#condition));	\
	} while (0)
#endif

#ifndef BUILD_BUG_ON_MSG
#define BUILD_BUG_ON_MSG(condition, msg)				\
	do { _Static_assert(!(condition), msg); } while (0)
#endif
#ifndef BUILD_BUG_ON
#define BUILD_BUG_ON(condition)						\
	BUILD_BUG_ON_MSG(condition, "BUILD_BUG_ON failed: " #condition)
#endif

#endif /* _KSYNC_BUG_H */
