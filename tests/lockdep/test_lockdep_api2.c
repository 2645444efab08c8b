// SPDX-License-Identifier: MIT
/*
 * The rest of lockdep's annotation API, as the kernel spells it:
 * lockdep_assert(_once)(), lock_is_held(_type)(), might_lock*(), pinning,
 * lock_set_class()/lock_set_subclass(), lock_downgrade(),
 * lock_map_acquire_try/_read(), debug_show_held_locks(task), a home-made
 * lock annotated with lock_acquire()/lock_release()/lock_contended()/
 * lock_acquired(), and dynamic keys (lockdep_register_key(),
 * lockdep_unregister_key()).  Each scenario runs in a child process; the
 * reports are matched, and the cases that must not report are checked
 * for silence.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <ksync/lockdep.h>
#include <ksync/mutex.h>
#include <ksync/rwsem.h>
#include <ksync/sched.h>
#include <ksync/spinlock.h>
#include "ktest.h"

static const char *const lockdep_env[] = { "KSYNC_LOCKDEP=1", NULL };
static const char *const debug_env[] = { "KSYNC_DEBUG=1", NULL };
static const char *const stat_env[] = { "KSYNC_LOCKDEP=1", "KSYNC_LOCK_STAT=1", NULL };

static DEFINE_SPINLOCK(lock_a);
static DEFINE_SPINLOCK(lock_b);
static DEFINE_MUTEX(mutex_m);
static DECLARE_RWSEM(sem);

/* A failed expectation inside a child: said on stdout, matched by the parent. */
#define EXPECT(cond)							\
	do {								\
		if (!(cond))						\
			printf("child expectation failed at line %d: %s\n", __LINE__, #cond); \
	} while (0)

/* --- lockdep_assert() ------------------------------------------------------------------- */

static int evaluated;

static int counted(int v)
{
	evaluated++;
	return v;
}

static void assert_ok(void)
{
	spin_lock(&lock_a);
	lockdep_assert(lock_is_held(&lock_a.dep_map));
	lockdep_assert_once(lock_is_held(&lock_a.dep_map));
	spin_unlock(&lock_a);
	lockdep_assert(!lock_is_held(&lock_a.dep_map));
	printf("went on\n");
}

static void assert_fails(void)
{
	for (int i = 0; i < 2; i++)
		lockdep_assert(lock_is_held(&lock_a.dep_map));		/* twice */
	for (int i = 0; i < 2; i++)
		lockdep_assert_once(lock_is_held(&lock_b.dep_map));	/* once */
	printf("went on\n");
}

/* Lockdep off: nothing, and the condition is not even evaluated. */
static void assert_off(void)
{
	lockdep_assert(counted(0));
	lockdep_assert_once(counted(0));
	printf("evaluated %d\n", evaluated);
	printf("went on\n");
}

/* --- lock_is_held(), lock_is_held_type() ------------------------------------------------ */

static void is_held(void)
{
	EXPECT(lock_is_held(&lock_a.dep_map) == 0);
	spin_lock(&lock_a);
	EXPECT(lock_is_held(&lock_a.dep_map) == 1);
	EXPECT(lock_is_held_type(&lock_a.dep_map, 0) == 1);
	EXPECT(lock_is_held_type(&lock_a.dep_map, 1) == 0);
	spin_unlock(&lock_a);
	down_read(&sem);
	EXPECT(lock_is_held_type(&sem.dep_map, 1) == 1);
	EXPECT(lock_is_held_type(&sem.dep_map, 0) == 0);
	up_read(&sem);
	/* Write-held, downgraded: read-held (lock_downgrade()). */
	down_write(&sem);
	EXPECT(lock_is_held_type(&sem.dep_map, 0) == 1);
	downgrade_write(&sem);
	EXPECT(lock_is_held_type(&sem.dep_map, 0) == 0);
	EXPECT(lock_is_held_type(&sem.dep_map, 1) == 1);
	lockdep_assert_held_read(&sem);
	up_read(&sem);
	EXPECT(lock_is_held(&sem.dep_map) == 0);
	printf("went on\n");
}

/* Not tracked: LOCK_STATE_UNKNOWN (-1), so assertions pass. */
static void is_held_untracked(void)
{
	spin_lock(&lock_a);
	EXPECT(lock_is_held(&lock_a.dep_map) == LOCK_STATE_UNKNOWN);
	spin_unlock(&lock_a);
	EXPECT(lock_is_held_type(&lock_b.dep_map, 0) == LOCK_STATE_UNKNOWN);
	printf("went on\n");
}

/* A read lock downgraded: the kernel's WARN. */
static struct lock_class_key raw_key;
static struct lockdep_map raw_map;

static void downgrade_read(void)
{
	lockdep_init_map(&raw_map, "raw_map", &raw_key, 0);
	lock_acquire_shared(&raw_map, 0, 0, NULL, _THIS_IP_);
	lock_downgrade(&raw_map, _THIS_IP_);
	lock_release(&raw_map, _THIS_IP_);
	printf("went on\n");
}

/* --- might_lock() --------------------------------------------------------------------- */

/* The dependency is recorded, the lock neither taken nor held after. */
static void might_lock_ok(void)
{
	might_lock(&mutex_m);
	EXPECT(lock_is_held(&mutex_m.dep_map) == 0);
	EXPECT(mutex_trylock(&mutex_m));
	mutex_unlock(&mutex_m);
	/* A sleeping lock: not under a spinlock (an invalid wait context). */
	might_lock_read(&sem);
	EXPECT(lock_is_held(&sem.dep_map) == 0);
	spin_lock(&lock_a);
	might_lock_nested(&lock_b, SINGLE_DEPTH_NESTING);
	EXPECT(lock_is_held(&lock_b.dep_map) == 0);
	spin_unlock(&lock_a);
	printf("went on\n");
}

/* lock_a -> lock_b taken for real, then lock_b held and might_lock(lock_a). */
static void might_lock_abba(void)
{
	spin_lock(&lock_a);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&lock_a);
	spin_lock(&lock_b);
	might_lock(&lock_a);
	spin_unlock(&lock_b);
	printf("went on\n");
}

