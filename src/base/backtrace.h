/* SPDX-License-Identifier: MIT */
/*
 * The caller's backtrace, for lockdep's saved traces and the hung-task
 * detector's sleep frames: return addresses from the first frame outside
 * ksync's own code, as the kernel's stack traces skip lockdep itself.
 */
#ifndef _KSYNC_SRC_BACKTRACE_H
#define _KSYNC_SRC_BACKTRACE_H

#include <stdint.h>

/* Up to max return addresses into frames; returns how many. */
int ksync_save_caller_stack(uintptr_t *frames, int max);

#endif /* _KSYNC_SRC_BACKTRACE_H */
