// SPDX-License-Identifier: MIT
/*
 * Spinlock debugging (kernel/locking/spinlock_debug.c): magic, owner and
 * owner_cpu checks, and the lockup detector the kernel once had.
 *
 * The owner is the owning CPU's block and the owning thread's incarnation
 * (see smp.h): CPU numbers, and so blocks, pass to new threads, and a
 * thread that got the number of an owner that exited (or that did not
 * survive fork()) does not own that thread's locks.
 *
 * Each check prints the kernel's message and the program goes on as the
 * kernel does: a recursive lock then deadlocks, an unlock of an unlocked
 * lock is a no-op.  Only the first report is printed (debug_locks goes to
 * 0), unless KSYNC_KEEP_GOING=1.
 *
 * Bad magic is checked first, before lockdep reads the lock's map: a
 * magic of 0 is a zero-filled lock nobody initialised, reported and then
 * used as the unlocked lock it is; any other wrong magic means the
 * "lock" is garbage (freed or overwritten memory), whose lock word, owner
 * and map point anywhere: reported, and the program stops.  Reports read
 * nothing through the lock's pointers unchecked.
 */
#define _GNU_SOURCE
#include <time.h>

#include <ksync/spinlock.h>
#include "cpu.h"
#include "irq_internal.h"
#include "debug_checks.h"
#include "site.h"
#include "kernel_compat.h"
#include "qspinlock_pv.h"
#include "report.h"
#include "env.h"
#include "layer_hooks.h"
#include "spinlock_debug.h"

static const char *lock_name(const raw_spinlock_t *lock, const struct ksync_site *site)
{
	if (READ_ONCE(lock->magic) == SPINLOCK_MAGIC && lock->dep_map.name)
		return lock->dep_map.name;
	/* Never initialised: name it by the expression the caller wrote. */
	return site && site->expr ? site->expr : "?";
}

/*
 * The owner as it was when the problem was seen: read before debug_locks
 * goes off, since a holder may be waiting for just that to release.
 */
struct spin_owner {
	const char *comm;		/* "<none>", "<exited>" or its name */
	int tid;			/* -1 if none or exited */
	unsigned int owner_cpu;
	char buf[KSYNC_COMM_LEN];
};

static void spin_owner_read(raw_spinlock_t *lock, struct spin_owner *o)
{
	/* A garbage lock's owner is garbage too: only a real task is named. */
	void *raw_owner = READ_ONCE(lock->owner);
	struct ksync_cpu *owner = ksync_task_or_null(raw_owner);
	unsigned int incarnation = READ_ONCE(lock->owner_incarnation);

	o->owner_cpu = READ_ONCE(lock->owner_cpu);
	o->tid = -1;
	if (!raw_owner || raw_owner == SPINLOCK_OWNER_INIT) {
		o->comm = "<none>";
	} else if (!owner) {
		o->comm = "<not a task>";
	} else if (!ksync_cpu_incarnation_alive(owner, incarnation)) {
		/* Its block has a new thread, or none: not the owner's name. */
		o->comm = "<exited>";
	} else {
		o->tid = (int)READ_ONCE(owner->tid);
		o->comm = ksync_comm_of(o->tid, o->buf);
	}
}

/* note: one more line after the lock's, or NULL. */
static void spin_dump(raw_spinlock_t *lock, const char *msg,
		      const struct ksync_site *site, const struct spin_owner *o,
		      const char *note)
{
	char comm[KSYNC_COMM_LEN];
	char where[256];

	ksync_report_lock();
	ksync_printk("BUG: spinlock %s on CPU#%d, %s/%d\n", msg,
		     raw_smp_processor_id(), ksync_comm(comm), (int)ksync_gettid());
	ksync_printk(" lock: %s, .magic: %08x, .owner: %s/%d, .owner_cpu: %d\n",
		     lock_name(lock, site), READ_ONCE(lock->magic), o->comm, o->tid,
		     (int)o->owner_cpu);
	if (note)
		ksync_printk(" %s\n", note);
	if (site)
		ksync_printk(" at: %s\n", ksync_site_str(site, 0, where, sizeof(where)));
	ksync_dump_stack();
	ksync_report_unlock();
}

static void spin_bug(raw_spinlock_t *lock, const char *msg,
		     const struct ksync_site *site)
{
	struct spin_owner o;

	if (!READ_ONCE(debug_locks))
		return;
	spin_owner_read(lock, &o);
	if (!ksync_debug_locks_off())
		return;
	spin_dump(lock, msg, site, &o, NULL);
}

#define SPIN_BUG_ON(cond, lock, msg, site)				\
	do {								\
		if (unlikely(cond))					\
			spin_bug(lock, msg, site);			\
	} while (0)

