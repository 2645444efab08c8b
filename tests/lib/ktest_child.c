// SPDX-License-Identifier: MIT
/*
 * Child processes whose output is matched (ktest_child.h): the one copy
 * of spawning, capturing and reaping that every misuse test uses.
 */
#include "ktest.h"

/* The test binary itself, run again in the child. */
#define KTEST_SELF	"/proc/self/exe"

void ktest_child_main(int argc, char **argv, const struct ktest_scenario *s)
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

/* Our environment less KSYNC_*, then env; envp has room for 256. */
static void child_env(char **envp, const char *const *env)
{
	int n = 0;

	for (char **e = environ; *e && n < 200; e++)
		if (strncmp(*e, "KSYNC_", 6) != 0)
			envp[n++] = *e;
	for (; env && *env && n < 254; env++)
		envp[n++] = (char *)*env;
	envp[n] = NULL;
}

/* Start the child with stdout and stderr on a pipe; return the read end. */
static int start_child(pid_t *pid, const char *self, const char *name,
		       const char *const *env)
{
	char *argv[] = { (char *)self, (char *)"--child", (char *)name, NULL };
	char *envp[256];
	posix_spawn_file_actions_t fa;
	int pipefd[2];

	child_env(envp, env);
	CHECK(pipe(pipefd) == 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	CHECK(posix_spawn(pid, self, &fa, NULL, argv, envp) == 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	return pipefd[0];
}

/*
 * Read fd into c->out until the child closes it, the buffer is full or
 * the deadline passes (then kill the child); watch sees each arrival.
 */
static void capture(struct ktest_child *c, int fd, pid_t pid, int timeout_ms,
		    ktest_watch_fn *watch, void *arg)
{
	double deadline = ktest_now() + timeout_ms / 1000.0;
	size_t len = 0;

	for (;;) {
		struct timeval tv = { 0, 20000 };
		fd_set rd;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) > 0) {
			ssize_t r = read(fd, c->out + len, sizeof(c->out) - 1 - len);

			if (r <= 0)
				break;
			len += (size_t)r;
			c->out[len] = '\0';
			if (len >= sizeof(c->out) - 1)
				break;
			if (watch)
				watch(c, pid, arg);
		}
		if (ktest_now() > deadline) {
			c->timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
	}
}

static void run_child(struct ktest_child *c, const char *self, const char *name,
		      const char *const *env, int timeout_ms,
		      ktest_watch_fn *watch, void *arg)
{
	pid_t pid;
	int fd;

	memset(c, 0, sizeof(*c));
	fd = start_child(&pid, self, name, env);
	capture(c, fd, pid, timeout_ms, watch, arg);
	close(fd);
	CHECK(waitpid(pid, &c->status, 0) == pid);
}

void ktest_run_child_watched(struct ktest_child *c, const char *name,
			     const char *const *env, int timeout_ms,
			     ktest_watch_fn *watch, void *arg)
{
	run_child(c, KTEST_SELF, name, env, timeout_ms, watch, arg);
}

void ktest_run_child(struct ktest_child *c, const char *name,
		     const char *const *env, int timeout_ms)
{
	ktest_run_child_watched(c, name, env, timeout_ms, NULL, NULL);
}

void ktest_spawn(struct ktest_child *c, const char *self, const char *name,
		 const char *const *env, int timeout_ms)
{
	run_child(c, self, name, env, timeout_ms, NULL, NULL);
}

int ktest_exited(const struct ktest_child *c, int code)
{
	return !c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == code;
}

int ktest_count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}
