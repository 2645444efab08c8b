// SPDX-License-Identifier: MIT
/*
 * The hung-task detector (KSYNC_HUNG_TASK_SECS) and debug_show_all_locks():
 *
 * - a real AB-BA deadlock on two mutexes is reported for both threads,
 *   with the stack each went to sleep with, then every thread's held
 *   locks (the child is killed once the report is out);
 * - a thread asleep in wait_for_completion() for longer than N is
 *   reported once, however long it stays asleep;
 * - a thread that is busy, asleep for less than N at a time, or asleep
 *   interruptibly is never reported;
 * - without the variable (or with 0, or a bad value, which is said) no
 *   thread is started;
 * - debug_show_all_locks() on demand prints the locks of threads asleep
 *   holding them and of the caller, and is safe while other threads take
 *   and release locks; without lockdep it says lockdep is off;
 * - KSYNC_SHOW_LOCKS_SIGNAL=SIGUSR2 prints it on that signal.
 *
 * Nothing is timed: a report must come eventually (within a generous
 * bound) or never.  Reports that the child must see itself go to a
 * KSYNC_LOG file, which it reads back.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ksync/completion.h>
#include <ksync/debug_locks.h>
#include <ksync/mutex.h>
#include <ksync/rwsem.h>
#include "ktest.h"

#define LOG_FILE	"test_hung_task.log"

static const char *const abba_env[] = { "KSYNC_DEBUG=1", "KSYNC_HUNG_TASK_SECS=1", NULL };
static const char *const once_env[] = { "KSYNC_DEBUG=1", "KSYNC_HUNG_TASK_SECS=1",
					"KSYNC_LOG=" LOG_FILE, NULL };
static const char *const quiet_env[] = { "KSYNC_DEBUG=1", "KSYNC_HUNG_TASK_SECS=1", NULL };
static const char *const zero_env[] = { "KSYNC_HUNG_TASK_SECS=0", NULL };
static const char *const bad_env[] = { "KSYNC_HUNG_TASK_SECS=2m", NULL };
static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static const char *const signal_env[] = { "KSYNC_DEBUG=1", "KSYNC_SHOW_LOCKS_SIGNAL=SIGUSR2",
					  "KSYNC_LOG=" LOG_FILE, NULL };

/* --- helpers for the children ---------------------------------------------------- */

static void name_me(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* Threads of this process, and whether one is called name. */
static int count_threads(const char *name, int *named)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	*named = 0;
	CHECK(d != NULL);
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		int fd;

		if (e->d_name[0] == '.')
			continue;
		n++;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			ssize_t r = read(fd, comm, sizeof(comm) - 1);

			comm[r > 0 ? r : 0] = '\0';
			close(fd);
		}
		if (!strncmp(comm, name, strlen(name)))
			*named = 1;
	}
	closedir(d);
	return n;
}

/* Whether thread tid is asleep in the kernel ('S' or 'D' in its stat). */
static int thread_sleeps(pid_t tid)
{
	char path[64], buf[256];
	ssize_t n;
	char *p;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	CHECK(p && p[1] == ' ');
	return p[2] == 'S' || p[2] == 'D';
}

static void wait_until_asleep(pid_t tid)
{
	double end = ktest_now() + 60;

	while (!thread_sleeps(tid)) {
		CHECK(ktest_now() < end);
		ktest_sleep_ms(5);
	}
	/* Twice in a row: not a passing syscall on the way to the sleep. */
	ktest_sleep_ms(50);
	while (!thread_sleeps(tid)) {
		CHECK(ktest_now() < end);
		ktest_sleep_ms(5);
	}
}

static char log_buf[65536];

/* The report log so far. */
static const char *read_log(void)
{
	int fd = open(LOG_FILE, O_RDONLY);
	ssize_t n = 0;

	if (fd >= 0) {
		n = read(fd, log_buf, sizeof(log_buf) - 1);
		close(fd);
	}
	log_buf[n > 0 ? n : 0] = '\0';
	return log_buf;
}

/* Wait (60 s at most) until the log has needle. */
static void wait_for_log(const char *needle)
{
	double end = ktest_now() + 60;

	while (!strstr(read_log(), needle)) {
		if (ktest_now() > end)
			KTEST_FAIL("no \"%s\" in the log:\n%s", needle, log_buf);
		ktest_sleep_ms(20);
	}
}

/* --- AB-BA: a real deadlock ------------------------------------------------------ */

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static pthread_barrier_t both_hold_one;

