// SPDX-License-Identifier: MIT
/*
 * Plain pthread programs, for ksync-lockdep to find bugs in (or not):
 * no ksync header, no ksync library, as a program off the shelf.
 *
 *   pt_scenarios SCENARIO
 *
 * prints "done" when it gets to the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t c = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t d = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t stats_spin;

static void lock2(pthread_mutex_t *x, pthread_mutex_t *y)
{
	pthread_mutex_lock(x);
	pthread_mutex_lock(y);
	pthread_mutex_unlock(y);
	pthread_mutex_unlock(x);
}

/* --- bugs ------------------------------------------------------------------ */

static void aa_errorcheck(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	int r;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &attr);
	pthread_mutex_lock(&m);
	r = pthread_mutex_lock(&m);
	printf("second lock: %s\n", r == EDEADLK ? "EDEADLK" : strerror(r));
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
}

static void abba_one_thread(void)
{
	lock2(&a, &b);
	lock2(&b, &a);
}

static void *order_ab(void *x)
{
	lock2(&a, &b);
	return x;
}

static void *order_ba(void *x)
{
	lock2(&b, &a);
	return x;
}

static void abba_two_threads(void)
{
	pthread_t t;

	pthread_create(&t, NULL, order_ab, NULL);
	pthread_join(t, NULL);
	pthread_create(&t, NULL, order_ba, NULL);
	pthread_join(t, NULL);
}

static void cycle4(void)
{
	lock2(&a, &b);
	lock2(&b, &c);
	lock2(&c, &d);
	lock2(&d, &a);
}

static void unlock_balance(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	int r;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &attr);
	r = pthread_mutex_unlock(&m);
	printf("unlock: %s\n", r == EPERM ? "EPERM" : strerror(r));
}

/* A reader takes a mutex; a writer holding that mutex waits for the reader. */
static void rwlock_cycle(void)
{
	pthread_rwlock_rdlock(&table_lock);
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_rwlock_unlock(&table_lock);
	pthread_mutex_lock(&a);
	pthread_rwlock_wrlock(&table_lock);
	pthread_rwlock_unlock(&table_lock);
	pthread_mutex_unlock(&a);
}

static void rwlock_write_twice(void)
{
	int r;

	pthread_rwlock_wrlock(&table_lock);
	r = pthread_rwlock_wrlock(&table_lock);
	printf("second wrlock: %s\n", r == EDEADLK ? "EDEADLK" : strerror(r));
	pthread_rwlock_unlock(&table_lock);
}

static void *leave_locked(void *x)
{
	pthread_mutex_lock(&c);
	return x;	/* exits holding c */
}

static void exit_held(void)
{
	pthread_t t;

	pthread_setname_np(pthread_self(), "main");
	pthread_create(&t, NULL, leave_locked, NULL);
	pthread_join(t, NULL);
}

