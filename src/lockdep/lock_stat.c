// SPDX-License-Identifier: MIT
/*
 * lock_stat: per-class contention and hold-time statistics
 * (kernel/locking/lockdep.c under CONFIG_LOCK_STAT, and the
 * /proc/lock_stat table of lockdep_proc.c).
 *
 * With KSYNC_LOCK_STAT=1 every acquisition is timed: the wait, from the
 * lock call to ownership when it had to wait (a contention), and the hold,
 * from ownership to release.  Each class also remembers the first four
 * places that waited for it (contention points) and the places that held
 * it when someone had to wait (contending points), and how often the lock
 * moved between CPUs (bounces).
 *
 * Locks still held or waited on when the program exits (or when the
 * thread holding them exits) would have no row: their time so far is
 * counted then, as a hold or a wait, and the table says how many.
 *
 * The counts are shared atomics in the class, not the kernel's per-CPU
 * copies: 16383 CPUs times 8192 classes is too much memory to set aside.
 * Contended locks pay an extra shared cache line while statistics are on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "futex.h"
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

static void add(unsigned long *ctr, unsigned long n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

/* min keeps 0 for "none yet", so a measured 0 counts as 1 ns. */
static void lock_time_inc(struct lock_time *lt, uint64_t t)
{
	uint64_t old;

	if (!t)
		t = 1;
	old = __atomic_load_n(&lt->max, __ATOMIC_RELAXED);
	while (t > old && !__atomic_compare_exchange_n(&lt->max, &old, t, 1,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	old = __atomic_load_n(&lt->min, __ATOMIC_RELAXED);
	while ((!old || t < old) &&
	       !__atomic_compare_exchange_n(&lt->min, &old, t, 1, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
	__atomic_fetch_add(&lt->total, t, __ATOMIC_RELAXED);
	__atomic_fetch_add(&lt->nr, 1, __ATOMIC_RELAXED);
}

/* The slot for where in points[], claiming a free one; -1 if all taken. */
static int lock_point(uintptr_t *points, uintptr_t where)
{
	for (int i = 0; i < LOCKSTAT_POINTS; i++) {
		uintptr_t seen = 0;

		if (__atomic_load_n(&points[i], __ATOMIC_RELAXED) == where)
			return i;
		if (__atomic_compare_exchange_n(&points[i], &seen, where, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED) ||
		    seen == where)
			return i;
	}
	return -1;
}

void lock_stat_begin(struct ksync_held_lock *hl)
{
	hl->wait_ns = 0;
	hl->acquire_ns = ksync_now_ns();
}

void lock_stat_contended(struct ksync_cpu *c, struct ksync_held_lock *hl,
			 const struct ksync_site *site, uintptr_t ip)
{
	struct lock_class *class = hlock_class(hl);
	struct lockdep_map *map = hl->instance;
	int rw = hl->read ? STAT_READ : STAT_WRITE;
	int i;

	hl->wait_ns = ksync_now_ns();
	i = lock_point(class->contention_point, where_word(site, ip));
	if (i >= 0)
		add(&class->stats.contention_count[i], 1);
	i = lock_point(class->contending_point,
		       __atomic_load_n(&map->last_where, __ATOMIC_RELAXED));
	if (i >= 0)
		add(&class->stats.contending_count[i], 1);
	if (__atomic_load_n(&map->cpu, __ATOMIC_RELAXED) != c->cpu)
		add(&class->stats.con_bounces[rw], 1);
}

void lock_stat_acquired(struct ksync_cpu *c, struct ksync_held_lock *hl,
			const struct ksync_site *site, uintptr_t ip)
{
	struct lock_class *class = hlock_class(hl);
	struct lockdep_map *map = hl->instance;
	int rw = hl->read ? STAT_READ : STAT_WRITE;
	uint64_t now;

	if (hl->wait_ns) {
		now = ksync_now_ns();
		lock_time_inc(&class->stats.waittime[rw], now - hl->wait_ns);
		hl->acquire_ns = now;	/* the hold starts now */
		hl->wait_ns = 0;	/* no longer waiting (see count_unfinished) */
	}
	if (__atomic_load_n(&map->cpu, __ATOMIC_RELAXED) != c->cpu)
		add(&class->stats.acq_bounces[rw], 1);
	__atomic_store_n(&map->cpu, c->cpu, __ATOMIC_RELAXED);
	__atomic_store_n(&map->last_where, where_word(site, ip), __ATOMIC_RELAXED);
}

void lock_stat_release(struct ksync_held_lock *hl)
{
	int rw = hl->read ? STAT_READ : STAT_WRITE;

	lock_time_inc(&hlock_class(hl)->stats.holdtime[rw], ksync_now_ns() - hl->acquire_ns);
}

/*
 * A lock in c's held stack that was neither released nor (if it had to
 * wait) acquired: count its wait or hold up to now.  c may be another
 * thread's, still running at exit: every field is loaded once, atomically,
 * and checked before use.
 */
static void count_unfinished(struct ksync_cpu *c, uint64_t now,
			     unsigned int *held, unsigned int *waiting)
{
	int depth = __atomic_load_n(&lockdep_cpu(c)->held.depth, __ATOMIC_RELAXED);
	unsigned int classes = __atomic_load_n(&nr_lock_classes, __ATOMIC_ACQUIRE);

	if (depth <= 0 || depth > MAX_LOCK_DEPTH)
		return;
	for (int i = 0; i < depth; i++) {
		struct ksync_held_lock *hl = &lockdep_cpu(c)->held.stack[i];
		unsigned int idx = __atomic_load_n(&hl->class_idx, __ATOMIC_RELAXED);
		uint64_t wait = __atomic_load_n(&hl->wait_ns, __ATOMIC_RELAXED);
		uint64_t acq = __atomic_load_n(&hl->acquire_ns, __ATOMIC_RELAXED);
		int rw = __atomic_load_n(&hl->read, __ATOMIC_RELAXED) ? STAT_READ : STAT_WRITE;
		struct lock_class_stats *st;

		if (!idx || idx > classes)
			continue;
		st = &lock_classes[idx].stats;
		if (wait && wait <= now) {
			lock_time_inc(&st->waittime[rw], now - wait);
			(*waiting)++;
		} else if (!wait && acq && acq <= now) {
			lock_time_inc(&st->holdtime[rw], now - acq);
			(*held)++;
		}
	}
}

static unsigned int unfinished_held, unfinished_waiting;

/* A thread exits: its held locks stay held, and are counted now. */
void lock_stat_thread_exit(struct ksync_cpu *c)
{
	unsigned int held = 0, waiting = 0;

	count_unfinished(c, ksync_now_ns(), &held, &waiting);
	__atomic_fetch_add(&unfinished_held, held, __ATOMIC_RELAXED);
	__atomic_fetch_add(&unfinished_waiting, waiting, __ATOMIC_RELAXED);
}

/* The program exits: every thread's, this one's included. */
static void count_unfinished_at_exit(void)
{
	uint64_t now = ksync_now_ns();
	unsigned int held = 0, waiting = 0;

	for (int cpu = 0; cpu < KSYNC_NR_CPUS; cpu++) {
		struct ksync_cpu *c = ksync_cpu_peek(cpu);

		if (c)
			count_unfinished(c, now, &held, &waiting);
	}
	__atomic_fetch_add(&unfinished_held, held, __ATOMIC_RELAXED);
	__atomic_fetch_add(&unfinished_waiting, waiting, __ATOMIC_RELAXED);
}

KSYNC_API void ksync_lock_stat_clear(void)
{
	unsigned int n = __atomic_load_n(&nr_lock_classes, __ATOMIC_ACQUIRE);

	for (unsigned int i = 1; i <= n; i++) {
		struct lock_class *class = &lock_classes[i];

		/* Not atomic as a whole: counts racing with the clear may survive. */
		memset(&class->stats, 0, sizeof(class->stats));
		for (int p = 0; p < LOCKSTAT_POINTS; p++) {
			__atomic_store_n(&class->contention_point[p], 0, __ATOMIC_RELAXED);
			__atomic_store_n(&class->contending_point[p], 0, __ATOMIC_RELAXED);
		}
	}
}

/* --- the table ------------------------------------------------------------------ */

#define TABLE_WIDTH	(40 + 1 + 12 * (14 + 1))

static void put_line(int fd, char c, int offset, int length)
{
	char buf[TABLE_WIDTH + 2];
	int n = 0;

	for (int i = 0; i < offset && n < TABLE_WIDTH; i++)
		buf[n++] = ' ';
	for (int i = 0; i < length && n < TABLE_WIDTH; i++)
		buf[n++] = c;
	buf[n++] = '\n';
	write(fd, buf, (size_t)n);
}

/* Nanoseconds as microseconds with two decimals, rounded. */
static void put_time(int fd, uint64_t ns)
{
	char num[32];

	ns += 5;
	snprintf(num, sizeof(num), "%llu.%02llu", (unsigned long long)(ns / 1000),
		 (unsigned long long)(ns % 1000 / 10));
	dprintf(fd, " %14s", num);
}

static void put_lock_time(int fd, const struct lock_time *lt)
{
	uint64_t nr = __atomic_load_n(&lt->nr, __ATOMIC_RELAXED);
	uint64_t total = __atomic_load_n(&lt->total, __ATOMIC_RELAXED);

	dprintf(fd, "%14llu", (unsigned long long)nr);
	put_time(fd, __atomic_load_n(&lt->min, __ATOMIC_RELAXED));
	put_time(fd, __atomic_load_n(&lt->max, __ATOMIC_RELAXED));
	put_time(fd, total);
	put_time(fd, nr ? total / nr : 0);
}

static void put_header(int fd)
{
	dprintf(fd, "lock_stat version 0.4\n");
	if (!__atomic_load_n(&ksync_debug_locks, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&lockdep_stopped, __ATOMIC_RELAXED))
		dprintf(fd, "*WARNING* lock debugging disabled!! - possibly due to a lockdep warning\n");
	put_line(fd, '-', 0, TABLE_WIDTH);
	dprintf(fd, "%40s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s %14s\n",
		"class name", "con-bounces", "contentions", "waittime-min", "waittime-max",
		"waittime-total", "waittime-avg", "acq-bounces", "acquisitions",
		"holdtime-min", "holdtime-max", "holdtime-total", "holdtime-avg");
	put_line(fd, '-', 0, TABLE_WIDTH);
	dprintf(fd, "\n");
}

static void put_row(int fd, const char *name, const char *suffix,
		    const struct lock_class_stats *st, int rw)
{
	char label[64];

	snprintf(label, sizeof(label), "%s%s:", name, suffix);
	dprintf(fd, "%41s", label);
	dprintf(fd, "%14lu ", __atomic_load_n(&st->con_bounces[rw], __ATOMIC_RELAXED));
	put_lock_time(fd, &st->waittime[rw]);
	dprintf(fd, " %14lu ", __atomic_load_n(&st->acq_bounces[rw], __ATOMIC_RELAXED));
	put_lock_time(fd, &st->holdtime[rw]);
	dprintf(fd, "\n");
}

static void put_point(int fd, const char *name, uintptr_t where, unsigned long count)
{
	char place[256];

	if (where_site(where))
		ksync_site_str(where_site(where), 0, place, sizeof(place));
	else
		ksync_symbolize_return(where, place, sizeof(place));
	dprintf(fd, "%40s %14lu %29s %s\n", name, count, "", place);
}

static void put_points(int fd, const char *name, int namelen, const uintptr_t *points,
		       const unsigned long *counts)
{
	for (int i = 0; i < LOCKSTAT_POINTS; i++) {
		uintptr_t where = __atomic_load_n(&points[i], __ATOMIC_RELAXED);

		if (!where)
			break;
		if (!i)
			put_line(fd, '-', 40 - namelen, namelen);
		put_point(fd, name, where, __atomic_load_n(&counts[i], __ATOMIC_RELAXED));
	}
}

static void put_class(int fd, const struct lock_class *class)
{
	const struct lock_class_stats *st = &class->stats;
	bool w = __atomic_load_n(&st->holdtime[STAT_WRITE].nr, __ATOMIC_RELAXED);
	bool r = __atomic_load_n(&st->holdtime[STAT_READ].nr, __ATOMIC_RELAXED);
	char name[40];
	int namelen;

	if (class_free(class))
		return;		/* its key was unregistered */
	lockdep_class_name(class, name, sizeof(name));
	namelen = (int)strlen(name);
	if (w)
		put_row(fd, name, r ? "-W" : "", st, STAT_WRITE);
	if (r)
		put_row(fd, name, "-R", st, STAT_READ);
	if (!__atomic_load_n(&st->waittime[STAT_WRITE].nr, __ATOMIC_RELAXED) &&
	    !__atomic_load_n(&st->waittime[STAT_READ].nr, __ATOMIC_RELAXED))
		return;
	put_points(fd, name, namelen, class->contention_point, st->contention_count);
	put_points(fd, name, namelen, class->contending_point, st->contending_count);
	dprintf(fd, "\n");
	put_line(fd, '.', 0, TABLE_WIDTH);
	dprintf(fd, "\n");
}

static unsigned long contentions(const struct lock_class *class)
{
	return __atomic_load_n(&class->stats.waittime[STAT_WRITE].nr, __ATOMIC_RELAXED) +
	       __atomic_load_n(&class->stats.waittime[STAT_READ].nr, __ATOMIC_RELAXED);
}

static void put_unfinished(int fd)
{
	unsigned int held = __atomic_load_n(&unfinished_held, __ATOMIC_RELAXED);
	unsigned int waiting = __atomic_load_n(&unfinished_waiting, __ATOMIC_RELAXED);

	if (held || waiting)
		dprintf(fd, "%u acquisition%s still held and %u wait%s not over at "
			"exit (of the program or of the thread) are counted with "
			"their time until then\n", held, held == 1 ? "" : "s",
			waiting, waiting == 1 ? "" : "s");
}

/* Most contended first, as the kernel sorts /proc/lock_stat. */
static int by_contentions(const void *a, const void *b)
{
	unsigned long ca = contentions(&lock_classes[*(const unsigned int *)a]);
	unsigned long cb = contentions(&lock_classes[*(const unsigned int *)b]);

	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

KSYNC_API int ksync_lock_stat_write(int fd)
{
	static unsigned int order[MAX_LOCKDEP_KEYS];
	static int writing;	/* order[] is shared: one writer at a time */
	unsigned int n = __atomic_load_n(&nr_lock_classes, __ATOMIC_ACQUIRE);

	if (__atomic_exchange_n(&writing, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	for (unsigned int i = 0; i < n; i++)
		order[i] = i + 1;
	qsort(order, n, sizeof(order[0]), by_contentions);
	put_header(fd);
	for (unsigned int i = 0; i < n; i++)
		put_class(fd, &lock_classes[order[i]]);
	put_unfinished(fd);
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
	return 0;
}

void lock_stat_at_exit(void)
{
	const char *path = getenv("KSYNC_LOCK_STAT_FILE");
	int fd = ksync_report_fd;
	char name[4096];

	if (!lock_stat_on())
		return;
	count_unfinished_at_exit();
	if (path && !*path)
		path = NULL;
	if (!lockdep_output_path(path, name, sizeof(name)))
		return;
	if (path) {
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			/* Better where reports go than lost. */
			ksync_env_warn("KSYNC_LOCK_STAT_FILE=%s: cannot open %s for "
				       "writing (%s); the statistics follow on %s\n",
				       path, strcmp(name, path) ? name : "it", strerror(errno),
				       ksync_report_fd == 2 ? "stderr" : "the KSYNC_LOG file");
			fd = ksync_report_fd;
		}
	}
	ksync_lock_stat_write(fd);
	if (fd != ksync_report_fd)
		close(fd);
}
