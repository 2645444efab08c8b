// SPDX-License-Identifier: MIT
/*
 * The command line.  Any mistake ends the program with status 2 and a
 * message on stderr before a thread is started, so that a typo never
 * passes for a test result.
 *
 * Thread counts follow locktorture: 2 writers per online CPU for a lock
 * without readers; for one with readers, if neither count is given, one
 * writer and one reader per CPU, and if only the writers are given, as
 * many readers as writers (one per CPU if that is none).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "torture.h"

/* What the command line asked for; -1 where it left the default. */
struct torture_opts {
	const char *type;
	int nwriters;
	int nreaders;
};

enum {
	OPT_TYPE = 256,
	OPT_NWRITERS,
	OPT_NREADERS,
	OPT_DURATION,
	OPT_STUTTER,
	OPT_LONG_HOLD,
	OPT_STAT_INTERVAL,
	OPT_LIST,
};

static const struct option torture_long_options[] = {
	{ "type",		required_argument,	NULL, OPT_TYPE },
	{ "nwriters",		required_argument,	NULL, OPT_NWRITERS },
	{ "nreaders",		required_argument,	NULL, OPT_NREADERS },
	{ "duration",		required_argument,	NULL, OPT_DURATION },
	{ "stutter",		required_argument,	NULL, OPT_STUTTER },
	{ "long-hold",		required_argument,	NULL, OPT_LONG_HOLD },
	{ "stat-interval",	required_argument,	NULL, OPT_STAT_INTERVAL },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "list",		no_argument,		NULL, OPT_LIST },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void print_usage(FILE *f)
{
	fprintf(f,
		"Usage: " TORTURE_PROG " [--type NAME] [--nwriters N] [--nreaders N]\n"
		"         [--duration SECONDS] [--stutter SECONDS] [--long-hold MS]\n"
		"         [--stat-interval SECONDS] [--verbose] [--list]\n"
		"\n"
		"Torture one ksync lock with writer (and reader) threads that check\n"
		"mutual exclusion on every acquisition.\n"
		"\n"
		"  --type NAME             lock type to test (default spin_lock)\n"
		"  --nwriters N            writer threads (default 2 per online CPU;\n"
		"                          1 per CPU for types with readers)\n"
		"  --nreaders N            reader threads, types with readers only\n"
		"                          (default: as many as writers)\n"
		"  --duration SECONDS      length of the run (default 10)\n"
		"  --stutter SECONDS       run this long, pause this long, repeat;\n"
		"                          0 never pauses (default 5)\n"
		"  --long-hold MS          length of the rare long hold; 0 disables\n"
		"                          (default 100)\n"
		"  --stat-interval SECONDS print statistics this often; 0 only at\n"
		"                          the end (default 0)\n"
		"  --verbose               also print per-thread counts\n"
		"  --list                  print the lock types and exit\n"
		"\n"
		"Lock types:\n");
	const struct torture_lock_ops *ops;

	for (int i = 0; (ops = torture_ops_at(i)); i++)
		fprintf(f, "  %-23s %s\n", ops->name, ops->desc);
	fprintf(f,
		"\n"
		"Exit status: 0 SUCCESS, 1 FAILURE (mutual exclusion violated),\n"
		"2 bad usage or the test could not run.\n");
}

static __attribute__((noreturn, format(printf, 1, 2)))
void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, TORTURE_PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" TORTURE_PROG " --help' for more information.\n");
	exit(TORTURE_EXIT_USAGE);
}

/* A whole decimal number in [min, max], or a usage error naming opt. */
static int parse_int(const char *opt, const char *arg, int min, int max)
{
	char *end;
	long val;

	errno = 0;
	val = strtol(arg, &end, 10);
	if (errno || end == arg || *end != '\0' || val < min || val > max)
		usage_error("--%s: invalid value '%s' (expected an integer from %d to %d)",
			    opt, arg, min, max);
	return (int)val;
}

