// SPDX-License-Identifier: MIT
/*
 * Many mutexes and rwlocks made, used and destroyed, as a program that
 * frees its lock array at exit does (sysbench's mutex test: 1024 of them).
 *
 *   pt_destroy [faults]
 *
 * Checks the results on every run (a destroyed lock made again works,
 * destroying a held mutex says EBUSY).  With "faults" it also counts the
 * page faults the destroy loop takes and fails when they are more than
 * one per 8 locks: under ksync-lockdep --replace --no-validate
 * destroying a replaced lock touches its object only, which its use
 * brought in already; looking the lock up in the validator's 16 MiB
 * table, which no lock was ever entered in, took a fault per lock.
 * (Validating, the table is used and faults are expected: run "faults"
 * only under --no-validate or alone.)
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define NR	4096

static int failed;

#define EXPECT(what, got, want)						\
	do {								\
		int g_ = (got);						\
		if (g_ != (want)) {					\
			printf("FAIL %s: %d, want %d\n", (what), g_, (want)); \
			failed = 1;					\
		}							\
	} while (0)

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

int main(int argc, char **argv)
{
	bool count = argc > 1 && !strcmp(argv[1], "faults");
	pthread_mutex_t *m = calloc(NR, sizeof(*m));
	pthread_rwlock_t *rw = calloc(NR, sizeof(*rw));
	long before, faults;

	if (!m || !rw)
		return 2;
	for (int i = 0; i < NR; i++) {
		EXPECT("mutex init", pthread_mutex_init(&m[i], NULL), 0);
		EXPECT("rwlock init", pthread_rwlock_init(&rw[i], NULL), 0);
		EXPECT("mutex lock", pthread_mutex_lock(&m[i]), 0);
		EXPECT("mutex unlock", pthread_mutex_unlock(&m[i]), 0);
		EXPECT("rdlock", pthread_rwlock_rdlock(&rw[i]), 0);
		EXPECT("rw unlock", pthread_rwlock_unlock(&rw[i]), 0);
	}
	EXPECT("lock", pthread_mutex_lock(&m[0]), 0);
	EXPECT("destroy held mutex", pthread_mutex_destroy(&m[0]), EBUSY);
	EXPECT("unlock", pthread_mutex_unlock(&m[0]), 0);

	before = minor_faults();
	for (int i = 0; i < NR; i++) {
		EXPECT("mutex destroy", pthread_mutex_destroy(&m[i]), 0);
		EXPECT("rwlock destroy", pthread_rwlock_destroy(&rw[i]), 0);
	}
	faults = minor_faults() - before;

	/* Made again where the old ones were: they work like new. */
	for (int i = 0; i < NR; i += 64) {
		EXPECT("mutex init again", pthread_mutex_init(&m[i], NULL), 0);
		EXPECT("lock again", pthread_mutex_lock(&m[i]), 0);
		EXPECT("trylock held", pthread_mutex_trylock(&m[i]), EBUSY);
		EXPECT("unlock again", pthread_mutex_unlock(&m[i]), 0);
		EXPECT("destroy again", pthread_mutex_destroy(&m[i]), 0);
		EXPECT("rwlock init again", pthread_rwlock_init(&rw[i], NULL), 0);
		EXPECT("wrlock again", pthread_rwlock_wrlock(&rw[i]), 0);
		EXPECT("rw unlock again", pthread_rwlock_unlock(&rw[i]), 0);
		EXPECT("rw destroy again", pthread_rwlock_destroy(&rw[i]), 0);
	}
	printf("destroying %d mutexes and %d rwlocks: %ld page faults\n", NR, NR, faults);
	if (count && faults > 2 * NR / 8) {
		printf("FAIL: more than one page fault per 8 locks destroyed\n");
		failed = 1;
	}
	free(m);
	free(rw);
	if (!failed)
		printf("destroy ok\n");
	return failed;
}
