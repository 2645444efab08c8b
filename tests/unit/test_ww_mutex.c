// SPDX-License-Identifier: MIT
/*
 * struct ww_mutex, after the kernel's kernel/locking/test-ww_mutex.c:
 * plain use and the return values (-EALREADY, trylock, a NULL ctx); two
 * contexts ABBA, where the younger one backs off and both complete, for
 * both classes; wait-die and wound-wait deciding by stamp who backs off;
 * a cycle of threads each wanting its neighbour's lock; a stress of more
 * threads than CPUs running random transactions over many locks, backing
 * off with ww_mutex_lock_slow(), every transaction completing with exact
 * counts; and -EINTR from the interruptible lock.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <ksync/ksync.h>
#include "ktest.h"
#include "ktest_deadline.h"
#include "ktest_waiter.h"

static DEFINE_WD_CLASS(wd_class);
static DEFINE_WW_CLASS(ww_class);

static struct ww_class *const classes[] = { &wd_class, &ww_class };

/* Until a thread queued on m (the WAITERS flag), then a while asleep. */
static void wait_until_queued(struct ww_mutex *m)
{
	KTEST_WAIT_UNTIL(atomic_long_read(&m->base.owner) & (long)MUTEX_FLAG_WAITERS);
	ktest_sleep_ms(20);
}

/* --- plain use (test-ww_mutex.c's test_mutex and test_aa) ------------------ */

static void test_lock_unlock(void)
{
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;

	ww_mutex_init(&m, &ww_class);
	CHECK(!ww_mutex_is_locked(&m));
	ww_acquire_init(&ctx, &ww_class);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), 0);
	CHECK(ww_mutex_is_locked(&m));
	CHECK(m.ctx == &ctx);
	CHECK_EQ(ctx.acquired, 1);
	ww_acquire_done(&ctx);
	ww_mutex_unlock(&m);
	CHECK(!ww_mutex_is_locked(&m));
	CHECK(m.ctx == NULL);
	CHECK_EQ(ctx.acquired, 0);
	ww_acquire_fini(&ctx);

	/* No ctx: a plain mutex. */
	CHECK_EQ(ww_mutex_lock(&m, NULL), 0);
	CHECK(ww_mutex_is_locked(&m) && m.ctx == NULL);
	ww_mutex_unlock(&m);
	CHECK_EQ(ww_mutex_lock_interruptible(&m, NULL), 0);
	ww_mutex_unlock(&m);
	ww_mutex_destroy(&m);
}

static void test_ealready(void)
{
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;

	ww_mutex_init(&m, &wd_class);
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), 0);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), -EALREADY);
	CHECK_EQ(ww_mutex_lock_interruptible(&m, &ctx), -EALREADY);
	CHECK_EQ(ctx.acquired, 1);
	/* A trylock does not say -EALREADY: it fails, as the kernel's. */
	CHECK_EQ(ww_mutex_trylock(&m, &ctx), 0);
	CHECK_EQ(ww_mutex_trylock(&m, NULL), 0);
	ww_mutex_unlock(&m);
	ww_acquire_fini(&ctx);
	ww_mutex_destroy(&m);
}

static struct ww_mutex shared_m;
static long other_trylock_result;

static void *other_trylocks(void *arg)
{
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, &ww_class);
	other_trylock_result = ww_mutex_trylock(&shared_m, &ctx);
	if (!other_trylock_result)
		other_trylock_result += ww_mutex_trylock(&shared_m, NULL);
	ww_acquire_fini(&ctx);
	return arg;
}

static void test_trylock(void)
{
	struct ww_acquire_ctx ctx;
	pthread_t t;

	ww_mutex_init(&shared_m, &ww_class);
	ww_acquire_init(&ctx, &ww_class);
	CHECK_EQ(ww_mutex_trylock(&shared_m, &ctx), 1);
	CHECK(shared_m.ctx == &ctx);
	CHECK_EQ(ctx.acquired, 1);
	CHECK(pthread_create(&t, NULL, other_trylocks, NULL) == 0);
	ktest_join_or_fail(t);
	CHECK_EQ(other_trylock_result, 0);
	ww_mutex_unlock(&shared_m);
	CHECK_EQ(ctx.acquired, 0);
	ww_acquire_fini(&ctx);

	CHECK_EQ(ww_mutex_trylock(&shared_m, NULL), 1);
	CHECK(shared_m.ctx == NULL);
	ww_mutex_unlock(&shared_m);
	CHECK(!ww_mutex_is_locked(&shared_m));
}

