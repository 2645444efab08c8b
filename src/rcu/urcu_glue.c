// SPDX-License-Identifier: MIT
/*
 * liburcu, urcu-memb flavour (see urcu_glue.h).  Without _LGPL_SOURCE:
 * every call goes to liburcu's shared library, none of its LGPL code is
 * compiled into libksync.
 */
#include <stddef.h>
#include <urcu/urcu-memb.h>
#include "urcu_glue.h"

/*
 * ksync's struct callback_head (<ksync/rcupdate.h>) is handed to liburcu
 * as its struct rcu_head: the same two words, next and func.
 */
struct ksync_callback_head_layout {
	void *next;
	void (*func)(void *);
};
_Static_assert(sizeof(struct rcu_head) == sizeof(struct ksync_callback_head_layout),
	       "liburcu's struct rcu_head is not two words");
_Static_assert(offsetof(struct rcu_head, func) ==
	       offsetof(struct ksync_callback_head_layout, func),
	       "liburcu's struct rcu_head has func elsewhere");

void ksync_urcu_register_thread(void)
{
	urcu_memb_register_thread();
}

void ksync_urcu_unregister_thread(void)
{
	urcu_memb_unregister_thread();
}

void ksync_urcu_read_lock(void)
{
	urcu_memb_read_lock();
}

void ksync_urcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

void ksync_urcu_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
}

void ksync_urcu_call_rcu(struct callback_head *head,
			 void (*func)(struct callback_head *head))
{
	urcu_memb_call_rcu((struct rcu_head *)head,
			   (void (*)(struct rcu_head *))func);
}

void ksync_urcu_barrier(void)
{
	urcu_memb_barrier();
}

void ksync_urcu_before_fork(void)
{
	urcu_memb_call_rcu_before_fork();
}

void ksync_urcu_after_fork_parent(void)
{
	urcu_memb_call_rcu_after_fork_parent();
}

void ksync_urcu_after_fork_child(void)
{
	urcu_memb_call_rcu_after_fork_child();
}