static void list_types(void)
{
	const struct torture_lock_ops *ops;

	for (int i = 0; (ops = torture_ops_at(i)); i++)
		printf("%s\n", ops->name);
	exit(TORTURE_EXIT_SUCCESS);
}

static void parse_one(int c, struct torture_opts *o)
{
	switch (c) {
	case OPT_TYPE:
		o->type = optarg;
		break;
	case OPT_NWRITERS:
		o->nwriters = parse_int("nwriters", optarg, 0, TORTURE_MAX_THREADS);
		break;
	case OPT_NREADERS:
		o->nreaders = parse_int("nreaders", optarg, 0, TORTURE_MAX_THREADS);
		break;
	case OPT_DURATION:
		cxt.duration_s = parse_int("duration", optarg, 1, TORTURE_MAX_SECONDS);
		break;
	case OPT_STUTTER:
		cxt.stutter_s = parse_int("stutter", optarg, 0, TORTURE_MAX_SECONDS);
		break;
	case OPT_LONG_HOLD:
		cxt.long_hold_ms = parse_int("long-hold", optarg, 0,
					     TORTURE_MAX_LONG_HOLD_MS);
		break;
	case OPT_STAT_INTERVAL:
		cxt.stat_interval_s = parse_int("stat-interval", optarg, 0,
						TORTURE_MAX_SECONDS);
		break;
	case 'v':
		cxt.verbose = true;
		break;
	case OPT_LIST:
		list_types();
		break;
	case 'h':
		print_usage(stdout);
		exit(TORTURE_EXIT_SUCCESS);
	default:
		/* getopt_long has already said what was wrong. */
		fprintf(stderr, "Try '" TORTURE_PROG " --help' for more information.\n");
		exit(TORTURE_EXIT_USAGE);
	}
}

static const struct torture_lock_ops *lookup_type(const char *name)
{
	const struct torture_lock_ops *ops = torture_find_ops(name);

	if (!ops) {
		fprintf(stderr, TORTURE_PROG ": invalid torture type: \"%s\"\n", name);
		fprintf(stderr, TORTURE_PROG ": lock types:");
		const struct torture_lock_ops *ops;

		for (int i = 0; (ops = torture_ops_at(i)); i++)
			fprintf(stderr, " %s", ops->name);
		fprintf(stderr, "\n");
		exit(TORTURE_EXIT_USAGE);
	}
	return ops;
}

static int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > TORTURE_MAX_THREADS / 2 ? TORTURE_MAX_THREADS / 2 : (int)n;
}

static void resolve_thread_counts(const struct torture_opts *o)
{
	bool readers = torture_has_readers(cxt.ops);
	int ncpus = online_cpus();

	if (o->nwriters == 0 && (!readers || o->nreaders == 0))
		usage_error("must run at least one locking thread");
	cxt.nwriters = o->nwriters >= 0 ? o->nwriters : 2 * ncpus;
	cxt.nreaders = 0;
	if (!readers) {
		if (o->nreaders > 0)
			fprintf(stderr, TORTURE_PROG ": %s has no readers; ignoring --nreaders\n",
				cxt.ops->name);
		return;
	}
	if (o->nreaders >= 0) {
		cxt.nreaders = o->nreaders;
		return;
	}
	/*
	 * Split the default thread count evenly between the two kinds.
	 * Readers alone (--nwriters 0) still get one per CPU: locktorture
	 * would copy the 0 and run nothing.
	 */
	if (o->nwriters < 0)
		cxt.nwriters = ncpus;
	cxt.nreaders = cxt.nwriters ? cxt.nwriters : ncpus;
}

void torture_parse_options(int argc, char **argv)
{
	struct torture_opts o = { .type = "spin_lock", .nwriters = -1, .nreaders = -1 };
	int c;

	cxt.duration_s = 10;
	cxt.stutter_s = 5;
	cxt.long_hold_ms = 100;
	cxt.stat_interval_s = 0;
	while ((c = getopt_long(argc, argv, "hv", torture_long_options, NULL)) != -1)
		parse_one(c, &o);
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	cxt.ops = lookup_type(o.type);
	resolve_thread_counts(&o);
}