static void *abba_one(void *arg)
{
	name_me("abba1");
	mutex_lock(&lock_a);
	pthread_barrier_wait(&both_hold_one);
	mutex_lock(&lock_b);		/* never */
	return arg;
}

static void *abba_two(void *arg)
{
	name_me("abba2");
	mutex_lock(&lock_b);
	pthread_barrier_wait(&both_hold_one);
	mutex_lock(&lock_a);		/* never */
	return arg;
}

static void child_abba(void)
{
	pthread_t t1, t2;

	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&t1, NULL, abba_one, NULL);
	pthread_create(&t2, NULL, abba_two, NULL);
	pthread_join(t1, NULL);		/* killed here by the test */
	pthread_join(t2, NULL);
}

#define SHOW_HEAD	"Showing all locks held in the system:\n"
#define SHOW_END	"\n=============================================\n"

/* Both threads reported, and a whole list of held locks after the last. */
static void kill_when_reported(struct ktest_child *c, pid_t pid, void *arg)
{
	const char *last = strstr(c->out, "INFO: task abba");
	const char *show;

	(void)arg;
	if (!last || !strstr(c->out, "INFO: task abba1:") || !strstr(c->out, "INFO: task abba2:"))
		return;
	show = strstr(c->out, SHOW_HEAD);
	while (show && strstr(show + 1, SHOW_HEAD))
		show = strstr(show + 1, SHOW_HEAD);
	if (show && strstr(show, SHOW_END) && strstr(show, "abba1/") && strstr(show, "abba2/"))
		kill(pid, SIGKILL);
}

static void test_abba_deadlock_reported(void)
{
	static struct ktest_child c;
	const char *show;

	ktest_run_child_watched(&c, "abba", abba_env, 120000, kill_when_reported, NULL);
	CHECK(!c.timed_out);
	CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGKILL);
	CHECK_OUT(&c, "INFO: task abba1:");
	CHECK_OUT(&c, "INFO: task abba2:");
	CHECK_OUT(&c, " seconds.\n");
	CHECK_OUT(&c, "blocked for more than ");
	CHECK_OUT(&c, "\"KSYNC_HUNG_TASK_SECS=0\" disables this message.");
	CHECK_OUT(&c, "Call Trace:\n <TASK>\n");
	show = strstr(c.out, SHOW_HEAD);
	CHECK(show != NULL);
	/* Each holds its own lock and waits for the other's (taken already). */
	if (!strstr(show, "2 locks held by abba1/") || !strstr(show, "2 locks held by abba2/") ||
	    !strstr(show, " #0: ") || !strstr(show, " #1: ") ||
	    !strstr(show, "(lock_a)") || !strstr(show, "(lock_b)"))
		KTEST_FAIL("held locks not shown:\n%s", c.out);
	CHECK_EQ(ktest_count(c.out, "INFO: task abba1:"), 1);
	CHECK_EQ(ktest_count(c.out, "INFO: task abba2:"), 1);
}

/* --- one long sleep: reported once --------------------------------------------- */

static DECLARE_COMPLETION(long_done);

static void *long_sleeper(void *arg)
{
	name_me("sleeper");
	wait_for_completion(&long_done);
	return arg;
}

static void child_once(void)
{
	pthread_t t;

	/* Opened (appending) at start-up: emptied, not removed. */
	CHECK(truncate(LOG_FILE, 0) == 0);
	pthread_create(&t, NULL, long_sleeper, NULL);
	wait_for_log("INFO: task sleeper:");
	/* Still asleep for several more checks (every 0.5 s): not again. */
	ktest_sleep_ms(2000);
	complete(&long_done);
	pthread_join(t, NULL);
	printf("log:\n%s", read_log());
	unlink(LOG_FILE);
}

static void test_long_sleep_reported_once(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "once", once_env, 120000);
	CHECK_OUT(&c, "INFO: task sleeper:");
	CHECK_EQ(ktest_count(c.out, "INFO: task sleeper:"), 1);
	CHECK_EQ(ktest_count(c.out, "INFO: task "), 1);
	/* It held no lock, but the list is printed. */
	CHECK_OUT(&c, SHOW_HEAD);
	CHECK_NOT_OUT(&c, "sleeper/");
}

/* --- busy, short sleeps, interruptible: never ---------------------------------- */

static DEFINE_MUTEX(busy_lock);
static DECLARE_COMPLETION(tick);
static DECLARE_COMPLETION(never);
static int stop_all;

