// SPDX-License-Identifier: MIT
/*
 * Locks that are not locks: a spinlock, mutex, rw_semaphore, completion
 * and wait queue head filled with 0xA5 bytes, with pseudo-random bytes
 * (a fixed seed), or with zeroes (a static nobody initialised), then
 * locked and unlocked, each in a child process, plainly, with
 * KSYNC_DEBUG=1 and with KSYNC_LOCKDEP=1.
 *
 *  - garbage, with the checks on: reported (bad magic), then the program
 *    stops with SIGABRT and says why; never SIGSEGV or SIGBUS inside the
 *    report (a mutex is checked even without them);
 *  - zero-filled: works as an initialised object in every mode, and with
 *    the checks on is reported once; a completion and a wait queue head
 *    also carry a real wait and wakeup between two threads.
 */
#include <ksync/completion.h>
#include <ksync/mutex.h>
#include <ksync/rwsem.h>
#include <ksync/spinlock.h>
#include <ksync/wait.h>
#include "ktest.h"

/* --- children ---------------------------------------------------------------- */

static spinlock_t spin;
static struct mutex mtx;
static struct rw_semaphore sem;
static struct completion done;
static wait_queue_head_t wq;

/* Fill obj as KTEST_FILL says: a5, random or zero. */
static void fill(void *obj, size_t size)
{
	const char *how = getenv("KTEST_FILL");
	unsigned char *p = obj;
	uint64_t x = 0x9e3779b97f4a7c15ull;

	CHECK(how != NULL);
	for (size_t i = 0; i < size; i++) {
		if (!strcmp(how, "a5")) {
			p[i] = 0xa5;
		} else if (!strcmp(how, "random")) {
			x ^= x << 13;	/* xorshift64: the same bytes every run */
			x ^= x >> 7;
			x ^= x << 17;
			p[i] = (unsigned char)(x >> 24);
		} else {
			p[i] = 0;
		}
	}
}

static void child_spin_lock(void)
{
	fill(&spin, sizeof(spin));
	spin_lock(&spin);
	spin_unlock(&spin);
	printf("went on\n");
}

static void child_spin_unlock(void)
{
	fill(&spin, sizeof(spin));
	spin_unlock(&spin);
	printf("went on\n");
}

static void child_mutex_lock(void)
{
	fill(&mtx, sizeof(mtx));
	mutex_lock(&mtx);
	mutex_unlock(&mtx);
	printf("went on\n");
}

static void child_mutex_unlock(void)
{
	fill(&mtx, sizeof(mtx));
	mutex_unlock(&mtx);
	printf("went on\n");
}

static void child_rwsem_lock(void)
{
	fill(&sem, sizeof(sem));
	down_write(&sem);
	up_write(&sem);
	down_read(&sem);
	up_read(&sem);
	printf("went on\n");
}

static void child_rwsem_unlock(void)
{
	fill(&sem, sizeof(sem));
	up_write(&sem);
	printf("went on\n");
}

static void *waits_for_done(void *arg)
{
	wait_for_completion(&done);
	return arg;
}

static void child_completion(void)
{
	pthread_t t;

	fill(&done, sizeof(done));
	CHECK(pthread_create(&t, NULL, waits_for_done, NULL) == 0);
	complete(&done);	/* wakes it, or is kept for its wait */
	CHECK(pthread_join(t, NULL) == 0);
	complete(&done);
	CHECK(try_wait_for_completion(&done));
	CHECK(!try_wait_for_completion(&done));
	printf("went on\n");
}

static int woken;

static void *waits_on_wq(void *arg)
{
	wait_event(wq, __atomic_load_n(&woken, __ATOMIC_ACQUIRE));
	return arg;
}

static void child_waitqueue(void)
{
	pthread_t t;

	fill(&wq, sizeof(wq));
	CHECK(pthread_create(&t, NULL, waits_on_wq, NULL) == 0);
	__atomic_store_n(&woken, 1, __ATOMIC_RELEASE);
	wake_up(&wq);
	CHECK(pthread_join(t, NULL) == 0);
	wake_up_all(&wq);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "spin_lock", child_spin_lock },
	{ "spin_unlock", child_spin_unlock },
	{ "mutex_lock", child_mutex_lock },
	{ "mutex_unlock", child_mutex_unlock },
	{ "rwsem_lock", child_rwsem_lock },
	{ "rwsem_unlock", child_rwsem_unlock },
	{ "completion", child_completion },
	{ "waitqueue", child_waitqueue },
	{ NULL, NULL },
};

/* --- the checks -------------------------------------------------------------- */

static struct ktest_child c;

enum mode { PLAIN, DEBUG, LOCKDEP };
static const char *const mode_names[] = { "plain", "KSYNC_DEBUG", "KSYNC_LOCKDEP" };

static void spawn(const char *name, const char *fill_how, enum mode mode)
{
	char fill_env[32];
	const char *env[3] = { fill_env, NULL, NULL };

	snprintf(fill_env, sizeof(fill_env), "KTEST_FILL=%s", fill_how);
	if (mode == DEBUG)
		env[1] = "KSYNC_DEBUG=1";
	else if (mode == LOCKDEP)
		env[1] = "KSYNC_LOCKDEP=1";
	ktest_run_child(&c, name, env, 60000);
	if (c.timed_out || (WIFSIGNALED(c.status) && WTERMSIG(c.status) != SIGABRT))
		KTEST_FAIL("%s, %s fill, %s: %s (status %#x):\n%s", name, fill_how,
			   mode_names[mode], c.timed_out ? "timed out" : "crashed",
			   c.status, c.out);
}

