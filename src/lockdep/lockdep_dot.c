// SPDX-License-Identifier: MIT
/*
 * The dependency graph as Graphviz DOT: one node per lock class, one edge
 * per dependency "held -> taken", so a program's lock order can be looked
 * at (dot -Tsvg graph.dot > graph.svg).
 *
 * Nodes carry the class name and its usage string ({+.+.} as in reports);
 * classes used in hardirq context are red, in softirq context orange.
 * Edges are labelled with the place the later lock was taken and, when
 * reads are involved, the dependency kinds (EN, ER, SN, SR).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

/* A DOT string body: quotes and backslashes escaped. */
static void put_escaped(int fd, const char *s)
{
	char buf[512];
	size_t n = 0;

	for (; *s && n < sizeof(buf) - 2; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	dprintf(fd, "%s", buf);
}

static char usage_char(unsigned int usage, enum lock_usage_bit bit)
{
	if (usage & LOCKF(bit + LOCK_USAGE_DIR_MASK))
		return usage & LOCKF(bit) ? '?' : '+';
	return usage & LOCKF(bit) ? '-' : '.';
}

static void put_node(int fd, unsigned int idx)
{
	const struct lock_class *class = &lock_classes[idx];
	unsigned int usage = class_usage(class);
	char name[160];
	const char *color = "black";

	if (usage & (LOCKF(LOCK_USED_IN_HARDIRQ) | LOCKF(LOCK_USED_IN_HARDIRQ_READ)))
		color = "red";
	else if (usage & (LOCKF(LOCK_USED_IN_SOFTIRQ) | LOCKF(LOCK_USED_IN_SOFTIRQ_READ)))
		color = "orange";
	dprintf(fd, "\tc%u [label=\"", idx);
	put_escaped(fd, lockdep_class_name(class, name, sizeof(name)));
	dprintf(fd, "\\n{%c%c%c%c}\", color=%s];\n",
		usage_char(usage, LOCK_USED_IN_HARDIRQ),
		usage_char(usage, LOCK_USED_IN_HARDIRQ_READ),
		usage_char(usage, LOCK_USED_IN_SOFTIRQ),
		usage_char(usage, LOCK_USED_IN_SOFTIRQ_READ), color);
}

static void put_edge(int fd, unsigned int from, const struct lock_list *e)
{
	static const char *const kinds[4] = { "SR", "ER", "SN", "EN" };
	char where[256];
	int first = 1;

	dprintf(fd, "\tc%u -> c%u [label=\"", from, (unsigned int)(e->class - lock_classes));
	if (e->dep != DEP_EN_MASK) {
		for (int k = 3; k >= 0; k--) {
			if (!(e->dep & (1u << k)))
				continue;
			dprintf(fd, "%s%s", first ? "" : "|", kinds[k]);
			first = 0;
		}
		dprintf(fd, " ");
	}
	put_escaped(fd, ksync_site_str(e->next_at.site, e->next_at.ip, where, sizeof(where)));
	dprintf(fd, "\"%s];\n", e->distance > 1 ? ", style=dashed" : "");
}

KSYNC_API int ksync_lockdep_write_dot(int fd)
{
	unsigned int n;

	if (fd < 0)
		return -EBADF;
	/*
	 * Naming classes and places symbolises, which allocates; an allocator
	 * whose locks ksync-lockdep validates or replaces would come back
	 * into lockdep, which must not take the graph lock held here.
	 */
	ksync_lockdep_off();
	graph_lock();
	n = nr_lock_classes;
	dprintf(fd, "digraph lockdep {\n");
	dprintf(fd, "\tnode [shape=box, fontname=\"monospace\"];\n");
	dprintf(fd, "\tedge [fontname=\"monospace\", fontsize=10];\n");
	for (unsigned int i = 1; i <= n; i++)
		if (class_usage(&lock_classes[i]))
			put_node(fd, i);
	for (unsigned int i = 1; i <= n; i++)
		for (const struct lock_list *e = lock_classes[i].after; e; e = e->next)
			put_edge(fd, i, e);
	dprintf(fd, "}\n");
	graph_unlock();
	ksync_lockdep_on();
	return 0;
}

void lockdep_dot_at_exit(void)
{
	const char *path = getenv("KSYNC_LOCKDEP_DOT");
	char name[4096];
	int fd;

	if (!path || !*path || !lockdep_output_path(path, name, sizeof(name)))
		return;
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		ksync_env_warn("KSYNC_LOCKDEP_DOT=%s: cannot open %s for writing (%s); "
			       "no graph written\n", path, strcmp(name, path) ? name : "it",
			       strerror(errno));
		return;
	}
	ksync_lockdep_write_dot(fd);
	close(fd);
}
