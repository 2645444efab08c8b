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
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ksync/preempt.h>
#include "layer_hooks.h"
#include "report.h"
#include "rust_demangle.h"
#include "try_lock.h"

/* The few libdw entry points we use, declared from the libdw.so.1 ABI. */
typedef struct Dwfl Dwfl;
typedef struct Dwfl_Module Dwfl_Module;
typedef struct Dwfl_Line Dwfl_Line;
/* libdw.h's Dwarf_Die and Dwarf_Attribute, as laid out in libdw.so.1. */
typedef struct Dwarf_Die {
	void *addr, *cu, *abbrev;
	long padding__;
} Dwarf_Die;
typedef struct {
	unsigned int code, form;
	void *valp, *cu;
} Dwarf_Attribute;
typedef struct Dwarf_Files Dwarf_Files;
typedef struct Dwarf_Line Dwarf_Line;
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
	/* For modules without .debug_aranges (see cu_line()); may be NULL. */
	Dwarf_Die *(*nextcu)(Dwfl_Module *, Dwarf_Die *, uint64_t *);
	int (*haspc)(Dwarf_Die *, uint64_t);
	Dwarf_Line *(*getsrc_die)(Dwarf_Die *, uint64_t);
	const char *(*linesrc)(Dwarf_Line *, uint64_t *, uint64_t *);
	int (*lineno)(Dwarf_Line *, int *);
	/* For the call sites of inlined functions (inline_caller()); may be NULL. */
	Dwarf_Die *(*addrdie)(Dwfl_Module *, uint64_t, uint64_t *);
	int (*getscopes)(Dwarf_Die *, uint64_t, Dwarf_Die **);
	int (*getscopes_die)(Dwarf_Die *, Dwarf_Die **);
	int (*tag)(Dwarf_Die *);
	Dwarf_Attribute *(*attr)(Dwarf_Die *, unsigned int, Dwarf_Attribute *);
	int (*formudata)(Dwarf_Attribute *, uint64_t *);
	int (*getsrcfiles)(Dwarf_Die *, Dwarf_Files **, size_t *);
	const char *(*filesrc)(Dwarf_Files *, size_t, uint64_t *, uint64_t *);
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

/*
 * Not RTLD_DEEPBIND: that would bind libdw's malloc() and free() to the C
 * library's while the program's allocator (jemalloc, tcmalloc) made the
 * memory libdw frees (getline() inside libc), and crash.  libdw's pthread
 * calls do reach a preloaded interposer such as ksync-lockdep's, which
 * knows them for ksync's own by ksync_tls.in_ksync, set around every call
 * into libdw (see lookup()).
 */
#define DW_DLOPEN_FLAGS	(RTLD_NOW | RTLD_LOCAL)

static int dw_load(void)
{
	void *h = dlopen("libdw.so.1", DW_DLOPEN_FLAGS);

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
	*(void **)&dw.nextcu = dlsym(h, "dwfl_module_nextcu");
	*(void **)&dw.haspc = dlsym(h, "dwarf_haspc");
	*(void **)&dw.getsrc_die = dlsym(h, "dwarf_getsrc_die");
	*(void **)&dw.linesrc = dlsym(h, "dwarf_linesrc");
	*(void **)&dw.lineno = dlsym(h, "dwarf_lineno");
	*(void **)&dw.addrdie = dlsym(h, "dwfl_module_addrdie");
	*(void **)&dw.getscopes = dlsym(h, "dwarf_getscopes");
	*(void **)&dw.getscopes_die = dlsym(h, "dwarf_getscopes_die");
	*(void **)&dw.tag = dlsym(h, "dwarf_tag");
	*(void **)&dw.attr = dlsym(h, "dwarf_attr");
	*(void **)&dw.formudata = dlsym(h, "dwarf_formudata");
	*(void **)&dw.getsrcfiles = dlsym(h, "dwarf_getsrcfiles");
	*(void **)&dw.filesrc = dlsym(h, "dwarf_filesrc");
	dw.callbacks.find_elf = dlsym(h, "dwfl_linux_proc_find_elf");
	dw.callbacks.find_debuginfo = dlsym(h, "dwfl_standard_find_debuginfo");
	if (!dw.callbacks.find_elf || !dw.callbacks.find_debuginfo)
		return -1;
	dw.dwfl = dw.begin(&dw.callbacks);
	if (!dw.dwfl || dw_report_modules() != 0)
		return -1;
	return 0;
}

