// SPDX-License-Identifier: MIT
/*
 * Facts about the machine and the library, for the report's header: a
 * table means little without the machine it was measured on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ksync/lock_events.h>

#include "bench.h"

/* CPUs this process may run on, as nproc(1) counts them. */
unsigned int bench_nproc(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return (unsigned int)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* The value of the first "key : value" line of /proc/cpuinfo with @key. */
static bool cpuinfo_field(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || strncmp(line, key, strlen(key)))
			continue;
		snprintf(buf, len, "%s", colon + 1 + (colon[1] == ' '));
		trim(buf);
		found = true;
	}
	fclose(f);
	return found;
}

void bench_cpu_model(char *buf, size_t len)
{
	struct utsname u;

	if (cpuinfo_field("model name", buf, len) ||
	    cpuinfo_field("Model", buf, len))
		return;
	if (uname(&u) == 0)
		snprintf(buf, len, "unknown %s", u.machine);
	else
		snprintf(buf, len, "unknown");
}

/*
 * The version of the libksync this process loaded, read off the shared
 * object's real file name (libksync.so.X.Y.Z): the library exports no
 * version call, and it is the loaded one that was measured.  It asks about
 * a function: an exported variable may have been copied into the program.
 */
void bench_ksync_version(char *buf, size_t len)
{
	char path[PATH_MAX];
	const char *so;
	Dl_info info;

	snprintf(buf, len, "unknown (static build)");
	if (!dladdr((const void *)(uintptr_t)ksync_lockevent_name, &info) ||
	    !info.dli_fname)
		return;
	if (!realpath(info.dli_fname, path))
		return;
	so = strstr(path, ".so.");
	if (so)
		snprintf(buf, len, "%s (%s)", so + 4, path);
	else
		snprintf(buf, len, "unknown (%s)", path);
}
