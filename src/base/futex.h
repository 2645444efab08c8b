/* SPDX-License-Identifier: MIT */
/*
 * futex(2) wrappers.  Waits are private to the process and may return
 * early (signal, spurious wakeup, value already changed): callers always
 * re-check their condition.
 */
#ifndef _KSYNC_SRC_FUTEX_H
#define _KSYNC_SRC_FUTEX_H

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

/* Sleep while *uaddr == val, at most rel (NULL: no limit). Returns 0 or -errno. */
static inline int ksync_futex_wait(uint32_t *uaddr, uint32_t val,
				   const struct timespec *rel)
{
	long r = syscall(SYS_futex, uaddr, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0);

	return r < 0 ? -errno : 0;
}

/* Sleep while *uaddr == val, until the CLOCK_MONOTONIC time abs. */
static inline int ksync_futex_wait_until(uint32_t *uaddr, uint32_t val,
					 const struct timespec *abs)
{
	long r = syscall(SYS_futex, uaddr, FUTEX_WAIT_BITSET_PRIVATE, val, abs,
			 NULL, FUTEX_BITSET_MATCH_ANY);

	return r < 0 ? -errno : 0;
}

static inline int ksync_futex_wake(uint32_t *uaddr, int nr)
{
	long r = syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);

	return r < 0 ? -errno : (int)r;
}

static inline uint64_t ksync_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline struct timespec ksync_ns_to_timespec(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};
	return ts;
}

#endif /* _KSYNC_SRC_FUTEX_H */
