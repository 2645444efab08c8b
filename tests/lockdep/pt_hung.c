// SPDX-License-Identifier: MIT
/*
 * A plain pthread program that really deadlocks, for ksync-lockdep's
 * hung-task detector (test_ksync_lockdep.sh): two threads take a and b in
 * opposite orders at once.  Run with --hung-task-secs and --log FILE:
 * once the log names both threads and is followed by the list of held
 * locks, the program says "reported" and leaves; after 60 s it says "not
 * reported" and fails.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static void *deadlock_ab(void *x)
{
	pthread_mutex_lock(&a);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&b);		/* never */
	return x;
}

static void *deadlock_ba(void *x)
{
	pthread_mutex_lock(&b);
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(&a);		/* never */
	return x;
}

/* Two threads reported, and the whole list of held locks after the last. */
static int reported(const char *path)
{
	static char buf[1 << 17];
	const char *last = NULL, *p, *show;
	FILE *f = fopen(path, "r");
	size_t n;
	int infos = 0;

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "INFO: task ")); p++, infos++)
		last = p;
	if (infos < 2)
		return 0;
	show = strstr(last, "Showing all locks held in the system:");
	return show && strstr(show, "\n=============================================\n");
}

int main(void)
{
	const char *log = getenv("KSYNC_LOG");
	pthread_t t1, t2;

	pthread_barrier_init(&both_hold_one, NULL, 2);
	pthread_create(&t1, NULL, deadlock_ab, NULL);
	pthread_create(&t2, NULL, deadlock_ba, NULL);
	for (int i = 0; log && i < 6000; i++) {
		if (reported(log)) {
			printf("reported\n");
			fflush(stdout);
			_exit(0);
		}
		usleep(10000);
	}
	printf("not reported\n");
	fflush(stdout);
	_exit(1);
}