/*
 * Readable names: Rust's (rust_demangle.c), and C++ names with libstdc++'s
 * demangler, if the program has it loaded (a C++ program does); NULL when
 * it cannot help.
 */
static char *demangle(const char *name)
{
	static char *(*cxa_demangle)(const char *, char *, size_t *, int *);
	static int looked;
	int status = -1;
	char *out;

	if (name[0] != '_' || (name[1] != 'Z' && name[1] != 'R'))
		return NULL;
	out = ksync_rust_demangle(name);
	if (out || name[1] == 'R')
		return out;
	if (!looked) {
		*(void **)&cxa_demangle = dlsym(RTLD_DEFAULT, "__cxa_demangle");
		looked = 1;
	}
	if (!cxa_demangle)
		return NULL;
	out = cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Only tried (try_lock.h): no lockdep, no pthread call to interpose. */
static int dw_lock;

/* What is known about a code (or data) address. */
struct place {
	char func[256];		/* symbol, demangled; "" if none */
	uint64_t off, size;	/* into the symbol */
	char module[128];	/* the object's file name, without directories */
	uint64_t modoff;	/* into the object */
	char file[128];		/* source file, without directories; "" if none */
	int line;
};

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

static void copy_name(char *dst, size_t len, const char *src)
{
	ksync_snprintf(dst, len, "%s", src);
}

/*
 * The line of addr found by walking the module's compile units: the
 * libdw of Debian 12 (0.188) finds a CU only through .debug_aranges,
 * which clang does not emit unless asked (-gdwarf-aranges).  Only
 * reports come here.
 */
static const char *cu_line(Dwfl_Module *mod, uint64_t addr, int *lineno)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Line *line;
	uint64_t bias;

	if (!dw.nextcu || !dw.haspc || !dw.getsrc_die || !dw.linesrc || !dw.lineno)
		return NULL;
	while ((cu = dw.nextcu(mod, cu, &bias)) != NULL) {
		if (dw.haspc(cu, addr - bias) <= 0)
			continue;
		line = dw.getsrc_die(cu, addr - bias);
		if (line && dw.lineno(line, lineno) == 0)
			return dw.linesrc(line, NULL, NULL);
		return NULL;
	}
	return NULL;
}

/* A public header of ksync's: .../ksync/NAME.h. */
static bool ksync_header(const char *path)
{
	size_t n = strlen(path);
	const char *slash = strrchr(path, '/');

	return n > 2 && !strcmp(path + n - 2, ".h") && slash && slash - path >= 6 &&
	       !strncmp(slash - 6, "/ksync", 6);
}

#define DW_TAG_inlined_subroutine	0x1d
#define DW_AT_call_file			0x58
#define DW_AT_call_line			0x59

/*
 * addr is in code inlined from a ksync header (up(), a lock's inline fast
 * path): the place in the program that called it, found through the
 * inlined-subroutine scopes around addr, innermost first, each giving the
 * file and line it was called from.  The first call site outside ksync's
 * headers wins.  False if libdw cannot say.
 */
static bool inline_caller(Dwfl_Module *mod, uint64_t addr, const char **file,
			  int *line)
{
	Dwarf_Die *cu, *scopes = NULL, *chain = NULL;
	Dwarf_Files *files;
	uint64_t bias, fileno, lineno;
	size_t nfiles;
	bool found = false;
	int n;

	if (!dw.addrdie || !dw.getscopes || !dw.getscopes_die || !dw.tag || !dw.attr ||
	    !dw.formudata || !dw.getsrcfiles || !dw.filesrc)
		return false;
	cu = dw.addrdie(mod, addr, &bias);
	if (!cu || dw.getsrcfiles(cu, &files, &nfiles) != 0)
		return false;
	/*
	 * The innermost scope at addr, then (dwarf_getscopes_die) the chain
	 * of DIEs that contain it in the concrete tree: inlined instances
	 * nested in the function they were inlined into.
	 */
	if (dw.getscopes(cu, addr - bias, &scopes) < 1)
		goto out;
	n = dw.getscopes_die(&scopes[0], &chain);
	for (int i = 0; i < n && !found; i++) {
		Dwarf_Attribute a;
		const char *f;

		if (dw.tag(&chain[i]) != DW_TAG_inlined_subroutine ||
		    !dw.attr(&chain[i], DW_AT_call_file, &a) || dw.formudata(&a, &fileno) ||
		    !dw.attr(&chain[i], DW_AT_call_line, &a) || dw.formudata(&a, &lineno) ||
		    fileno >= nfiles || !(f = dw.filesrc(files, fileno, NULL, NULL)))
			continue;
		if (!ksync_header(f)) {
			*file = f;
			*line = (int)lineno;
			found = true;
		}
	}
out:
	free(chain);
	free(scopes);
	return found;
}