/* --- ABBA (test_abba): the younger backs off, both complete ----------------- */

struct abba {
	struct ww_class *class;
	struct ww_mutex a, b;
	struct ww_acquire_ctx ctx[2];	/* [0] older: initialised first */
	pthread_barrier_t both_hold_one;
	int deadlks[2];
	int done[2];
};

/* Take first, then second; on -EDEADLK back off and take them again. */
static void lock_pair(struct abba *t, int who, struct ww_mutex *first,
		      struct ww_mutex *second)
{
	struct ww_acquire_ctx *ctx = &t->ctx[who];
	int ret;

	CHECK_EQ(ww_mutex_lock(first, ctx), 0);
	pthread_barrier_wait(&t->both_hold_one);
	while ((ret = ww_mutex_lock(second, ctx)) == -EDEADLK) {
		t->deadlks[who]++;
		ww_mutex_unlock(first);
		ww_mutex_lock_slow(second, ctx);
		/* Now first may be the contended one: swap, as the kernel's test. */
		struct ww_mutex *tmp = first;

		first = second;
		second = tmp;
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(ctx->acquired, 2);
	ww_acquire_done(ctx);
	t->done[who] = 1;
	ww_mutex_unlock(first);
	ww_mutex_unlock(second);
	ww_acquire_fini(ctx);
}

static void *abba_younger(void *arg)
{
	struct abba *t = arg;

	ww_acquire_init(&t->ctx[1], t->class);	/* after ctx[0]: younger */
	lock_pair(t, 1, &t->b, &t->a);
	return NULL;
}

static void run_abba(struct ww_class *class)
{
	struct abba t = { .class = class };
	pthread_t y;

	ww_mutex_init(&t.a, class);
	ww_mutex_init(&t.b, class);
	pthread_barrier_init(&t.both_hold_one, NULL, 2);
	ww_acquire_init(&t.ctx[0], class);
	CHECK(pthread_create(&y, NULL, abba_younger, &t) == 0);
	lock_pair(&t, 0, &t.a, &t.b);
	ktest_join_or_fail(y);
	CHECK(t.done[0] && t.done[1]);
	CHECK(t.ctx[0].stamp < t.ctx[1].stamp);
	/* The stamps decide: only the younger ever backs off. */
	CHECK_EQ(t.deadlks[0], 0);
	CHECK(t.deadlks[1] >= 1);
	CHECK(!ww_mutex_is_locked(&t.a) && !ww_mutex_is_locked(&t.b));
	pthread_barrier_destroy(&t.both_hold_one);
}

static void test_abba_wait_die(void)
{
	run_abba(&wd_class);
}

static void test_abba_wound_wait(void)
{
	run_abba(&ww_class);
}

/* --- the stamps decide (wait-die and wound-wait directly) --------------------- */

/*
 * A thread with a ctx of its own (lockdep wants one ctx of a class per
 * thread): it begins its transaction (its stamp) at once, takes `hold`
 * (if any) and then `want` when told to go.
 */
struct contender {
	struct ww_class *class;
	struct ww_acquire_ctx ctx;
	struct ww_mutex *hold;
	struct ww_mutex *want;
	int inited, go, finished;
	long result;
	pthread_t thread;
};

static void *contend(void *arg)
{
	struct contender *c = arg;

	ww_acquire_init(&c->ctx, c->class);
	__atomic_store_n(&c->inited, 1, __ATOMIC_RELEASE);
	KTEST_WAIT_UNTIL(__atomic_load_n(&c->go, __ATOMIC_ACQUIRE));
	if (c->hold)
		CHECK_EQ(ww_mutex_lock(c->hold, &c->ctx), 0);
	c->result = ww_mutex_lock(c->want, &c->ctx);
	if (c->result == 0)
		ww_mutex_unlock(c->want);
	if (c->hold)
		ww_mutex_unlock(c->hold);
	c->ctx.contending_lock = NULL;	/* backed off by hand */
	ww_acquire_fini(&c->ctx);
	__atomic_store_n(&c->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Start c; its stamp is taken before this returns. */
static void start_contender(struct contender *c, struct ww_class *class,
			    struct ww_mutex *hold, struct ww_mutex *want, int go)
{
	*c = (struct contender){ .class = class, .hold = hold, .want = want, .go = go };
	CHECK(pthread_create(&c->thread, NULL, contend, c) == 0);
	KTEST_WAIT_UNTIL(__atomic_load_n(&c->inited, __ATOMIC_ACQUIRE));
}

static void go(struct contender *c)
{
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
}

static long finish(struct contender *c)
{
	ktest_join_or_fail(c->thread);
	return c->result;
}

static int finished(struct contender *c)
{
	return __atomic_load_n(&c->finished, __ATOMIC_ACQUIRE);
}

/*
 * Wait-die: a younger ctx holding locks dies at once on an older holder;
 * one holding nothing waits; an older one waits for a younger holder.
 */
static void test_wait_die_stamps(void)
{
	struct ww_acquire_ctx ctx;
	struct ww_mutex m, other;
	struct contender c;

	ww_mutex_init(&m, &wd_class);
	ww_mutex_init(&other, &wd_class);

	/* This thread older, holding m; the younger holds `other`: it dies. */
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), 0);
	start_contender(&c, &wd_class, &other, &m, 1);
	CHECK(ctx.stamp < c.ctx.stamp);
	CHECK_EQ(finish(&c), -EDEADLK);

	/* The younger holding nothing: it waits, and gets the lock. */
	start_contender(&c, &wd_class, NULL, &m, 1);
	wait_until_queued(&m);
	CHECK(!finished(&c));
	ww_mutex_unlock(&m);
	CHECK_EQ(finish(&c), 0);
	ww_acquire_fini(&ctx);

	/* The older, holding `other`, waits for this younger holder. */
	start_contender(&c, &wd_class, &other, &m, 0);
	ww_acquire_init(&ctx, &wd_class);
	CHECK(c.ctx.stamp < ctx.stamp);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), 0);
	go(&c);
	wait_until_queued(&m);
	CHECK(!finished(&c));
	ww_mutex_unlock(&m);
	CHECK_EQ(finish(&c), 0);
	ww_acquire_fini(&ctx);
}

