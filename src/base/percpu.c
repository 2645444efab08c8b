// SPDX-License-Identifier: MIT
/*
 * Per-CPU variables: each module's templates (its "ksync_percpu"
 * section) and, per CPU number, an area that starts as their copy (see
 * <ksync/percpu-defs.h>).
 *
 * A region is registered the first time code of its module reaches the
 * slow path; its areas are made on a CPU's first access.  Both may
 * happen in a signal handler (an interrupt handler's first per-CPU
 * access), so nothing here takes a lock: memory comes from mmap(),
 * regions and areas are published with compare-and-swap.
 *
 * When a CPU number passes to a new thread, base's cpu_reset hook
 * (percpu_cpu_reset(), layer_hooks.h) runs before the thread runs any
 * code as that CPU:
 * each existing area of the number is copied from the templates again.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include <ksync/percpu-defs.h>
#include "cpu.h"
#include "layer_hooks.h"
#include "report.h"

KSYNC_API struct ksync_percpu_region *ksync_percpu_regions;

/* 1 + the highest CPU number ever registered. */
static int cpu_ids;

static void *map_zeroed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksync_fatal("cannot allocate per-CPU data: out of memory\n");
	return p;
}

/*
 * Copy the templates byte by byte: a sanitizer may have put red zones
 * between them, which are part of the layout but must not be "read".
 */
__attribute__((no_sanitize_address)) static void
copy_templates(char *area, const struct ksync_percpu_region *r)
{
	const volatile char *src = r->start;
	size_t size = (size_t)(r->end - r->start);

	for (size_t i = 0; i < size; i++)
		area[i] = src[i];
}

static struct ksync_percpu_region *region_of(const void *p)
{
	struct ksync_percpu_region *r;

	/* Acquire: pairs with the release that published each region. */
	r = __atomic_load_n(&ksync_percpu_regions, __ATOMIC_ACQUIRE);
	for (; r; r = r->next)
		if ((const char *)p >= r->start && (const char *)p < r->end)
			return r;
	return NULL;
}

/*
 * Lock-free, so that a signal handler may register too: push with
 * compare-and-swap onto the head we searched; if the head moved, search
 * again (someone may have added this very region) and retry.
 */
static struct ksync_percpu_region *region_add(char *start, char *end)
{
	struct ksync_percpu_region *r = map_zeroed(sizeof(*r)), *head, *found;

	r->start = start;
	r->end = end;
	r->areas = map_zeroed(KSYNC_NR_CPUS * sizeof(char *));
	head = __atomic_load_n(&ksync_percpu_regions, __ATOMIC_ACQUIRE);
	for (;;) {
		found = NULL;
		for (struct ksync_percpu_region *p = head; p; p = p->next)
			if (p->start == start)
				found = p;
		if (found)
			break;
		r->next = head;
		/* Release: the region is complete before it can be found. */
		if (__atomic_compare_exchange_n(&ksync_percpu_regions, &head, r, 0,
						__ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
			return r;
	}
	munmap(r->areas, KSYNC_NR_CPUS * sizeof(char *));
	munmap(r, sizeof(*r));
	return found;
}

static char *area_get(struct ksync_percpu_region *r, int cpu)
{
	size_t size = (size_t)(r->end - r->start);
	char *a = __atomic_load_n(&r->areas[cpu], __ATOMIC_ACQUIRE), *none = NULL;

	if (a)
		return a;
	a = map_zeroed(size);
	copy_templates(a, r);
	/* Release: the copy is complete for whoever loads the pointer. */
	if (!__atomic_compare_exchange_n(&r->areas[cpu], &none, a, 0,
					 __ATOMIC_RELEASE, __ATOMIC_ACQUIRE)) {
		munmap(a, size);
		a = none;
	}
	return a;
}

KSYNC_API void *ksync_percpu_ptr_slow(const void *tmpl, int cpu,
				      char *mod_start, char *mod_end)
{
	struct ksync_percpu_region *r = region_of(tmpl);

	if (!r && mod_start && (const char *)tmpl >= mod_start &&
	    (const char *)tmpl < mod_end)
		r = region_add(mod_start, mod_end);
	if (!r)
		ksync_fatal("per-CPU access to %p, which is no per-CPU variable "
			    "(DEFINE_PER_CPU) of this program or of a library "
			    "that used its per-CPU variables already\n", tmpl);
	if (cpu < 0 || cpu >= KSYNC_NR_CPUS)
		ksync_fatal("per-CPU access for CPU %d: no such CPU\n", cpu);
	return area_get(r, cpu) + ((const char *)tmpl - r->start);
}

static void percpu_cpu_reset(struct ksync_cpu *c)
{
	int cpu = c->cpu;
	struct ksync_percpu_region *r;
	int ids = __atomic_load_n(&cpu_ids, __ATOMIC_RELAXED);

	/* Relaxed: a high-water mark; racing registrations both raise it. */
	while (ids < cpu + 1 &&
	       !__atomic_compare_exchange_n(&cpu_ids, &ids, cpu + 1, 0,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	r = __atomic_load_n(&ksync_percpu_regions, __ATOMIC_ACQUIRE);
	for (; r; r = r->next) {
		char *a = __atomic_load_n(&r->areas[cpu], __ATOMIC_ACQUIRE);

		if (a)
			copy_templates(a, r);
	}
}

KSYNC_API int ksync_nr_cpu_ids(void)
{
	return __atomic_load_n(&cpu_ids, __ATOMIC_RELAXED);
}

KSYNC_API int ksync_cpu_online(int cpu)
{
	return cpu >= 0 && cpu < KSYNC_NR_CPUS && ksync_cpu_tid(cpu) != 0;
}

KSYNC_HOOKS(percpu_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.cpu_reset = percpu_cpu_reset,
};
