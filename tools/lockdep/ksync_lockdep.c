// SPDX-License-Identifier: MIT
/*
 * ksync-lockdep [options] [--] PROGRAM [ARGS...]
 *
 * Runs an unmodified, dynamically linked program with libksync-preload.so
 * preloaded: its pthread mutexes, rwlocks, spinlocks and condition
 * variables are validated by ksync's lockdep (reports in the kernel's
 * format), or with --replace implemented by ksync's locks.  The program
 * replaces this process (exec), so its exit status is ours.
 *
 * Exit statuses of our own: 2 bad usage, 125 the preload library is
 * missing, 126 PROGRAM cannot be run this way, 127 PROGRAM not found.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef KSYNC_VERSION
#define KSYNC_VERSION "?"
#endif
#ifndef KSYNC_BIN_TO_LIB
#define KSYNC_BIN_TO_LIB "../lib"
#endif
#define PRELOAD_NAME	"libksync-preload.so"

enum {
	EXIT_USAGE = 2,
	EXIT_NO_PRELOAD = 125,
	EXIT_CANNOT_RUN = 126,
	EXIT_NOT_FOUND = 127,
};

struct options {
	const char *log;
	const char *stat_file;
	const char *graph;
	const char *class;
	const char *class_depth;
	const char *replace_kinds;
	const char *hung_task_secs;
	const char *show_locks_signal;
	bool stat, replace, no_validate, keep_going;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ksync-lockdep [options] [--] PROGRAM [ARGS...]\n"
		"\n"
		"Run PROGRAM with its pthread locks validated by ksync's lockdep (or\n"
		"replaced by ksync's locks), without recompiling it.\n"
		"\n"
		"  --log FILE          write reports to FILE instead of stderr\n"
		"  --stat              write lock statistics (lock_stat) at exit\n"
		"  --stat-file FILE    ... to FILE instead of the report stream (other\n"
		"                      processes the program starts: FILE.PID)\n"
		"  --graph FILE.dot    write the lock dependency graph at exit (other\n"
		"                      processes: FILE.dot.PID)\n"
		"  --replace[=KINDS]   run the program's mutexes, rwlocks, spinlocks and\n"
		"                      condition variables on ksync's mutex, rw_semaphore\n"
		"                      and queued spinlock (KINDS: some of mutex,rwlock,\n"
		"                      spin,cond; mutex brings cond with it)\n"
		"  --no-validate       no lockdep (with --replace: ksync's locks alone)\n"
		"  --class site        one lock class per place locks are initialised\n"
		"                      (the default)\n"
		"  --class instance    one lock class per lock\n"
		"  --class-depth N     with --class site: tell classes apart by the call\n"
		"                      that made the lock and N-1 of its callers (1-4,\n"
		"                      default 2: locks made by one wrapper for\n"
		"                      different purposes are different classes)\n"
		"  --keep-going        report every problem, not only the first (a full\n"
		"                      lockdep table still stops lockdep for good)\n"
		"  --hung-task-secs N  report a thread asleep in a lock for N seconds,\n"
		"                      with every thread's held locks (default 120, or\n"
		"                      KSYNC_HUNG_TASK_SECS if set; 0: off)\n"
		"  --show-locks-signal SIG  print every thread's held locks when the\n"
		"                      program gets SIG (SIGUSR1, SIGUSR2, SIGQUIT, SIGHUP\n"
		"                      or a real-time signal's number; none by default)\n"
		"  -h, --help          this text\n"
		"  --version           ksync's version\n"
		"\n"
		"PROGRAM's exit status is passed through.  See docs/ksync-lockdep.md.\n");
}

static void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("ksync-lockdep: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static bool valid_kinds(const char *list)
{
	char *copy = strdup(list), *save = NULL;
	bool ok = copy && *copy;

	for (char *k = strtok_r(copy, ",", &save); k && ok; k = strtok_r(NULL, ",", &save))
		ok = !strcmp(k, "mutex") || !strcmp(k, "rwlock") || !strcmp(k, "spin") ||
		     !strcmp(k, "cond");
	free(copy);
	return ok;
}

/* Whole seconds, 0 to a day, as the library accepts KSYNC_HUNG_TASK_SECS. */
static bool valid_secs(const char *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	return *v && !*end && !errno && n >= 0 && n <= 86400;
}