void ksync_debug_spin_check_magic(raw_spinlock_t *lock, const struct ksync_site *site)
{
	unsigned int magic = READ_ONCE(lock->magic);

	if (likely(magic == SPINLOCK_MAGIC))
		return;
	/* Garbage: the report and the stop as one (ksync_stop_on_garbage_lock()). */
	if (magic != 0)
		ksync_report_lock();
	spin_bug(lock, "bad magic", site);
	if (magic != 0)
		ksync_stop_on_garbage_lock("spinlock", lock_name(lock, site), lock, magic);
}

/*
 * This thread (not only its CPU number) owns the lock.  Only the owner
 * and later threads with its CPU number can see their own block in
 * lock->owner, and those registered after the owner's last write (the
 * CPU number's release and claim order them), so the pair is stable.
 */
static bool owned_by_me(raw_spinlock_t *lock, struct ksync_cpu *me)
{
	return READ_ONCE(lock->owner) == me &&
	       READ_ONCE(lock->owner_incarnation) == me->incarnation;
}

void ksync_debug_spin_lock_before(raw_spinlock_t *lock, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();
	bool mine = owned_by_me(lock, me);

	SPIN_BUG_ON(mine, lock, "recursion", site);
	/* No owner ever recorded (zero-filled): owner_cpu 0 is no CPU's. */
	SPIN_BUG_ON(READ_ONCE(lock->owner) &&
		    READ_ONCE(lock->owner_cpu) == (unsigned int)me->cpu &&
		    READ_ONCE(lock->owner_incarnation) == me->incarnation, lock,
		    "cpu recursion", site);
}

void ksync_debug_spin_lock_after(raw_spinlock_t *lock)
{
	struct ksync_cpu *me = ksync_this_cpu();

	/* The lockup watch reads owner last: see lock_owner(). */
	WRITE_ONCE(lock->owner_incarnation, me->incarnation);
	WRITE_ONCE(lock->owner_cpu, (unsigned int)me->cpu);
	WRITE_ONCE(lock->owner, (void *)me);
}

void ksync_debug_spin_unlock(raw_spinlock_t *lock, const struct ksync_site *site)
{
	struct ksync_cpu *me = ksync_this_cpu();

	SPIN_BUG_ON(!raw_spin_is_locked(lock), lock, "already unlocked", site);
	SPIN_BUG_ON(!owned_by_me(lock, me), lock, "wrong owner", site);
	SPIN_BUG_ON(READ_ONCE(lock->owner_cpu) != (unsigned int)me->cpu, lock,
		    "wrong CPU", site);
	WRITE_ONCE(lock->owner, SPINLOCK_OWNER_INIT);
	WRITE_ONCE(lock->owner_cpu, -1);
	WRITE_ONCE(lock->owner_incarnation, 0);
}

/* --- the lockup watch ---------------------------------------------------------- */

/*
 * A wait is a lockup when the thread it waits for runs and still does not
 * release, not merely when it is long: the process may have been stopped
 * (SIGSTOP, a debugger, a frozen container) or the holder may be blocked
 * or preempted, and none of that is a lockup.  So once a wait passes
 * KSYNC_LOCKUP_MS the slow path looks, every eighth of that, at the
 * thread it depends on - the holder, or, if the holder itself waits for a
 * spinlock, the thread at the end of that chain - and reports when:
 *
 *  - that thread has used KSYNC_LOCKUP_MS of CPU time since the first
 *    look (its thread CPU clock stops while it is stopped or asleep);
 *  - or, at two looks in a row, the holder has exited, or the chain of
 *    waits comes back to this thread (a deadlock, or a recursion) or
 *    goes round a circle of others.
 */
enum holder_kind {
	HOLDER_NONE,		/* none recorded: free, or changing hands */
	HOLDER_RUNS,		/* a live thread, not waiting for a spinlock */
	HOLDER_GONE,		/* exited, or did not survive fork() */
	HOLDER_ME,		/* the waits come back to this thread */
	HOLDER_LOOP,		/* they go round a circle without us */
};

/* Waits followed from holder to holder before calling it a cycle. */
#define LOCKUP_MAX_HOPS	16

struct holder {
	enum holder_kind kind;
	struct ksync_cpu *cpu;
	unsigned int incarnation;
	int hops;		/* waits followed to get there */
};

/*
 * lock's owner as (block, incarnation); false if none is recorded.
 * owner is written last when taken and first when released, so a lock
 * changing hands may give a mismatched pair: the watch acts only on what
 * it sees twice.
 */
static bool lock_owner(raw_spinlock_t *lock, struct holder *h)
{
	void *owner = READ_ONCE(lock->owner);

	if (!owner || owner == SPINLOCK_OWNER_INIT)
		return false;
	h->incarnation = READ_ONCE(lock->owner_incarnation);
	h->cpu = ksync_task_or_null(owner);	/* followed below: a real block */
	return h->cpu && READ_ONCE(lock->owner) == owner;
}

