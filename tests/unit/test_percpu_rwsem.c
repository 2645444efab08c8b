// SPDX-License-Identifier: MIT
/*
 * percpu_rw_semaphore: the API and return values; readers share, a
 * writer excludes readers and writers, a writer waits for the readers
 * inside and new readers wait for a waiting writer; stress with exact
 * counts and threads far more than cores, readers checking that they
 * never see a writer's half-done update; a read lock leaked by an exited
 * thread still counts when its CPU number is reused.  In children: the
 * debug and lockdep reports, and a clean run that must report nothing.
 * A writer among 32 readers that never pause gets in every time.
 * Runs also with KSYNC_NO_MEMBARRIER=1 and KSYNC_DEBUG=1 (readers take
 * the library's path; checked), see tests/unit/CMakeLists.txt.
 */
#define _GNU_SOURCE
#include <ksync/mutex.h>
#include <ksync/percpu-rwsem.h>
#include <ksync/smp.h>
#include "ktest_deadline.h"

DEFINE_STATIC_PERCPU_RWSEM(static_sem);
DEFINE_PERCPU_RWSEM(global_sem);

static int flag;

static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void *try_read(void *arg)
{
	int got = percpu_down_read_trylock((struct percpu_rw_semaphore *)arg);

	if (got)
		percpu_up_read((struct percpu_rw_semaphore *)arg);
	return (void *)(long)got;
}

static void test_api(void)
{
	struct percpu_rw_semaphore sem;
	pthread_t t;
	void *got;

	CHECK_EQ(percpu_init_rwsem(&sem), 0);
	CHECK(!percpu_is_read_locked(&sem));
	percpu_down_read(&sem);
	CHECK(percpu_is_read_locked(&sem));
	CHECK_EQ(percpu_down_read_trylock(&sem), 1);	/* readers share */
	percpu_up_read(&sem);
	percpu_up_read(&sem);
	CHECK(!percpu_is_read_locked(&sem));
	percpu_down_write(&sem);
	CHECK(percpu_is_write_locked(&sem));
	CHECK(pthread_create(&t, NULL, try_read, &sem) == 0);
	got = ktest_join_or_fail(t);
	CHECK_EQ((long)got, 0);
	percpu_up_write(&sem);
	CHECK(!percpu_is_write_locked(&sem));
	CHECK(pthread_create(&t, NULL, try_read, &sem) == 0);
	got = ktest_join_or_fail(t);
	CHECK_EQ((long)got, 1);
	{
		guard(percpu_read)(&sem);
		CHECK(percpu_is_read_locked(&sem));
	}
	scoped_guard(percpu_write, &sem)
		CHECK(percpu_is_write_locked(&sem));
	percpu_free_rwsem(&sem);

	/* Statically defined: counters mapped on first use. */
	percpu_down_read(&static_sem);
	percpu_up_read(&static_sem);
	percpu_down_write(&global_sem);
	percpu_up_write(&global_sem);
}

/* --- who waits for whom -------------------------------------------------------- */

static void *read_then_flag(void *arg)
{
	percpu_down_read(&static_sem);
	store(&flag, 1);
	percpu_up_read(&static_sem);
	return arg;
}

static void *write_then_flag(void *arg)
{
	percpu_down_write(&static_sem);
	store(&flag, 1);
	percpu_up_write(&static_sem);
	return arg;
}

static void test_writer_excludes_readers(void)
{
	pthread_t t;

	store(&flag, 0);
	percpu_down_write(&static_sem);
	CHECK(pthread_create(&t, NULL, read_then_flag, NULL) == 0);
	ktest_sleep_ms(50);		/* give it a chance to get in wrongly */
	CHECK_EQ(load(&flag), 0);
	percpu_up_write(&static_sem);
	ktest_join_or_fail(t);
	CHECK_EQ(load(&flag), 1);
}