static bool dw_lookup(uintptr_t addr, struct place *p)
{
	Dwfl_Module *mod;
	const char *name, *file, *modname;
	uint64_t a = addr, start = 0;
	Elf64_Sym sym;
	Dwfl_Line *line;

	mod = dw.addrmodule(dw.dwfl, addr);
	if (!mod && dw_report_modules() == 0)	/* dlopen()ed since? */
		mod = dw.addrmodule(dw.dwfl, addr);
	if (!mod)
		return false;
	memset(&sym, 0, sizeof(sym));
	name = dw.addrinfo(mod, addr, &p->off, &sym, NULL, NULL, NULL);
	if (name) {
		char *demangled = demangle(name);

		copy_name(p->func, sizeof(p->func), demangled ? demangled : name);
		free(demangled);
		p->size = sym.st_size;
	}
	modname = dw.module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	copy_name(p->module, sizeof(p->module), basename_of(modname));
	p->modoff = addr - start;
	line = dw.getsrc(mod, addr);
	file = line ? dw.lineinfo(line, &a, &p->line, NULL, NULL, NULL) :
		      cu_line(mod, addr, &p->line);
	if (file && ksync_header(file))
		inline_caller(mod, addr, &file, &p->line);
	if (file)
		copy_name(p->file, sizeof(p->file), basename_of(file));
	return true;
}

static bool dladdr_lookup(uintptr_t addr, struct place *p)
{
	Dl_info info;

	if (!dladdr((void *)addr, &info) || !info.dli_fname)
		return false;
	copy_name(p->module, sizeof(p->module), basename_of(info.dli_fname));
	p->modoff = addr - (uintptr_t)info.dli_fbase;
	if (info.dli_sname) {
		copy_name(p->func, sizeof(p->func), info.dli_sname);
		p->off = addr - (uintptr_t)info.dli_saddr;
	}
	return true;
}

/* A libdw lookup, run on the report stack (libdw needs a big one). */
struct dw_job {
	uintptr_t addr;
	struct place *p;
	bool found;
};

static void dw_job_run(void *arg)
{
	struct dw_job *job = arg;

	if (dw.state == 0)
		dw.state = dw_load() == 0 ? 1 : -1;
	if (dw.state == 1)
		job->found = dw_lookup(job->addr, job->p);
}

/*
 * libdw if it can (not in a signal handler: it allocates), on the report
 * stack (see report_stack.c); else dladdr().
 */
static bool lookup(uintptr_t addr, struct place *p, bool *full)
{
	struct dw_job job = { addr, p, false };

	memset(p, 0, sizeof(*p));
	*full = false;
	if (!(preempt_count() & (HARDIRQ_MASK | NMI_MASK)) &&
	    ksync_try_lock(&dw_lock)) {
		/* libdw's own pthread locks are not the program's. */
		ksync_tls.in_ksync++;
		if (!ksync_call_on_report_stack(dw_job_run, &job))
			job.found = false;
		*full = job.found;
		ksync_tls.in_ksync--;
		ksync_try_unlock(&dw_lock);
	}
	return job.found || dladdr_lookup(addr, p);
}