static void spin_then_mutex_cycle(void)
{
	pthread_spin_init(&stats_spin, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_lock(&stats_spin);
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_spin_unlock(&stats_spin);
	pthread_mutex_lock(&a);
	pthread_spin_lock(&stats_spin);
	pthread_spin_unlock(&stats_spin);
	pthread_mutex_unlock(&a);
}

/* The child of a fork keeps working, and is validated too. */
static void fork_child_abba(void)
{
	pid_t pid;
	int status;

	lock2(&a, &b);
	pthread_mutex_lock(&c);		/* held across the fork */
	pid = fork();
	if (pid == 0) {
		pthread_mutex_unlock(&c);
		lock2(&c, &d);
		lock2(&b, &a);		/* the child's own ABBA */
		printf("child ok\n");
		fflush(stdout);
		_exit(0);
	}
	pthread_mutex_unlock(&c);
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* --- correct programs -------------------------------------------------------- */

#define NODES	16
#define WORKERS	8

struct node {
	pthread_mutex_t lock;
	long value;
	struct node *next;
};

static struct node nodes[NODES];
static pthread_mutex_t buckets[NODES];
static pthread_mutex_t counters = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static long total;

static void setup(void)
{
	for (int i = 0; i < NODES; i++) {
		pthread_mutex_init(&nodes[i].lock, NULL);	/* one site: one class */
		nodes[i].next = i + 1 < NODES ? &nodes[i + 1] : NULL;
		pthread_mutex_init(&buckets[i], NULL);
	}
}

/* Hand-over-hand down the list: two locks of one class, always in order. */
static void walk(void)
{
	struct node *n = &nodes[0], *next;

	pthread_mutex_lock(&n->lock);
	for (; n; n = next) {
		n->value++;
		next = n->next;
		if (next)
			pthread_mutex_lock(&next->lock);
		pthread_mutex_unlock(&n->lock);
	}
}

/* Two bucket locks, lower index first. */
static void move(int from, int to)
{
	int lo = from < to ? from : to, hi = from < to ? to : from;

	if (lo == hi)
		return;
	pthread_mutex_lock(&buckets[lo]);
	pthread_mutex_lock(&buckets[hi]);
	pthread_mutex_unlock(&buckets[hi]);
	pthread_mutex_unlock(&buckets[lo]);
}

static void add_total(long n)
{
	pthread_mutex_lock(&counters);
	pthread_mutex_lock(&counters);		/* recursive, on purpose */
	total += n;
	pthread_mutex_unlock(&counters);
	pthread_mutex_unlock(&counters);
}

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static int queue, produced_done;

static void *consumer(void *x)
{
	long got = 0;

	for (;;) {
		pthread_mutex_lock(&q_lock);
		while (!queue && !produced_done)
			pthread_cond_wait(&q_nonempty, &q_lock);
		if (!queue && produced_done) {
			pthread_mutex_unlock(&q_lock);
			break;
		}
		queue--;
		pthread_mutex_unlock(&q_lock);
		got++;
	}
	add_total(got);
	return x;
}

static void *worker(void *x)
{
	unsigned int seed = (unsigned int)(uintptr_t)x;

	for (int i = 0; i < 500; i++) {
		walk();
		move(rand_r(&seed) % NODES, rand_r(&seed) % NODES);
		lock2(&a, &b);		/* everyone: a before b */
		pthread_rwlock_rdlock(&table_lock);
		pthread_rwlock_rdlock(&table_lock);	/* readers may recurse */
		pthread_rwlock_unlock(&table_lock);
		pthread_rwlock_unlock(&table_lock);
	}
	return NULL;
}

static void correct(void)
{
	pthread_t w[WORKERS], cons[2];
	long want = 0;

	setup();
	for (int i = 0; i < 2; i++)
		pthread_create(&cons[i], NULL, consumer, NULL);
	for (uintptr_t i = 0; i < WORKERS; i++)
		pthread_create(&w[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&q_lock);
		queue++;
		pthread_cond_signal(&q_nonempty);
		pthread_mutex_unlock(&q_lock);
	}
	pthread_mutex_lock(&q_lock);
	produced_done = 1;
	pthread_cond_broadcast(&q_nonempty);
	pthread_mutex_unlock(&q_lock);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(cons[i], NULL);
	for (int i = 0; i < NODES; i++)
		want += nodes[i].value;
	printf("consumed %ld, walked %ld\n", total, want);
	if (total != 10000 || want != (long)WORKERS * 500 * NODES) {
		printf("WRONG COUNTS\n");
		exit(1);
	}
}

static const struct {
	const char *name;
	void (*fn)(void);
} scenarios[] = {
	{ "aa_errorcheck", aa_errorcheck },
	{ "abba_one_thread", abba_one_thread },
	{ "abba_two_threads", abba_two_threads },
	{ "cycle4", cycle4 },
	{ "unlock_balance", unlock_balance },
	{ "rwlock_cycle", rwlock_cycle },
	{ "rwlock_write_twice", rwlock_write_twice },
	{ "exit_held", exit_held },
	{ "spin_then_mutex_cycle", spin_then_mutex_cycle },
	{ "fork_child_abba", fork_child_abba },
	{ "correct", correct },
};

int main(int argc, char **argv)
{
	for (size_t i = 0; argc > 1 && i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!strcmp(argv[1], scenarios[i].name)) {
			scenarios[i].fn();
			printf("done\n");
			return 0;
		}
	}
	fprintf(stderr, "usage: pt_scenarios SCENARIO\n");
	return 2;
}