static void test_writer_waits_for_reader(void)
{
	pthread_t t, r;
	void *got;

	store(&flag, 0);
	percpu_down_read(&static_sem);
	CHECK(pthread_create(&t, NULL, write_then_flag, NULL) == 0);
	KTEST_WAIT_UNTIL(percpu_is_write_locked(&static_sem));	/* it waits */
	ktest_sleep_ms(50);
	CHECK_EQ(load(&flag), 0);
	/* A waiting writer keeps new readers out. */
	CHECK(pthread_create(&r, NULL, try_read, &static_sem) == 0);
	got = ktest_join_or_fail(r);
	CHECK_EQ((long)got, 0);
	percpu_up_read(&static_sem);
	ktest_join_or_fail(t);
	CHECK_EQ(load(&flag), 1);
}

static void test_writers_exclude(void)
{
	pthread_t t;

	store(&flag, 0);
	percpu_down_write(&static_sem);
	CHECK(pthread_create(&t, NULL, write_then_flag, NULL) == 0);
	ktest_sleep_ms(50);
	CHECK_EQ(load(&flag), 0);
	percpu_up_write(&static_sem);
	ktest_join_or_fail(t);
	CHECK_EQ(load(&flag), 1);
}

/* --- stress ---------------------------------------------------------------------------- */

#define NREADERS	24
#define NWRITERS	4
#define WRITES		300
#define READS		20000
#define NFIELDS		8

/* Plain fields: the semaphore alone keeps readers from torn updates. */
static struct {
	long gen;
	long field[NFIELDS];
} data;
static long reads_done;

static void *stress_thread(void *arg)
{
	long me = (long)arg;

	if (me < NWRITERS) {
		for (int i = 0; i < WRITES; i++) {
			percpu_down_write(&global_sem);
			data.gen++;
			for (int f = 0; f < NFIELDS; f++)
				data.field[f] = data.gen;
			percpu_up_write(&global_sem);
		}
		return NULL;
	}
	for (int i = 0; i < READS; i++) {
		long gen;

		if (i % 8 == 0) {
			if (!percpu_down_read_trylock(&global_sem))
				continue;
		} else {
			percpu_down_read(&global_sem);
		}
		gen = data.gen;
		for (int f = 0; f < NFIELDS; f++)
			if (data.field[f] != gen)
				KTEST_FAIL("torn read: gen %ld, field %d = %ld",
					   gen, f, data.field[f]);
		__atomic_fetch_add(&reads_done, 1, __ATOMIC_RELAXED);
		percpu_up_read(&global_sem);
	}
	return NULL;
}

static void test_stress(void)
{
	long before = data.gen;

	ktest_start_watchdog();
	ktest_run_threads(NREADERS + NWRITERS, stress_thread);
	CHECK_EQ(data.gen, before + (long)NWRITERS * WRITES);
	CHECK(reads_done > 0);
	CHECK(!percpu_is_read_locked(&global_sem));
	CHECK(!percpu_is_write_locked(&global_sem));
	printf("# %ld reads, %d writes\n", reads_done, NWRITERS * WRITES);
}

/* --- a writer among readers that never stop ------------------------------------------------ */

/*
 * 32 threads (far more than cores) read in a loop without a pause,
 * most of the time on the inline fast path, while one writer makes
 * SPIN_WRITES updates.  Each write must get in (new readers are held
 * back once it waits, so it cannot starve), must see no reader inside
 * (no reader sees a half-done update), and must be woken when the last
 * reader leaves (a lost wake-up leaves it asleep: the watchdog fails
 * the test).  The readers stop only when the writer is done, so the
 * run time is bounded by the writes.
 */
#define SPIN_READERS	32
#define SPIN_WRITES	200

DEFINE_STATIC_PERCPU_RWSEM(spin_sem);
static struct {
	long gen;
	long field[NFIELDS];
} spin_data;
static int spin_stop;
static long spin_reads;

