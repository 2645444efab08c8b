// SPDX-License-Identifier: MIT
/*
 * Kernel code, spelt as the kernel spells it: rt_mutex, per-CPU data,
 * local_lock_t, percpu_rw_semaphore, current and the task API, each
 * name used once at least, through <ksync/ksync.h> alone, with the
 * kernel's return conventions checked.  The semantics are tested in
 * test_rtmutex.c, test_percpu.c, test_percpu_rwsem.c and test_current.c.
 */
#define _GNU_SOURCE
#include <ksync/ksync.h>
#include "ktest.h"

struct foo_pcpu {
	local_lock_t lock;
	unsigned long events;
};

DECLARE_PER_CPU(unsigned long, foo_hits);
DEFINE_PER_CPU(unsigned long, foo_hits);
static DEFINE_PER_CPU(struct foo_pcpu, foo_pcpu) = {
	.lock = INIT_LOCAL_LOCK(lock),
};
static DEFINE_PER_CPU(local_lock_t, foo_llock) = INIT_LOCAL_LOCK(foo_llock);
static DEFINE_RT_MUTEX(foo_rt);
DEFINE_STATIC_PERCPU_RWSEM(foo_rwsem);
static DECLARE_WAIT_QUEUE_HEAD(foo_wq);

static int foo_rt_section(void)
{
	struct rt_mutex dyn;
	int ret;

	rt_mutex_init(&dyn);
	rt_mutex_lock(&foo_rt);
	rt_mutex_lock_nested(&dyn, SINGLE_DEPTH_NESTING);
	rt_mutex_unlock(&dyn);
	rt_mutex_unlock(&foo_rt);
	ret = rt_mutex_lock_interruptible(&foo_rt);
	if (ret)
		return ret;		/* -EINTR */
	if (!rt_mutex_is_locked(&foo_rt))
		return -EINVAL;
	rt_mutex_unlock(&foo_rt);
	if (!rt_mutex_trylock(&dyn))
		return -EBUSY;
	rt_mutex_unlock(&dyn);
	rt_mutex_destroy(&dyn);
	return 0;
}

static unsigned long foo_percpu(void)
{
	struct foo_pcpu *p;
	unsigned long flags, sum = 0;
	local_lock_t dyn;
	int cpu, me;

	local_lock_init(&dyn);
	this_cpu_inc(foo_hits);
	this_cpu_add(foo_hits, 3);
	this_cpu_sub(foo_hits, 1);
	this_cpu_dec(foo_hits);
	this_cpu_write(foo_hits, this_cpu_read(foo_hits) + 1);
	__this_cpu_inc(foo_hits);
	__this_cpu_add(foo_hits, 2);
	__this_cpu_sub(foo_hits, 2);
	__this_cpu_dec(foo_hits);
	__this_cpu_write(foo_hits, __this_cpu_read(foo_hits));

	local_lock(&foo_pcpu.lock);
	p = this_cpu_ptr(&foo_pcpu);
	p->events++;
	local_unlock(&foo_pcpu.lock);
	local_lock_irq(&foo_pcpu.lock);
	this_cpu_ptr(&foo_pcpu)->events++;
	local_unlock_irq(&foo_pcpu.lock);
	local_lock_irqsave(&foo_llock, flags);
	__this_cpu_inc(foo_pcpu.events);
	local_unlock_irqrestore(&foo_llock, flags);

	me = get_cpu();
	if (me != smp_processor_id() || preemptible())
		return 0;
	put_cpu();
	migrate_disable();
	if (!preemptible())
		return 0;
	migrate_enable();
	for_each_possible_cpu(cpu)
		sum += per_cpu(foo_hits, cpu) + per_cpu_ptr(&foo_pcpu, cpu)->events;
	return sum;
}

static int foo_percpu_rwsem(void)
{
	struct percpu_rw_semaphore sem;
	int ret = percpu_init_rwsem(&sem);

	if (ret)
		return ret;		/* -ENOMEM */
	percpu_down_read(&foo_rwsem);
	percpu_rwsem_assert_held(&foo_rwsem);
	percpu_up_read(&foo_rwsem);
	if (!percpu_down_read_trylock(&sem))
		return -EBUSY;
	percpu_up_read(&sem);
	percpu_down_write(&sem);
	percpu_up_write(&sem);
	percpu_free_rwsem(&sem);
	return 0;
}

static int foo_cond;

static int foo_wait(void)
{
	DECLARE_WAITQUEUE(wait, current);

	add_wait_queue(&foo_wq, &wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(foo_cond) || signal_pending(current))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&foo_wq, &wait);
	if (fatal_signal_pending(current))
		return -EINTR;
	return signal_pending(current) ? -EINTR : 0;
}

static void test_kernel_style(void)
{
	struct task_struct *tsk = current;
	unsigned int states[] = { TASK_RUNNING, TASK_INTERRUPTIBLE,
				  TASK_UNINTERRUPTIBLE, TASK_KILLABLE };

	CHECK_EQ(foo_rt_section(), 0);
	CHECK_EQ(foo_percpu(), 6);	/* foo_hits 3, events 3 */
	CHECK_EQ(foo_percpu_rwsem(), 0);
	WRITE_ONCE(foo_cond, 1);
	CHECK_EQ(foo_wait(), 0);
	CHECK_EQ(task_pid_nr(tsk), tsk->pid);
	CHECK_EQ(tsk->pid, gettid());
	CHECK(tsk->comm[0] != '\0');
	CHECK_EQ(tsk->__state, TASK_RUNNING);
	CHECK_EQ(wake_up_process(tsk), 0);
	CHECK(states[3] == (TASK_WAKEKILL | TASK_UNINTERRUPTIBLE));
}

int main(void)
{
	RUN(test_kernel_style);
	return 0;
}
