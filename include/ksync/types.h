/* SPDX-License-Identifier: MIT */
/*
 * <ksync/types.h> - the kernel's fixed-width integer names and bool.
 *
 *   s8 u8 s16 u16 s32 u32 s64 u64, bool (true, false)
 *
 * The widths are the kernel's (asm-generic/int-ll64.h): 64-bit types are
 * long long on every target, so a u64 prints with %llu everywhere.  Each
 * is a typedef, which C11 lets a program repeat with the same type; a
 * program that has its own, different u32 (a macro, say) should define
 * KSYNC_NO_KERNEL_TYPES before including ksync.
 */
#ifndef _KSYNC_TYPES_H
#define _KSYNC_TYPES_H

#include <stdbool.h>

#ifndef KSYNC_NO_KERNEL_TYPES
typedef signed char		s8;
typedef unsigned char		u8;
typedef signed short		s16;
typedef unsigned short		u16;
typedef signed int		s32;
typedef unsigned int		u32;
typedef signed long long	s64;
typedef unsigned long long	u64;
#endif

#endif /* _KSYNC_TYPES_H */
