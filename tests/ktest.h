/* SPDX-License-Identifier: MIT */
/*
 * A small test harness: checks that stop the test with a message, threads
 * with a deadline, and child processes whose stderr is captured.
 *
 * Child scenarios run in a fresh process image (the test binary re-runs
 * itself with "--child NAME"), because ksync reads its switches from the
 * environment at start-up.
 */
#ifndef KSYNC_TEST_KTEST_H
#define KSYNC_TEST_KTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/wait.h>

extern char **environ;

static const char *ktest_current = "";

#define KTEST_FAIL(...)							\
	do {								\
		fprintf(stderr, "FAIL %s (%s:%d): ", ktest_current,	\
			__FILE__, __LINE__);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		exit(1);						\
	} while (0)

#define CHECK(cond)							\
	do {								\
		if (!(cond))						\
			KTEST_FAIL("%s", #cond);			\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
		if (__a != __b)						\
			KTEST_FAIL("%s == %s: %lld != %lld", #a, #b, __a, __b); \
	} while (0)

#define RUN(fn)								\
	do {								\
		ktest_current = #fn;					\
		fn();							\
		printf("ok - %s\n", #fn);				\
		fflush(stdout);						\
	} while (0)

static inline double ktest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void ktest_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Start n threads running fn(i) together (they wait at a barrier until all
 * exist, so they really contend), then join them all.
 */
static pthread_barrier_t ktest_start;
static void *(*ktest_thread_fn)(void *);

static inline void *ktest_thread_trampoline(void *arg)
{
	pthread_barrier_wait(&ktest_start);
	return ktest_thread_fn(arg);
}

static inline void ktest_run_threads(int n, void *(*fn)(void *))
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	CHECK(t != NULL);
	ktest_thread_fn = fn;
	pthread_barrier_init(&ktest_start, NULL, (unsigned)n);
	for (long i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, ktest_thread_trampoline, (void *)i) == 0);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	pthread_barrier_destroy(&ktest_start);
	free(t);
}

struct ktest_child {
	int status;		/* wait status */
	int timed_out;		/* killed after the deadline */
	char out[65536];	/* stderr and stdout together */
};

/*
 * Run this test binary as "--child name" with extra environment entries
 * (NULL-terminated), capture its output, kill it after timeout_ms.
 */
static inline void ktest_spawn(struct ktest_child *c, const char *self,
			       const char *name, const char *const *env,
			       int timeout_ms)
{
	char *argv[] = { (char *)self, (char *)"--child", (char *)name, NULL };
	char *envp[256];
	posix_spawn_file_actions_t fa;
	int pipefd[2], n = 0;
	size_t len = 0;
	double deadline;
	pid_t pid;

	for (char **e = environ; *e && n < 200; e++)
		if (strncmp(*e, "KSYNC_", 6) != 0)
			envp[n++] = *e;
	for (; env && *env && n < 254; env++)
		envp[n++] = (char *)*env;
	envp[n] = NULL;

	CHECK(pipe(pipefd) == 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	CHECK(posix_spawn(&pid, self, &fa, NULL, argv, envp) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);

	memset(c, 0, sizeof(*c));
	deadline = ktest_now() + timeout_ms / 1000.0;
	for (;;) {
		fd_set rd;
		struct timeval tv = { 0, 20000 };
		ssize_t r;

		FD_ZERO(&rd);
		FD_SET(pipefd[0], &rd);
		if (select(pipefd[0] + 1, &rd, NULL, NULL, &tv) > 0) {
			r = read(pipefd[0], c->out + len, sizeof(c->out) - 1 - len);
			if (r <= 0)
				break;
			len += (size_t)r;
			if (len >= sizeof(c->out) - 1)
				break;
		}
		if (ktest_now() > deadline) {
			c->timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
	}
	c->out[len] = '\0';
	close(pipefd[0]);
	CHECK(waitpid(pid, &c->status, 0) == pid);
}

/* The child exited normally with this code. */
static inline int ktest_exited(const struct ktest_child *c, int code)
{
	return !c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == code;
}

#define CHECK_OUT(c, s)							\
	do {								\
		if (!strstr((c)->out, (s)))				\
			KTEST_FAIL("child output lacks \"%s\":\n%s", (s), (c)->out); \
	} while (0)

#define CHECK_NOT_OUT(c, s)						\
	do {								\
		if (strstr((c)->out, (s)))				\
			KTEST_FAIL("child output has \"%s\":\n%s", (s), (c)->out); \
	} while (0)

/*
 * Child scenarios: a test defines a table of these and calls
 * ktest_child_main() first thing in main().
 */
struct ktest_scenario {
	const char *name;
	void (*fn)(void);
};

static inline void ktest_child_main(int argc, char **argv,
				    const struct ktest_scenario *s)
{
	if (argc < 3 || strcmp(argv[1], "--child") != 0)
		return;
	for (; s->name; s++) {
		if (strcmp(s->name, argv[2]) == 0) {
			ktest_current = s->name;
			s->fn();
			exit(0);
		}
	}
	fprintf(stderr, "no child scenario %s\n", argv[2]);
	exit(2);
}

#endif /* KSYNC_TEST_KTEST_H */
