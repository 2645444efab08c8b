// SPDX-License-Identifier: MIT
/*
 * current and the task API: current->pid/tgid/comm/cpu/__state are the
 * calling thread's; set_current_state() shows in current->__state;
 * wake_up_process() wakes a task sleeping in schedule() and says whether
 * it did; signal_pending()/fatal_signal_pending(); DECLARE_WAITQUEUE(w,
 * current) on a wait queue; and a thread that reuses an exited thread's
 * CPU number gets a task of its own (its pid and name, running, nothing
 * pending).
 */
#define _GNU_SOURCE
#include <sys/prctl.h>
#include <ksync/sched.h>
#include <ksync/smp.h>
#include <ksync/wait.h>
#include "ktest_deadline.h"

static void test_identity(void)
{
	char name[TASK_COMM_LEN];

	CHECK_EQ(task_pid_nr(current), gettid());
	CHECK_EQ(current->pid, gettid());
	CHECK_EQ(current->tgid, getpid());
	CHECK_EQ(task_tgid_nr(current), getpid());
	CHECK_EQ(task_cpu(current), smp_processor_id());
	CHECK(current == get_current());
	CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
	CHECK(strcmp(current->comm, name) == 0);
	CHECK(task_is_running(current));
	CHECK_EQ(get_current_state(), TASK_RUNNING);
}

static void *named_thread(void *arg)
{
	char buf[TASK_COMM_LEN];

	/* Named before its first ksync call: the name it registers with. */
	CHECK(prctl(PR_SET_NAME, "kapi-worker", 0, 0, 0) == 0);
	CHECK(strcmp(current->comm, "kapi-worker") == 0);
	CHECK(current != (struct task_struct *)arg);
	CHECK_EQ(current->pid, gettid());
	set_task_comm(current, "renamed-by-ksync-long-name");
	CHECK(strcmp(get_task_comm(buf, current), "renamed-by-ksyn") == 0);
	CHECK(prctl(PR_GET_NAME, buf, 0, 0, 0) == 0);
	CHECK(strcmp(buf, current->comm) == 0);
	return NULL;
}

static void test_other_thread(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, named_thread, current) == 0);
	ktest_join_or_fail(t);
}

/* --- sleeping and waking ------------------------------------------------------ */

static struct task_struct *sleeper;
static int go;

static void *sleep_until_go(void *arg)
{
	__atomic_store_n(&sleeper, current, __ATOMIC_RELEASE);
	set_current_state(TASK_UNINTERRUPTIBLE);
	CHECK_EQ(READ_ONCE(current->__state), TASK_UNINTERRUPTIBLE);
	CHECK_EQ(READ_ONCE(current->state), TASK_UNINTERRUPTIBLE);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) {
		schedule();
		set_current_state(TASK_UNINTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	CHECK(task_is_running(current));
	return arg;
}

static void test_wake_up_process(void)
{
	pthread_t t;
	struct task_struct *p;

	CHECK_EQ(wake_up_process(current), 0);	/* running: nothing to wake */
	CHECK(pthread_create(&t, NULL, sleep_until_go, NULL) == 0);
	KTEST_WAIT_UNTIL((p = __atomic_load_n(&sleeper, __ATOMIC_ACQUIRE)) &&
			 READ_ONCE(p->__state) == TASK_UNINTERRUPTIBLE);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	(void)wake_up_process(p);		/* 1 if it was asleep, 0 if not yet */
	ktest_join_or_fail(t);
}

/* A task asleep (state set) is woken once: the second call finds it running. */
static void test_wake_up_result(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	CHECK_EQ(wake_up_process(current), 1);
	CHECK(task_is_running(current));
	CHECK_EQ(wake_up_process(current), 0);
}

static void *killed(void *arg)
{
	CHECK(!signal_pending(current));
	CHECK(!fatal_signal_pending(current));
	CHECK_EQ(ksync_send_fatal_signal(smp_processor_id()), 0);
	CHECK(signal_pending(current));
	CHECK(fatal_signal_pending(current));
	set_current_state(TASK_KILLABLE);
	CHECK(signal_pending_state(TASK_KILLABLE, current));
	__set_current_state(TASK_RUNNING);
	return arg;
}

static void test_signals(void)
{
	pthread_t t;

	CHECK(!signal_pending(current));
	CHECK(!fatal_signal_pending(current));
	CHECK(pthread_create(&t, NULL, killed, NULL) == 0);
	ktest_join_or_fail(t);
}

/* --- DECLARE_WAITQUEUE ------------------------------------------------------------ */

static DECLARE_WAIT_QUEUE_HEAD(wq);
static int cond;

static void *wait_on_queue(void *arg)
{
	DECLARE_WAITQUEUE(w, current);

	CHECK(w.private == current);
	add_wait_queue(&wq, &w);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (__atomic_load_n(&cond, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&wq, &w);
	return arg;
}

static void test_declare_waitqueue(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, wait_on_queue, NULL) == 0);
	KTEST_WAIT_UNTIL(waitqueue_active(&wq));
	__atomic_store_n(&cond, 1, __ATOMIC_RELEASE);
	wake_up(&wq);
	ktest_join_or_fail(t);
	CHECK(!waitqueue_active(&wq));
}

/* --- a reused CPU number ----------------------------------------------------------- */

static int first_cpu;
static pid_t first_pid;

static void *leave_a_mess(void *arg)
{
	first_cpu = smp_processor_id();
	first_pid = current->pid;
	set_task_comm(current, "first");
	CHECK_EQ(ksync_send_fatal_signal(first_cpu), 0);
	set_current_state(TASK_INTERRUPTIBLE);	/* exits "asleep" */
	return arg;
}

static void *inherit_nothing(void *arg)
{
	CHECK(prctl(PR_SET_NAME, "second", 0, 0, 0) == 0);
	CHECK_EQ(smp_processor_id(), first_cpu);
	CHECK(current->pid != first_pid);
	CHECK_EQ(current->pid, gettid());
	CHECK(strcmp(current->comm, "second") == 0);
	CHECK(task_is_running(current));
	CHECK(!signal_pending(current));
	CHECK(!fatal_signal_pending(current));
	return arg;
}

static void test_reused_cpu(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, leave_a_mess, NULL) == 0);
	ktest_join_or_fail(t);
	CHECK(pthread_create(&t, NULL, inherit_nothing, NULL) == 0);
	ktest_join_or_fail(t);
}

int main(void)
{
	RUN(test_identity);
	RUN(test_other_thread);
	RUN(test_wake_up_process);
	RUN(test_wake_up_result);
	RUN(test_signals);
	RUN(test_declare_waitqueue);
	RUN(test_reused_cpu);
	return 0;
}