/*
 * Two classes with one name are told apart as "twin" and "twin#2", the
 * kernel's numbering, also after many more classes of another name.
 */
static void same_name_abba(void)
{
	static spinlock_t first, second, others[50];
	static struct lock_class_key k1, k2, kothers[50];

	spin_lock_init(&first);
	spin_lock_init(&second);
	lockdep_set_class_and_name(&first, &k1, "twin");
	for (int i = 0; i < 50; i++) {
		spin_lock_init(&others[i]);
		lockdep_set_class_and_name(&others[i], &kothers[i], "other");
		spin_lock(&others[i]);
		spin_unlock(&others[i]);
	}
	lockdep_set_class_and_name(&second, &k2, "twin");
	spin_lock(&first);
	spin_lock(&second);
	spin_unlock(&second);
	spin_unlock(&first);
	spin_lock(&second);
	spin_lock(&first);
	spin_unlock(&first);
	spin_unlock(&second);
	printf("went on\n");
}

/* --- pinning --------------------------------------------------------------------------- */

static void pin_ok(void)
{
	struct pin_cookie cookie, inner;

	spin_lock(&lock_a);
	cookie = lockdep_pin_lock(&lock_a);
	EXPECT(cookie.val != 0);
	inner = lockdep_pin_lock(&lock_a);		/* pins nest */
	lockdep_unpin_lock(&lock_a, inner);
	lockdep_unpin_lock(&lock_a, cookie);
	lockdep_repin_lock(&lock_a, cookie);		/* dropped and retaken */
	lockdep_unpin_lock(&lock_a, cookie);
	spin_lock(&lock_b);
	cookie = lockdep_pin_lock(&lock_b);
	spin_unlock(&lock_a);	/* lock_b's entry is rebuilt: its pin survives */
	lockdep_unpin_lock(&lock_b, cookie);
	spin_unlock(&lock_b);
	printf("went on\n");
}

static void pin_release(void)
{
	spin_lock(&lock_a);
	(void)lockdep_pin_lock(&lock_a);
	spin_unlock(&lock_a);
	printf("went on\n");
}

static void pin_release_raised(void)
{
	struct pin_cookie cookie;

	spin_lock(&lock_a);
	spin_lock(&lock_b);
	cookie = lockdep_pin_lock(&lock_a);
	spin_unlock(&lock_b);	/* lock_a's entry is rebuilt: still pinned */
	spin_unlock(&lock_a);
	(void)cookie;
	printf("went on\n");
}

