/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data: one block per registered thread, in a table indexed by
 * CPU number so that other threads can reach it (to hand over an MCS
 * queue, to wake a sleeper).  Blocks are never freed: a CPU number and its
 * block pass to the next thread that registers, so a stale reference can
 * at worst cause a spurious wakeup, never a use after free.
 */
#ifndef _KSYNC_SRC_CPU_H
#define _KSYNC_SRC_CPU_H

#include <stdbool.h>
#include <sys/types.h>
#include <ksync/smp.h>
#include <ksync/lock_events.h>

/*
 * A CPU block holds base's fields below and, after them, one part per
 * layer that keeps per-CPU data: a layer declares its part (a struct of
 * its own) with KSYNC_DEFINE_CPU_PART() in its own .c file and reaches it
 * with ksync_cpu_part().  As the kernel's per-CPU areas, the parts are
 * laid out by the linker: each declaration is a template in the section
 * "ksync_cpu_parts", and a part lives at the template's offset in that
 * section, after base's fields.  Base knows the parts' size, never their
 * types; a layer never touches another layer's part.
 */
struct ksync_cpu {
	int cpu;
	pid_t tid;
	/*
	 * Which thread this is: a number no other registration in this
	 * process had (CPU numbers and blocks are reused; this is not).  The
	 * debug paths record it beside a lock's owner so that a thread that
	 * reuses an exited owner's CPU number is not taken for the owner.
	 */
	unsigned int incarnation;
	/* Slow-path event counts; written only by this CPU. */
	unsigned long long lockevents[LOCKEVENT_NUM];
	/*
	 * CPUs this thread may run on, read when it registered: with one,
	 * a lock's owner can never run while we spin, so spinning never
	 * pays (ksync_spin_pays()).
	 */
	int cpus_allowed;
} __attribute__((aligned(64)));

/* A layer's per-CPU part: define it once, in that layer's .c file. */
#define KSYNC_DEFINE_CPU_PART(type, name)				\
	type name __attribute__((section("ksync_cpu_parts"), used, retain, aligned(64)))

extern char __start_ksync_cpu_parts[] __attribute__((visibility("hidden")));
extern char __stop_ksync_cpu_parts[] __attribute__((visibility("hidden")));

/* Block c's copy of the part whose template is part. */
#define ksync_cpu_part(c, part)						\
	((__typeof__(&(part)))((char *)((c) + 1) +			\
			       ((char *)&(part) - __start_ksync_cpu_parts)))

/* The block a part belongs to (the inverse of ksync_cpu_part()). */
#define ksync_cpu_of_part(p, part)					\
	((struct ksync_cpu *)((char *)(p) -				\
			      ((char *)&(part) - __start_ksync_cpu_parts)) - 1)

struct ksync_cpu *ksync_cpu_slow(void);
struct ksync_cpu *ksync_cpu_of(int cpu);
/* CPU cpu's block if it was ever allocated, else NULL (allocates nothing). */
struct ksync_cpu *ksync_cpu_peek(int cpu);
/* Whether incarnation inc still runs on block c (it has not exited). */
bool ksync_cpu_incarnation_alive(const struct ksync_cpu *c, unsigned int inc);
/*
 * More ksync threads than hardware CPUs this process may run on: a
 * spinner would then likely take the CPU its lock's owner needs.
 */
bool ksync_cpus_oversubscribed(void);

/* The thread id of an online CPU, 0 if it is not online. */
pid_t ksync_cpu_tid(int cpu);
/*
 * Whether waiting by spinning can pay off for thread c: not if it may run
 * on one CPU only (taskset -c 0), where whoever it waits for is off the
 * CPU for as long as it spins.
 */
static inline bool ksync_spin_pays(const struct ksync_cpu *c)
{
	return c->cpus_allowed != 1;
}

/* This thread's block, registering the thread on first use. */
static inline struct ksync_cpu *ksync_this_cpu(void)
{
	struct ksync_cpu *c = __atomic_load_n(&ksync_tls.cpu, __ATOMIC_RELAXED);

	if (__builtin_expect(c != NULL, 1))
		return c;
	return ksync_cpu_slow();
}

/* This thread's block if it is registered, else NULL. */
static inline struct ksync_cpu *ksync_this_cpu_or_null(void)
{
	return __atomic_load_n(&ksync_tls.cpu, __ATOMIC_RELAXED);
}

/* Count a slow-path event on this CPU (owner-only write, relaxed). */
static inline void lockevent_inc_cpu(struct ksync_cpu *c, enum ksync_lock_event ev)
{
	__atomic_store_n(&c->lockevents[ev],
			 __atomic_load_n(&c->lockevents[ev], __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

#define lockevent_inc(ev)	lockevent_inc_cpu(ksync_this_cpu(), LOCKEVENT_##ev)

#endif /* _KSYNC_SRC_CPU_H */
