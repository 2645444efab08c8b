/* SPDX-License-Identifier: MIT */
/*
 * Doubly linked lists (include/linux/list.h), for ksync's own sources.
 */
#ifndef _KSYNC_SRC_LIST_H
#define _KSYNC_SRC_LIST_H

#include <stdbool.h>
#include <ksync/list_types.h>
#include "kernel_compat.h"

static inline void list_init(struct ksync_list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool list_empty(const struct ksync_list_head *h)
{
	return h->next == h;
}

static inline bool list_is_singular(const struct ksync_list_head *h)
{
	return !list_empty(h) && h->next == h->prev;
}

static inline void __list_add(struct ksync_list_head *n,
			      struct ksync_list_head *prev,
			      struct ksync_list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct ksync_list_head *n, struct ksync_list_head *h)
{
	__list_add(n, h, h->next);
}

static inline void list_add_tail(struct ksync_list_head *n, struct ksync_list_head *h)
{
	__list_add(n, h->prev, h);
}

static inline void list_del(struct ksync_list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = e;
	e->prev = e;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_for_each_entry(pos, h, member)				\
	for (pos = list_entry((h)->next, __typeof__(*pos), member);	\
	     &pos->member != (h);					\
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, h, member)			\
	for (pos = list_entry((h)->next, __typeof__(*pos), member),	\
	     n = list_entry(pos->member.next, __typeof__(*pos), member); \
	     &pos->member != (h);					\
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif /* _KSYNC_SRC_LIST_H */
