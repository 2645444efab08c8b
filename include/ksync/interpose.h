/* SPDX-License-Identifier: MIT */
/*
 * <ksync/interpose.h> - for libraries that call ksync on a program's
 * behalf: an LD_PRELOAD interposer that validates or replaces a program's
 * own locks (ksync-lockdep's libksync-preload is one).
 *
 *   ksync_interposer_register(code)
 *     the library containing code is part of ksync as far as reports go:
 *     a report's backtrace starts at the first frame outside it and
 *     libksync.  0, or -EINVAL (code is in no loaded object), -ENOSPC
 *     (four are registered already).
 *
 *   ksync_caller_set(ip) ... ksync_caller_clear()
 *     lock calls made between the two on the program's behalf, without a
 *     call site of their own, are reported at ip (the program's return
 *     address into the interposer) instead of at the interposer's code.
 *
 *   ksync_in_self()
 *     true while ksync works for itself on this thread (symbolising a
 *     report with libdw): pthread calls made then are not the program's,
 *     and an interposer passes them to the C library untouched.
 */
#ifndef _KSYNC_INTERPOSE_H
#define _KSYNC_INTERPOSE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <ksync/compiler.h>
#include <ksync/percpu.h>

KSYNC_API int ksync_interposer_register(const void *code);

/*
 * The calling thread is about to wait in a lock ksync does not implement
 * (the C library's, which an interposer validates): for the hung-task
 * detector (KSYNC_HUNG_TASK_SECS) and debug_show_all_locks(), it is asleep
 * uninterruptibly, as in one of ksync's locks, until the end call.  The
 * thread must not change its held locks in between.  When begin returns
 * true, the caller waits until *save_at (CLOCK_MONOTONIC) at first and,
 * if the lock is still not had then, calls ksync_interposer_sleep_long()
 * (which saves the thread's backtrace for the detector) and waits on.
 */
KSYNC_API bool ksync_interposer_sleep_begin(struct timespec *save_at);
KSYNC_API void ksync_interposer_sleep_long(void);
KSYNC_API void ksync_interposer_sleep_end(void);

static inline void ksync_caller_set(uintptr_t ip)
{
	/* Relaxed: this thread's own field (its signal handlers read it). */
	__atomic_store_n(&ksync_tls.caller_ip, ip, __ATOMIC_RELAXED);
}

static inline void ksync_caller_clear(void)
{
	__atomic_store_n(&ksync_tls.caller_ip, 0, __ATOMIC_RELAXED);
}

static inline bool ksync_in_self(void)
{
	return __atomic_load_n(&ksync_tls.in_ksync, __ATOMIC_RELAXED) != 0;
}

#endif /* _KSYNC_INTERPOSE_H */