static void pin_wrong_cookie(void)
{
	struct pin_cookie cookie, wrong;

	spin_lock(&lock_a);
	cookie = lockdep_pin_lock(&lock_a);
	wrong.val = cookie.val + 1;
	lockdep_unpin_lock(&lock_a, wrong);
	spin_unlock(&lock_a);	/* the count was reset: no second WARN */
	printf("went on\n");
}

static void pin_unheld(void)
{
	struct pin_cookie cookie = lockdep_pin_lock(&lock_a);

	EXPECT(cookie.val == 0);
	lockdep_unpin_lock(&lock_b, NIL_COOKIE);
	spin_lock(&lock_a);
	lockdep_unpin_lock(&lock_a, NIL_COOKIE);	/* held, never pinned */
	spin_unlock(&lock_a);
	printf("went on\n");
}

static void pin_untracked(void)
{
	struct pin_cookie cookie;

	spin_lock(&lock_a);
	cookie = lockdep_pin_lock(&lock_a);
	EXPECT(cookie.val == 0);
	spin_unlock(&lock_a);
	lockdep_unpin_lock(&lock_a, cookie);
	printf("went on\n");
}

/* --- lock_set_class(), lock_set_subclass() --------------------------------------------- */

static struct lock_class_key renamed_key;
static spinlock_t lock_x, lock_y, lock_z;

static void init_xyz(void)
{
	spin_lock_init(&lock_x);
	spin_lock_init(&lock_y);
	spin_lock_init(&lock_z);
}

/*
 * x is taken, re-classed to "renamed" while held, then y under it:
 * renamed -> y.  Then y -> z, z being of class renamed: a cycle that
 * names the new class (x's old class is in no dependency).
 */
static void set_class_abba(void)
{
	init_xyz();
	lockdep_set_class_and_name(&lock_z, &renamed_key, "renamed");
	spin_lock(&lock_x);
	lock_set_class(&lock_x.dep_map, "renamed", &renamed_key, 0, _THIS_IP_);
	debug_show_held_locks(current);
	spin_lock(&lock_y);
	spin_unlock(&lock_y);
	spin_unlock(&lock_x);
	spin_lock(&lock_y);
	spin_lock(&lock_z);
	spin_unlock(&lock_z);
	spin_unlock(&lock_y);
	printf("went on\n");
}

/* The same orders without lock_set_class(): nothing to report. */
static void set_class_control(void)
{
	init_xyz();
	lockdep_set_class_and_name(&lock_z, &renamed_key, "renamed");
	spin_lock(&lock_x);
	spin_lock(&lock_y);
	spin_unlock(&lock_y);
	spin_unlock(&lock_x);
	spin_lock(&lock_y);
	spin_lock(&lock_z);
	spin_unlock(&lock_z);
	spin_unlock(&lock_y);
	printf("went on\n");
}

static spinlock_t pair[2];

/* Two locks of one class: the outer one made subclass 1 while held. */
static void set_subclass_ok(void)
{
	for (int i = 0; i < 2; i++)
		spin_lock_init(&pair[i]);
	spin_lock(&pair[0]);
	lock_set_subclass(&pair[0].dep_map, 1, _THIS_IP_);
	spin_lock(&pair[1]);
	EXPECT(lock_is_held(&pair[0].dep_map) == 1);
	spin_unlock(&pair[1]);
	spin_unlock(&pair[0]);
	printf("went on\n");
}

static void set_subclass_missing(void)
{
	for (int i = 0; i < 2; i++)
		spin_lock_init(&pair[i]);
	spin_lock(&pair[0]);
	spin_lock(&pair[1]);
	spin_unlock(&pair[1]);
	spin_unlock(&pair[0]);
	printf("went on\n");
}

static void set_class_unheld(void)
{
	spin_lock(&lock_b);
	lock_set_subclass(&lock_a.dep_map, 1, _THIS_IP_);
	spin_unlock(&lock_b);
	printf("went on\n");
}

/* --- lock_map_acquire_try(), lock_map_acquire_read() ----------------------------------- */

static struct lock_class_key map_key_a, map_key_b;
static struct lockdep_map map_a, map_b;

static void maps_init(void)
{
	lockdep_init_map(&map_a, "map_a", &map_key_a, 0);
	lockdep_init_map(&map_b, "map_b", &map_key_b, 0);
}

