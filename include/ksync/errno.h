/* SPDX-License-Identifier: MIT */
/*
 * <ksync/errno.h> - the error codes ksync's functions return.
 *
 * The C library's <errno.h> (EINTR, ETIMEDOUT, EBUSY, ...), and the
 * kernel-internal codes that never reach userspace there, so glibc does
 * not define them:
 *
 *   ERESTARTSYS	512	a sleep ended by a signal before its condition
 *			held: wait_event_interruptible*(),
 *			wait_event_killable*(), swait_event_interruptible*(),
 *			wait_for_completion_interruptible*() and _killable*()
 *			return -ERESTARTSYS, as in the kernel.  The sleeping
 *			locks (mutex_lock_interruptible(), down_interruptible(),
 *			down_read_killable(), ...) return -EINTR, as in the
 *			kernel.  See docs/wait.md.
 */
#ifndef _KSYNC_ERRNO_H
#define _KSYNC_ERRNO_H

#include <errno.h>

#ifndef ERESTARTSYS
#define ERESTARTSYS	512
#endif

#endif /* _KSYNC_ERRNO_H */
