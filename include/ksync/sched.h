/* SPDX-License-Identifier: MIT */
/*
 * <ksync/sched.h> - might_sleep() and friends.
 *
 * A sleeping function called from atomic context is a bug the kernel
 * catches with might_sleep() (CONFIG_DEBUG_ATOMIC_SLEEP).  ksync always
 * checks: the test is one read of preempt_count() and of the interrupt
 * mask.  In atomic context it prints
 *
 *   BUG: sleeping function called from invalid context at file.c:42
 *   in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1234, name: prog
 *   preempt_count: 1, expected: 0
 *   RCU nest depth: 0, expected: 0
 *   ...held locks, "Preemption disabled at:", stack...
 *
 * Inside an RCU read-side section (<ksync/rcupdate.h>) it is reported the
 * same way, as the kernel's CONFIG_PREEMPT_RCU does: "RCU nest depth: 1,
 * expected: 0", and rcu_read_lock among the held locks under lockdep.
 *
 * at most once a second, as the kernel does, and the program goes on.  It
 * is not a lockdep report: it does not turn debug_locks off.  Every ksync
 * primitive that can sleep calls it with its caller's file and line.
 */
#ifndef _KSYNC_SCHED_H
#define _KSYNC_SCHED_H

#include <ksync/barrier.h>
#include <ksync/compiler.h>
#include <ksync/irqflags.h>
#include <ksync/preempt.h>

KSYNC_API void ksync_might_resched_report(const struct ksync_site *site,
					  int expected_preempt);
KSYNC_API void ksync_cant_sleep_report(const struct ksync_site *site);

static __always_inline void
__ksync_might_sleep(const struct ksync_site *site, int expected)
{
	if (__ksync_unlikely(preempt_count() != expected || irqs_disabled() ||
			     __atomic_load_n(&ksync_tls.rcu_read_lock_nesting,
					     __ATOMIC_RELAXED)))
		ksync_might_resched_report(site, expected);
}

#define might_sleep()	__ksync_might_sleep(KSYNC_SITE("might_sleep"), 0)
#define might_sleep_if(cond)						\
	do {								\
		if (cond)						\
			might_sleep();					\
	} while (0)

#define cant_sleep()							\
	do {								\
		if (__ksync_unlikely(!preempt_count() && !irqs_disabled())) \
			ksync_cant_sleep_report(KSYNC_SITE("cant_sleep")); \
	} while (0)

/*
 * --- sleeping and waking -------------------------------------------------
 *
 * The kernel's scheduler interface, for wait loops and for ksync's own
 * sleeping primitives.  A thread sleeps on a futex word, its task state:
 *
 *	set_current_state(TASK_UNINTERRUPTIBLE);
 *	while (!condition) {
 *		schedule();
 *		set_current_state(TASK_UNINTERRUPTIBLE);
 *	}
 *	__set_current_state(TASK_RUNNING);
 *
 * and wake_up_process() makes it TASK_RUNNING and wakes it.  As in the
 * kernel, set_current_state() is a full barrier, so a waker that makes the
 * condition true before it wakes is never missed.  schedule() with the
 * preemption count raised (a spinlock held, in a handler) prints the
 * kernel's "BUG: scheduling while atomic: comm/pid/0x%08x" report.
 *
 * Signals: an interrupt handled through ksync (request_irq()) that arrives
 * while a thread is in an interruptible state wakes it and makes
 * signal_pending() true; ksync's interruptible primitives then return
 * what the kernel's do: -EINTR from the sleeping locks (mutex, semaphore,
 * rw_semaphore), -ERESTARTSYS (<ksync/errno.h>) from the waits (wait
 * queues, completions).  ksync_send_fatal_signal() is the analogue of
 * SIGKILL: it makes fatal_signal_pending() true for good and wakes the
 * thread from a killable or interruptible sleep; killable primitives then
 * fail the same way.
 */
#define TASK_RUNNING		0x0000
#define TASK_INTERRUPTIBLE	0x0001
#define TASK_UNINTERRUPTIBLE	0x0002
#define TASK_WAKEKILL		0x0100
#define TASK_NOLOAD		0x0400	/* not counted as load: no effect here */
#define TASK_NORMAL		(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)
#define TASK_KILLABLE		(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)
#define TASK_IDLE		(TASK_UNINTERRUPTIBLE | TASK_NOLOAD)

#define TASK_COMM_LEN		16

