/* SPDX-License-Identifier: MIT */
/*
 * <ksync/urcu_abi.h> - the parts of liburcu (urcu-memb flavour, liburcu
 * 0.13's layout) that <ksync/rcupdate.h>'s inline read side touches,
 * under ksync's own names.  Not for users: included by rcupdate.h, and by
 * src/rcu/urcu_glue.c, which includes liburcu's real headers too and
 * checks every offset and constant here against them at compile time
 * (a liburcu whose layout differs fails ksync's build, not a reader).
 *
 * Why mirror instead of include: liburcu's headers define rcu_read_lock(),
 * call_rcu(), struct rcu_head ... under the names rcupdate.h gives the
 * kernel's, so a user's file cannot include both.
 */
#ifndef _KSYNC_URCU_ABI_H
#define _KSYNC_URCU_ABI_H

#include <stdint.h>

/*
 * A reader's counter (liburcu's struct urcu_reader begins with it): its
 * low half counts the thread's read-side nesting, its high half holds
 * the grace-period phase it entered in.  Only ctr is mirrored: the rest
 * of the struct is the writer's registry, which the read side never reads.
 */
struct ksync_urcu_reader {
	unsigned long ctr;
};

/*
 * The grace-period state (liburcu's struct urcu_gp): ctr, the current
 * phase with a nest count of one already in it (so the outermost
 * rcu_read_lock() just copies it); futex, -1 while synchronize_rcu()
 * sleeps waiting for readers to leave.
 */
struct ksync_urcu_gp {
	unsigned long ctr;
	int32_t futex;
};

/* liburcu's URCU_GP_COUNT and URCU_GP_CTR_NEST_MASK (half a long). */
#define KSYNC_URCU_GP_COUNT		1UL
#define KSYNC_URCU_GP_CTR_NEST_MASK	((1UL << (sizeof(unsigned long) * 4)) - 1)

#endif /* _KSYNC_URCU_ABI_H */