/* Stopped on purpose, after the report and the reason. */
static void check_stopped(const char *report, const char *type)
{
	char why[64];

	if (!(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT))
		KTEST_FAIL("expected SIGABRT, status %#x:\n%s", c.status, c.out);
	CHECK_OUT(&c, report);
	snprintf(why, sizeof(why), " is not a %s: its magic (0x", type);
	CHECK_OUT(&c, why);
	CHECK_OUT(&c, "Stopping rather than use it");
	CHECK_NOT_OUT(&c, "went on");
}

static void check_went_on(void)
{
	CHECK_EXITED(&c, 0);
	CHECK_OUT(&c, "went on");
}

static const char *const garbage_fills[] = { "a5", "random" };

static void test_garbage_spinlock(void)
{
	for (int f = 0; f < 2; f++) {
		for (enum mode m = DEBUG; m <= LOCKDEP; m++) {
			spawn("spin_lock", garbage_fills[f], m);
			check_stopped("BUG: spinlock bad magic on CPU#", "spinlock");
			CHECK_OUT(&c, " lock: &spin, .magic: ");
			CHECK_OUT(&c, ".owner: <not a task>/-1");
			spawn("spin_unlock", garbage_fills[f], m);
			check_stopped("BUG: spinlock bad magic on CPU#", "spinlock");
		}
	}
}

static void test_garbage_mutex(void)
{
	for (int f = 0; f < 2; f++) {
		/* The mutex slow path checks its magic in every mode. */
		for (enum mode m = PLAIN; m <= LOCKDEP; m++) {
			spawn("mutex_lock", garbage_fills[f], m);
			check_stopped("DEBUG_LOCKS_WARN_ON(lock->magic != lock)", "mutex");
			CHECK_OUT(&c, "mutex &mtx at 0x");
			spawn("mutex_unlock", garbage_fills[f], m);
			check_stopped("DEBUG_LOCKS_WARN_ON(lock->magic != lock)", "mutex");
		}
	}
}

static void test_garbage_rwsem(void)
{
	for (int f = 0; f < 2; f++) {
		for (enum mode m = DEBUG; m <= LOCKDEP; m++) {
			spawn("rwsem_lock", garbage_fills[f], m);
			check_stopped("DEBUG_LOCKS_WARN_ON(sem->magic != sem)", "rw_semaphore");
			CHECK_OUT(&c, "down_write(&sem): rw_semaphore corrupted");
			spawn("rwsem_unlock", garbage_fills[f], m);
			check_stopped("DEBUG_LOCKS_WARN_ON(sem->magic != sem)", "rw_semaphore");
			CHECK_OUT(&c, "up_write(&sem): rw_semaphore corrupted");
		}
	}
}

static void test_garbage_completion_and_waitqueue(void)
{
	for (int f = 0; f < 2; f++) {
		for (enum mode m = DEBUG; m <= LOCKDEP; m++) {
			spawn("completion", garbage_fills[f], m);
			check_stopped("BUG: spinlock bad magic on CPU#", "spinlock");
			spawn("waitqueue", garbage_fills[f], m);
			check_stopped("BUG: spinlock bad magic on CPU#", "spinlock");
		}
	}
}

static void test_zero_filled_locks(void)
{
	for (enum mode m = PLAIN; m <= LOCKDEP; m++) {
		spawn("spin_lock", "zero", m);
		check_went_on();
		if (m == PLAIN)
			CHECK_NOT_OUT(&c, "BUG:");
		else
			CHECK_OUT(&c, " lock: &spin, .magic: 00000000, .owner: <none>/-1");
		spawn("mutex_lock", "zero", m);
		check_went_on();
		CHECK_OUT(&c, "mutex &mtx used without mutex_init() or DEFINE_MUTEX()");
		spawn("rwsem_lock", "zero", m);
		check_went_on();
		if (m == PLAIN)
			CHECK_NOT_OUT(&c, "WARN");
		else
			CHECK_OUT(&c, "rw_semaphore used without init_rwsem() or DECLARE_RWSEM()");
	}
}

static void test_zero_filled_completion_and_waitqueue(void)
{
	for (enum mode m = PLAIN; m <= LOCKDEP; m++) {
		spawn("completion", "zero", m);
		check_went_on();
		CHECK_NOT_OUT(&c, "BUG:");
		if (m == PLAIN) {
			CHECK_NOT_OUT(&c, "WARNING");
		} else {
			/* complete() is a function: its caller's line, not "&done". */
			CHECK_OUT(&c, "completion used without init_completion() or "
				  "DECLARE_COMPLETION(): zero-filled, initialised now");
			CHECK_OUT(&c, " at test_garbage_locks.c:");
			/* Once: the later calls find it initialised. */
			CHECK(!strstr(strstr(c.out, "zero-filled") + 1, "zero-filled"));
		}
		spawn("waitqueue", "zero", m);
		check_went_on();
		CHECK_NOT_OUT(&c, "BUG:");
		if (m == PLAIN) {
			CHECK_NOT_OUT(&c, "WARNING");
		} else {
			/* Named "&wq" by wake_up(), "wq" by wait_event(): who came first. */
			CHECK_OUT(&c, "wq used without init_waitqueue_head() "
				  "or DECLARE_WAIT_QUEUE_HEAD(): zero-filled, initialised now");
			CHECK(!strstr(strstr(c.out, "zero-filled") + 1, "zero-filled"));
		}
	}
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_garbage_spinlock);
	RUN(test_garbage_mutex);
	RUN(test_garbage_rwsem);
	RUN(test_garbage_completion_and_waitqueue);
	RUN(test_zero_filled_locks);
	RUN(test_zero_filled_completion_and_waitqueue);
	return 0;
}
