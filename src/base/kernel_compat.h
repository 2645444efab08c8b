/* SPDX-License-Identifier: MIT */
/*
 * Kernel-style helpers for ksync's own sources (not installed: the public
 * headers avoid defining these generic names in users' programs).
 */
#ifndef _KSYNC_SRC_KERNEL_COMPAT_H
#define _KSYNC_SRC_KERNEL_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <ksync/compiler.h>

#define likely(x)	__ksync_likely(x)
#define unlikely(x)	__ksync_unlikely(x)
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
/* The caller of the (exported, never inlined) function this appears in. */
#define RET_IP		((uintptr_t)__builtin_return_address(0))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif /* _KSYNC_SRC_KERNEL_COMPAT_H */
