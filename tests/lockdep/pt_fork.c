// SPDX-License-Identifier: MIT
/*
 * A plain pthread program that forks while other threads hold mutexes
 * (and, with "wait", while one waits for a mutex), then creates threads
 * in the child that take locks.  Nothing in it is a bug: under
 * ksync-lockdep it must get no report.  The child's threads reuse the CPU
 * numbers of parent threads that do not exist in the child; they must
 * not inherit their held locks.
 *
 *   pt_fork hold|wait
 *
 * prints "child ok", "child exit 0" and "done".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOLDERS	3
#define CHILD_THREADS	6

static pthread_mutex_t held[HOLDERS] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};
static pthread_mutex_t main_lock = PTHREAD_MUTEX_INITIALIZER;	/* main's, across fork */
static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;	/* the child's */
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;	/* the child's */
static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static int ready, release;
static pid_t waiter_tid;

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static void *holder(void *arg)
{
	long i = (long)arg;

	pthread_mutex_lock(&held[i]);
	if (i == 0)
		pthread_rwlock_rdlock(&table);
	__atomic_fetch_add(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&release, __ATOMIC_ACQUIRE))
		pause_ms(1);
	if (i == 0)
		pthread_rwlock_unlock(&table);
	pthread_mutex_unlock(&held[i]);
	return NULL;
}

static void *waiter(void *arg)
{
	__atomic_store_n(&waiter_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	pthread_mutex_lock(&main_lock);		/* main holds it across the fork */
	pthread_mutex_unlock(&main_lock);
	return arg;
}

/* Whether thread tid sleeps in futex(2): blocked in a lock. */
static int blocked_in_futex(pid_t tid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf) == SYS_futex;
}

/* What the child's threads do: nested locks, a read lock, main's lock. */
static void *child_work(void *arg)
{
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&outer);
		pthread_mutex_lock(&inner);
		pthread_mutex_unlock(&inner);
		pthread_mutex_unlock(&outer);
		pthread_rwlock_rdlock(&table);
		pthread_rwlock_unlock(&table);
		pthread_mutex_lock(&main_lock);
		pthread_mutex_unlock(&main_lock);
	}
	return arg;			/* exits holding nothing */
}

static void in_child(void)
{
	pthread_t t[CHILD_THREADS];

	pthread_mutex_unlock(&main_lock);	/* the forking thread's: ours */
	for (long i = 0; i < CHILD_THREADS; i++)
		pthread_create(&t[i], NULL, child_work, (void *)i);
	for (int i = 0; i < CHILD_THREADS; i++)
		pthread_join(t[i], NULL);
	child_work(NULL);
	printf("child ok\n");
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	int with_waiter = argc > 1 && !strcmp(argv[1], "wait");
	pthread_t h[HOLDERS], w;
	int status;
	pid_t pid;

	if (argc < 2 || (strcmp(argv[1], "hold") && !with_waiter)) {
		fprintf(stderr, "usage: pt_fork hold|wait\n");
		return 2;
	}
	pthread_mutex_lock(&main_lock);
	for (long i = 0; i < HOLDERS; i++)
		pthread_create(&h[i], NULL, holder, (void *)i);
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < HOLDERS)
		pause_ms(1);
	if (with_waiter) {
		pthread_create(&w, NULL, waiter, NULL);
		while (!__atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE) ||
		       !blocked_in_futex(waiter_tid))
			pause_ms(1);
	}
	pid = fork();
	if (pid == 0)
		in_child();
	pthread_mutex_unlock(&main_lock);
	__atomic_store_n(&release, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < HOLDERS; i++)
		pthread_join(h[i], NULL);
	if (with_waiter)
		pthread_join(w, NULL);
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("done\n");
	return 0;
}
