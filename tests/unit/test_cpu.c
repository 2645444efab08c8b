// SPDX-License-Identifier: MIT
/*
 * Threads as CPUs: lazy registration, smallest free numbers, reuse after
 * exit, fork(), and the 16383-thread limit of the tail encoding.
 */
#include <limits.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define KTEST_SANITIZED 1
#endif

static pthread_barrier_t hold;
static int seen[1024];

static void *register_and_hold(void *arg)
{
	long i = (long)arg;

	/* Not registered until something needs a CPU number. */
	CHECK_EQ(ksync_tls.cpu_plus_one, 0);
	seen[i] = smp_processor_id();
	CHECK_EQ(smp_processor_id(), seen[i]);
	pthread_barrier_wait(&hold);	/* all alive at once */
	return NULL;
}

static void test_distinct_small_numbers(void)
{
	enum { N = 64 };
	int used[N + 2] = { 0 };

	(void)smp_processor_id();	/* main takes one number too */
	pthread_barrier_init(&hold, NULL, N);
	ktest_run_threads(N, register_and_hold);
	pthread_barrier_destroy(&hold);
	for (int i = 0; i < N; i++) {
		/* N threads + main: the numbers are the N + 1 smallest. */
		CHECK(seen[i] >= 0 && seen[i] <= N);
		CHECK(!used[seen[i]]);
		used[seen[i]] = 1;
	}
}

static void *report_cpu(void *arg)
{
	*(int *)arg = smp_processor_id();
	return NULL;
}

static int cpu_of_new_thread(void)
{
	pthread_t t;
	int cpu = -1;

	CHECK(pthread_create(&t, NULL, report_cpu, &cpu) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	return cpu;
}

static void test_numbers_are_reused(void)
{
	int first = cpu_of_new_thread();
	int online = num_online_cpus();

	/* The exited thread's number is the smallest free one again. */
	CHECK_EQ(cpu_of_new_thread(), first);
	CHECK_EQ(cpu_of_new_thread(), first);
	CHECK_EQ(num_online_cpus(), online);
}

static void test_online_count(void)
{
	int before = num_online_cpus();

	pthread_barrier_init(&hold, NULL, 9);
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, register_and_hold, (void *)i) == 0);
	/* Wait until all eight registered, then look. */
	while (num_online_cpus() < before + 8)
		sched_yield();
	CHECK_EQ(num_online_cpus(), before + 8);
	pthread_barrier_wait(&hold);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&hold);
	CHECK_EQ(num_online_cpus(), before);
}

static DEFINE_SPINLOCK(fork_lock);
static long fork_counter;

static void *fork_worker(void *arg)
{
	for (int i = 0; i < 10000; i++) {
		spin_lock(&fork_lock);
		fork_counter++;
		spin_unlock(&fork_lock);
	}
	return arg;
}

static void test_fork_child_keeps_working(void)
{
	int status;
	pid_t pid;

	(void)smp_processor_id();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Only this thread exists here: numbers are free again. */
		if (num_online_cpus() != 1)
			_exit(3);
		fork_counter = 0;
		ktest_run_threads(4, fork_worker);
		_exit(fork_counter == 40000 ? 0 : 4);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

/* --- the limit, in a child process ------------------------------------- */

static pthread_barrier_t limit_hold;
static int limit_registered;

static void *limit_thread(void *arg)
{
	(void)arg;
	(void)smp_processor_id();
	__atomic_fetch_add(&limit_registered, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&limit_hold);
	return NULL;
}

/* Register KSYNC_NR_CPUS threads (main included), then one more. */
static void child_limit(void)
{
	enum { N = KSYNC_NR_CPUS - 1 };
	static pthread_t t[N];
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
	(void)smp_processor_id();
	pthread_barrier_init(&limit_hold, NULL, N + 1);
	for (long i = 0; i < N; i++)
		if (pthread_create(&t[i], &attr, limit_thread, NULL) != 0) {
			printf("SKIP: cannot create %ld threads here\n", i);
			exit(77);
		}
	while (__atomic_load_n(&limit_registered, __ATOMIC_RELAXED) < N)
		sched_yield();
	printf("registered %d CPUs\n", num_online_cpus());
	fflush(stdout);
	/* One thread too many: must fail loudly. */
	pthread_t extra;
	pthread_create(&extra, &attr, report_cpu, &(int){ 0 });
	pthread_join(extra, NULL);
	printf("extra thread registered: the limit was not enforced\n");
	exit(0);
}


static void test_thread_limit(void)
{
#ifdef KTEST_SANITIZED
	printf("# skipped under sanitizers (they cap the thread count)\n");
#else
	static struct ktest_child c;

	ktest_run_child(&c, "limit", NULL, 120000);
	if (!c.timed_out && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 77) {
		printf("# %s", c.out);
		return;
	}
	CHECK_OUT(&c, "registered 16383 CPUs");
	CHECK_OUT(&c, "ksync: cannot register thread");
	CHECK_OUT(&c, "16383 threads are registered already");
	CHECK_NOT_OUT(&c, "limit was not enforced");
	CHECK(!c.timed_out && WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT);
#endif
}

static const struct ktest_scenario scenarios[] = {
	{ "limit", child_limit },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_distinct_small_numbers);
	RUN(test_numbers_are_reused);
	RUN(test_online_count);
	RUN(test_fork_child_keeps_working);
	RUN(test_thread_limit);
	return 0;
}
