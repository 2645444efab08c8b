// SPDX-License-Identifier: MIT
/*
 * refcount_t and kref: the kernel's saturation semantics and its
 * warnings (each provoked in a child process, its output matched), and
 * races with more threads than CPUs where exactly one thread must see
 * the count reach zero and free the object.
 */
#include <ksync/ksync.h>
#include "ktest.h"

#define THREADS		32
#define ROUNDS		20000

/* --- child scenarios: each saturation event ---------------------------------- */

static void print_count(const char *what, refcount_t *r)
{
	printf("%s %d\n", what, (int)refcount_read(r));
}

static void child_overflow(void)
{
	refcount_t r = REFCOUNT_INIT(INT_MAX);

	refcount_inc(&r);			/* INT_MAX + 1: saturates */
	print_count("after inc", &r);
	refcount_add(5, &r);			/* stays saturated, no new report */
	print_count("after add", &r);
	refcount_set(&r, INT_MAX - 1);
	CHECK(refcount_inc_not_zero(&r));	/* INT_MAX: fine */
	CHECK(refcount_inc_not_zero(&r));	/* overflow: the other kind */
	print_count("after inc_not_zero", &r);
	printf("went on\n");
}

static void child_add_on_zero(void)
{
	refcount_t r = REFCOUNT_INIT(0);

	refcount_inc(&r);
	print_count("after inc", &r);
	CHECK(!refcount_dec_and_test(&r));	/* saturated: never 0 again */
	print_count("after dec_and_test", &r);
	printf("went on\n");
}

static void child_underflow(void)
{
	refcount_t r = REFCOUNT_INIT(1);

	CHECK(refcount_dec_and_test(&r));	/* 1 -> 0: the last put */
	CHECK(!refcount_dec_and_test(&r));	/* 0 -> -1: underflow */
	print_count("after underflow", &r);
	refcount_set(&r, 0);
	CHECK(!refcount_sub_and_test(2, &r));	/* again: reported once only */
	print_count("after second underflow", &r);
	printf("went on\n");
}

static void child_dec_hit_zero(void)
{
	refcount_t r = REFCOUNT_INIT(1);

	refcount_dec(&r);			/* refcount_dec() may not free */
	print_count("after dec", &r);
	printf("went on\n");
}

static void child_dec_not_one_underflow(void)
{
	refcount_t r = REFCOUNT_INIT(INT_MIN);

	/* INT_MIN - 1 wraps upward: the kernel's WARN_ONCE in dec_not_one. */
	CHECK(refcount_dec_not_one(&r));
	print_count("after dec_not_one", &r);
	printf("went on\n");
}

static void release_noop(struct kref *ref)
{
	(void)ref;
	printf("released\n");
}

static void child_kref_put_too_often(void)
{
	struct kref ref = KREF_INIT(1);

	CHECK_EQ(kref_put(&ref, release_noop), 1);
	CHECK_EQ(kref_put(&ref, release_noop), 0);	/* underflow: no release */
	CHECK(!kref_get_unless_zero(&ref) == false);	/* saturated, not 0 */
	printf("went on\n");
}

static void child_correct_use(void)
{
	refcount_t r = REFCOUNT_INIT(1);

	for (int i = 0; i < 1000; i++) {
		refcount_inc(&r);
		CHECK(refcount_inc_not_zero(&r));
		refcount_dec(&r);
		CHECK(!refcount_dec_and_test(&r));
	}
	CHECK(refcount_dec_and_test(&r));
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "overflow", child_overflow },
	{ "add_on_zero", child_add_on_zero },
	{ "underflow", child_underflow },
	{ "dec_hit_zero", child_dec_hit_zero },
	{ "dec_not_one_underflow", child_dec_not_one_underflow },
	{ "kref_put_too_often", child_kref_put_too_often },
	{ "correct_use", child_correct_use },
	{ NULL, NULL },
};

static struct ktest_child c;

static void spawn(const char *name, const char *const *env)
{
	ktest_spawn(&c, "/proc/self/exe", name, env, 20000);
	CHECK(ktest_exited(&c, 0));
}

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define SATURATED_STR	"-1073741824"	/* INT_MIN / 2 */

