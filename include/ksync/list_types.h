/* SPDX-License-Identifier: MIT */
/*
 * <ksync/list_types.h> - the doubly linked list head the wait lists use.
 *
 * The kernel calls it struct list_head; ksync prefixes it, because many
 * programs define a list_head of their own.
 */
#ifndef _KSYNC_LIST_TYPES_H
#define _KSYNC_LIST_TYPES_H

struct ksync_list_head {
	struct ksync_list_head *next, *prev;
};

#define KSYNC_LIST_HEAD_INIT(name)	{ &(name), &(name) }

#endif /* _KSYNC_LIST_TYPES_H */
