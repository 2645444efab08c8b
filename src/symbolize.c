// SPDX-License-Identifier: MIT
/*
 * Turning code addresses into "func+0x1c/0x40 (file.c:42)".
 *
 * elfutils' libdw reads the symbol table and DWARF line information of
 * every loaded module, including static functions and file:line.  It is
 * loaded with dlopen() the first time a report needs it, so programs that
 * never report pay nothing and libksync does not depend on it; without it
 * (or inside a signal handler, where libdw's allocations are not safe)
 * dladdr() names exported symbols and modules.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <ksync/preempt.h>
#include "report.h"

/* The few libdw entry points we use, declared from the libdw.so.1 ABI. */
typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;
typedef struct Dwfl_Line Dwfl_Line;
typedef struct {
	void *find_elf;
	void *find_debuginfo;
	void *section_address;
	char **debuginfo_path;
} dwfl_callbacks_t;

static struct {
	Dwfl *(*begin)(const dwfl_callbacks_t *);
	void (*report_begin)(Dwfl *);
	int (*proc_report)(Dwfl *, pid_t);
	int (*report_end)(Dwfl *, void *, void *);
	Dwfl_Module *(*addrmodule)(Dwfl *, uint64_t);
	const char *(*addrinfo)(Dwfl_Module *, uint64_t, uint64_t *, Elf64_Sym *,
				uint32_t *, void **, uint64_t *);
	Dwfl_Line *(*getsrc)(Dwfl_Module *, uint64_t);
	const char *(*lineinfo)(Dwfl_Line *, uint64_t *, int *, int *,
				uint64_t *, uint64_t *);
	const char *(*module_info)(Dwfl_Module *, void ***, uint64_t *, uint64_t *,
				   uint64_t *, uint64_t *, const char **,
				   const char **);
	dwfl_callbacks_t callbacks;
	Dwfl *dwfl;
	int state;	/* 0 untried, 1 ready, -1 unavailable */
} dw;

static int dw_report_modules(void)
{
	dw.report_begin(dw.dwfl);
	if (dw.proc_report(dw.dwfl, getpid()) != 0)
		return -1;
	return dw.report_end(dw.dwfl, NULL, NULL);
}

#define DW_SYM(field, name)						\
	do {								\
		*(void **)&dw.field = dlsym(h, name);			\
		if (!dw.field)						\
			return -1;					\
	} while (0)

static int dw_load(void)
{
	void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return -1;
	DW_SYM(begin, "dwfl_begin");
	DW_SYM(report_begin, "dwfl_report_begin");
	DW_SYM(proc_report, "dwfl_linux_proc_report");
	DW_SYM(report_end, "dwfl_report_end");
	DW_SYM(addrmodule, "dwfl_addrmodule");
	DW_SYM(addrinfo, "dwfl_module_addrinfo");
	DW_SYM(getsrc, "dwfl_module_getsrc");
	DW_SYM(lineinfo, "dwfl_lineinfo");
	DW_SYM(module_info, "dwfl_module_info");
	dw.callbacks.find_elf = dlsym(h, "dwfl_linux_proc_find_elf");
	dw.callbacks.find_debuginfo = dlsym(h, "dwfl_standard_find_debuginfo");
	if (!dw.callbacks.find_elf || !dw.callbacks.find_debuginfo)
		return -1;
	dw.dwfl = dw.begin(&dw.callbacks);
	if (!dw.dwfl || dw_report_modules() != 0)
		return -1;
	return 0;
}

static pthread_mutex_t dw_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *dw_symbolize(uintptr_t addr, char *buf, size_t len)
{
	Dwfl_Module *mod;
	const char *name, *file = NULL, *modname = NULL;
	uint64_t off = 0, a = addr;
	Elf64_Sym sym;
	Dwfl_Line *line;
	int lineno = 0;
	size_t n;

	mod = dw.addrmodule(dw.dwfl, addr);
	if (!mod && dw_report_modules() == 0)	/* dlopen()ed since? */
		mod = dw.addrmodule(dw.dwfl, addr);
	if (!mod)
		return NULL;
	memset(&sym, 0, sizeof(sym));
	name = dw.addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	line = dw.getsrc(mod, addr);
	if (line)
		file = dw.lineinfo(line, &a, &lineno, NULL, NULL, NULL);
	if (name) {
		n = (size_t)ksync_snprintf(buf, len, "%s+0x%llx/0x%llx", name,
					   (unsigned long long)off,
					   (unsigned long long)sym.st_size);
	} else {
		uint64_t start = 0;

		modname = dw.module_info(mod, NULL, &start, NULL, NULL, NULL,
					 NULL, NULL);
		n = (size_t)ksync_snprintf(buf, len, "%s+0x%llx",
					   modname ? modname : "?",
					   (unsigned long long)(addr - start));
	}
	if (file && n < len) {
		const char *base = strrchr(file, '/');

		ksync_snprintf(buf + n, len - n, " (%s:%d)",
			       base ? base + 1 : file, lineno);
	}
	return buf;
}

static const char *dladdr_symbolize(uintptr_t addr, char *buf, size_t len)
{
	Dl_info info;

	if (dladdr((void *)addr, &info) && info.dli_fname) {
		const char *mod = strrchr(info.dli_fname, '/');

		mod = mod ? mod + 1 : info.dli_fname;
		if (info.dli_sname)
			ksync_snprintf(buf, len, "%s+0x%lx [%s]", info.dli_sname,
				       (unsigned long)(addr - (uintptr_t)info.dli_saddr),
				       mod);
		else
			ksync_snprintf(buf, len, "%s+0x%lx", mod,
				       (unsigned long)(addr - (uintptr_t)info.dli_fbase));
		return buf;
	}
	ksync_snprintf(buf, len, "[<%p>]", (void *)addr);
	return buf;
}

const char *ksync_symbolize(uintptr_t addr, char *buf, size_t len)
{
	const char *r = NULL;

	/* libdw allocates: not from a signal handler (interrupt or NMI). */
	if (!(preempt_count() & (HARDIRQ_MASK | NMI_MASK)) &&
	    pthread_mutex_trylock(&dw_lock) == 0) {
		if (dw.state == 0)
			dw.state = dw_load() == 0 ? 1 : -1;
		if (dw.state == 1)
			r = dw_symbolize(addr, buf, len);
		pthread_mutex_unlock(&dw_lock);
	}
	return r ? r : dladdr_symbolize(addr, buf, len);
}
