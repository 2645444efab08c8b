/* SPDX-License-Identifier: MIT */
/*
 * The liburcu calls ksync's RCU makes, in a file of their own: liburcu's
 * headers define rcu_read_lock(), call_rcu(), struct rcu_head ... under
 * the same names as <ksync/rcupdate.h>, so no file includes both.
 * urcu-memb flavour throughout.
 */
#ifndef _KSYNC_SRC_URCU_GLUE_H
#define _KSYNC_SRC_URCU_GLUE_H

struct callback_head;

void ksync_urcu_register_thread(void);
void ksync_urcu_unregister_thread(void);
void ksync_urcu_read_lock(void);
void ksync_urcu_read_unlock(void);
void ksync_urcu_synchronize_rcu(void);
void ksync_urcu_call_rcu(struct callback_head *head,
			 void (*func)(struct callback_head *head));
void ksync_urcu_barrier(void);
void ksync_urcu_before_fork(void);
void ksync_urcu_after_fork_parent(void);
void ksync_urcu_after_fork_child(void);

#endif /* _KSYNC_SRC_URCU_GLUE_H */
