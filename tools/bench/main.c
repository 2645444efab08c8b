// SPDX-License-Identifier: MIT
/*
 * ksync-bench: every lock side by side in one run.
 *
 * This file is the command line and the order of events: choose sections
 * and rows, say what will happen and for how long, run each section, and
 * write its table (then the CSV and plots) as soon as it is done.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define DEFAULT_DURATION_MS	200
#define DEFAULT_REPEATS		5
#define QUICK_DURATION_MS	100
#define QUICK_REPEATS		3
#define MAX_DURATION_MS		600000
#define MAX_REPEATS		1000

static const unsigned int default_threads[] = { 1, 2, 4, 8, 16, 32 };
static const unsigned int quick_threads[] = { 1, 2, 8, 32 };

/* The command line as given, before --quick fills in what was not. */
struct cli {
	struct bench_opts o;
	bool threads_set, duration_set, repeats_set;
	bool quick, list;
};

static void usage(FILE *f)
{
	fputs("usage: ksync-bench [options]\n"
	      "\n"
	      "Measures ksync's locks beside other implementations on this machine:\n"
	      "uncontended cost per lock+unlock pair, throughput with T threads on one\n"
	      "lock, fairness (min/max acquisitions per thread) and, for some sections,\n"
	      "the worst wait (the longest one lock call took, in separate timed runs).\n"
	      "\n"
	      "  --section NAME[,NAME]  sections to run (default: all; see --list)\n"
	      "  --locks NAME[,NAME]    rows to run: a row's exact name, or else any\n"
	      "                         row whose name contains NAME\n"
	      "  --threads LIST         thread counts (default 1,2,4,8,16,32)\n"
	      "  --duration MS          length of one throughput run (default 200)\n"
	      "  --repeats N            samples per measurement; medians are reported\n"
	      "                         (default 5)\n"
	      "  --quick                repeats 3, duration 100, threads 1,2,8,32\n"
	      "                         (options given explicitly still win)\n"
	      "  --csv FILE             also write the medians as CSV:\n"
	      "                         section,lock,metric,threads,value\n"
	      "  --plot FILE.png        also plot throughput against threads with\n"
	      "                         gnuplot; FILE-SECTION.png for several sections\n"
	      "  --list                 list sections and their rows\n"
	      "  --help                 this text\n"
	      "\n"
	      "Progress goes to stderr, the report to stdout.  ksync's run-time debug\n"
	      "switches are honoured: with KSYNC_DEBUG=1 (or LOCKDEP, LOCK_STAT) the\n"
	      "ksync rows, except \"nodebug\" ones, time the debug paths.\n"
	      "\n"
	      "Exit status: 0 success, 1 a lock lost an update or a reader saw a\n"
	      "torn write, 2 usage error, 3 the run or an output file failed.\n", f);
}

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ksync-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'ksync-bench --help'.\n", stderr);
	return -1;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      const char *opt, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return usage_error("%s: not a number", opt);
	v = strtoul(s, &end, 10);
	if (*end || v < min || v > max) {
		return usage_error("%s: '%s' is not in %u..%u", opt, s, min, max);
	}
	*out = (unsigned int)v;
	return 0;
}

static int compare_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Ascending and without duplicates: the table's columns and plot's x axis. */
static void sort_threads(struct bench_opts *o)
{
	unsigned int n = 0;

	qsort(o->threads, o->nthreads, sizeof(o->threads[0]), compare_uint);
	for (unsigned int i = 0; i < o->nthreads; i++)
		if (!n || o->threads[n - 1] != o->threads[i])
			o->threads[n++] = o->threads[i];
	o->nthreads = n;
}

static int parse_threads(const char *arg, struct bench_opts *o)
{
	char item[32];

	o->nthreads = 0;
	while (*arg) {
		size_t len = strcspn(arg, ",");

		if (o->nthreads == BENCH_MAX_THREAD_COUNTS) {
			return usage_error("--threads: at most %d counts",
					   BENCH_MAX_THREAD_COUNTS);
		}
		snprintf(item, sizeof(item), "%.*s", (int)(len < 31 ? len : 31), arg);
		if (parse_uint(item, 1, BENCH_MAX_THREADS, "--threads",
			       &o->threads[o->nthreads++]))
			return -1;
		arg += len + (arg[len] == ',');
	}
	if (!o->nthreads)
		return usage_error("--threads: empty list");
	sort_threads(o);
	return 0;
}

static void set_threads(struct bench_opts *o, const unsigned int *t, unsigned int n)
{
	memcpy(o->threads, t, n * sizeof(*t));
	o->nthreads = n;
}

/* Defaults, or --quick's, for whatever the command line left out. */
static void fill_defaults(struct cli *c)
{
	struct bench_opts *o = &c->o;

	if (!c->threads_set) {
		if (c->quick)
			set_threads(o, quick_threads, sizeof(quick_threads) / sizeof(quick_threads[0]));
		else
			set_threads(o, default_threads, sizeof(default_threads) / sizeof(default_threads[0]));
	}
	if (!c->duration_set)
		o->duration_ms = c->quick ? QUICK_DURATION_MS : DEFAULT_DURATION_MS;
	if (!c->repeats_set)
		o->repeats = c->quick ? QUICK_REPEATS : DEFAULT_REPEATS;
}