/* A trylock waits for nothing: b then try-a after a -> b is no cycle. */
static void map_try_ok(void)
{
	maps_init();
	lock_map_acquire(&map_a);
	lock_map_acquire(&map_b);
	lock_map_release(&map_b);
	lock_map_release(&map_a);
	lock_map_acquire(&map_b);
	lock_map_acquire_try(&map_a);
	lock_map_release(&map_a);
	lock_map_release(&map_b);
	/* Recursive reads of one map nest. */
	lock_map_acquire_read(&map_a);
	lock_map_acquire_read(&map_a);
	EXPECT(lock_is_held_type(&map_a, 1) == 1);
	lock_map_release(&map_a);
	lock_map_release(&map_a);
	printf("went on\n");
}

/* A writer of map_a inside a reader of map_a is a deadlock. */
static void map_read_then_write(void)
{
	maps_init();
	lock_map_acquire_read(&map_a);
	lock_map_acquire(&map_a);
	lock_map_release(&map_a);
	lock_map_release(&map_a);
	printf("went on\n");
}

/* --- a lock of the user's own, annotated --------------------------------------------- */

struct home_lock {
	int locked;
	struct lockdep_map dep_map;
};

static struct lock_class_key home_key_1, home_key_2;
static struct home_lock home_1, home_2;

static void home_init(struct home_lock *l, const char *name, struct lock_class_key *key)
{
	l->locked = 0;
	lockdep_init_map(&l->dep_map, name, key, 0);
}

static int home_trylock(struct home_lock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static void home_lock_take(struct home_lock *l)
{
	lock_acquire(&l->dep_map, 0, 0, 0, 1, NULL, _RET_IP_);
	if (!home_trylock(l)) {
		lock_contended(&l->dep_map, _RET_IP_);
		while (!home_trylock(l))
			ktest_sleep_ms(1);
	}
	lock_acquired(&l->dep_map, _RET_IP_);
}

static void home_unlock(struct home_lock *l)
{
	lock_release(&l->dep_map, _RET_IP_);
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static void home_abba(void)
{
	home_init(&home_1, "home_1", &home_key_1);
	home_init(&home_2, "home_2", &home_key_2);
	home_lock_take(&home_1);
	home_lock_take(&home_2);
	home_unlock(&home_2);
	home_unlock(&home_1);
	home_lock_take(&home_2);
	home_lock_take(&home_1);
	home_unlock(&home_1);
	home_unlock(&home_2);
	printf("went on\n");
}

static int home_waiter_in;

static void *home_waiter(void *arg)
{
	__atomic_store_n(&home_waiter_in, 1, __ATOMIC_RELEASE);
	home_lock_take(&home_1);	/* contended until main lets go */
	home_unlock(&home_1);
	return arg;
}

static void home_stat(void)
{
	pthread_t t;

	home_init(&home_1, "home_1", &home_key_1);
	home_lock_take(&home_1);
	pthread_create(&t, NULL, home_waiter, NULL);
	while (!__atomic_load_n(&home_waiter_in, __ATOMIC_ACQUIRE))
		ktest_sleep_ms(1);
	/* The waiter may not have tried yet: it then takes it uncontended. */
	ktest_sleep_ms(50);
	home_unlock(&home_1);
	pthread_join(t, NULL);
	/* A contention for sure, on this thread: told by hand. */
	lock_acquire(&home_1.dep_map, 0, 0, 0, 1, NULL, _THIS_IP_);
	lock_contended(&home_1.dep_map, _THIS_IP_);
	lock_acquired(&home_1.dep_map, _THIS_IP_);
	lock_release(&home_1.dep_map, _THIS_IP_);
	ksync_lock_stat_write(1);
	printf("went on\n");
}

/* --- debug_show_held_locks(task) -------------------------------------------------------- */

static struct task_struct *other;
static int other_go, other_stop;

/* Asleep holding mutex_m, with nothing taken or dropped around the sleep. */
static void *sleeper(void *arg)
{
	mutex_lock(&mutex_m);
	__atomic_store_n(&other, current, __ATOMIC_RELEASE);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__atomic_load_n(&other_go, __ATOMIC_ACQUIRE))
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	mutex_unlock(&mutex_m);
	return arg;
}

static void *runner(void *arg)
{
	spin_lock(&lock_b);
	__atomic_store_n(&other, current, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&other_stop, __ATOMIC_ACQUIRE))
		;				/* running, holding lock_b */
	spin_unlock(&lock_b);
	return arg;
}