static void test_overflow_saturates(void)
{
	spawn("overflow", NULL);
	CHECK_OUT(&c, "------------[ cut here ]------------\n"
		      "refcount_t: saturated; leaking memory.\n"
		      "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_refcount.c:");
	CHECK_OUT(&c, " child_overflow\n");
	CHECK_OUT(&c, "Call Trace:");
	CHECK_OUT(&c, "after inc " SATURATED_STR "\n");
	CHECK_OUT(&c, "after add " SATURATED_STR "\n");
	CHECK_OUT(&c, "after inc_not_zero " SATURATED_STR "\n");
	/* refcount_inc and refcount_inc_not_zero are two kinds, as in lib/refcount.c. */
	CHECK_EQ(count_of(c.out, "refcount_t: saturated; leaking memory."), 2);
	CHECK_OUT(&c, "went on");
}

static void test_add_on_zero(void)
{
	spawn("add_on_zero", NULL);
	CHECK_OUT(&c, "refcount_t: addition on 0; use-after-free.\nWARNING: CPU: ");
	CHECK_OUT(&c, "after inc " SATURATED_STR "\n");
	CHECK_OUT(&c, "after dec_and_test " SATURATED_STR "\n");
	/* A put on a saturated count is an underflow kind, as the kernel's. */
	CHECK_OUT(&c, "refcount_t: underflow; use-after-free.\n");
	CHECK_EQ(count_of(c.out, "WARNING: CPU: "), 2);
}

static void test_underflow_once(void)
{
	spawn("underflow", NULL);
	CHECK_OUT(&c, "refcount_t: underflow; use-after-free.\nWARNING: CPU: ");
	CHECK_OUT(&c, " child_underflow\n");
	CHECK_OUT(&c, "after underflow " SATURATED_STR "\n");
	CHECK_OUT(&c, "after second underflow " SATURATED_STR "\n");
	CHECK_EQ(count_of(c.out, "WARNING: CPU: "), 1);
}

static void test_dec_hit_zero(void)
{
	spawn("dec_hit_zero", NULL);
	CHECK_OUT(&c, "refcount_t: decrement hit 0; leaking memory.\nWARNING: CPU: ");
	CHECK_OUT(&c, "after dec " SATURATED_STR "\n");
}

static void test_dec_not_one_underflow(void)
{
	spawn("dec_not_one_underflow", NULL);
	CHECK_OUT(&c, "refcount_t: underflow; use-after-free.\nWARNING: CPU: ");
	CHECK_OUT(&c, "after dec_not_one " SATURATED_STR "\n");
}

static void test_kref_put_too_often(void)
{
	spawn("kref_put_too_often", NULL);
	CHECK_EQ(count_of(c.out, "released\n"), 1);
	CHECK_OUT(&c, "refcount_t: underflow; use-after-free.\n");
	CHECK_OUT(&c, " child_kref_put_too_often\n");
	CHECK_OUT(&c, "went on");
}

static void test_reports_go_to_ksync_log(void)
{
	char path[64], env[96], buf[4096];
	const char *const log_env[] = { env, NULL };
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/tmp/test_refcount.%d.log", (int)getpid());
	snprintf(env, sizeof(env), "KSYNC_LOG=%s", path);
	unlink(path);
	spawn("underflow", log_env);
	CHECK_NOT_OUT(&c, "refcount_t:");		/* not on stderr */
	CHECK_OUT(&c, "went on");
	f = fopen(path, "r");
	CHECK(f != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	CHECK(strstr(buf, "refcount_t: underflow; use-after-free.\nWARNING: CPU: "));
}

static void test_correct_use_is_silent(void)
{
	spawn("correct_use", NULL);
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "refcount_t");
	CHECK_OUT(&c, "went on");
}

/* --- races ---------------------------------------------------------------------- */

struct shared_obj {
	struct kref ref;
	long payload;		/* written by every holder, before its put */
};

static struct shared_obj *obj;
static int releases;
static DEFINE_SPINLOCK(obj_lock);
static DEFINE_MUTEX(obj_mutex);
static int lock_variant;	/* 0 kref_put, 1 kref_put_lock, 2 kref_put_mutex */