enum { OPT_SECTION = 256, OPT_LOCKS, OPT_THREADS, OPT_DURATION, OPT_REPEATS,
       OPT_QUICK, OPT_CSV, OPT_PLOT, OPT_LIST };

static const struct option long_options[] = {
	{ "section",	required_argument,	NULL, OPT_SECTION },
	{ "locks",	required_argument,	NULL, OPT_LOCKS },
	{ "threads",	required_argument,	NULL, OPT_THREADS },
	{ "duration",	required_argument,	NULL, OPT_DURATION },
	{ "repeats",	required_argument,	NULL, OPT_REPEATS },
	{ "quick",	no_argument,		NULL, OPT_QUICK },
	{ "csv",	required_argument,	NULL, OPT_CSV },
	{ "plot",	required_argument,	NULL, OPT_PLOT },
	{ "list",	no_argument,		NULL, OPT_LIST },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL,		0,			NULL, 0 },
};

static int parse_one(struct cli *c, int opt, char **argv)
{
	struct bench_opts *o = &c->o;

	switch (opt) {
	case OPT_SECTION:	o->sections = optarg; return 0;
	case OPT_LOCKS:		o->locks = optarg; return 0;
	case OPT_CSV:		o->csv_path = optarg; return 0;
	case OPT_PLOT:		o->plot_path = optarg; return 0;
	case OPT_QUICK:		c->quick = true; return 0;
	case OPT_LIST:		c->list = true; return 0;
	case OPT_THREADS:
		c->threads_set = true;
		return parse_threads(optarg, o);
	case OPT_DURATION:
		c->duration_set = true;
		return parse_uint(optarg, 1, MAX_DURATION_MS, "--duration", &o->duration_ms);
	case OPT_REPEATS:
		c->repeats_set = true;
		return parse_uint(optarg, 1, MAX_REPEATS, "--repeats", &o->repeats);
	case 'h':
		usage(stdout);
		exit(BENCH_EXIT_OK);
	case ':':
		return usage_error("option '%s' needs a value", argv[optind - 1]);
	default:
		return usage_error("unknown option '%s'", argv[optind - 1]);
	}
}

static int parse_args(int argc, char **argv, struct cli *c)
{
	int opt;

	memset(c, 0, sizeof(*c));
	opterr = 0;	/* the messages below say it our way */
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1)
		if (parse_one(c, opt, argv))
			return -1;
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	fill_defaults(c);
	return 0;
}

/* Open the CSV before the run, so a bad path fails in a second, not a minute. */
static FILE *open_csv(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		bench_err("cannot write %s: %m", path);
	return f;
}

static int write_csv(FILE *f, const char *path, const struct bench_result *res,
		     unsigned int n, const struct bench_opts *o)
{
	int ret = bench_csv_write(f, res, n, o);

	if (fclose(f) || ret) {
		bench_err("writing %s failed", path);
		return -1;
	}
	fprintf(stderr, "ksync-bench: wrote %s\n", path);
	return 0;
}

static void run_all(struct bench_result *res, unsigned int n,
		    const struct bench_opts *o)
{
	unsigned long steps = 0;
	double estimate = 0;

	for (unsigned int i = 0; i < n; i++) {
		steps += bench_section_steps(&res[i], o);
		estimate += bench_section_estimate_s(&res[i], o);
	}
	bench_print_header(o, res, n, estimate);
	bench_progress_start(steps);
	for (unsigned int i = 0; i < n; i++) {
		bench_run_section(&res[i], o);
		bench_progress_clear();
		bench_print_section(&res[i], o);
	}
}

int main(int argc, char **argv)
{
	struct bench_result *res;
	unsigned int n;
	FILE *csv = NULL;
	int status = BENCH_EXIT_OK;
	struct cli c;

	if (parse_args(argc, argv, &c))
		return BENCH_EXIT_USAGE;
	if (c.list) {
		bench_list_sections(stdout);
		return BENCH_EXIT_OK;
	}
	if (bench_select(&c.o, &res, &n)) {
		bench_free_results(res, n);
		return BENCH_EXIT_USAGE;
	}
	if (c.o.plot_path && !bench_plot_available()) {
		bench_err("--plot needs gnuplot, and there is none on $PATH (Debian: apt-get install gnuplot-nox)");
		bench_free_results(res, n);
		return BENCH_EXIT_USAGE;
	}
	if (c.o.csv_path && !(csv = open_csv(c.o.csv_path))) {
		bench_free_results(res, n);
		return BENCH_EXIT_ERROR;
	}

	run_all(res, n, &c.o);

	if (csv && write_csv(csv, c.o.csv_path, res, n, &c.o))
		status = BENCH_EXIT_ERROR;
	if (c.o.plot_path && bench_plot_write(c.o.plot_path, res, n, &c.o))
		status = BENCH_EXIT_ERROR;
	if (bench_lost_updates()) {
		bench_err("FAILED: a lock lost updates or let a reader see a torn write (see the messages above)");
		status = BENCH_EXIT_LOST_UPDATE;
	}
	bench_free_results(res, n);
	return status;
}
