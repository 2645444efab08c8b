// SPDX-License-Identifier: MIT
/*
 * lock_stat (KSYNC_LOCK_STAT=1) at exit counts what is unfinished: a lock
 * the program still holds when it exits, one a thread is still waiting
 * for, and one a thread held when it exited.  Each has its row, with the
 * hold or the wait counted up to then, and the table says how many.
 */
#include <ksync/mutex.h>
#include <ksync/spinlock.h>
#include "ktest.h"

/* --- children ---------------------------------------------------------------- */

static DEFINE_MUTEX(held_at_exit);
static DEFINE_SPINLOCK(spin_held_at_exit);

static void child_held(void)
{
	mutex_lock(&held_at_exit);
	spin_lock(&spin_held_at_exit);
	printf("went on\n");		/* and exit(0), both held */
}

static DEFINE_MUTEX(waited_at_exit);

static void *waits(void *arg)
{
	mutex_lock(&waited_at_exit);	/* never gets it */
	return arg;
}

/*
 * Whether the waiter is on the mutex's wait list yet, looked at under
 * the wait list's own lock, so that what it wrote before queueing
 * (its held-lock entry) is ordered before our exit.
 */
static bool waiter_queued(void)
{
	bool queued;

	raw_spin_lock(&waited_at_exit.wait_lock);
	queued = waited_at_exit.wait_list.next != &waited_at_exit.wait_list;
	raw_spin_unlock(&waited_at_exit.wait_lock);
	return queued;
}

static void child_waited(void)
{
	pthread_t t;

	mutex_lock(&waited_at_exit);
	CHECK(pthread_create(&t, NULL, waits, NULL) == 0);
	while (!waiter_queued())
		ktest_sleep_ms(1);	/* no deadline: ctest's timeout bounds it */
	printf("went on\n");		/* exit(0) while it waits */
}

static DEFINE_SPINLOCK(left_by_thread);

static void *exits_holding(void *arg)
{
	spin_lock(&left_by_thread);
	return arg;
}

static void child_thread_exit(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, exits_holding, NULL) == 0);
	CHECK(pthread_join(t, NULL) == 0);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "held", child_held },
	{ "waited", child_waited },
	{ "thread_exit", child_thread_exit },
	{ NULL, NULL },
};

/* --- the checks -------------------------------------------------------------- */

static struct ktest_child c;

static void spawn(const char *name)
{
	static const char *const env[] = { "KSYNC_LOCK_STAT=1", NULL };

	ktest_run_child(&c, name, env, 60000);
	if (!ktest_exited(&c, 0))
		KTEST_FAIL("%s: status %#x:\n%s", name, c.status, c.out);
	CHECK_OUT(&c, "went on");
	CHECK_OUT(&c, "lock_stat version 0.4");
}

struct row {
	unsigned long con_bounces, contentions, acq_bounces, acquisitions;
};

/* The numbers of the row "name:" (the write row), which must be there. */
static struct row row_of(const char *name)
{
	char label[64];
	const char *p;
	double wmin, wmax, wtotal, wavg;
	struct row r;

	snprintf(label, sizeof(label), " %s:", name);
	p = strstr(c.out, label);
	if (!p)
		KTEST_FAIL("no row for %s:\n%s", name, c.out);
	if (sscanf(p + strlen(label), "%lu %lu %lf %lf %lf %lf %lu %lu", &r.con_bounces,
		   &r.contentions, &wmin, &wmax, &wtotal, &wavg, &r.acq_bounces,
		   &r.acquisitions) != 8)
		KTEST_FAIL("row for %s unreadable:\n%s", name, c.out);
	return r;
}

static void test_held_at_exit(void)
{
	spawn("held");
	CHECK_EQ(row_of("held_at_exit").acquisitions, 1);
	CHECK_EQ(row_of("spin_held_at_exit").acquisitions, 1);
	CHECK_OUT(&c, "2 acquisitions still held and 0 waits not over at exit");
}

static void test_waited_at_exit(void)
{
	struct row r;

	spawn("waited");
	r = row_of("waited_at_exit");
	CHECK_EQ(r.contentions, 1);	/* the waiter's wait, so far */
	CHECK_EQ(r.acquisitions, 1);	/* the holder's hold, so far */
	CHECK_OUT(&c, "1 acquisition still held and 1 wait not over at exit");
}

static void test_held_at_thread_exit(void)
{
	spawn("thread_exit");
	CHECK_EQ(row_of("left_by_thread").acquisitions, 1);
	CHECK_OUT(&c, "1 acquisition still held and 0 waits not over at exit");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_held_at_exit);
	RUN(test_waited_at_exit);
	RUN(test_held_at_thread_exit);
	return 0;
}