/*
 * A thread, as the kernel's lock code sees a task.  Each registered
 * thread (each ksync "CPU", see smp.h) has one, filled in when the thread
 * registers; the CPU number's next thread gets it afresh.
 *
 *   __state	the task state (TASK_*), the kernel 6.1 name: read it with
 *		READ_ONCE(current->__state), get_current_state() or
 *		task_is_running(); write it only with set_current_state().
 *		It is the word the thread sleeps on.  state is the same
 *		word under its pre-5.14 name.
 *   pid, tgid	thread id and process id (gettid(), getpid())
 *   comm	the thread's name when it registered (pthread_setname_np()
 *		later is not seen; set_task_comm() renames both)
 *   cpu	its ksync CPU number
 */
struct task_struct {
	union {
		unsigned int __state;
		unsigned int state;
	};
	int pid;
	int tgid;
	int cpu;
	char comm[TASK_COMM_LEN];
	/* migrate_disable() nesting (<ksync/preempt.h>). */
	unsigned short migration_disabled;
};

#define is_migration_disabled(p)	((p)->migration_disabled != 0)

KSYNC_API struct task_struct *ksync_current(void);
KSYNC_API void ksync_set_current_state(unsigned int state);
KSYNC_API void ksync___set_current_state(unsigned int state);
KSYNC_API void ksync_schedule(void);
KSYNC_API long ksync_schedule_timeout(long timeout);
KSYNC_API int ksync_wake_up_process(struct task_struct *p);
KSYNC_API int ksync_signal_pending(struct task_struct *p);
KSYNC_API int ksync_fatal_signal_pending(struct task_struct *p);
KSYNC_API int ksync_signal_pending_state(unsigned int state, struct task_struct *p);
KSYNC_API void ksync_flush_signals(struct task_struct *p);
KSYNC_API int ksync_send_fatal_signal(int cpu);
/*
 * schedule_timeout() in state: the kernel's schedule_timeout_interruptible()
 * and friends.  The sleep begins a wait (only interrupts that arrive during
 * it end it early); a fatal signal already sent ends a killable or
 * interruptible one at once, as the kernel's schedule() does.  Returns the
 * jiffies left (0 once the timeout passed).
 */
KSYNC_API long ksync_schedule_timeout_state(unsigned int state, long timeout);

KSYNC_API void ksync_set_task_comm(struct task_struct *p, const char *name);

/*
 * current: the calling thread's task (registering the thread as a CPU
 * on first use).  An object-like macro as in the kernel; a program that
 * has its own identifier "current" defines KSYNC_NO_CURRENT before
 * including ksync and calls get_current() instead.
 */
#define get_current()			ksync_current()
#ifndef KSYNC_NO_CURRENT
#define current				get_current()
#endif

#define task_pid_nr(p)			((p)->pid)
#define task_tgid_nr(p)			((p)->tgid)
#define task_pid_vnr(p)			((p)->pid)
#define task_cpu(p)			((p)->cpu)
#define task_is_running(p)		(READ_ONCE((p)->__state) == TASK_RUNNING)
#define get_current_state()		READ_ONCE(get_current()->__state)
#define set_task_comm(p, name)		ksync_set_task_comm((p), (name))
#define get_task_comm(buf, p)						\
	((char *)__builtin_memcpy((buf), (p)->comm, TASK_COMM_LEN))

#define set_current_state(state)	ksync_set_current_state(state)
#define __set_current_state(state)	ksync___set_current_state(state)
#define schedule()			ksync_schedule()
#define schedule_timeout(timeout)	ksync_schedule_timeout(timeout)
#define wake_up_process(p)		ksync_wake_up_process(p)
#define signal_pending(p)		ksync_signal_pending(p)
#define fatal_signal_pending(p)		ksync_fatal_signal_pending(p)
#define signal_pending_state(state, p)	ksync_signal_pending_state((state), (p))
#define flush_signals(p)		ksync_flush_signals(p)

#define schedule_timeout_interruptible(timeout)				\
	ksync_schedule_timeout_state(TASK_INTERRUPTIBLE, (timeout))
#define schedule_timeout_killable(timeout)				\
	ksync_schedule_timeout_state(TASK_KILLABLE, (timeout))
#define schedule_timeout_uninterruptible(timeout)			\
	ksync_schedule_timeout_state(TASK_UNINTERRUPTIBLE, (timeout))
#define schedule_timeout_idle(timeout)					\
	ksync_schedule_timeout_state(TASK_IDLE, (timeout))
/* A sleep waiting for I/O: ksync keeps no I/O-wait accounting. */
#define io_schedule()			ksync_schedule()
#define io_schedule_timeout(timeout)	ksync_schedule_timeout(timeout)

#endif /* _KSYNC_SCHED_H */