static void free_obj(struct kref *ref)
{
	struct shared_obj *o = container_of(ref, struct shared_obj, ref);

	/* Every holder's write happened before the last put: exact. */
	CHECK_EQ(o->payload, (long)THREADS * (ROUNDS + 1));
	__atomic_fetch_add(&releases, 1, __ATOMIC_RELAXED);
	free(o);		/* ASan: a put that returned early would be a UAF */
}

static void free_obj_spin(struct kref *ref)
{
	free_obj(ref);
	spin_unlock(&obj_lock);
}

static void free_obj_mutex(struct kref *ref)
{
	free_obj(ref);
	mutex_unlock(&obj_mutex);
}

static void *hold_and_put(void *arg)
{
	struct shared_obj *o = obj;
	int released = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		kref_get(&o->ref);
		__atomic_fetch_add(&o->payload, 1, __ATOMIC_RELAXED);
		CHECK_EQ(kref_put(&o->ref, free_obj), 0);	/* we still hold one */
	}
	__atomic_fetch_add(&o->payload, 1, __ATOMIC_RELAXED);
	/* Our own reference, given at the start: the last of these frees. */
	if (lock_variant == 0)
		released = kref_put(&o->ref, free_obj);
	else if (lock_variant == 1)
		released = kref_put_lock(&o->ref, free_obj_spin, &obj_lock);
	else
		released = kref_put_mutex(&o->ref, free_obj_mutex, &obj_mutex);
	return (void *)(long)released;
}

static void race(int variant)
{
	obj = calloc(1, sizeof(*obj));
	CHECK(obj != NULL);
	refcount_set(&obj->ref.refcount, THREADS);
	lock_variant = variant;
	releases = 0;
	ktest_run_threads(THREADS, hold_and_put);
	CHECK_EQ(releases, 1);
	CHECK(!spin_is_locked(&obj_lock));
	CHECK(!mutex_is_locked(&obj_mutex));
}

static void test_kref_put_race(void)
{
	race(0);
}

static void test_kref_put_lock_race(void)
{
	race(1);
}

static void test_kref_put_mutex_race(void)
{
	race(2);
}

/* atomic_dec_and_lock(): exactly one thread gets the lock with 0. */
static atomic_t plain_count;
static int got_zero;

static void *dec_and_lock_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		atomic_inc(&plain_count);
		CHECK_EQ(atomic_dec_and_lock(&plain_count, &obj_lock), 0);
	}
	if (atomic_dec_and_lock(&plain_count, &obj_lock)) {
		got_zero++;			/* under obj_lock */
		spin_unlock(&obj_lock);
	}
	return NULL;
}

static void test_atomic_dec_and_lock_race(void)
{
	atomic_set(&plain_count, THREADS);
	got_zero = 0;
	ktest_run_threads(THREADS, dec_and_lock_thread);
	CHECK_EQ(got_zero, 1);
	CHECK_EQ(atomic_read(&plain_count), 0);
}

/* Exact counts: THREADS * ROUNDS increments and decrements, no loss. */
static refcount_t counted = REFCOUNT_INIT(1);

static void *inc_dec_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++)
		refcount_inc(&counted);
	for (int i = 0; i < ROUNDS; i++)
		CHECK(!refcount_dec_and_test(&counted));
	for (int i = 0; i < ROUNDS; i++)
		CHECK(refcount_inc_not_zero(&counted));
	return NULL;
}

static void test_exact_counts(void)
{
	ktest_run_threads(THREADS, inc_dec_thread);
	CHECK_EQ(refcount_read(&counted), 1 + THREADS * ROUNDS);
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_overflow_saturates);
	RUN(test_add_on_zero);
	RUN(test_underflow_once);
	RUN(test_dec_hit_zero);
	RUN(test_dec_not_one_underflow);
	RUN(test_kref_put_too_often);
	RUN(test_reports_go_to_ksync_log);
	RUN(test_correct_use_is_silent);
	RUN(test_kref_put_race);
	RUN(test_kref_put_lock_race);
	RUN(test_kref_put_mutex_race);
	RUN(test_atomic_dec_and_lock_race);
	RUN(test_exact_counts);
	/* Under KSYNC_DEBUG/KSYNC_LOCKDEP (the .cmake variants): no report. */
	CHECK_EQ(debug_locks, 1);
	return 0;
}
