/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers shared by every ksync header: branch hints, barriers,
 * attributes and the call-site records that reports use.
 *
 * The kernel spells most of these the same way; each is defined only if
 * the including program has not defined its own, so ksync headers can sit
 * beside code that already has its own helpers.
 */
#ifndef _KSYNC_COMPILER_H
#define _KSYNC_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#if !defined(__GNUC__)
#error "ksync needs GNU C (gcc or clang): statement expressions, typeof, cleanup"
#endif

#define KSYNC_API __attribute__((visibility("default")))

/*
 * Only names the kernel API needs are defined here, each only if the
 * program has not defined it.  Branch hints and the like carry a ksync
 * prefix, so that including ksync never redefines a program's own
 * likely(), noinline or container_of.
 */
#define __ksync_likely(x)	__builtin_expect(!!(x), 1)
#define __ksync_unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef __always_inline
#define __always_inline	inline __attribute__((__always_inline__))
#endif
#ifndef __maybe_unused
#define __maybe_unused	__attribute__((__unused__))
#endif
#ifndef __cleanup
#define __cleanup(fn)	__attribute__((__cleanup__(fn)))
#endif

/* Compiler-only barrier: also orders against a signal handler on this thread. */
#ifndef barrier
#define barrier()	__atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

#define __KSYNC_PASTE2(a, b)	a##b
#define __KSYNC_PASTE(a, b)	__KSYNC_PASTE2(a, b)
#ifndef __UNIQUE_ID
#define __UNIQUE_ID(prefix)	__KSYNC_PASTE(__KSYNC_PASTE(__uid_, prefix), __COUNTER__)
#endif

/*
 * A call site, recorded at compile time where a lock call is written.
 *
 * Every lock macro passes one of these to the out-of-line debug paths, so
 * reports can say "at foo.c:42" and name a lock by the expression the
 * caller wrote, without debug information or symbolisation. The record is
 * a static constant: on the fast path it costs nothing, because only the
 * cold debug branch takes its address.
 */
struct ksync_site {
	const char *file;
	const char *func;
	const char *expr;	/* the lock expression as written */
	int line;
};

#define KSYNC_SITE(expr_str)						\
	({								\
		static const struct ksync_site __ksync_site = {		\
			__FILE__, __func__, expr_str, __LINE__		\
		};							\
		&__ksync_site;						\
	})

#endif /* _KSYNC_COMPILER_H */