static const char *format_place(const struct place *p, bool full, char *buf,
				size_t len)
{
	size_t n;

	if (!p->func[0])
		n = (size_t)ksync_snprintf(buf, len, "%s+0x%llx", p->module,
					   (unsigned long long)p->modoff);
	else if (full)
		n = (size_t)ksync_snprintf(buf, len, "%s+0x%llx/0x%llx", p->func,
					   (unsigned long long)p->off,
					   (unsigned long long)p->size);
	else
		n = (size_t)ksync_snprintf(buf, len, "%s+0x%llx [%s]", p->func,
					   (unsigned long long)p->off, p->module);
	if (p->file[0] && n < len)
		ksync_snprintf(buf + n, len - n, " (%s:%d)", p->file, p->line);
	return buf;
}

/* "func+0x1c/0x40 (file.c:42)", "func+0x1c [module]", "module+0x1234". */
const char *ksync_symbolize(uintptr_t addr, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (!lookup(addr, &p, &full)) {
		ksync_snprintf(buf, len, "[<%p>]", (void *)addr);
		return buf;
	}
	return format_place(&p, full, buf, len);
}

/*
 * A return address points after its call, often at the next line's code
 * (or past the end of the function, after a call that does not return):
 * name the call instruction, one byte back, as addr2line users do, but
 * show the return address's own offset, as the kernel's backtraces do.
 */
const char *ksync_symbolize_return(uintptr_t ret, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (ret == 0 || !lookup(ret - 1, &p, &full)) {
		ksync_snprintf(buf, len, "[<%p>]", (void *)ret);
		return buf;
	}
	p.off++;
	p.modoff++;
	return format_place(&p, full, buf, len);
}

/* "file.c:42" of the call before ret, else as ksync_symbolize_return(). */
const char *ksync_symbolize_return_line(uintptr_t ret, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (ret && lookup(ret - 1, &p, &full) && p.file[0]) {
		ksync_snprintf(buf, len, "%s:%d", p.file, p.line);
		return buf;
	}
	return ksync_symbolize_return(ret, buf, len);
}

/* The function that made the call before ret ("?" if unknown). */
const char *ksync_symbolize_return_func(uintptr_t ret, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (ret && lookup(ret - 1, &p, &full) && p.func[0])
		ksync_snprintf(buf, len, "%s", p.func);
	else
		ksync_snprintf(buf, len, "?");
	return buf;
}

/* "ns::Class::method(int)": without the parameter list. */
static void strip_params(char *s)
{
	char *open = strchr(s, '(');
	int depth = 0;
	char *p;

	if (!open)
		return;
	for (p = open; *p; p++) {
		depth += (*p == '(') - (*p == ')');
		if (!depth)
			break;
	}
	memmove(open, *p ? p + 1 : p, strlen(*p ? p + 1 : p) + 1);
}

/*
 * A short name for a place, for lock classes named after where a lock was
 * made: "file.c:42" when line information is there, else "func+0x1c" (a
 * data symbol: just "big_lock"), else "module+0x1234".
 */
KSYNC_API const char *ksync_lockdep_site_name(uintptr_t addr, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (!lookup(addr, &p, &full))
		ksync_snprintf(buf, len, "%p", (void *)addr);
	else if (p.file[0])
		ksync_snprintf(buf, len, "%s:%d", p.file, p.line);
	else if (p.func[0] && !p.off)
		ksync_snprintf(buf, len, "%s", p.func);
	else if (p.func[0])
		ksync_snprintf(buf, len, "%s+0x%llx", p.func, (unsigned long long)p.off);
	else
		ksync_snprintf(buf, len, "%s+0x%llx", p.module, (unsigned long long)p.modoff);
	strip_params(buf);
	return buf;
}

/*
 * The demangled name of the function that holds addr ("" if unknown), for
 * call-site records made at run time: the Rust crate names the function
 * that wrote a lock call from the call's return address.
 */
KSYNC_API const char *ksync_symbol_name(uintptr_t addr, char *buf, size_t len)
{
	struct place p;
	bool full;

	if (!len)
		return buf;
	buf[0] = '\0';
	if (lookup(addr, &p, &full) && p.func[0]) {
		ksync_snprintf(buf, len, "%s", p.func);
		strip_params(buf);
	}
	return buf;
}

/* fork(): libdw may have been in use by a thread the child does not have. */
static void symbolize_fork_child(void)
{
	ksync_try_unlock(&dw_lock);
}

KSYNC_HOOKS(symbolize_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.fork_child = symbolize_fork_child,
};
