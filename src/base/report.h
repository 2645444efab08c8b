/* SPDX-License-Identifier: MIT */
/*
 * Report output: the printk of ksync.
 *
 * Reports can start inside a signal handler (an interrupt handler that
 * misuses a lock), so the formatter is our own, allocates nothing and ends
 * in write(2).  Multi-line reports hold the report lock so that two
 * threads' reports do not interleave; the lock is recursive per thread so
 * a report from a handler that interrupted a report still comes out.
 */
#ifndef _KSYNC_SRC_REPORT_H
#define _KSYNC_SRC_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <ksync/compiler.h>
#include "kernel_compat.h"

#define KSYNC_COMM_LEN	16

extern int ksync_report_fd;

int ksync_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksync_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
void ksync_printk(const char *fmt, ...) __printf(1, 2);

void ksync_report_lock(void);
void ksync_report_unlock(void);

pid_t ksync_gettid(void);
/* The calling thread's name (as in /proc/self/task/TID/comm). */
const char *ksync_comm(char buf[KSYNC_COMM_LEN]);
/* Another thread's name, "?" if it is gone. */
const char *ksync_comm_of(pid_t tid, char buf[KSYNC_COMM_LEN]);

/*
 * "file:line" of a site, or, if there is no site, the symbolised ip: a
 * return address (the call's line is named, see ksync_symbolize_return()).
 */
const char *ksync_site_str(const struct ksync_site *site, uintptr_t ip,
			   char *buf, size_t len);

/* The kernel's dump_stack(): a header line and the call trace. */
void ksync_dump_stack(void);
/* Just the "Call Trace:" lines, skipping the innermost skip frames. */
void ksync_print_backtrace(int skip);

/* A "==...==" rule as wide as s, as the kernel frames its reports. */
void ksync_print_rule(char c, const char *s);

/*
 * Open a kernel-style report: a blank line, a rule of '=' as wide as the
 * title, the title, the ident line, a rule of '-'.
 */
void ksync_report_header(const char *title);

/* Whether ip is in libksync or a registered interposer (our_code.c). */
bool ksync_code_is_ours(uintptr_t ip);

/* Symbolise one code address: "func+0x1c/0x40 (file.c:42)" or similar. */
const char *ksync_symbolize(uintptr_t addr, char *buf, size_t len);
/*
 * Symbolise a return address: the function and file:line of the call
 * before it, with the return address's own offset (as the kernel shows
 * backtraces).
 */
const char *ksync_symbolize_return(uintptr_t ret, char *buf, size_t len);
/* Just "file.c:42" of that call, when known; else as above. */
const char *ksync_symbolize_return_line(uintptr_t ret, char *buf, size_t len);
/* The name of the function that made that call, "?" if unknown. */
const char *ksync_symbolize_return_func(uintptr_t ret, char *buf, size_t len);

/*
 * Run fn(arg) on ksync's report stack (1 MiB, for libdw), not on the
 * thread's own, which may be small.  false, without calling fn, if the
 * stack is in use (another thread's report, or the code a signal handler
 * interrupted) or cannot be mapped.  Not from a signal handler.
 */
bool ksync_call_on_report_stack(void (*fn)(void *), void *arg);

/*
 * The kernel's WARN_ONCE(): a "cut here" report with the message, the
 * place (file:line of site) and a stack trace, printed once per site.
 * Does not turn debug_locks off.
 */
void ksync_warn_once(const struct ksync_site *site, const char *fmt, ...)
	__printf(2, 3);

/*
 * The kernel's __warn(): a "cut here" report with the message (if fmt is
 * not NULL), the place and a stack trace, every time.
 */
void ksync_vwarn(const struct ksync_site *site, const char *fmt, va_list ap);

/*
 * The kernel's DEBUG_LOCKS_WARN_ON(cond): for the first problem only
 * (debug_locks goes to 0, unless KSYNC_KEEP_GOING), print
 * "DEBUG_LOCKS_WARN_ON(cond)", a plain explanation, the place and a stack
 * trace, in the WARN layout.
 */
void ksync_debug_locks_warn(const struct ksync_site *site, const char *cond,
			    const char *fmt, ...) __printf(3, 4);

struct ksync_cpu;
/*
 * p as a CPU block (a task) if it is one, else NULL.  For owner fields
 * read from a lock that may be garbage: a report names the owner only
 * through this, never by dereferencing what it read.
 */
struct ksync_cpu *ksync_task_or_null(const void *p);

/*
 * A lock whose magic is neither an initialised lock's nor 0 (never
 * initialised) is garbage: freed, overwritten or uninitialised memory.
 * Going on would act on garbage pointers, so say so and stop (abort).
 */
void ksync_stop_on_garbage_lock(const char *type, const char *name,
				const void *lock, unsigned long magic)
	__attribute__((noreturn));

/* "ksync: " and a line on stderr, about a setting (an environment switch). */
void ksync_env_warn(const char *fmt, ...) __printf(1, 2);

/* Print a fatal usage error and abort the process. */
void ksync_fatal(const char *fmt, ...) __printf(1, 2) __attribute__((noreturn));

#endif /* _KSYNC_SRC_REPORT_H */