static void *busy(void *arg)
{
	name_me("busy");
	mutex_lock(&busy_lock);
	while (!__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE))
		;
	mutex_unlock(&busy_lock);
	return arg;
}

static void *short_sleeps(void *arg)
{
	name_me("short");
	while (!__atomic_load_n(&stop_all, __ATOMIC_ACQUIRE))
		wait_for_completion(&tick);
	return arg;
}

static void *interruptible(void *arg)
{
	name_me("intr");
	if (wait_for_completion_interruptible(&never))
		return NULL;
	return arg;
}

static void child_quiet(void)
{
	pthread_t t[3];
	double end;
	int named;

	pthread_create(&t[0], NULL, busy, NULL);
	pthread_create(&t[1], NULL, short_sleeps, NULL);
	pthread_create(&t[2], NULL, interruptible, NULL);
	/* 3 s of ticks 0.2 s apart: the detector checks 6 times. */
	end = ktest_now() + 3;
	while (ktest_now() < end) {
		ktest_sleep_ms(200);
		complete(&tick);
	}
	count_threads("khungtaskd", &named);
	CHECK(named);			/* it did run */
	__atomic_store_n(&stop_all, 1, __ATOMIC_RELEASE);
	complete_all(&tick);
	complete(&never);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("quiet done\n");
}

static void test_busy_and_short_not_reported(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "quiet", quiet_env, 120000);
	CHECK_OUT(&c, "quiet done");
	CHECK_NOT_OUT(&c, "INFO: task");
	CHECK_NOT_OUT(&c, SHOW_HEAD);
}

/* --- off: no thread ------------------------------------------------------------ */

static DECLARE_COMPLETION(brief);

static void *brief_sleeper(void *arg)
{
	wait_for_completion(&brief);
	return arg;
}

static void *nothing(void *arg)
{
	return arg;
}

static void child_off(void)
{
	pthread_t t;
	int named, before;

	/* ThreadSanitizer starts a thread of its own at the first one. */
	pthread_create(&t, NULL, nothing, NULL);
	pthread_join(t, NULL);
	before = count_threads("khungtaskd", &named);
	CHECK(!named);
	pthread_create(&t, NULL, brief_sleeper, NULL);
	ktest_sleep_ms(300);
	complete(&brief);
	pthread_join(t, NULL);
	CHECK_EQ(count_threads("khungtaskd", &named), before);
	CHECK(!named);
	printf("no new thread\n");
}

static void test_off_starts_nothing(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "off", NULL, 60000);
	CHECK_OUT(&c, "no new thread");
	RUN_CHILD(&c, "off", zero_env, 60000);
	CHECK_OUT(&c, "no new thread");
	CHECK_NOT_OUT(&c, "KSYNC_HUNG_TASK_SECS");
	RUN_CHILD(&c, "off", bad_env, 60000);
	CHECK_OUT(&c, "no new thread");
	CHECK_OUT(&c, "ksync: KSYNC_HUNG_TASK_SECS=2m: expected a whole number of seconds "
		  "from 0 (off) to 86400; taken as 0 (off)");
}

/* --- debug_show_all_locks() on demand --------------------------------------------- */

static DEFINE_MUTEX(held_one);
static DECLARE_RWSEM(held_two);
static DEFINE_MUTEX(held_three);
static DEFINE_MUTEX(mine);
static DECLARE_COMPLETION(go);
static DECLARE_COMPLETION(ready1);
static DECLARE_COMPLETION(ready2);
static pid_t tid1, tid2;

