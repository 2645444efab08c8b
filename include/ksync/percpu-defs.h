/* SPDX-License-Identifier: MIT */
/*
 * <ksync/percpu-defs.h> - per-CPU variables (DEFINE_PER_CPU and friends).
 *
 * In ksync every thread is a CPU (<ksync/smp.h>), so a per-CPU variable
 * is one copy per registered thread, reached by CPU number:
 *
 *   DEFINE_PER_CPU(int, hits);		static DEFINE_PER_CPU(struct s, v);
 *   DECLARE_PER_CPU(int, hits);		(in a header)
 *   this_cpu_inc(hits);			this thread's copy
 *   per_cpu(hits, cpu)			CPU cpu's copy, an lvalue
 *   this_cpu_ptr(&v), per_cpu_ptr(&v, cpu), raw_cpu_ptr(&v)
 *
 * How it is stored.  As in the kernel, the variable itself is a template
 * in a section of its own ("ksync_percpu") and &var names the variable
 * for the accessors, not any CPU's copy.  Each CPU gets, on its first
 * access to any per-CPU variable of a program or library (a "module"),
 * an area that starts as a copy of that module's section, so a copy
 * starts with the variable's initialiser; this_cpu_ptr(&var) is that
 * area plus var's offset in the section.  An area is made when first
 * used and kept; when a CPU number passes to a new thread every area of
 * that number is copied from the templates again, so the new thread
 * inherits nothing from the exited one (its copies until then stay
 * readable by others with per_cpu()).
 *
 * this_cpu_*() are safe against an interrupt (a signal handler) on the
 * same thread, as the kernel's are against interrupts on the same CPU:
 * they are single relaxed atomic operations.  __this_cpu_*() and
 * raw_cpu_*() are for callers that already keep interrupts out (they are
 * a relaxed load and a relaxed store); all of them may be read from
 * other threads with READ_ONCE(per_cpu(var, cpu)).  A thread never moves
 * to another CPU number, so none of them needs preemption disabled.
 */
#ifndef _KSYNC_PERCPU_DEFS_H
#define _KSYNC_PERCPU_DEFS_H

#include <stddef.h>
#include <ksync/compiler.h>
#include <ksync/percpu.h>
#include <ksync/smp.h>

/* One module's templates and its CPUs' areas (src/base/percpu.c). */
struct ksync_percpu_region {
	char *start, *end;
	/* KSYNC_NR_CPUS area pointers; NULL until that CPU touches it. */
	char **areas;
	struct ksync_percpu_region *next;
};

/* Newest first: the program's own region is usually the head. */
extern KSYNC_API struct ksync_percpu_region *ksync_percpu_regions;

KSYNC_API void *ksync_percpu_ptr_slow(const void *tmpl, int cpu,
				      char *mod_start, char *mod_end);
/* ksync_nr_cpu_ids(): 1 + the highest CPU number ever registered. */
KSYNC_API int ksync_nr_cpu_ids(void);
KSYNC_API int ksync_cpu_online(int cpu);

/*
 * This module's section, if it has one (the linker defines the bounds
 * only then; weak, they are NULL otherwise).  Hidden: each module sees
 * its own.
 */
extern char __start_ksync_percpu[] __attribute__((weak, visibility("hidden")));
extern char __stop_ksync_percpu[] __attribute__((weak, visibility("hidden")));

static __always_inline void *__ksync_percpu_ptr(const void *tmpl, int cpu)
{
	/* Acquire: the region's fields are published with a release. */
	struct ksync_percpu_region *r =
		__atomic_load_n(&ksync_percpu_regions, __ATOMIC_ACQUIRE);

	if (__ksync_likely(r && (const char *)tmpl >= r->start &&
			   (const char *)tmpl < r->end)) {
		/* Acquire: the area was filled before it was published. */
		char *a = __atomic_load_n(&r->areas[cpu], __ATOMIC_ACQUIRE);

		if (__ksync_likely(a != NULL))
			return a + ((const char *)tmpl - r->start);
	}
	return ksync_percpu_ptr_slow(tmpl, cpu, __start_ksync_percpu,
				     __stop_ksync_percpu);
}

#define __PCPU_ATTRS							\
	__attribute__((section("ksync_percpu"), used))

#define DEFINE_PER_CPU(type, name)	__PCPU_ATTRS __typeof__(type) name
#define DECLARE_PER_CPU(type, name)					\
	extern __attribute__((section("ksync_percpu"))) __typeof__(type) name
#define DEFINE_PER_CPU_ALIGNED(type, name)				\
	__PCPU_ATTRS __attribute__((aligned(64))) __typeof__(type) name
#define DECLARE_PER_CPU_ALIGNED(type, name)				\
	extern __attribute__((section("ksync_percpu"), aligned(64)))	\
	__typeof__(type) name
