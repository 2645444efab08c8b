/* SPDX-License-Identifier: MIT */
/*
 * <ksync/jiffies.h> - time in ticks, for the timeouts of the sleeping
 * primitives (down_timeout(), wait_for_completion_timeout(), ...).
 *
 * HZ is 1000: a jiffy is a millisecond.  jiffies counts from an arbitrary
 * start on CLOCK_MONOTONIC; it is read, not stored, so it is always
 * current.  Timeouts are converted to nanosecond deadlines inside ksync,
 * so a timeout is not rounded to whole ticks beyond its own value.
 */
#ifndef _KSYNC_JIFFIES_H
#define _KSYNC_JIFFIES_H

#include <limits.h>
#include <ksync/compiler.h>

#define HZ			1000
#define MAX_SCHEDULE_TIMEOUT	LONG_MAX
#define MAX_JIFFY_OFFSET	((LONG_MAX >> 1) - 1)

KSYNC_API unsigned long ksync_jiffies(void);
#define jiffies			ksync_jiffies()

static __always_inline unsigned long msecs_to_jiffies(unsigned int m)
{
	return (unsigned long)m * HZ / 1000;
}

static __always_inline unsigned long usecs_to_jiffies(unsigned int u)
{
	/* Round up: a timeout must not become shorter. */
	return ((unsigned long)u * HZ + 999999) / 1000000;
}

static __always_inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return (unsigned int)(j * 1000 / HZ);
}

static __always_inline unsigned int jiffies_to_usecs(unsigned long j)
{
	return (unsigned int)(j * (1000000 / HZ));
}

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)
#define time_before_eq(a, b)	time_after_eq(b, a)

#endif /* _KSYNC_JIFFIES_H */
