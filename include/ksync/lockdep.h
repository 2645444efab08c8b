/* SPDX-License-Identifier: MIT */
/*
 * <ksync/lockdep.h> - the lock validator's entry points.
 *
 * Every ksync lock calls these from its debug path (never from the fast
 * path): acquire before it waits, so a deadlock is reported before it
 * hangs; release when it unlocks.  They are exported for locks built
 * outside libksync (the ksync-lockdep preload library uses them).
 *
 * site is where the lock call was written (may be NULL); ip is the code
 * address to symbolise when there is no site.
 */
#ifndef _KSYNC_LOCKDEP_H
#define _KSYNC_LOCKDEP_H

#include <stddef.h>
#include <ksync/compiler.h>
#include <ksync/lockdep_types.h>

KSYNC_API void ksync_lockdep_init_map(struct lockdep_map *map, const char *name,
				      struct lock_class_key *key, int subclass,
				      int wait_type_inner, int kind);
KSYNC_API void ksync_lock_acquire(struct lockdep_map *map, unsigned int subclass,
				  int trylock, int read, int check,
				  struct lockdep_map *nest_lock,
				  const struct ksync_site *site, uintptr_t ip);
KSYNC_API void ksync_lock_release(struct lockdep_map *map,
				  const struct ksync_site *site, uintptr_t ip);
KSYNC_API void ksync_lock_contended(struct lockdep_map *map,
				    const struct ksync_site *site, uintptr_t ip);
KSYNC_API void ksync_lock_acquired(struct lockdep_map *map,
				   const struct ksync_site *site, uintptr_t ip);
/* Report if [mem, mem + len) holds a lock the calling thread holds. */
KSYNC_API void ksync_debug_check_no_locks_freed(const void *mem, size_t len);
/* Report if the calling thread holds any lock. */
KSYNC_API void ksync_debug_check_no_locks_held(void);
/* Print the calling thread's held locks. */
KSYNC_API void ksync_lockdep_print_held_locks(void);

#define debug_check_no_locks_freed(mem, len)	ksync_debug_check_no_locks_freed((mem), (len))
#define debug_check_no_locks_held()		ksync_debug_check_no_locks_held()

#endif /* _KSYNC_LOCKDEP_H */
