// SPDX-License-Identifier: MIT
/*
 * The section registry, and choosing what one run measures from it.
 *
 * A section lives in its own file and defines one
 * `const struct bench_section bench_section_<id>`; adding it here is one
 * entry in BENCH_SECTION_LIST.  Sections run, and print, in list order.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* RCU only when ksync has it (liburcu found): tools/CMakeLists.txt. */
#ifdef KSYNC_HAVE_RCU
#define BENCH_SECTION_RCU(S)	S(rcu)
#else
#define BENCH_SECTION_RCU(S)
#endif

#define BENCH_SECTION_LIST(S)						\
	S(spinlock)							\
	S(irq)								\
	S(mutex)							\
	S(rtmutex)							\
	S(ww_mutex)							\
	S(rwlock)							\
	S(percpu_rwsem)							\
	S(wakeup)							\
	BENCH_SECTION_RCU(S)						\
	S(lockdep)							\
	S(helpers)

#define BENCH_SECTION_DECLARE(id) extern const struct bench_section bench_section_##id;
#define BENCH_SECTION_ENTRY(id)	&bench_section_##id,

BENCH_SECTION_LIST(BENCH_SECTION_DECLARE)

const struct bench_section *const bench_sections[] = {
	BENCH_SECTION_LIST(BENCH_SECTION_ENTRY)
	NULL,
};

static void *check_alloc(void *p)
{
	if (!p) {
		bench_err("out of memory");
		exit(BENCH_EXIT_ERROR);
	}
	return p;
}

/* A comma-separated list as a NULL-terminated array; empty items dropped. */
static char **split_commas(const char *list)
{
	size_t n = 1;
	char **items;

	for (const char *p = list; *p; p++)
		n += *p == ',';
	items = check_alloc(calloc(n + 1, sizeof(*items)));
	n = 0;
	while (*list) {
		size_t len = strcspn(list, ",");

		if (len)
			items[n++] = check_alloc(strndup(list, len));
		list += len + (list[len] == ',');
	}
	return items;
}

static void free_list(char **items)
{
	for (char **p = items; p && *p; p++)
		free(*p);
	free(items);
}

