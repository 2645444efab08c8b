// SPDX-License-Identifier: MIT
/*
 * libksync-preload: lock class names, made when they are first printed.
 *
 * A class is named after a place ("mutex@cache.c:88<-db.c:120", a static
 * lock's variable "big_lock"), which takes symbolising: libdw, loaded with
 * dlopen() and allocating as it reads debug information.  A lock's first
 * use is the wrong moment for that: the call may come from the program's
 * memory allocator while it holds a lock of its own (jemalloc takes
 * pthread mutexes while it initialises, from inside the first malloc()),
 * and an allocation from there deadlocks on that lock.  So a class gets a
 * name that costs nothing to make - its addresses in hex, which also keep
 * it unique - and lockdep asks for the real one when it prints it (a
 * report, lock_stat, the graph: ksync_lockdep_set_name_fn()).
 *
 * Records are handed out from chunks of their own, so that a name lockdep
 * passes back can be recognised as one of ours; chunks are never freed.
 * Handing out takes no lock (fork() needs nothing), making a name is done
 * once per record and published with a compare-and-swap.
 */
#include "preload.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct lazy_name {
	char text[96];			/* what lockdep is given: unique, cheap */
	const char *made;		/* the name to print, once made */
	const char *kind;		/* "mutex", "rwlock", "spinlock" */
	const void *lock;
	uintptr_t ip[PRELOAD_MAX_CLASS_DEPTH];
	unsigned char how;		/* enum name_how */
	unsigned char depth;
};

#define CHUNK_BYTES	(1u << 20)
#define PER_CHUNK	(CHUNK_BYTES / sizeof(struct lazy_name))
#define MAX_CHUNKS	1024u

static struct lazy_name *chunks[MAX_CHUNKS];
static unsigned long next_record;

/* Record i, its chunk made on first need; NULL when out of room. */
static struct lazy_name *record(unsigned long i)
{
	unsigned long c = i / PER_CHUNK;
	struct lazy_name *chunk, *none = NULL;

	if (c >= MAX_CHUNKS)
		return NULL;
	/* Acquire: a chunk seen here was zeroed (fresh mmap) before its CAS. */
	chunk = __atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);
	if (!chunk) {
		chunk = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (chunk == MAP_FAILED)
			return NULL;
		if (!__atomic_compare_exchange_n(&chunks[c], &none, chunk, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			munmap(chunk, CHUNK_BYTES);
			chunk = none;
		}
	}
	return &chunk[i % PER_CHUNK];
}

/* The record whose text name is, or NULL: not a name of ours. */
static struct lazy_name *record_of(const char *name)
{
	uintptr_t p = (uintptr_t)name;

	for (unsigned int c = 0; c < MAX_CHUNKS; c++) {
		uintptr_t start = (uintptr_t)__atomic_load_n(&chunks[c], __ATOMIC_ACQUIRE);

		if (start && p >= start && p < start + PER_CHUNK * sizeof(struct lazy_name) &&
		    (p - start) % sizeof(struct lazy_name) == 0)
			return (struct lazy_name *)p;
	}
	return NULL;
}

/*
 * A record for a name made later, with its text filled in; NULL when out
 * of room (the caller then names the class without symbols).  Called on a
 * lock's first use: no allocation but mmap(2), no symbolising.
 */
static struct lazy_name *new_record(enum name_how how, const char *kind, const void *lock,
				    const uintptr_t *ip, unsigned int depth)
{
	struct lazy_name *n = record(__atomic_fetch_add(&next_record, 1, __ATOMIC_RELAXED));

	if (!n)
		return NULL;
	n->how = (unsigned char)how;
	n->kind = kind;
	n->lock = lock;
	n->depth = (unsigned char)depth;
	if (depth)
		memcpy(n->ip, ip, depth * sizeof(ip[0]));
	return n;
}

static size_t put_hex_chain(char *buf, size_t len, size_t n, const uintptr_t *ip,
			    unsigned int depth)
{
	for (unsigned int d = 0; d < depth && n < len; d++)
		n += (size_t)snprintf(buf + n, len - n, "%s%#lx", d ? "<-" : "",
				      (unsigned long)ip[d]);
	return n;
}

const char *preload_lazy_name(enum name_how how, const char *kind, const void *lock,
			      const uintptr_t *ip, unsigned int depth)
{
	struct lazy_name *n = new_record(how, kind, lock, ip, depth);
	/* Out of records: the same text, printed as it is. */
	char *buf = n ? n->text : preload_alloc(sizeof(n->text));
	size_t size = sizeof(n->text), at;

	if (!buf)
		return kind;

	switch (how) {
	case NAME_SITE:
		at = (size_t)snprintf(buf, size, "%s@", kind);
		put_hex_chain(buf, size, at, ip, depth);
		break;
	case NAME_STATIC:
		snprintf(buf, size, "%s@%p", kind, lock);
		break;
	case NAME_INSTANCE:
		snprintf(buf, size, "%s[%p]@%#lx", kind, lock, (unsigned long)ip[0]);
		break;
	}
	return buf;
}

/* --- when printed ------------------------------------------------------------------ */

/* The name the class had before names were made late: see preload_class.c. */
static void make_name(const struct lazy_name *n, char *buf, size_t len)
{
	char where[256];
	size_t at;

	switch (n->how) {
	case NAME_SITE:
		at = (size_t)snprintf(buf, len, "%s@", n->kind);
		for (unsigned int d = 0; d < n->depth && at < len; d++) {
			/* A return address: name the call, one byte before. */
			ksync_lockdep_site_name(n->ip[d] - 1, where, sizeof(where));
			at += (size_t)snprintf(buf + at, len - at, "%s%s", d ? "<-" : "", where);
		}
		break;
	case NAME_STATIC:
		ksync_lockdep_site_name((uintptr_t)n->lock, where, sizeof(where));
		/* A variable's name as it is ("big_lock"), else say what it is. */
		if (strstr(where, "+0x") || strchr(where, ':'))
			snprintf(buf, len, "%s@%s", n->kind, where);
		else
			snprintf(buf, len, "%s", where);
		break;
	case NAME_INSTANCE:
		/* A return address: name the call, one byte before. */
		ksync_lockdep_site_name(n->ip[0] - 1, where, sizeof(where));
		snprintf(buf, len, "%s[%p]@%s", n->kind, n->lock, where);
		break;
	}
}

static const char *printed_name(const char *name)
{
	struct lazy_name *n = record_of(name);
	const char *made, *none = NULL;
	char buf[1024];
	size_t len;
	char *copy;

	if (!n)
		return name;
	/* Acquire: the string is complete before its pointer is seen. */
	made = __atomic_load_n(&n->made, __ATOMIC_ACQUIRE);
	if (made)
		return made;
	preload_busy++;		/* libdw's pthread calls are not the program's */
	make_name(n, buf, sizeof(buf));
	len = strlen(buf) + 1;
	copy = preload_alloc(len);
	preload_busy--;
	if (!copy)
		return name;
	memcpy(copy, buf, len);
	/* Release: publish the complete string; a racing maker's stays unused. */
	if (!__atomic_compare_exchange_n(&n->made, &none, copy, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return none;
	return copy;
}

void preload_names_start(void)
{
	ksync_lockdep_set_name_fn(printed_name);
}
