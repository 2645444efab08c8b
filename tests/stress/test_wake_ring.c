// SPDX-License-Identifier: MIT
/*
 * No lost wake-ups in the sleeping primitives' wake-up path: a token
 * passed round a ring of N threads (N = 2, 4, 8, 16: up to eight times
 * the cores), each waiting for it with one primitive and handing it to
 * the next.  Every pass is a wait that may spin, sleep in the futex or
 * find the token already there, and a wake-up that makes the FUTEX_WAKE
 * only if the wakee sleeps in it (sched.c): a wake-up lost anywhere
 * stops the ring, which the deadline turns into a failure.  Exact counts:
 * every thread takes the token exactly LAPS times.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <ksync/completion.h>
#include <ksync/condvar.h>
#include <ksync/mutex.h>
#include <ksync/semaphore.h>
#include <ksync/wait.h>
#include "ktest_deadline.h"

#define MAX_RING	16
#define PASSES		1600	/* per ring: LAPS = PASSES / n */

enum kind { COMPLETION, SEMAPHORE, WAITQUEUE, CONDVAR, KINDS };

static const char *const kind_name[KINDS] = {
	"completion", "semaphore", "wait queue", "condvar",
};

static struct {
	enum kind kind;
	int n;
	long laps;
	struct completion c[MAX_RING];
	struct semaphore s[MAX_RING];
	wait_queue_head_t wq[MAX_RING];
	int flag[MAX_RING];		/* wait queue: the token is here */
	struct mutex m;
	struct condvar cv;
	int turn;			/* condvar: whose turn, under m */
	long got[MAX_RING];
} ring;

static void wait_token(int me)
{
	switch (ring.kind) {
	case COMPLETION:
		wait_for_completion(&ring.c[me]);
		break;
	case SEMAPHORE:
		down(&ring.s[me]);
		break;
	case WAITQUEUE:
		wait_event(ring.wq[me], __atomic_exchange_n(&ring.flag[me], 0,
							    __ATOMIC_ACQUIRE));
		break;
	case CONDVAR:
		mutex_lock(&ring.m);
		while (ring.turn != me)
			condvar_wait(&ring.cv, &ring.m);
		mutex_unlock(&ring.m);
		break;
	default:
		break;
	}
}

static void pass_token(int to)
{
	switch (ring.kind) {
	case COMPLETION:
		complete(&ring.c[to]);
		break;
	case SEMAPHORE:
		up(&ring.s[to]);
		break;
	case WAITQUEUE:
		__atomic_store_n(&ring.flag[to], 1, __ATOMIC_RELEASE);
		wake_up(&ring.wq[to]);
		break;
	case CONDVAR:
		mutex_lock(&ring.m);
		ring.turn = to;
		/* All: others wait on the same condvar for their own turn. */
		condvar_notify_all(&ring.cv);
		mutex_unlock(&ring.m);
		break;
	default:
		break;
	}
}

static void *ring_member(void *arg)
{
	int me = (int)(long)arg;

	for (long l = 0; l < ring.laps; l++) {
		wait_token(me);
		ring.got[me]++;		/* the token orders these */
		pass_token((me + 1) % ring.n);
	}
	return NULL;
}

static void run_ring(enum kind kind, int n)
{
	pthread_t t[MAX_RING];

	ring.kind = kind;
	ring.n = n;
	ring.laps = PASSES / n;
	mutex_init(&ring.m);
	condvar_init(&ring.cv);
	ring.turn = 0;
	for (int i = 0; i < n; i++) {
		init_completion(&ring.c[i]);
		sema_init(&ring.s[i], 0);
		init_waitqueue_head(&ring.wq[i]);
		ring.flag[i] = 0;
		ring.got[i] = 0;
	}
	for (long i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, ring_member, (void *)i) == 0);
	/* Thread 0 has the token first (condvar: turn 0 already). */
	if (kind != CONDVAR)
		pass_token(0);
	for (int i = 0; i < n; i++)
		ktest_join_or_fail(t[i]);
	for (int i = 0; i < n; i++)
		CHECK_EQ(ring.got[i], ring.laps);
	/* The last pass went back to thread 0 and was not taken. */
	switch (kind) {
	case COMPLETION:
		CHECK(try_wait_for_completion(&ring.c[0]));
		break;
	case SEMAPHORE:
		CHECK_EQ(down_trylock(&ring.s[0]), 0);
		CHECK_EQ(down_trylock(&ring.s[0]), 1);
		break;
	case WAITQUEUE:
		CHECK_EQ(ring.flag[0], 1);
		break;
	case CONDVAR:
		CHECK_EQ(ring.turn, 0);
		break;
	default:
		break;
	}
	printf("  %s ring of %d: %ld laps each\n", kind_name[kind], n, ring.laps);
}

static void test_rings(void)
{
	for (int k = 0; k < KINDS; k++)
		for (int n = 2; n <= MAX_RING; n *= 2)
			run_ring((enum kind)k, n);
}

int main(void)
{
	ktest_start_watchdog();
	RUN(test_rings);
	printf("all wake ring tests passed\n");
	return 0;
}