static void *spin_reader(void *arg)
{
	long n = 0;

	(void)arg;
	while (!load(&spin_stop)) {
		long gen;

		percpu_down_read(&spin_sem);
		gen = spin_data.gen;
		for (int f = 0; f < NFIELDS; f++)
			if (spin_data.field[f] != gen)
				KTEST_FAIL("torn read: gen %ld, field %d = %ld",
					   gen, f, spin_data.field[f]);
		percpu_up_read(&spin_sem);
		n++;
	}
	__atomic_fetch_add(&spin_reads, n, __ATOMIC_RELAXED);
	return NULL;
}

static void *spin_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < SPIN_WRITES; i++) {
		percpu_down_write(&spin_sem);
		/*
		 * Not a test of exclusion (readers' tries may count for a
		 * moment: the kernel's percpu_is_read_locked() is false while
		 * block is set); the torn-read check in the readers is.
		 */
		CHECK(percpu_is_write_locked(&spin_sem));
		CHECK(!percpu_is_read_locked(&spin_sem));
		spin_data.gen++;
		for (int f = 0; f < NFIELDS; f++)
			spin_data.field[f] = spin_data.gen;
		percpu_up_write(&spin_sem);
	}
	store(&spin_stop, 1);
	return NULL;
}

static void test_writer_among_spinning_readers(void)
{
	pthread_t r[SPIN_READERS], w;

	ktest_start_watchdog();
	for (int i = 0; i < SPIN_READERS; i++)
		CHECK_EQ(pthread_create(&r[i], NULL, spin_reader, NULL), 0);
	CHECK_EQ(pthread_create(&w, NULL, spin_writer, NULL), 0);
	CHECK_EQ(pthread_join(w, NULL), 0);
	for (int i = 0; i < SPIN_READERS; i++)
		CHECK_EQ(pthread_join(r[i], NULL), 0);
	CHECK_EQ(spin_data.gen, (long)SPIN_WRITES);
	CHECK(!percpu_is_read_locked(&spin_sem));
	CHECK(!percpu_is_write_locked(&spin_sem));
	printf("# %ld reads among %d writes\n", spin_reads, SPIN_WRITES);
}

/*
 * Which path readers take: the inline fast path relies on the writer's
 * membarrier(2) and has no lockdep calls, so with a debug switch or
 * KSYNC_NO_MEMBARRIER=1 every reader must go through the library.
 */
static bool env_on(const char *name)
{
	const char *v = getenv(name);

	return v && strcmp(v, "0") != 0 && *v;
}

static void test_path_choice(void)
{
	int slow = __atomic_load_n(&ksync_percpu_rwsem_slow, __ATOMIC_RELAXED);

	if (env_on("KSYNC_NO_MEMBARRIER") || env_on("KSYNC_DEBUG") ||
	    env_on("KSYNC_LOCKDEP") || env_on("KSYNC_LOCK_STAT"))
		CHECK(slow);
	printf("# readers take the %s path\n", slow ? "library's" : "inline fast");
}

/* --- a leaked read lock --------------------------------------------------------------------- */

static int leaker_cpu;

static void *leak_read(void *arg)
{
	leaker_cpu = smp_processor_id();
	percpu_down_read(&static_sem);
	return arg;		/* exits holding it */
}

static void *reuse_number(void *arg)
{
	CHECK_EQ(smp_processor_id(), leaker_cpu);
	CHECK(percpu_is_read_locked(&static_sem));
	CHECK_EQ(percpu_down_read_trylock(&static_sem), 1);
	percpu_up_read(&static_sem);
	CHECK(percpu_is_read_locked(&static_sem));	/* still the leaked one */
	return arg;
}

static void test_leaked_read_lock(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, leak_read, NULL) == 0);
	ktest_join_or_fail(t);
	CHECK(percpu_is_read_locked(&static_sem));
	CHECK(pthread_create(&t, NULL, reuse_number, NULL) == 0);
	ktest_join_or_fail(t);
}