static void *holder1(void *arg)
{
	name_me("holder1");
	__atomic_store_n(&tid1, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	mutex_lock(&held_one);
	down_read(&held_two);
	complete(&ready1);
	wait_for_completion(&go);
	up_read(&held_two);
	mutex_unlock(&held_one);
	return arg;
}

static void *holder2(void *arg)
{
	name_me("holder2");
	__atomic_store_n(&tid2, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	mutex_lock(&held_three);
	complete(&ready2);
	wait_for_completion(&go);
	mutex_unlock(&held_three);
	return arg;
}

static void child_show(void)
{
	pthread_t t1, t2;

	name_me("shower");
	pthread_create(&t1, NULL, holder1, NULL);
	pthread_create(&t2, NULL, holder2, NULL);
	wait_for_completion(&ready1);
	wait_for_completion(&ready2);
	wait_until_asleep(__atomic_load_n(&tid1, __ATOMIC_ACQUIRE));
	wait_until_asleep(__atomic_load_n(&tid2, __ATOMIC_ACQUIRE));
	mutex_lock(&mine);
	debug_show_all_locks();
	mutex_unlock(&mine);
	complete_all(&go);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
}

static void test_show_all_locks(void)
{
	static struct ktest_child c;
	const char *show;

	RUN_CHILD(&c, "show", debug_env, 60000);
	show = strstr(c.out, SHOW_HEAD);
	if (!show || !strstr(show, "2 locks held by holder1/") ||
	    !strstr(show, "1 lock held by holder2/") || !strstr(show, "1 lock held by shower/") ||
	    !strstr(show, " #0: ") || !strstr(show, "(held_one)") ||
	    !strstr(show, "(held_two)") || !strstr(show, "(held_three)") ||
	    !strstr(show, "(mine)") || !strstr(show, SHOW_END))
		KTEST_FAIL("not every thread's locks:\n%s", c.out);
	CHECK_EQ(ktest_count(c.out, SHOW_HEAD), 1);
}

static void child_show_off(void)
{
	mutex_lock(&mine);
	debug_show_all_locks();
	mutex_unlock(&mine);
}

static void test_show_all_locks_lockdep_off(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "show_off", NULL, 60000);
	CHECK_OUT(&c, "INFO: lockdep is turned off.\n");
	CHECK_NOT_OUT(&c, SHOW_HEAD);
}

/* --- while others lock and unlock -------------------------------------------------- */

#define CHURNERS	3
static DEFINE_MUTEX(churn_a);
static DEFINE_MUTEX(churn_b);
static DECLARE_RWSEM(churn_sem);
static int churn_stop;

static void *churn(void *arg)
{
	while (!__atomic_load_n(&churn_stop, __ATOMIC_ACQUIRE)) {
		mutex_lock(&churn_a);
		down_read(&churn_sem);
		mutex_lock(&churn_b);
		mutex_unlock(&churn_b);
		up_read(&churn_sem);
		mutex_unlock(&churn_a);
		down_write(&churn_sem);
		up_write(&churn_sem);
	}
	return arg;
}

static void child_churn(void)
{
	pthread_t t[CHURNERS];

	for (int i = 0; i < CHURNERS; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	for (int i = 0; i < 40; i++) {
		debug_show_all_locks();
		ktest_sleep_ms(5);
	}
	__atomic_store_n(&churn_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < CHURNERS; i++)
		pthread_join(t[i], NULL);
	printf("churned\n");
}

static void test_show_all_locks_while_locking(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "churn", debug_env, 120000);
	CHECK_OUT(&c, "churned");
	CHECK_EQ(ktest_count(c.out, SHOW_HEAD), 40);
	CHECK_NOT_OUT(&c, "ThreadSanitizer");
	CHECK_NOT_OUT(&c, "AddressSanitizer");
}

/* --- on a signal --------------------------------------------------------------- */

static void child_signal(void)
{
	pthread_t t;

	/* Opened (appending) at start-up: emptied, not removed. */
	CHECK(truncate(LOG_FILE, 0) == 0);
	pthread_create(&t, NULL, holder2, NULL);
	wait_for_completion(&ready2);
	wait_until_asleep(__atomic_load_n(&tid2, __ATOMIC_ACQUIRE));
	kill(getpid(), SIGUSR2);
	wait_for_log(SHOW_END);
	complete_all(&go);
	pthread_join(t, NULL);
	printf("log:\n%s", read_log());
	unlink(LOG_FILE);
}

static void test_show_all_locks_on_signal(void)
{
	static struct ktest_child c;

	RUN_CHILD(&c, "signal", signal_env, 120000);
	CHECK_OUT(&c, SHOW_HEAD);
	CHECK_OUT(&c, "1 lock held by holder2/");
	CHECK_OUT(&c, "(held_three)");
}

static const struct ktest_scenario scenarios[] = {
	{ "abba", child_abba },
	{ "once", child_once },
	{ "quiet", child_quiet },
	{ "off", child_off },
	{ "show", child_show },
	{ "show_off", child_show_off },
	{ "churn", child_churn },
	{ "signal", child_signal },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_off_starts_nothing);
	RUN(test_show_all_locks_lockdep_off);
	RUN(test_show_all_locks);
	RUN(test_show_all_locks_while_locking);
	RUN(test_show_all_locks_on_signal);
	RUN(test_busy_and_short_not_reported);
	RUN(test_long_sleep_reported_once);
	RUN(test_abba_deadlock_reported);
	return 0;
}