/*
 * Wound-wait: an older ctx (holding a lock) that must wait for a younger
 * holder wounds it, and waits.
 */
static void test_wound_wait_stamps(void)
{
	struct ww_acquire_ctx young;
	struct ww_mutex m, held_by_old;
	struct contender c;

	ww_mutex_init(&m, &ww_class);
	ww_mutex_init(&held_by_old, &ww_class);
	start_contender(&c, &ww_class, &held_by_old, &m, 0);
	ww_acquire_init(&young, &ww_class);
	CHECK_EQ(ww_mutex_lock(&m, &young), 0);
	go(&c);
	wait_until_queued(&m);
	KTEST_WAIT_UNTIL(__atomic_load_n(&young.wounded, __ATOMIC_SEQ_CST));
	CHECK(!finished(&c));
	ww_mutex_unlock(&m);
	CHECK_EQ(finish(&c), 0);
	ww_acquire_fini(&young);
}

/*
 * The wounded one backs off: a younger ctx holds m and waits for `busy`
 * (held without a ctx); an older ctx then waits for m and wounds it: its
 * wait for `busy` ends with -EDEADLK.
 */
struct wounded {
	struct ww_acquire_ctx ctx;
	struct ww_mutex *m, *busy;
	long result;
	long acquired_after;
};

static void *wounded_one(void *arg)
{
	struct wounded *w = arg;

	ww_acquire_init(&w->ctx, &ww_class);
	CHECK_EQ(ww_mutex_lock(w->m, &w->ctx), 0);
	w->result = ww_mutex_lock(w->busy, &w->ctx);
	if (w->result == 0)
		ww_mutex_unlock(w->busy);
	w->acquired_after = w->ctx.acquired;
	ww_mutex_unlock(w->m);
	w->ctx.contending_lock = NULL;	/* backed off by hand */
	ww_acquire_fini(&w->ctx);
	return NULL;
}