/* --- reports, in children ---------------------------------------------------------------------- */

static DEFINE_MUTEX(plain);

static void child_abba(void)
{
	percpu_down_read(&static_sem);
	mutex_lock(&plain);
	mutex_unlock(&plain);
	percpu_up_read(&static_sem);
	mutex_lock(&plain);
	percpu_down_write(&static_sem);
	percpu_up_write(&static_sem);
	mutex_unlock(&plain);
}

static void child_read_then_write(void)
{
	percpu_down_read(&static_sem);
	percpu_down_write(&static_sem);		/* self-deadlock */
}

static void child_up_write_unlocked(void)
{
	percpu_up_write(&static_sem);
	printf("done\n");
}

static void child_assert(void)
{
	percpu_rwsem_assert_held(&static_sem);
	percpu_down_read(&static_sem);
	percpu_rwsem_assert_held(&static_sem);	/* held: quiet */
	percpu_up_read(&static_sem);
	printf("done\n");
}

static void child_clean(void)
{
	test_api();
	test_writer_excludes_readers();
	percpu_down_write(&static_sem);
	mutex_lock(&plain);
	mutex_unlock(&plain);
	percpu_up_write(&static_sem);
	percpu_down_read(&static_sem);
	mutex_lock(&plain);
	mutex_unlock(&plain);
	percpu_up_read(&static_sem);
	printf("clean done\n");
}

static const struct ktest_scenario scenarios[] = {
	{ "abba", child_abba },
	{ "read_then_write", child_read_then_write },
	{ "up_write_unlocked", child_up_write_unlocked },
	{ "assert", child_assert },
	{ "clean", child_clean },
	{ NULL, NULL },
};

static void run_child(struct ktest_child *c, const char *name, const char *env,
		      int timeout_ms)
{
	const char *envp[] = { env, NULL };

	ktest_spawn(c, "/proc/self/exe", name, envp, timeout_ms);
}

static void test_reports(void)
{
	static struct ktest_child c;

	run_child(&c, "abba", "KSYNC_LOCKDEP=1", 20000);
	CHECK(!c.timed_out);
	CHECK_OUT(&c, "WARNING: possible circular locking dependency detected");
	CHECK_OUT(&c, "static_sem");
	CHECK_OUT(&c, "plain");
	/* A real deadlock: the report comes first, then the test kills it. */
	run_child(&c, "read_then_write", "KSYNC_LOCKDEP=1", 3000);
	CHECK_OUT(&c, "WARNING: possible recursive locking detected");
	CHECK_OUT(&c, "static_sem");
	run_child(&c, "up_write_unlocked", "KSYNC_DEBUG=1", 20000);
	CHECK_OUT(&c, "DEBUG_LOCKS_WARN_ON(!sem->block)");
	CHECK_OUT(&c, "percpu_up_write(static_sem): not write-locked");
	CHECK_OUT(&c, "done");
	run_child(&c, "assert", "KSYNC_LOCKDEP=1", 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "lockdep_assert_held(&static_sem)");
	CHECK_OUT(&c, "done");
	run_child(&c, "clean", "KSYNC_LOCKDEP=1", 20000);
	CHECK(ktest_exited(&c, 0));
	CHECK_OUT(&c, "clean done");
	CHECK_NOT_OUT(&c, "WARNING");
	CHECK_NOT_OUT(&c, "DEBUG_LOCKS_WARN_ON");
}

int main(int argc, char **argv)
{
	ktest_child_main(argc, argv, scenarios);
	RUN(test_api);
	RUN(test_writer_excludes_readers);
	RUN(test_writer_waits_for_reader);
	RUN(test_writers_exclude);
	RUN(test_stress);
	RUN(test_writer_among_spinning_readers);
	RUN(test_path_choice);
	RUN(test_reports);
	RUN(test_leaked_read_lock);	/* last: leaves static_sem read-locked */
	return 0;
}