/* The thread this thread's wait for lock comes down to. */
static void find_holder(raw_spinlock_t *lock, struct holder *h)
{
	struct ksync_cpu *me = ksync_this_cpu();

	for (h->hops = 0; h->hops < LOCKUP_MAX_HOPS; h->hops++) {
		raw_spinlock_t *next;

		if (!lock_owner(lock, h)) {
			*h = (struct holder){ .kind = HOLDER_NONE };
			return;
		}
		if (h->cpu == me && h->incarnation == me->incarnation) {
			h->kind = HOLDER_ME;
			return;
		}
		if (!ksync_cpu_incarnation_alive(h->cpu, h->incarnation)) {
			h->kind = HOLDER_GONE;
			return;
		}
		next = __atomic_load_n(&locking_cpu(h->cpu)->spin_waiting_on, __ATOMIC_RELAXED);
		if (!next) {
			h->kind = HOLDER_RUNS;
			return;
		}
		lock = next;
	}
	h->kind = HOLDER_LOOP;
}

/* CPU time thread tid has used, from its thread CPU clock. */
static bool thread_cpu_ns(pid_t tid, uint64_t *ns)
{
	/* glibc's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) */
	clockid_t clock = (clockid_t)(~(unsigned int)tid << 3 | 6u);
	struct timespec ts;

	if (tid <= 0 || clock_gettime(clock, &ts) != 0)
		return false;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return true;
}

static void lockup_report(raw_spinlock_t *lock, const char *note)
{
	struct spin_owner o;

	if (!ksync_debug_checks() || !READ_ONCE(debug_locks))
		return;
	spin_owner_read(lock, &o);
	if (!ksync_debug_locks_off())
		return;
	spin_dump(lock, "lockup suspected", NULL, &o, note);
}

bool ksync_spin_lockup_watch(struct ksync_lockup *lk)
{
	raw_spinlock_t *lock = lk->lock;
	uint64_t limit = (uint64_t)ksync_settings.lockup_ms * 1000000ull, cpu_ns = 0;
	struct holder h = { .kind = HOLDER_NONE };
	char note[160], comm[KSYNC_COMM_LEN];
	pid_t tid = 0;

	find_holder(lock, &h);
	if (h.kind == HOLDER_RUNS)
		tid = READ_ONCE(h.cpu->tid);
	if (h.kind == HOLDER_RUNS && !thread_cpu_ns(tid, &cpu_ns))
		h.kind = HOLDER_GONE;	/* exited since we looked */
	if ((int)h.kind != lk->holder_kind || h.cpu != lk->holder ||
	    h.incarnation != lk->holder_incarnation) {
		/* Someone new to watch: from now on. */
		lk->holder_kind = (int)h.kind;
		lk->holder = h.cpu;
		lk->holder_incarnation = h.incarnation;
		lk->holder_cpu_ns = cpu_ns;
		return false;
	}
	switch (h.kind) {
	case HOLDER_NONE:
		return false;
	case HOLDER_RUNS:
		if (cpu_ns - lk->holder_cpu_ns < limit)
			return false;
		ksync_snprintf(note, sizeof(note),
			       "%s %s/%d ran %llu ms on a CPU while this thread "
			       "waited, without releasing",
			       h.hops ? "the chain of waits ends at" : "its owner",
			       ksync_comm_of(tid, comm), (int)tid,
			       (unsigned long long)((cpu_ns - lk->holder_cpu_ns) / 1000000ull));
		break;
	case HOLDER_GONE:
		ksync_snprintf(note, sizeof(note),
			       "%s exited (or did not survive fork()) without unlocking",
			       h.hops ? "the owner at the end of the chain of waits" :
					"its owner");
		break;
	case HOLDER_ME:
		if (h.hops)
			ksync_snprintf(note, sizeof(note),
				       "its owner waits (through %d spinlock wait%s) for a "
				       "lock this thread holds: deadlock", h.hops,
				       h.hops > 1 ? "s" : "");
		else
			ksync_snprintf(note, sizeof(note), "this thread holds it already");
		break;
	case HOLDER_LOOP:
		ksync_snprintf(note, sizeof(note),
			       "its owner waits for a spinlock, and the waits go round "
			       "a circle: deadlock");
		break;
	}
	lockup_report(lk->lock, note);
	return true;
}

/* --- what a CPU waits for -------------------------------------------------- */

KSYNC_DEFINE_CPU_PART(struct ksync_locking_cpu, ksync_locking_cpu_part);

/* A new thread on block c waits for nothing. */
static void locking_cpu_reset(struct ksync_cpu *c)
{
	/* Atomic: the lockup watch of other threads reads it. */
	__atomic_store_n(&locking_cpu(c)->spin_waiting_on, NULL, __ATOMIC_RELAXED);
}

KSYNC_HOOKS(locking_cpu_hooks) = {
	.layer = KSYNC_LAYER_LOCKING,
	.cpu_reset = locking_cpu_reset,
};