static void test_wounded_backs_off(void)
{
	struct ww_mutex m, busy, held_by_old;
	struct wounded w = { .m = &m, .busy = &busy };
	struct contender c;
	pthread_t tw;

	ww_mutex_init(&m, &ww_class);
	ww_mutex_init(&busy, &ww_class);
	ww_mutex_init(&held_by_old, &ww_class);
	start_contender(&c, &ww_class, &held_by_old, &m, 0);	/* older */
	CHECK_EQ(ww_mutex_lock(&busy, NULL), 0);
	CHECK(pthread_create(&tw, NULL, wounded_one, &w) == 0);
	wait_until_queued(&busy);		/* the younger holds m, waits */
	go(&c);
	ktest_join_or_fail(tw);			/* wounded: it backed off */
	CHECK_EQ(w.result, -EDEADLK);
	CHECK_EQ(w.acquired_after, 1);
	CHECK_EQ(finish(&c), 0);		/* the older got m */
	ww_mutex_unlock(&busy);
}

/* A younger waiter for an older holder, wound-wait: it waits, no wound. */
static void test_wound_wait_younger_waits(void)
{
	struct ww_acquire_ctx old;
	struct ww_mutex m, other;
	struct contender c;

	ww_mutex_init(&m, &ww_class);
	ww_mutex_init(&other, &ww_class);
	ww_acquire_init(&old, &ww_class);
	CHECK_EQ(ww_mutex_lock(&m, &old), 0);
	start_contender(&c, &ww_class, &other, &m, 1);
	wait_until_queued(&m);
	CHECK(!finished(&c));
	CHECK(!__atomic_load_n(&old.wounded, __ATOMIC_SEQ_CST));
	ww_mutex_unlock(&m);
	CHECK_EQ(finish(&c), 0);
	ww_acquire_fini(&old);
}

/* --- a cycle (test_cycle): thread i holds lock i, wants lock i+1 ---------------- */

#define CYCLE	6

struct cycle {
	struct ww_class *class;
	struct ww_mutex locks[CYCLE];
	pthread_barrier_t all_hold_one;
	int deadlks;
	int done;
};

static struct cycle cyc;

