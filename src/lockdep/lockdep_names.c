// SPDX-License-Identifier: MIT
/*
 * Name versions: two lock classes with one name (two locks initialised
 * by one macro in different places, or one name given to many keys) are
 * told apart in reports as "name", "name#2", "name#3", ... as the
 * kernel's count_matching_names() numbers them.
 *
 * The kernel counts by walking every class, which makes registering n
 * classes of one name cost n^2/2 string compares (9000 classes: tens of
 * seconds under ThreadSanitizer).  Here a table keeps, per name, the
 * highest version given so far: O(1) per new class.  Versions are only
 * labels, so one freed by lockdep_unregister_key() is not given again.
 * The table keeps its own copy of each name (up to NAME_KEPT bytes, and
 * the whole name's hash): a class's name may be freed with its key, and
 * names that differ only after NAME_KEPT bytes with equal hashes merely
 * share a counter.
 *
 * Invariant: called with the graph lock held (new_class()), the only
 * reader and writer of the table.
 */
#include <string.h>
#include "lockdep_internal.h"

/* Twice the classes there can be: the open-addressed table stays sparse. */
#define NAME_TABLE_BITS		(MAX_LOCKDEP_KEYS_BITS + 1)
#define NAME_TABLE_SIZE		(1u << NAME_TABLE_BITS)

#define NAME_KEPT		40

struct name_version {
	char name[NAME_KEPT];		/* a copy, truncated */
	unsigned int hash;		/* of the whole name */
	int version;			/* the highest given to this name; 0: empty slot */
};

static struct name_version name_table[NAME_TABLE_SIZE];

static unsigned int name_hash(const char *name)
{
	unsigned int h = 2166136261u;	/* FNV-1a */

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static bool name_matches(const struct name_version *e, const char *name, unsigned int hash)
{
	return e->hash == hash && !strncmp(e->name, name, NAME_KEPT - 1);
}

/*
 * The next version for name (not NULL).  Names are never removed, so the
 * table can fill only after many keys were unregistered and others with
 * new names registered: a name that finds no slot is numbered 1.
 */
int lockdep_next_name_version(const char *name)
{
	unsigned int hash = name_hash(name), i = hash & (NAME_TABLE_SIZE - 1);

	for (unsigned int n = 0; n < NAME_TABLE_SIZE; n++, i = (i + 1) & (NAME_TABLE_SIZE - 1)) {
		struct name_version *e = &name_table[i];

		if (!e->version) {
			strncpy(e->name, name, NAME_KEPT - 1);
			e->hash = hash;
			e->version = 1;
			return 1;
		}
		if (name_matches(e, name, hash))
			return ++e->version;
	}
	return 1;
}