static int parse(int argc, char **argv, struct options *o)
{
	enum { O_LOG = 256, O_STAT, O_STAT_FILE, O_GRAPH, O_REPLACE, O_NO_VALIDATE,
	       O_CLASS, O_CLASS_DEPTH, O_KEEP_GOING, O_HUNG_TASK_SECS, O_SHOW_LOCKS_SIGNAL,
	       O_VERSION };
	static const struct option longopts[] = {
		{ "log", required_argument, NULL, O_LOG },
		{ "stat", no_argument, NULL, O_STAT },
		{ "stat-file", required_argument, NULL, O_STAT_FILE },
		{ "graph", required_argument, NULL, O_GRAPH },
		{ "replace", optional_argument, NULL, O_REPLACE },
		{ "no-validate", no_argument, NULL, O_NO_VALIDATE },
		{ "class", required_argument, NULL, O_CLASS },
		{ "class-depth", required_argument, NULL, O_CLASS_DEPTH },
		{ "keep-going", no_argument, NULL, O_KEEP_GOING },
		{ "hung-task-secs", required_argument, NULL, O_HUNG_TASK_SECS },
		{ "show-locks-signal", required_argument, NULL, O_SHOW_LOCKS_SIGNAL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	/* "+": options end at PROGRAM, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case O_LOG: o->log = optarg; break;
		case O_STAT: o->stat = true; break;
		case O_STAT_FILE: o->stat = true; o->stat_file = optarg; break;
		case O_GRAPH: o->graph = optarg; break;
		case O_REPLACE: o->replace = true; o->replace_kinds = optarg; break;
		case O_NO_VALIDATE: o->no_validate = true; break;
		case O_CLASS: o->class = optarg; break;
		case O_CLASS_DEPTH: o->class_depth = optarg; break;
		case O_KEEP_GOING: o->keep_going = true; break;
		case O_HUNG_TASK_SECS: o->hung_task_secs = optarg; break;
		case O_SHOW_LOCKS_SIGNAL: o->show_locks_signal = optarg; break;
		case 'h': usage(stdout); exit(0);
		case O_VERSION: printf("ksync-lockdep (ksync) %s\n", KSYNC_VERSION); exit(0);
		case ':':
			fprintf(stderr, "ksync-lockdep: option '%s' needs a value\n", argv[optind - 1]);
			usage(stderr);
			exit(EXIT_USAGE);
		default:
			fprintf(stderr, "ksync-lockdep: unknown option '%s'\n", argv[optind - 1]);
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (o->replace_kinds && !valid_kinds(o->replace_kinds))
		die(EXIT_USAGE, "--replace=KINDS takes mutex, rwlock, spin and cond, "
		    "separated by commas, not '%s'", o->replace_kinds);
	if (o->class && strcmp(o->class, "site") && strcmp(o->class, "instance"))
		die(EXIT_USAGE, "--class must be 'site' or 'instance', not '%s'", o->class);
	if (o->class_depth && (strlen(o->class_depth) != 1 || o->class_depth[0] < '1' ||
			       o->class_depth[0] > '4'))
		die(EXIT_USAGE, "--class-depth must be 1 to 4, not '%s'", o->class_depth);
	if (o->hung_task_secs && !valid_secs(o->hung_task_secs))
		die(EXIT_USAGE, "--hung-task-secs takes whole seconds from 0 (off) to 86400, "
		    "not '%s'", o->hung_task_secs);
	if (o->no_validate && o->graph)
		die(EXIT_USAGE, "--graph needs validation: it is lockdep's graph");
	if (optind >= argc) {
		fprintf(stderr, "ksync-lockdep: no program to run\n");
		usage(stderr);
		exit(EXIT_USAGE);
	}
	return optind;
}

/* PROGRAM as execv() will run it: a path, or the first match in PATH. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *found = NULL;
	char buf[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, F_OK) == 0 ? strdup(name) : NULL;
	dirs = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/%s", *dir ? dir : ".", name);
		if (access(buf, X_OK) == 0)
			found = strdup(buf);
	}
	free(dirs);
	return found;
}

/*
 * An ELF executable with no PT_INTERP has no dynamic linker, so nothing
 * will ever read LD_PRELOAD.  Scripts and the like go through.
 */
static bool statically_linked(const char *path)
{
	Elf64_Ehdr eh;
	bool dynamic = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return false;
	}
	for (unsigned int i = 0; i < eh.e_phnum && !dynamic; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			break;
		dynamic = ph.p_type == PT_INTERP;
	}
	close(fd);
	return !dynamic;
}

static void check_program(const char *name, const char *path)
{
	struct stat st;

	if (!path)
		die(EXIT_NOT_FOUND, "%s: command not found", name);
	if (stat(path, &st) != 0)
		die(EXIT_NOT_FOUND, "%s: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die(EXIT_CANNOT_RUN, "%s: is a directory", name);
	if (access(path, X_OK) != 0)
		die(EXIT_CANNOT_RUN, "%s: %s", name, strerror(errno));
	if (st.st_mode & (S_ISUID | S_ISGID))
		die(EXIT_CANNOT_RUN, "%s is set-user-ID or set-group-ID: the dynamic linker "
		    "ignores LD_PRELOAD for it, so its locks cannot be seen", name);
	if (statically_linked(path))
		die(EXIT_CANNOT_RUN, "%s is statically linked: it carries its own C library "
		    "and no dynamic linker, so LD_PRELOAD cannot reach its pthread calls; "
		    "link it dynamically (or against libksync) to validate it", name);
}

/* Beside us (the build tree), or in the library directory (installed). */
static char *find_preload(void)
{
	const char *env = getenv("KSYNC_PRELOAD_LIB");
	char self[PATH_MAX], buf[PATH_MAX + 64];
	ssize_t n;

	if (env && *env)
		return access(env, R_OK) == 0 ? realpath(env, NULL) : NULL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	dirname(self);
	snprintf(buf, sizeof(buf), "%s/%s", self, PRELOAD_NAME);
	if (access(buf, R_OK) == 0)
		return realpath(buf, NULL);
	snprintf(buf, sizeof(buf), "%s/%s/%s", self, KSYNC_BIN_TO_LIB, PRELOAD_NAME);
	if (access(buf, R_OK) == 0)
		return realpath(buf, NULL);
	return NULL;
}

static void set(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		die(EXIT_CANNOT_RUN, "cannot set %s: %s", name, strerror(errno));
}

/* Ours first, then whatever the user preloads already. */
static void set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;

	if (old && *old) {
		if (asprintf(&v, "%s:%s", lib, old) < 0)
			die(EXIT_CANNOT_RUN, "out of memory");
		set("LD_PRELOAD", v);
		free(v);
	} else {
		set("LD_PRELOAD", lib);
	}
}

/* Reports of this run only: the library appends, so start the file empty. */
static void start_file(const char *path, const char *what)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die(EXIT_USAGE, "cannot write the %s to %s: %s", what, path, strerror(errno));
	close(fd);
}

static void set_environment(const struct options *o, const char *lib)
{
	char pid[32];

	/* Only what we are asked for: no switch inherited from our caller. */
	unsetenv("KSYNC_LOCKDEP");
	unsetenv("KSYNC_LOCK_STAT");
	unsetenv("KSYNC_LOCKDEP_DOT");
	unsetenv("KSYNC_LOCK_STAT_FILE");
	set_preload(lib);
	if (!o->no_validate)
		set("KSYNC_LOCKDEP", "1");
	if (o->replace)
		set("KSYNC_PRELOAD_REPLACE", o->replace_kinds ? o->replace_kinds : "1");
	if (o->class)
		set("KSYNC_PRELOAD_CLASS", o->class);
	if (o->class_depth)
		set("KSYNC_PRELOAD_CLASS_DEPTH", o->class_depth);
	if (o->keep_going)
		set("KSYNC_KEEP_GOING", "1");
	/* The hung-task detector: on at the kernel's 120 s unless told. */
	if (o->hung_task_secs)
		set("KSYNC_HUNG_TASK_SECS", o->hung_task_secs);
	else if (!getenv("KSYNC_HUNG_TASK_SECS"))
		set("KSYNC_HUNG_TASK_SECS", "120");
	if (o->show_locks_signal)
		set("KSYNC_SHOW_LOCKS_SIGNAL", o->show_locks_signal);
	if (o->log) {
		start_file(o->log, "reports");
		set("KSYNC_LOG", o->log);
	}
	if (o->stat)
		set("KSYNC_LOCK_STAT", "1");
	if (o->stat_file) {
		start_file(o->stat_file, "lock statistics");
		set("KSYNC_LOCK_STAT_FILE", o->stat_file);
	}
	if (o->graph) {
		start_file(o->graph, "graph");
		set("KSYNC_LOCKDEP_DOT", o->graph);
	}
	/*
	 * The program keeps our pid through exec: it writes FILE, every other
	 * process it starts FILE.PID.
	 */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	set("KSYNC_OUTPUT_PID", pid);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	int first = parse(argc, argv, &o);
	char *path = find_program(argv[first]);
	char *lib;

	check_program(argv[first], path);
	lib = find_preload();
	if (!lib)
		die(EXIT_NO_PRELOAD, "cannot find %s (set KSYNC_PRELOAD_LIB to its path)",
		    PRELOAD_NAME);
	set_environment(&o, lib);
	execv(path, argv + first);
	die(EXIT_CANNOT_RUN, "%s: %s", argv[first], strerror(errno));
}
