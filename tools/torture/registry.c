// SPDX-License-Identifier: MIT
/*
 * The lock types, gathered from their families.
 *
 * Each family (spinlocks, mutexes, rw_semaphores, ...) is a NULL-terminated
 * table in its own file.  The references are weak, so a family whose file
 * is not built is simply not offered.
 */
#include <string.h>

#include "torture.h"

#define TORTURE_FAMILY(name)						\
	extern const struct torture_lock_ops *const torture_types_##name[] \
		__attribute__((weak));

TORTURE_FAMILY(spin)
TORTURE_FAMILY(mutex)
TORTURE_FAMILY(rwlock)
TORTURE_FAMILY(rwsem)
TORTURE_FAMILY(sem)
TORTURE_FAMILY(seqlock)

static const struct torture_lock_ops *const *const *families(int *n)
{
	static const struct torture_lock_ops *const *const list[] = {
		torture_types_spin, torture_types_mutex, torture_types_rwlock,
		torture_types_rwsem, torture_types_sem, torture_types_seqlock,
	};

	*n = (int)(sizeof(list) / sizeof(list[0]));
	return list;
}

const struct torture_lock_ops *torture_ops_at(int i)
{
	int n;
	const struct torture_lock_ops *const *const *fam = families(&n);

	for (int f = 0; f < n; f++) {
		if (!fam[f])
			continue;
		for (int j = 0; fam[f][j]; j++)
			if (i-- == 0)
				return fam[f][j];
	}
	return NULL;
}

const struct torture_lock_ops *torture_find_ops(const char *name)
{
	const struct torture_lock_ops *ops;

	for (int i = 0; (ops = torture_ops_at(i)); i++)
		if (strcmp(ops->name, name) == 0)
			return ops;
	return NULL;
}
