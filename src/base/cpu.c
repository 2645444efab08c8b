// SPDX-License-Identifier: MIT
/*
 * Threads as CPUs: lazy registration, CPU numbers, per-CPU blocks.
 *
 * A thread gets the smallest free CPU number the first time it needs one
 * (a lock slow path, a debug check, smp_processor_id()).  Registration may
 * happen inside a signal handler - an interrupt handler on a thread that
 * never took a lock before - so it takes no locks and allocates with mmap:
 * numbers come from a bitmap claimed with compare-and-swap, blocks from
 * chunks that are never freed.  A pthread key destructor gives the number
 * back when the thread exits, after the layers' exit hooks (lockdep's
 * "still has locks held" check).  A block is base's fields followed by
 * every layer's part (cpu.h); blocks sit in chunks at a fixed stride.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ksync/smp.h>
#include "cpu.h"
#include "layer_hooks.h"
#include "init.h"
#include "report.h"

KSYNC_API __thread struct ksync_tls ksync_tls
	__attribute__((tls_model("initial-exec")));

#define CPUS_PER_CHUNK	64
#define NR_CHUNKS	((KSYNC_NR_CPUS + CPUS_PER_CHUNK - 1) / CPUS_PER_CHUNK)
#define BITMAP_WORDS	((KSYNC_NR_CPUS + 63) / 64)

static uint64_t cpu_bitmap[BITMAP_WORDS];
static struct ksync_cpu *cpu_chunks[NR_CHUNKS];
static int cpus_online;
static pthread_key_t cpu_exit_key;

/* Claim the lowest free number, or -1 if all KSYNC_NR_CPUS are taken. */
static int cpu_id_alloc(void)
{
	for (int w = 0; w < BITMAP_WORDS; w++) {
		uint64_t v = __atomic_load_n(&cpu_bitmap[w], __ATOMIC_RELAXED);

		while (~v) {
			int bit = __builtin_ctzll(~v);
			int id = w * 64 + bit;

			if (id >= KSYNC_NR_CPUS)
				return -1;
			/*
			 * Acquire: the previous owner of this number released
			 * its block with the release in cpu_id_free().
			 */
			if (__atomic_compare_exchange_n(&cpu_bitmap[w], &v,
							v | (1ull << bit), 0,
							__ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				return id;
		}
	}
	return -1;
}

static void cpu_id_free(int id)
{
	/* Release: our last writes to the block happen before its reuse. */
	__atomic_fetch_and(&cpu_bitmap[id / 64], ~(1ull << (id % 64)),
			   __ATOMIC_RELEASE);
}

/* Bytes from one block to the next: base's fields, then the parts. */
static size_t cpu_stride(void)
{
	size_t size = sizeof(struct ksync_cpu) +
		      (size_t)(__stop_ksync_cpu_parts - __start_ksync_cpu_parts);

	return (size + 63) & ~(size_t)63;
}

static struct ksync_cpu *chunk_block(struct ksync_cpu *chunk, int i)
{
	return (struct ksync_cpu *)((char *)chunk + (size_t)i * cpu_stride());
}

static struct ksync_cpu *cpu_chunk(int chunk)
{
	struct ksync_cpu *c = __atomic_load_n(&cpu_chunks[chunk], __ATOMIC_ACQUIRE);
	struct ksync_cpu *expected = NULL;
	size_t size = CPUS_PER_CHUNK * cpu_stride();

	if (c)
		return c;
	c = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		ksync_fatal("cannot allocate per-CPU data: out of memory\n");
	/* Release: publish the zeroed chunk; acquire on failure to use theirs. */
	if (!__atomic_compare_exchange_n(&cpu_chunks[chunk], &expected, c, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(c, size);
		c = expected;
	}
	return c;
}

struct ksync_cpu *ksync_cpu_of(int cpu)
{
	return chunk_block(cpu_chunk(cpu / CPUS_PER_CHUNK), cpu % CPUS_PER_CHUNK);
}

struct ksync_cpu *ksync_cpu_peek(int cpu)
{
	struct ksync_cpu *c;

	if (cpu < 0 || cpu >= KSYNC_NR_CPUS)
		return NULL;
	c = __atomic_load_n(&cpu_chunks[cpu / CPUS_PER_CHUNK], __ATOMIC_ACQUIRE);
	return c ? chunk_block(c, cpu % CPUS_PER_CHUNK) : NULL;
}

static __attribute__((noreturn)) void cpu_limit_reached(void)
{
	ksync_fatal("cannot register thread %d as a CPU: %d threads are "
		    "registered already, the most the queued spinlock's tail "
		    "can encode (14 bits of CPU number + 1)\n",
		    (int)ksync_gettid(), KSYNC_NR_CPUS);
}

/* Incarnations handed out so far; 0 is never one (it means "none"). */
static unsigned int cpu_incarnations;

/*
 * Forget everything a previous thread left in block c: a thread that
 * exited, or one that did not survive fork().  The exit hooks have
 * reported what the exited thread still held; each layer's cpu_reset
 * hook clears its part (the new thread holds nothing, waits in no queue,
 * is in no interrupt state, has no work pending).  Event counts stay:
 * they are the process's history.
 */
static void cpu_block_reset(struct ksync_cpu *c)
{
	ksync_hooks_cpu_reset(c);
}

static unsigned int new_incarnation(void)
{
	unsigned int inc;

	/* Relaxed: a unique number is all we need; 0 is skipped on wrap. */
	do
		inc = __atomic_add_fetch(&cpu_incarnations, 1, __ATOMIC_RELAXED);
	while (!inc);
	return inc;
}

bool ksync_cpu_incarnation_alive(const struct ksync_cpu *c, unsigned int inc)
{
	return inc && __atomic_load_n(&c->incarnation, __ATOMIC_RELAXED) == inc &&
	       ksync_cpu_tid(__atomic_load_n(&c->cpu, __ATOMIC_RELAXED)) != 0;
}

static int hw_cpus_count(void);

struct ksync_cpu *ksync_cpu_slow(void)
{
	struct ksync_cpu *c, *old;
	int id;

	ksync_init_once();
	id = cpu_id_alloc();
	if (id < 0)
		cpu_limit_reached();
	c = ksync_cpu_of(id);
	/* Atomic: the lockup watch and reports read other threads' blocks. */
	__atomic_store_n(&c->cpu, id, __ATOMIC_RELAXED);
	__atomic_store_n(&c->tid, ksync_gettid(), __ATOMIC_RELAXED);
	cpu_block_reset(c);
	__atomic_store_n(&c->incarnation, new_incarnation(), __ATOMIC_RELAXED);
	/* Read only by this thread: plain. */
	c->cpus_allowed = hw_cpus_count();

	/*
	 * A signal handler may have registered this thread while we were
	 * busy (it completed before returning to us): keep its number.
	 */
	old = __atomic_exchange_n(&ksync_tls.cpu, c, __ATOMIC_RELAXED);
	if (old) {
		__atomic_store_n(&ksync_tls.cpu, old, __ATOMIC_RELAXED);
		cpu_id_free(id);
		return old;
	}
	__atomic_store_n(&ksync_tls.cpu_plus_one, (unsigned)id + 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&cpus_online, 1, __ATOMIC_RELAXED);
	pthread_setspecific(cpu_exit_key, c);
	return c;
}

pid_t ksync_cpu_tid(int cpu)
{
	uint64_t word = __atomic_load_n(&cpu_bitmap[cpu / 64], __ATOMIC_ACQUIRE);
	struct ksync_cpu *chunk;

	if (!(word & (1ull << (cpu % 64))))
		return 0;
	chunk = __atomic_load_n(&cpu_chunks[cpu / CPUS_PER_CHUNK], __ATOMIC_ACQUIRE);
	return chunk ? __atomic_load_n(&chunk_block(chunk, cpu % CPUS_PER_CHUNK)->tid,
					__ATOMIC_RELAXED) : 0;
}

int ksync_cpu_register(void)
{
	return ksync_this_cpu()->cpu;
}

int ksync_num_online_cpus(void)
{
	return __atomic_load_n(&cpus_online, __ATOMIC_RELAXED);
}

/* CPUs in our affinity mask, counted once (0: not yet). */
static int hw_cpus;

static int hw_cpus_count(void)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	return n > 0 ? n : 1;
}

bool ksync_cpus_oversubscribed(void)
{
	/* Relaxed: a plain cached number; racing first callers agree. */
	int hw = __atomic_load_n(&hw_cpus, __ATOMIC_RELAXED);

	if (__ksync_unlikely(!hw)) {
		hw = hw_cpus_count();
		__atomic_store_n(&hw_cpus, hw, __ATOMIC_RELAXED);
	}
	return ksync_num_online_cpus() > hw;
}

static void cpu_unregister(struct ksync_cpu *c)
{
	__atomic_store_n(&ksync_tls.cpu, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&ksync_tls.cpu_plus_one, 0, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&cpus_online, 1, __ATOMIC_RELAXED);
	cpu_id_free(c->cpu);
}

static void cpu_thread_exit(void *arg)
{
	struct ksync_cpu *c = arg;

	ksync_hooks_thread_exit(c);
	/* A later destructor may use ksync again: it will re-register. */
	cpu_unregister(c);
}

/*
 * After fork() only the forking thread exists in the child.  Every other
 * CPU number is free again, and every other block is released: the
 * threads that held those locks, waited in those queues and had those
 * interrupt states do not exist here, and a thread the child creates
 * must not inherit any of it.  (What those threads held stays held, as
 * with any lock after fork(); a debug report names its owner as exited.)
 * Single-threaded here, so plain accesses.
 */
static void cpu_fork_child(void)
{
	struct ksync_cpu *me = ksync_this_cpu_or_null();

	memset(cpu_bitmap, 0, sizeof(cpu_bitmap));
	cpus_online = 0;
	for (int chunk = 0; chunk < NR_CHUNKS; chunk++) {
		struct ksync_cpu *c = cpu_chunks[chunk];

		if (!c)
			continue;
		for (int i = 0; i < CPUS_PER_CHUNK; i++) {
			struct ksync_cpu *dead = chunk_block(c, i);

			if (dead == me)
				continue;
			/* A block never registered has no number yet. */
			dead->cpu = chunk * CPUS_PER_CHUNK + i;
			if (me)
				ksync_hooks_cpu_dead(me, dead);
			cpu_block_reset(dead);
		}
	}
	if (me) {
		cpu_bitmap[me->cpu / 64] |= 1ull << (me->cpu % 64);
		me->tid = ksync_gettid();
		cpus_online = 1;
	}
}

static void cpu_init(void)
{
	if (pthread_key_create(&cpu_exit_key, cpu_thread_exit) != 0)
		ksync_fatal("pthread_key_create failed\n");
}

KSYNC_HOOKS(cpu_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.init = cpu_init,
	.fork_child = cpu_fork_child,
};

static const char *const lockevent_names[LOCKEVENT_NUM] = {
	[LOCKEVENT_lock_slowpath] = "lock_slowpath",
	[LOCKEVENT_pv_lock_stealing] = "pv_lock_stealing",
	[LOCKEVENT_pv_head_steal] = "pv_head_steal",
	[LOCKEVENT_lock_pending] = "lock_pending",
	[LOCKEVENT_pv_wait_node] = "pv_wait_node",
	[LOCKEVENT_pv_wait_head] = "pv_wait_head",
	[LOCKEVENT_pv_kick_unlock] = "pv_kick_unlock",
	[LOCKEVENT_pv_spurious_wakeup] = "pv_spurious_wakeup",
	[LOCKEVENT_lock_use_node2] = "lock_use_node2",
	[LOCKEVENT_lock_use_node3] = "lock_use_node3",
	[LOCKEVENT_lock_use_node4] = "lock_use_node4",
	[LOCKEVENT_lock_no_node] = "lock_no_node",
	[LOCKEVENT_pv_head_no_steal] = "pv_head_no_steal",
};

KSYNC_API const char *ksync_lockevent_name(enum ksync_lock_event ev)
{
	return (unsigned)ev < LOCKEVENT_NUM ? lockevent_names[ev] : "?";
}

KSYNC_API unsigned long long ksync_lockevent_read(enum ksync_lock_event ev)
{
	unsigned long long sum = 0;

	if ((unsigned)ev >= LOCKEVENT_NUM)
		return 0;
	for (int chunk = 0; chunk < NR_CHUNKS; chunk++) {
		struct ksync_cpu *c = __atomic_load_n(&cpu_chunks[chunk], __ATOMIC_ACQUIRE);

		if (!c)
			continue;
		for (int i = 0; i < CPUS_PER_CHUNK; i++)
			sum += __atomic_load_n(&chunk_block(c, i)->lockevents[ev],
					       __ATOMIC_RELAXED);
	}
	return sum;
}
