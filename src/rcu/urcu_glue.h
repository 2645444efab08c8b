/* SPDX-License-Identifier: MIT */
/*
 * What src/rcu/rcu.c calls in src/rcu/urcu_glue.c, the one file that
 * includes liburcu's headers (they define rcu_read_lock(), call_rcu(),
 * struct rcu_head ... under the same names as <ksync/rcupdate.h>, so no
 * file includes both).  urcu-memb flavour throughout.
 */
#ifndef _KSYNC_SRC_URCU_GLUE_H
#define _KSYNC_SRC_URCU_GLUE_H

struct callback_head;
struct lockdep_map;

/* Defined in rcu.c, used by the read side here. */
extern KSYNC_API struct lockdep_map ksync_rcu_lock_map;

/* Register this thread with liburcu if it is not yet. */
void ksync_urcu_register_lazily(void);
void ksync_urcu_read_lock(void);
void ksync_urcu_read_unlock(void);
void ksync_urcu_synchronize_rcu(void);
void ksync_urcu_call_rcu(struct callback_head *head,
			 void (*func)(struct callback_head *head));
void ksync_urcu_barrier(void);

#endif /* _KSYNC_SRC_URCU_GLUE_H */