static struct task_struct *wait_for_other(void)
{
	struct task_struct *t;

	while (!(t = __atomic_load_n(&other, __ATOMIC_ACQUIRE)))
		ktest_sleep_ms(1);
	return t;
}

static void show_held(void)
{
	struct task_struct *t;
	pthread_t th;

	spin_lock(&lock_a);
	printf("-- mine\n");
	debug_show_held_locks(current);
	spin_unlock(&lock_a);

	pthread_create(&th, NULL, sleeper, NULL);
	t = wait_for_other();
	while (__atomic_load_n(&t->__state, __ATOMIC_ACQUIRE) == TASK_RUNNING)
		ktest_sleep_ms(1);
	printf("-- sleeper %d\n", t->pid);
	debug_show_held_locks(t);
	__atomic_store_n(&other_go, 1, __ATOMIC_RELEASE);
	wake_up_process(t);
	pthread_join(th, NULL);

	__atomic_store_n(&other, NULL, __ATOMIC_RELAXED);
	pthread_create(&th, NULL, runner, NULL);
	t = wait_for_other();
	printf("-- runner %d\n", t->pid);
	debug_show_held_locks(t);
	printf("-- end\n");
	__atomic_store_n(&other_stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	printf("went on\n");
}

static void show_held_off(void)
{
	debug_show_held_locks(current);
	printf("went on\n");
}

/* --- dynamic keys ------------------------------------------------------------------- */

struct object {
	struct lock_class_key key;
	spinlock_t lock;
};

/*
 * One heap block stands for "freed and allocated again at the same
 * address": the allocator would make that likely, a sanitizer's would
 * not, and the test needs it for sure.
 */
static struct object *arena;

static struct object *object_new_at(struct object *o, const char *name)
{

	memset(o, 0, sizeof(*o));
	lockdep_register_key(&o->key);
	spin_lock_init(&o->lock);
	lockdep_set_class_and_name(&o->lock, &o->key, name);
	return o;
}

static struct object *object_new(const char *name)
{
	return object_new_at(arena, name);
}

static void object_free(struct object *o, bool unregister)
{
	if (unregister)
		lockdep_unregister_key(&o->key);
	memset(o, 0x6b, sizeof(*o));	/* as freed memory is poisoned */
}

/* obj -> lock_b, key gone, the block reused: lock_b -> obj2 is no cycle. */
static void key_reuse_common(bool unregister)
{
	struct ksync_lockdep_stats before, after;
	struct object *o;

	arena = malloc(sizeof(*arena));
	o = object_new("obj");
	spin_lock(&o->lock);
	spin_lock(&lock_b);
	spin_unlock(&lock_b);
	spin_unlock(&o->lock);
	ksync_lockdep_get_stats(&before);
	object_free(o, unregister);
	ksync_lockdep_get_stats(&after);
	if (unregister) {
		EXPECT(after.classes == before.classes - 1);
		EXPECT(after.dependencies == before.dependencies - 1);
	}
	o = object_new("obj2");
	spin_lock(&lock_b);
	spin_lock(&o->lock);
	spin_unlock(&o->lock);
	spin_unlock(&lock_b);
	object_free(o, true);
	free(arena);
	printf("went on\n");
}

static void key_reuse(void)
{
	key_reuse_common(true);
}

static void key_reuse_not_unregistered(void)
{
	key_reuse_common(false);
}

/*
 * More keys than lockdep has classes (and more dependencies than list
 * entries) over time, never many at once: freed classes, entries and
 * chains are reused.
 */
/* More than MAX_LOCKDEP_KEYS (8192) and than dependencies fit (16384). */
#define CYCLES	17000

static void key_cycles(void)
{
	/* A key at a new address each time: a new class each time. */
	arena = calloc(CYCLES, sizeof(*arena));
	for (int i = 0; i < CYCLES; i++) {
		struct object *o = object_new_at(&arena[i], "cycled");

		spin_lock(&o->lock);
		spin_lock(&lock_b);
		spin_unlock(&lock_b);
		spin_unlock(&o->lock);
		object_free(o, true);
	}
	free(arena);
	printf("went on\n");
}

/*
 * Keys come and go on one thread (classes freed and reused, the chain
 * cache emptied) while others take static locks in orders the cache and
 * the graph already know, and a spinlock of their own class: lock-free
 * lookups meet freed and reused slots.  Nothing to report.
 */
#define CHURN	2000

static void *churner(void *arg)
{
	struct object *objs = calloc(16, sizeof(*objs));

	for (int i = 0; i < CHURN; i++) {
		struct object *o = object_new_at(&objs[i % 16], "churned");

		spin_lock(&o->lock);
		spin_lock(&lock_b);
		spin_unlock(&lock_b);
		spin_unlock(&o->lock);
		object_free(o, true);
	}
	free(objs);
	return arg;
}

static void *static_user(void *arg)
{
	spinlock_t mine;

	spin_lock_init(&mine);
	for (int i = 0; i < CHURN; i++) {
		spin_lock(&lock_a);
		spin_lock(&mine);
		spin_lock(&lock_b);
		spin_unlock(&lock_b);
		spin_unlock(&mine);
		spin_unlock(&lock_a);
	}
	return arg;
}

static void key_churn_threads(void)
{
	pthread_t t[3];

	pthread_create(&t[0], NULL, churner, NULL);
	pthread_create(&t[1], NULL, static_user, NULL);
	pthread_create(&t[2], NULL, static_user, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("went on\n");
}

/* A heap key nobody registered, given to a lock: the kernel's report. */
static void key_unregistered(void)
{
	struct object *o = malloc(sizeof(*o));

	spin_lock_init(&o->lock);
	lockdep_set_class(&o->lock, &o->key);
	spin_lock(&o->lock);
	spin_unlock(&o->lock);
	free(o);
	printf("went on\n");
}

/* The key unregistered while a lock still uses it, then the lock taken. */
static void key_used_after_unregister(void)
{
	struct object *o;

	arena = malloc(sizeof(*arena));
	o = object_new("obj");
	spin_lock(&o->lock);
	spin_unlock(&o->lock);
	lockdep_unregister_key(&o->key);
	spin_lock(&o->lock);		/* the class cached in the map is gone */
	spin_unlock(&o->lock);
	free(arena);
	printf("went on\n");
}

static struct lock_class_key static_key;

static void key_misuse(void)
{
	struct lock_class_key *k = malloc(sizeof(*k));

	lockdep_register_key(&static_key);
	lockdep_unregister_key(&static_key);
	lockdep_register_key(k);
	lockdep_register_key(k);
	lockdep_unregister_key(k);
	lockdep_unregister_key(k);
	free(k);
	printf("went on\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "assert_ok", assert_ok },
	{ "assert_fails", assert_fails },
	{ "assert_off", assert_off },
	{ "is_held", is_held },
	{ "is_held_untracked", is_held_untracked },
	{ "downgrade_read", downgrade_read },
	{ "might_lock_ok", might_lock_ok },
	{ "might_lock_abba", might_lock_abba },
	{ "same_name_abba", same_name_abba },
	{ "pin_ok", pin_ok },
	{ "pin_release", pin_release },
	{ "pin_release_raised", pin_release_raised },
	{ "pin_wrong_cookie", pin_wrong_cookie },
	{ "pin_unheld", pin_unheld },
	{ "pin_untracked", pin_untracked },
	{ "set_class_abba", set_class_abba },
	{ "set_class_control", set_class_control },
	{ "set_subclass_ok", set_subclass_ok },
	{ "set_subclass_missing", set_subclass_missing },
	{ "set_class_unheld", set_class_unheld },
	{ "map_try_ok", map_try_ok },
	{ "map_read_then_write", map_read_then_write },
	{ "home_abba", home_abba },
	{ "home_stat", home_stat },
	{ "show_held", show_held },
	{ "show_held_off", show_held_off },
	{ "key_reuse", key_reuse },
	{ "key_reuse_not_unregistered", key_reuse_not_unregistered },
	{ "key_cycles", key_cycles },
	{ "key_churn_threads", key_churn_threads },
	{ "key_unregistered", key_unregistered },
	{ "key_used_after_unregister", key_used_after_unregister },
	{ "key_misuse", key_misuse },
	{ NULL, NULL },
};

static struct ktest_child c;

static void run_ok(const char *name, const char *const *env)
{
	RUN_CHILD(&c, name, env, 60000);
	CHECK_OUT(&c, "went on");
	CHECK_NOT_OUT(&c, "child expectation failed");
}

static void run_quiet(const char *name, const char *const *env)
{
	run_ok(name, env);
	CHECK_NOT_OUT(&c, "\nWARNING: ");	/* not ASan's "==N==WARNING" */
	CHECK_NOT_OUT(&c, "BUG");
}

static const char circular[] = "WARNING: possible circular locking dependency detected";

static void test_assert(void)
{
	run_quiet("assert_ok", lockdep_env);
	run_ok("assert_fails", lockdep_env);
	CHECK_EQ(ktest_count(c.out, "------------[ cut here ]------------\n"), 3);
	CHECK_EQ(ktest_count(c.out, "WARNING: CPU: "), 3);
	CHECK_OUT(&c, " at test_lockdep_api2.c:");
	run_quiet("assert_off", NULL);
	CHECK_OUT(&c, "evaluated 0\n");
	run_quiet("assert_ok", debug_env);	/* held-lock tracking is enough */
}

static void test_is_held(void)
{
	run_quiet("is_held", lockdep_env);
	run_quiet("is_held", debug_env);
	run_quiet("is_held_untracked", NULL);
	run_ok("downgrade_read", lockdep_env);
	CHECK_OUT(&c, "------------[ cut here ]------------\ndowngrading a read lock\n");
	CHECK_OUT(&c, "WARNING: CPU: ");
}

static void test_might_lock(void)
{
	run_quiet("might_lock_ok", lockdep_env);
	run_ok("might_lock_abba", lockdep_env);
	CHECK_OUT(&c, circular);
	CHECK_OUT(&c, "is trying to acquire lock:\n");
	CHECK_OUT(&c, "(lock_a){");
	CHECK_OUT(&c, "-> #0 (lock_a){+.+.}-{3:3}:\n       at test_lockdep_api2.c:");
}

static void test_same_name(void)
{
	run_ok("same_name_abba", lockdep_env);
	CHECK_OUT(&c, circular);
	CHECK_OUT(&c, "(twin#2){");
	CHECK_OUT(&c, "(twin){");
	CHECK_NOT_OUT(&c, "twin#3");
}

static void test_pin(void)
{
	run_quiet("pin_ok", lockdep_env);
	run_quiet("pin_ok", debug_env);
	run_ok("pin_release", lockdep_env);
	CHECK_OUT(&c, "------------[ cut here ]------------\nreleasing a pinned lock\n");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_OUT(&c, " at test_lockdep_api2.c:");
	CHECK_EQ(ktest_count(c.out, "WARNING: CPU: "), 1);
	run_ok("pin_release_raised", lockdep_env);
	CHECK_OUT(&c, "releasing a pinned lock\n");
	run_ok("pin_wrong_cookie", lockdep_env);
	CHECK_OUT(&c, "------------[ cut here ]------------\npin count corrupted\n");
	CHECK_OUT(&c, "WARNING: CPU: ");
	CHECK_EQ(ktest_count(c.out, "WARNING: CPU: "), 1);
	run_ok("pin_unheld", lockdep_env);
	CHECK_OUT(&c, "pinning an unheld lock\n");
	CHECK_OUT(&c, "unpinning an unheld lock\n");
	CHECK_OUT(&c, "unpinning an unpinned lock\n");
	run_quiet("pin_untracked", NULL);
}

static void test_set_class(void)
{
	run_ok("set_class_abba", lockdep_env);
	CHECK_OUT(&c, "1 lock held by ");
	CHECK_OUT(&c, " #0: ");
	CHECK_OUT(&c, "(renamed){");
	CHECK_OUT(&c, circular);
	CHECK_NOT_OUT(&c, "(&lock_x){");	/* the old class: in no dependency */
	run_quiet("set_class_control", lockdep_env);
	run_quiet("set_subclass_ok", lockdep_env);
	run_ok("set_subclass_missing", lockdep_env);
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	run_ok("set_class_unheld", lockdep_env);
	CHECK_OUT(&c, "WARNING: bad unlock balance detected!");
}

static void test_maps(void)
{
	run_quiet("map_try_ok", lockdep_env);
	run_ok("map_read_then_write", lockdep_env);
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	CHECK_OUT(&c, "(map_a){");
}

static void test_home_made(void)
{
	run_ok("home_abba", lockdep_env);
	CHECK_OUT(&c, circular);
	CHECK_OUT(&c, "(home_1){");
	CHECK_OUT(&c, "(home_2){");
	CHECK_OUT(&c, "home_lock_take");
	run_ok("home_stat", stat_env);
	CHECK_OUT(&c, "lock_stat version 0.4\n");
	CHECK_OUT(&c, "                                 home_1:");
	CHECK_OUT(&c, "                                 home_1              ");
	CHECK_NOT_OUT(&c, "\nWARNING: ");	/* not ASan's "==N==WARNING" */
}

static void test_show_held(void)
{
	const char *mine, *sleeper_at, *runner_at, *end;

	run_ok("show_held", lockdep_env);
	mine = strstr(c.out, "-- mine\n");
	sleeper_at = strstr(c.out, "-- sleeper ");
	runner_at = strstr(c.out, "-- runner ");
	end = strstr(c.out, "-- end\n");
	CHECK(mine && sleeper_at && runner_at && end);
	/* Mine: lock_a.  The sleeper's: mutex_m.  The runner's: the count only. */
	CHECK(strstr(mine, "1 lock held by ") < sleeper_at);
	CHECK(strstr(mine, "(lock_a){") < sleeper_at);
	CHECK(strstr(sleeper_at, "1 lock held by ") < runner_at);
	CHECK(strstr(sleeper_at, " #0: ") < runner_at);
	CHECK(strstr(sleeper_at, "(mutex_m){") < runner_at);
	CHECK(strstr(runner_at, "1 lock held by ") < end);
	CHECK(!strstr(runner_at, " #0: ") || strstr(runner_at, " #0: ") > end);
	CHECK_NOT_OUT(&c, "\nWARNING: ");	/* not ASan's "==N==WARNING" */
	run_ok("show_held_off", NULL);
	CHECK_OUT(&c, "INFO: lockdep is turned off.\n");
}

static void test_keys(void)
{
	run_quiet("key_reuse", lockdep_env);
	/* The control: without unregistering, the old order is remembered. */
	run_ok("key_reuse_not_unregistered", lockdep_env);
	CHECK_OUT(&c, circular);
	CHECK_OUT(&c, "lockdep_register_key(&o->key): WARN_ON_ONCE(k == key)\n");
	run_quiet("key_cycles", lockdep_env);
	CHECK_NOT_OUT(&c, "MAX_STACK_TRACE_ENTRIES");
	run_quiet("key_churn_threads", lockdep_env);
	run_ok("key_unregistered", lockdep_env);
	CHECK_OUT(&c, "BUG: key ");
	CHECK_OUT(&c, " has not been registered!\n");
	CHECK_OUT(&c, "------------[ cut here ]------------\nDEBUG_LOCKS_WARN_ON(1)\n");
	CHECK_OUT(&c, " at test_lockdep_api2.c:");
	CHECK_NOT_OUT(&c, "trying to register non-static key");
	run_ok("key_used_after_unregister", lockdep_env);
	CHECK_OUT(&c, " has not been registered!\n");
	CHECK_OUT(&c, "(lock 0x");
	CHECK_OUT(&c, "turning off the locking correctness validator.\n");
	CHECK_EQ(ktest_count(c.out, "has not been registered!"), 1);
	run_ok("key_misuse", lockdep_env);
	CHECK_OUT(&c, "lockdep_register_key(&static_key): WARN_ON_ONCE(static_obj(key))\n");
	CHECK_OUT(&c, "lockdep_unregister_key(&static_key): WARN_ON_ONCE(static_obj(key))\n");
	CHECK_OUT(&c, "lockdep_register_key(k): WARN_ON_ONCE(k == key)\n");
	CHECK_OUT(&c, "lockdep_unregister_key(k): WARN_ON_ONCE(!found && debug_locks)\n");
	CHECK_EQ(ktest_count(c.out, "WARNING: CPU: "), 4);
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_assert);
	RUN(test_is_held);
	RUN(test_might_lock);
	RUN(test_same_name);
	RUN(test_pin);
	RUN(test_set_class);
	RUN(test_maps);
	RUN(test_home_made);
	RUN(test_show_held);
	RUN(test_keys);
	return 0;
}