static bool in_list(char **items, const char *name)
{
	for (char **p = items; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

static bool section_wanted(const struct bench_section *s, char **names)
{
	return !names || in_list(names, s->name);
}

/* Does any row of the wanted sections carry exactly this name? */
static bool some_row_named(const char *name, char **sections)
{
	for (const struct bench_section *const *s = bench_sections; *s; s++) {
		if (!section_wanted(*s, sections))
			continue;
		for (const struct bench_lock *const *l = (*s)->locks; *l; l++)
			if (!strcmp((*l)->name, name))
				return true;
	}
	return false;
}

/*
 * A --locks item names rows exactly when some row has that name (so
 * "spinlock_t" is that row alone), and by substring otherwise (so
 * "pthread" is every pthread row).
 */
static bool item_matches(const char *item, bool exact, const char *name)
{
	return exact ? !strcmp(item, name) : strstr(name, item) != NULL;
}

struct lock_filter {
	char **items;		/* NULL: every row */
	bool *exact;		/* per item */
	bool *used;		/* per item: matched some row */
};

static bool row_wanted(struct lock_filter *f, const char *name)
{
	bool wanted = false;

	if (!f->items)
		return true;
	for (size_t i = 0; f->items[i]; i++) {
		if (item_matches(f->items[i], f->exact[i], name)) {
			f->used[i] = true;
			wanted = true;
		}
	}
	return wanted;
}

static void select_rows(struct bench_result *res, struct lock_filter *f)
{
	const struct bench_lock *const *l;
	size_t n = 0;

	for (l = res->section->locks; *l; l++)
		n++;
	res->rows = check_alloc(calloc(n ? n : 1, sizeof(*res->rows)));
	res->nrows = 0;
	for (l = res->section->locks; *l; l++)
		if (row_wanted(f, (*l)->name))
			res->rows[res->nrows++].lock = *l;
}

static int check_sections(char **names)
{
	int bad = 0;

	for (char **p = names; p && *p; p++) {
		const struct bench_section *const *s;

		for (s = bench_sections; *s; s++)
			if (!strcmp((*s)->name, *p))
				break;
		if (!*s) {
			fprintf(stderr, "ksync-bench: no section named '%s' (see --list)\n", *p);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int check_filter_used(const struct lock_filter *f)
{
	int bad = 0;

	for (size_t i = 0; f->items && f->items[i]; i++) {
		if (!f->used[i]) {
			fprintf(stderr, "ksync-bench: --locks '%s' matches no lock in the chosen sections (see --list)\n",
				f->items[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static void build_filter(struct lock_filter *f, const char *locks, char **sections)
{
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	if (!locks)
		return;
	f->items = split_commas(locks);
	while (f->items[n])
		n++;
	f->exact = check_alloc(calloc(n + 1, sizeof(*f->exact)));
	f->used = check_alloc(calloc(n + 1, sizeof(*f->used)));
	for (size_t i = 0; i < n; i++)
		f->exact[i] = some_row_named(f->items[i], sections);
}

static void free_filter(struct lock_filter *f)
{
	free_list(f->items);
	free(f->exact);
	free(f->used);
}

/*
 * Fill *out with the sections and rows that --section and --locks ask
 * for, in registry order.  Returns -1, having said why, if either names
 * something that does not exist.
 */
int bench_select(const struct bench_opts *o, struct bench_result **out,
		 unsigned int *nout)
{
	char **sections = o->sections ? split_commas(o->sections) : NULL;
	struct bench_result *res;
	struct lock_filter f;
	unsigned int n = 0;
	size_t max = 0;
	int ret;

	while (bench_sections[max])
		max++;
	res = check_alloc(calloc(max ? max : 1, sizeof(*res)));
	build_filter(&f, o->locks, sections);
	for (size_t i = 0; i < max; i++) {
		if (!section_wanted(bench_sections[i], sections))
			continue;
		res[n].section = bench_sections[i];
		select_rows(&res[n], &f);
		if (res[n].nrows)
			n++;
		else
			free(res[n].rows);
	}
	ret = check_sections(sections) || check_filter_used(&f) ? -1 : 0;
	if (!ret && !n) {
		fprintf(stderr, "ksync-bench: nothing to run: no lock chosen\n");
		ret = -1;
	}
	free_filter(&f);
	free_list(sections);
	*out = res;
	*nout = n;
	return ret;
}

void bench_free_results(struct bench_result *res, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int r = 0; r < res[i].nrows; r++) {
			free(res[i].rows[r].solo_ns);
			free(res[i].rows[r].mops);
			free(res[i].rows[r].fairness);
			free(res[i].rows[r].worst_ms);
		}
		free(res[i].rows);
	}
	free(res);
}

/* "uncontended, throughput, fairness, worst wait", or what of it applies. */
static void print_measures(FILE *f, unsigned int m)
{
	static const struct {
		unsigned int bit;
		const char *text;
	} parts[] = {
		{ BENCH_MEASURE_UNCONTENDED, "uncontended" },
		{ BENCH_MEASURE_THROUGHPUT, "throughput, fairness" },
		{ BENCH_MEASURE_WORST_WAIT, "worst wait" },
	};
	const char *sep = "";

	fputs("  measures: ", f);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!(m & parts[i].bit))
			continue;
		fprintf(f, "%s%s", sep, parts[i].text);
		sep = ", ";
	}
	fputc('\n', f);
}

void bench_list_sections(FILE *f)
{
	for (const struct bench_section *const *s = bench_sections; *s; s++) {
		fprintf(f, "%s: %s\n", (*s)->name, (*s)->title);
		print_measures(f, (*s)->measures);
		for (const struct bench_lock *const *l = (*s)->locks; *l; l++)
			fprintf(f, "  %s\n", (*l)->name);
		if ((*s)->note)
			fprintf(f, "  note: %s\n", (*s)->note);
	}
}

const struct bench_row *bench_find_row(const struct bench_result *res,
				       const char *name)
{
	for (unsigned int i = 0; i < res->nrows; i++)
		if (!strcmp(res->rows[i].lock->name, name))
			return &res->rows[i];
	return NULL;
}
