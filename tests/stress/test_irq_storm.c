// SPDX-License-Identifier: MIT
/*
 * Interrupt storm: worker threads share counters with their own interrupt
 * handlers - the thread takes the lock with spin_lock_irqsave(), the
 * handler (on the same thread) with spin_lock() - and all of them share a
 * global counter too, while another thread raises interrupts at them as
 * fast as it can.  More threads than cores.  Every count must come out
 * exact: no deadlock (a handler never interrupts its own thread's
 * irqsave section), no lost update, no lost or doubled interrupt.
 */
#include <ksync/interrupt.h>
#include <ksync/smp.h>
#include <ksync/spinlock.h>
#include "ktest.h"

#define WORKERS		8
#define RAISES		40000	/* interrupts to raise in all */
#define MAX_SECONDS	5.0	/* or stop raising after this long */
#define GLOBAL_EVERY	16

struct worker_state {
	spinlock_t lock;
	long thread_side;	/* under lock */
	long irq_side;		/* under lock */
	int cpu;
	long iterations;	/* the worker's own count, read at the end */
	long global_adds;	/* likewise */
	long raised;		/* by the raiser only */
	long handled;		/* by the handler only, read at the end */
} __attribute__((aligned(128)));

static struct worker_state w[WORKERS];
static DEFINE_SPINLOCK(global_lock);
static long global_count;
static int stop_working, raiser_done;
static __thread int my_index = -1;
static int irq;

/*
 * ThreadSanitizer delivers a signal only when the thread next enters an
 * intercepted libc call, and keeps one pending slot per signal number, so
 * several raises of one signal before that merge into one.  Under it the
 * workers make such a call now and then, and the raiser keeps at most one
 * interrupt outstanding per worker; every count stays exact.
 */
#ifdef __SANITIZE_THREAD__
#define TSAN_DELIVERY_POINT(n)	do { if (((n) & 255) == 0) usleep(0); } while (0)
#define TSAN_OUTSTANDING_MAX	1
#else
#define TSAN_DELIVERY_POINT(n)	do { } while (0)
#define TSAN_OUTSTANDING_MAX	0	/* no limit */
#endif

static irqreturn_t storm_handler(int n, void *dev)
{
	struct worker_state *me;

	(void)n;
	(void)dev;
	if (my_index < 0)
		return IRQ_NONE;
	me = &w[my_index];
	spin_lock(&me->lock);		/* interrupts are off in a handler */
	me->irq_side++;
	spin_unlock(&me->lock);
	spin_lock(&global_lock);
	global_count++;
	spin_unlock(&global_lock);
	__atomic_fetch_add(&me->handled, 1, __ATOMIC_RELEASE);
	return IRQ_HANDLED;
}

static void *worker(void *arg)
{
	long i = (long)arg, n = 0, adds = 0;
	struct worker_state *me = &w[i];
	unsigned long flags;
	double deadline;

	my_index = (int)i;
	__atomic_store_n(&me->cpu, smp_processor_id(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop_working, __ATOMIC_ACQUIRE)) {
		spin_lock_irqsave(&me->lock, flags);
		me->thread_side++;
		spin_unlock_irqrestore(&me->lock, flags);
		TSAN_DELIVERY_POINT(n);
		if (n++ % GLOBAL_EVERY == 0) {
			spin_lock_irqsave(&global_lock, flags);
			global_count++;
			spin_unlock_irqrestore(&global_lock, flags);
			adds++;
		}
	}
	me->iterations = n;
	me->global_adds = adds;
	/* Stay alive until every interrupt raised at us has been handled. */
	while (!__atomic_load_n(&raiser_done, __ATOMIC_ACQUIRE))
		usleep(100);
	deadline = ktest_now() + 30;
	while (__atomic_load_n(&me->handled, __ATOMIC_ACQUIRE) <
	       __atomic_load_n(&me->raised, __ATOMIC_ACQUIRE) && ktest_now() < deadline)
		usleep(100);
	return NULL;
}

static void *raiser(void *arg)
{
	unsigned int seed = 12345;
	double deadline;
	long raised = 0;

	for (int i = 0; i < WORKERS; i++)
		while (__atomic_load_n(&w[i].cpu, __ATOMIC_ACQUIRE) < 0)
			usleep(100);
	deadline = ktest_now() + MAX_SECONDS;
	while (raised < RAISES && ktest_now() < deadline) {
		int t = (int)(rand_r(&seed) % WORKERS);

		if (TSAN_OUTSTANDING_MAX &&
		    __atomic_load_n(&w[t].raised, __ATOMIC_RELAXED) -
		    __atomic_load_n(&w[t].handled, __ATOMIC_RELAXED) >= TSAN_OUTSTANDING_MAX) {
			sched_yield();
			continue;
		}
		if (ksync_raise_irq(w[t].cpu, (unsigned)irq) == 0) {
			__atomic_fetch_add(&w[t].raised, 1, __ATOMIC_RELEASE);
			raised++;
		} else {
			sched_yield();	/* signal queue full: let them drain */
		}
	}
	__atomic_store_n(&stop_working, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&raiser_done, 1, __ATOMIC_RELEASE);
	return arg;
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: interrupt storm did not finish in time\n";

	(void)sig;
	write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static void test_interrupt_storm(void)
{
	pthread_t workers[WORKERS], r;
	long raised = 0, handled = 0, adds = 0;
	double t0 = ktest_now();

	for (int i = 0; i < WORKERS; i++) {
		spin_lock_init(&w[i].lock);
		w[i].cpu = -1;
	}
	CHECK_EQ(request_irq((unsigned)irq, storm_handler, 0, "storm", NULL), 0);
	for (long i = 0; i < WORKERS; i++)
		CHECK(pthread_create(&workers[i], NULL, worker, (void *)i) == 0);
	CHECK(pthread_create(&r, NULL, raiser, NULL) == 0);
	for (int i = 0; i < WORKERS; i++)
		CHECK(pthread_join(workers[i], NULL) == 0);
	CHECK(pthread_join(r, NULL) == 0);
	CHECK(free_irq((unsigned)irq, NULL) != NULL);

	for (int i = 0; i < WORKERS; i++) {
		CHECK_EQ(w[i].thread_side, w[i].iterations);
		CHECK_EQ(w[i].handled, w[i].raised);	/* none lost, none twice */
		CHECK_EQ(w[i].irq_side, w[i].handled);
		raised += w[i].raised;
		handled += w[i].handled;
		adds += w[i].global_adds;
		printf("# worker %d: %ld iterations, %ld interrupts\n", i,
		       w[i].iterations, w[i].handled);
	}
	CHECK_EQ(global_count, adds + handled);
	printf("# %d workers, %ld interrupts raised and handled, %.2f s\n",
	       WORKERS, raised, ktest_now() - t0);
	CHECK(raised > 1000);
}

int main(void)
{
	signal(SIGALRM, watchdog);
	alarm(240);
	irq = SIGRTMIN + 3;
	RUN(test_interrupt_storm);
	return 0;
}