#define DEFINE_PER_CPU_SHARED_ALIGNED	DEFINE_PER_CPU_ALIGNED
#define DECLARE_PER_CPU_SHARED_ALIGNED	DECLARE_PER_CPU_ALIGNED
#define EXPORT_PER_CPU_SYMBOL(var)
#define EXPORT_PER_CPU_SYMBOL_GPL(var)
#define __percpu

#define per_cpu_ptr(ptr, cpu)						\
	((__typeof__(ptr))__ksync_percpu_ptr((ptr), (cpu)))
#define raw_cpu_ptr(ptr)	per_cpu_ptr((ptr), raw_smp_processor_id())
#define this_cpu_ptr(ptr)	raw_cpu_ptr(ptr)
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), (cpu)))

/* Relaxed: only this thread (and its handlers) write its copy. */
#define __this_cpu_read(pcp)	__atomic_load_n(raw_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define __this_cpu_write(pcp, val)					\
	__atomic_store_n(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED)
#define __this_cpu_add(pcp, val)					\
	do {								\
		__typeof__(&(pcp)) __p = raw_cpu_ptr(&(pcp));		\
		__atomic_store_n(__p, __atomic_load_n(__p, __ATOMIC_RELAXED) + (val), \
				 __ATOMIC_RELAXED);			\
	} while (0)
#define __this_cpu_sub(pcp, val)	__this_cpu_add(pcp, -(__typeof__(pcp))(val))
#define __this_cpu_inc(pcp)		__this_cpu_add(pcp, 1)
#define __this_cpu_dec(pcp)		__this_cpu_sub(pcp, 1)
#define __this_cpu_add_return(pcp, val)					\
	({								\
		__typeof__(&(pcp)) __p = raw_cpu_ptr(&(pcp));		\
		__typeof__(pcp) __v = __atomic_load_n(__p, __ATOMIC_RELAXED) + (val); \
		__atomic_store_n(__p, __v, __ATOMIC_RELAXED);		\
		__v;							\
	})
#define raw_cpu_read(pcp)		__this_cpu_read(pcp)
#define raw_cpu_write(pcp, val)		__this_cpu_write(pcp, val)
#define raw_cpu_add(pcp, val)		__this_cpu_add(pcp, val)
#define raw_cpu_sub(pcp, val)		__this_cpu_sub(pcp, val)
#define raw_cpu_inc(pcp)		__this_cpu_inc(pcp)
#define raw_cpu_dec(pcp)		__this_cpu_dec(pcp)

/*
 * One atomic read-modify-write each: an interrupt handler on this thread
 * that changes the same copy cannot fall between the load and the store.
 * Relaxed: per-CPU counters order nothing (the kernel's are plain too).
 */
#define this_cpu_read(pcp)		__this_cpu_read(pcp)
#define this_cpu_write(pcp, val)	__this_cpu_write(pcp, val)
#define this_cpu_add(pcp, val)						\
	((void)__atomic_fetch_add(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_sub(pcp, val)						\
	((void)__atomic_fetch_sub(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_inc(pcp)		this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)		this_cpu_sub(pcp, 1)
#define this_cpu_add_return(pcp, val)					\
	__atomic_add_fetch(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED)
#define this_cpu_sub_return(pcp, val)					\
	__atomic_sub_fetch(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED)
#define this_cpu_inc_return(pcp)	this_cpu_add_return(pcp, 1)
#define this_cpu_dec_return(pcp)	this_cpu_sub_return(pcp, 1)
#define this_cpu_and(pcp, val)						\
	((void)__atomic_fetch_and(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_or(pcp, val)						\
	((void)__atomic_fetch_or(raw_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_xchg(pcp, nval)					\
	__atomic_exchange_n(raw_cpu_ptr(&(pcp)), (nval), __ATOMIC_RELAXED)
#define this_cpu_cmpxchg(pcp, oval, nval)				\
	({								\
		__typeof__(pcp) __old = (oval);				\
		__atomic_compare_exchange_n(raw_cpu_ptr(&(pcp)), &__old, (nval), 0, \
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED); \
		__old;							\
	})

/*
 * CPU numbers: every number a thread ever had is "possible" (its copies
 * exist, perhaps left by an exited thread); "online" ones have a thread.
 */
#define nr_cpu_ids		ksync_nr_cpu_ids()
#define cpu_online(cpu)		ksync_cpu_online(cpu)
#define for_each_possible_cpu(cpu)					\
	for ((cpu) = 0; (cpu) < ksync_nr_cpu_ids(); (cpu)++)
#define for_each_online_cpu(cpu)					\
	for_each_possible_cpu(cpu)					\
		if (!ksync_cpu_online(cpu)) {} else

#endif /* _KSYNC_PERCPU_DEFS_H */
