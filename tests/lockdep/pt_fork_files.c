// SPDX-License-Identifier: MIT
/*
 * Processes that each take their own lock, for ksync-lockdep's
 * per-process lock_stat and graph files: every process writes its own.
 *
 *   pt_fork_files fork        the child takes child_lock and leaves with exit()
 *   pt_fork_files fork_exit   ... and leaves with _exit()
 *   pt_fork_files exec        the child runs this program again ("execed")
 *   pt_fork_files vfork       a vfork() child that leaves with _exit() at once
 *   pt_fork_files _exit       the program itself leaves with _exit()
 *
 * The parent takes parent_lock before and after; it prints "child PID"
 * and "parent done".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static pthread_mutex_t parent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;

static void take(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	pthread_mutex_unlock(m);
}

static pid_t start_child(const char *how, const char *self)
{
	pid_t pid = strcmp(how, "vfork") ? fork() : vfork();

	if (pid)
		return pid;
	if (!strcmp(how, "vfork"))
		_exit(0);
	if (!strcmp(how, "exec")) {
		execl(self, self, "execed", (char *)NULL);
		_exit(127);
	}
	take(&child_lock);
	if (!strcmp(how, "fork_exit"))
		_exit(0);
	exit(0);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "fork";
	int status = 0;
	pid_t pid;

	if (!strcmp(how, "execed")) {
		take(&exec_lock);
		return 0;
	}
	take(&parent_lock);
	if (!strcmp(how, "_exit")) {
		printf("parent done\n");
		fflush(stdout);
		_exit(0);
	}
	pid = start_child(how, argv[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "pt_fork: the child failed\n");
		return 1;
	}
	take(&parent_lock);
	printf("child %d\nparent done\n", (int)pid);
	return 0;
}