static void *cycle_worker(void *arg)
{
	int i = (int)(long)arg, ret;
	struct ww_mutex *mine = &cyc.locks[i], *next = &cyc.locks[(i + 1) % CYCLE];
	struct ww_acquire_ctx ctx;

	ww_acquire_init(&ctx, cyc.class);
	CHECK_EQ(ww_mutex_lock(mine, &ctx), 0);
	pthread_barrier_wait(&cyc.all_hold_one);
	while ((ret = ww_mutex_lock(next, &ctx)) == -EDEADLK) {
		struct ww_mutex *tmp = mine;

		__atomic_fetch_add(&cyc.deadlks, 1, __ATOMIC_RELAXED);
		ww_mutex_unlock(mine);
		ww_mutex_lock_slow(next, &ctx);
		mine = next;
		next = tmp;
	}
	CHECK_EQ(ret, 0);
	ww_mutex_unlock(next);
	ww_mutex_unlock(mine);
	ww_acquire_fini(&ctx);
	__atomic_fetch_add(&cyc.done, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void test_cycle(void)
{
	for (unsigned int c = 0; c < 2; c++) {
		pthread_t t[CYCLE];

		cyc.class = classes[c];
		cyc.deadlks = cyc.done = 0;
		for (int i = 0; i < CYCLE; i++)
			ww_mutex_init(&cyc.locks[i], cyc.class);
		pthread_barrier_init(&cyc.all_hold_one, NULL, CYCLE);
		for (long i = 0; i < CYCLE; i++)
			CHECK(pthread_create(&t[i], NULL, cycle_worker, (void *)i) == 0);
		for (int i = 0; i < CYCLE; i++)
			ktest_join_or_fail(t[i]);
		CHECK_EQ(cyc.done, CYCLE);
		CHECK(cyc.deadlks >= 1);	/* a full cycle: someone backed off */
		pthread_barrier_destroy(&cyc.all_hold_one);
	}
}

/* --- stress (test-ww_mutex.c's stress_inorder_work) --------------------------- */

#define STRESS_THREADS	12
#define STRESS_LOCKS	16
#define STRESS_PER_TX	5

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define STRESS_TX	300
#else
#define STRESS_TX	2000
#endif

struct stress {
	struct ww_class *class;
	struct ww_mutex locks[STRESS_LOCKS];
	long count[STRESS_LOCKS];	/* plain: each protected by its lock */
	long expected[STRESS_LOCKS];	/* what every thread added, atomically */
	long deadlks;
	long transactions;
};

static struct stress st;

static unsigned int next_rand(unsigned int *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/* A random set of distinct locks, in random order. */
static void pick_locks(unsigned int *seed, int *order)
{
	int all[STRESS_LOCKS];

	for (int i = 0; i < STRESS_LOCKS; i++)
		all[i] = i;
	for (int i = 0; i < STRESS_PER_TX; i++) {
		int j = i + (int)(next_rand(seed) % (STRESS_LOCKS - i));
		int tmp = all[i];

		all[i] = all[j];
		all[j] = tmp;
		order[i] = all[i];
	}
}

/* One transaction: take every lock of order, backing off as told. */
static void transaction(const int *order)
{
	struct ww_acquire_ctx ctx;
	int held[STRESS_PER_TX], nheld = 0, contended = -1;

	ww_acquire_init(&ctx, st.class);
retry:
	for (int i = 0; i < STRESS_PER_TX; i++) {
		int ret;

		if (order[i] == contended) {
			contended = -1;		/* taken by lock_slow */
			continue;
		}
		ret = ww_mutex_lock(&st.locks[order[i]], &ctx);
		if (ret == -EDEADLK) {
			__atomic_fetch_add(&st.deadlks, 1, __ATOMIC_RELAXED);
			while (nheld)
				ww_mutex_unlock(&st.locks[held[--nheld]]);
			contended = order[i];
			ww_mutex_lock_slow(&st.locks[contended], &ctx);
			held[nheld++] = contended;
			goto retry;
		}
		CHECK_EQ(ret, 0);
		held[nheld++] = order[i];
		/*
		 * Now and then hold what we have while others queue: the
		 * fast path then races with waiters setting WAITERS.
		 */
		if ((order[i] + i) % 3 == 0)
			sched_yield();
	}
	CHECK_EQ(nheld, STRESS_PER_TX);
	CHECK_EQ(ctx.acquired, STRESS_PER_TX);
	ww_acquire_done(&ctx);
	for (int i = 0; i < nheld; i++)
		st.count[held[i]]++;
	if (order[0] % 4 == 0)
		sched_yield();	/* hold a while: more threads than CPUs contend */
	while (nheld)
		ww_mutex_unlock(&st.locks[held[--nheld]]);
	ww_acquire_fini(&ctx);
}

static void *stress_worker(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg * 7919u + 1;
	int order[STRESS_PER_TX];

	for (int n = 0; n < STRESS_TX; n++) {
		pick_locks(&seed, order);
		transaction(order);
		for (int i = 0; i < STRESS_PER_TX; i++)
			__atomic_fetch_add(&st.expected[order[i]], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&st.transactions, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_stress(void)
{
	for (unsigned int c = 0; c < 2; c++) {
		pthread_t t[STRESS_THREADS];

		memset(&st, 0, sizeof(st));
		st.class = classes[c];
		for (int i = 0; i < STRESS_LOCKS; i++)
			ww_mutex_init(&st.locks[i], st.class);
		for (long i = 0; i < STRESS_THREADS; i++)
			CHECK(pthread_create(&t[i], NULL, stress_worker, (void *)i) == 0);
		for (int i = 0; i < STRESS_THREADS; i++)
			CHECK(pthread_join(t[i], NULL) == 0);
		CHECK_EQ(st.transactions, (long)STRESS_THREADS * STRESS_TX);
		for (int i = 0; i < STRESS_LOCKS; i++) {
			CHECK_EQ(st.count[i], st.expected[i]);
			CHECK(!ww_mutex_is_locked(&st.locks[i]));
		}
		printf("# %s: %d threads x %d transactions, %ld backoffs\n",
		       st.class->mutex_name, STRESS_THREADS, STRESS_TX, st.deadlks);
	}
}

/* --- interruptible --------------------------------------------------------------- */

static struct ww_mutex intr_m, intr_other;

/* how 0: lock_interruptible holding another lock; 1: lock_slow_interruptible. */
static void interruptible_waiter(struct ktest_waiter *w)
{
	struct ww_acquire_ctx ctx;
	long r;

	ww_acquire_init(&ctx, &ww_class);
	if (w->how == 0) {
		CHECK_EQ(ww_mutex_lock(&intr_other, &ctx), 0);
		r = ww_mutex_lock_interruptible(&intr_m, &ctx);
		ww_mutex_unlock(&intr_other);
	} else {
		ctx.contending_lock = &intr_m;	/* as after -EDEADLK */
		r = ww_mutex_lock_slow_interruptible(&intr_m, &ctx);
		ctx.contending_lock = NULL;
	}
	if (r == 0)
		ww_mutex_unlock(&intr_m);
	ww_acquire_fini(&ctx);
	ktest_waiter_set_result(w, r);
}

static void test_interruptible_returns_eintr(void)
{
	CHECK_EQ(request_irq(SIGUSR1, ktest_nop_handler, 0, "ww-test", NULL), 0);
	ww_mutex_init(&intr_m, &ww_class);
	ww_mutex_init(&intr_other, &ww_class);
	for (int how = 0; how < 2; how++) {
		struct ww_acquire_ctx ctx;
		struct ktest_waiter w;

		/* Wound-wait, the holder older: the waiter waits, unwounded. */
		ww_acquire_init(&ctx, &ww_class);
		CHECK_EQ(ww_mutex_lock(&intr_m, &ctx), 0);
		ktest_waiter_start(&w, interruptible_waiter, NULL, how);
		wait_until_queued(&intr_m);
		CHECK_EQ(ktest_waiter_interrupt_join(&w, SIGUSR1), -EINTR);
		CHECK(!(atomic_long_read(&intr_m.base.owner) & (long)MUTEX_FLAG_WAITERS));
		ww_mutex_unlock(&intr_m);
		ww_acquire_fini(&ctx);
		CHECK(!ww_mutex_is_locked(&intr_other));
	}
	CHECK(free_irq(SIGUSR1, NULL) != NULL);
}

/* A NULL-ctx waiter and a ctx holder share the list in FIFO order. */
static void *plain_locker(void *arg)
{
	ww_mutex_lock((struct ww_mutex *)arg, NULL);
	ww_mutex_unlock((struct ww_mutex *)arg);
	return NULL;
}

static void test_null_ctx_waiter(void)
{
	struct ww_acquire_ctx ctx;
	struct ww_mutex m;
	pthread_t t;

	ww_mutex_init(&m, &wd_class);
	ww_acquire_init(&ctx, &wd_class);
	CHECK_EQ(ww_mutex_lock(&m, &ctx), 0);
	CHECK(pthread_create(&t, NULL, plain_locker, &m) == 0);
	wait_until_queued(&m);
	ww_mutex_unlock(&m);
	ktest_join_or_fail(t);
	ww_acquire_fini(&ctx);
	CHECK(!ww_mutex_is_locked(&m));
}

int main(void)
{
	ktest_start_watchdog();
	RUN(test_lock_unlock);
	RUN(test_ealready);
	RUN(test_trylock);
	RUN(test_abba_wait_die);
	RUN(test_abba_wound_wait);
	RUN(test_wait_die_stamps);
	RUN(test_wound_wait_stamps);
	RUN(test_wounded_backs_off);
	RUN(test_wound_wait_younger_waits);
	RUN(test_cycle);
	RUN(test_stress);
	RUN(test_interruptible_returns_eintr);
	RUN(test_null_ctx_waiter);
	return 0;
}
