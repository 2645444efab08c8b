// SPDX-License-Identifier: MIT
/*
 * The printk of ksync: an allocation-free formatter, serialised report
 * output, thread names, and the kernel-style stack dump.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <ksync/debug_locks.h>
#include <ksync/smp.h>
#include "cpu.h"
#include "layer_hooks.h"
#include "report.h"
#include "version.h"

int ksync_report_fd = 2;

/* --- formatting ------------------------------------------------------------ */

struct fmt_out {
	char *buf;
	size_t size;
	size_t len;	/* would-be length, may exceed size */
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_str(struct fmt_out *o, const char *s, int width, int prec, int left)
{
	int n = 0;

	if (!s)
		s = "(null)";
	while (s[n] && (prec < 0 || n < prec))
		n++;
	if (!left)
		out_pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		out_char(o, s[i]);
	if (left)
		out_pad(o, ' ', width - n);
}

static void out_num(struct fmt_out *o, unsigned long long v, int neg, int base,
		    int upper, int width, int zero, int left)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, pad;

	do {
		tmp[n++] = digits[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v);
	pad = width - n - neg;
	if (!left && !zero)
		out_pad(o, ' ', pad);
	if (neg)
		out_char(o, '-');
	if (!left && zero)
		out_pad(o, '0', pad);
	while (n)
		out_char(o, tmp[--n]);
	if (left)
		out_pad(o, ' ', pad);
}

/*
 * Supports %[-][0][width|*][.prec|.*][hh|h|l|ll|z] with d i u x X p s c %,
 * which is all a report needs; no locale, no allocation, signal-safe.
 */
int ksync_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
		unsigned long long u;
		long long s;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z')
				lng = 1;
			else if (*fmt != 'h')
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			s = lng >= 2 ? va_arg(ap, long long) :
			    lng ? va_arg(ap, long) : va_arg(ap, int);
			u = s < 0 ? 0ull - (unsigned long long)s : (unsigned long long)s;
			out_num(&o, u, s < 0, 10, 0, width, zero, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng >= 2 ? va_arg(ap, unsigned long long) :
			    lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			out_num(&o, u, 0, *fmt == 'u' ? 10 : 16, *fmt == 'X',
				width, zero, left);
			break;
		case 'p':
			out_str(&o, "0x", 0, -1, 0);
			out_num(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0,
				width, zero, left);
			break;
		case 's':
			out_str(&o, va_arg(ap, const char *), width, prec, left);
			break;
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case '%':
			out_char(&o, '%');
			break;
		default:
			out_char(&o, '%');
			if (*fmt)
				out_char(&o, *fmt);
			else
				fmt--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksync_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = ksync_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void vprint_to(int fd, const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];
	int n = ksync_vsnprintf(line, sizeof(line), fmt, ap);

	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	if (prefix)
		write_all(fd, prefix, strlen(prefix));
	write_all(fd, line, (size_t)n);
}

void ksync_printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_to(ksync_report_fd, NULL, fmt, ap);
	va_end(ap);
}

/* --- serialising reports ----------------------------------------------------- */

static pid_t report_owner;
static int report_nesting;

void ksync_report_lock(void)
{
	pid_t me = ksync_gettid(), free_ = 0;

	if (__atomic_load_n(&report_owner, __ATOMIC_RELAXED) == me) {
		report_nesting++;
		return;
	}
	/* Acquire: see the previous reporter's output ordering. */
	while (!__atomic_compare_exchange_n(&report_owner, &free_, me, 0,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		free_ = 0;
		sched_yield();
	}
	report_nesting = 1;
}

void ksync_report_unlock(void)
{
	if (--report_nesting == 0)
		__atomic_store_n(&report_owner, 0, __ATOMIC_RELEASE);
}

/*
 * fork(): held across it, so that the child does not inherit a report
 * half written by a thread it does not have.  Taken after the locks of
 * the layers above (their prepare hooks run first), which report while
 * holding theirs.
 */
KSYNC_HOOKS(report_hooks) = {
	.layer = KSYNC_LAYER_BASE,
	.fork_prepare = ksync_report_lock,
	.fork_parent = ksync_report_unlock,
	.fork_child = ksync_report_unlock,
};

/* --- who we are -------------------------------------------------------------- */

pid_t ksync_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

const char *ksync_comm(char buf[KSYNC_COMM_LEN])
{
	buf[0] = '\0';
	if (prctl(PR_GET_NAME, buf, 0, 0, 0) != 0)
		strcpy(buf, "?");
	buf[KSYNC_COMM_LEN - 1] = '\0';
	return buf;
}

const char *ksync_comm_of(pid_t tid, char buf[KSYNC_COMM_LEN])
{
	char path[64];
	ssize_t n;
	int fd;

	ksync_snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		strcpy(buf, "?");
		return buf;
	}
	n = read(fd, buf, KSYNC_COMM_LEN - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	if (!buf[0])
		strcpy(buf, "?");
	return buf;
}

const char *ksync_site_str(const struct ksync_site *site, uintptr_t ip,
			   char *buf, size_t len)
{
	if (site) {
		const char *file = strrchr(site->file, '/');

		ksync_snprintf(buf, len, "%s:%d", file ? file + 1 : site->file,
			       site->line);
	} else if (ip) {
		ksync_symbolize_return(ip, buf, len);
	} else {
		ksync_snprintf(buf, len, "?");
	}
	return buf;
}

void ksync_print_rule(char c, const char *s)
{
	char line[256];
	size_t n = strlen(s);

	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	memset(line, c, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	ksync_printk("%s", line);
}

void ksync_report_header(const char *title)
{
	ksync_printk("\n");
	ksync_print_rule('=', title);
	ksync_printk("%s\n", title);
	ksync_printk("%s\n", KSYNC_IDENT_LINE);
	ksync_print_rule('-', title);
}

/* --- stacks ------------------------------------------------------------------ */

void ksync_print_backtrace(int skip)
{
	void *frames[64];
	char sym[512];
	int n = backtrace(frames, ARRAY_SIZE(frames));
	int i = 1 + skip;	/* frame 0 is this function itself */

	/* Start at the caller's code, not inside ksync's reporting. */
	while (i < n - 1 && ksync_code_is_ours((uintptr_t)frames[i]))
		i++;
	ksync_printk("Call Trace:\n <TASK>\n");
	for (; i < n; i++) {
		/* Return addresses point after the call; name the call. */
		ksync_symbolize_return((uintptr_t)frames[i], sym, sizeof(sym));
		ksync_printk(" %s\n", sym);
	}
	ksync_printk(" </TASK>\n");
}

void ksync_dump_stack(void)
{
	char comm[KSYNC_COMM_LEN];

	ksync_printk("CPU: %d PID: %d Comm: %s %s\n", raw_smp_processor_id(),
		     (int)ksync_gettid(), ksync_comm(comm), KSYNC_TAINT_LINE);
	ksync_print_backtrace(1);
}

/* Sites already warned about (WARN_ONCE); a small lock-free set. */
#define WARNED_SITES	256
static const struct ksync_site *warned[WARNED_SITES];

static int first_warning_at(const struct ksync_site *site)
{
	uintptr_t h = ((uintptr_t)site >> 4) * 0x9e3779b97f4a7c15ull;

	for (unsigned int i = 0; i < WARNED_SITES; i++) {
		const struct ksync_site **slot = &warned[(h + i) % WARNED_SITES];
		const struct ksync_site *seen = NULL;

		if (__atomic_compare_exchange_n(slot, &seen, site, 0,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return 1;	/* claimed an empty slot: first time */
		if (seen == site)
			return 0;
	}
	return 1;		/* table full: warn again rather than never */
}

static void warn_body(const struct ksync_site *site);

void ksync_vwarn(const struct ksync_site *site, const char *fmt, va_list ap)
{
	ksync_report_lock();
	ksync_printk("------------[ cut here ]------------\n");
	if (fmt)
		vprint_to(ksync_report_fd, NULL, fmt, ap);
	warn_body(site);
	ksync_report_unlock();
}

void ksync_warn_once(const struct ksync_site *site, const char *fmt, ...)
{
	va_list ap;

	if (site && !first_warning_at(site))
		return;
	va_start(ap, fmt);
	ksync_vwarn(site, fmt, ap);
	va_end(ap);
}

static void warn_body(const struct ksync_site *site)
{
	uintptr_t caller = __atomic_load_n(&ksync_tls.caller_ip, __ATOMIC_RELAXED);
	char comm[KSYNC_COMM_LEN], where[256], func[128];

	if (!site && caller)	/* a call without a site: its caller's place */
		ksync_printk("WARNING: CPU: %d PID: %d at %s %s\n", raw_smp_processor_id(),
			     (int)ksync_gettid(),
			     ksync_symbolize_return_line(caller, where, sizeof(where)),
			     ksync_symbolize_return_func(caller, func, sizeof(func)));
	else
		ksync_printk("WARNING: CPU: %d PID: %d at %s %s\n", raw_smp_processor_id(),
			     (int)ksync_gettid(), ksync_site_str(site, 0, where, sizeof(where)),
			     site && site->func ? site->func : "?");
	ksync_printk("Comm: %s %s\n", ksync_comm(comm), KSYNC_TAINT_LINE);
	ksync_print_backtrace(2);
	ksync_printk("---[ end trace 0000000000000000 ]---\n");
}

void ksync_debug_locks_warn(const struct ksync_site *site, const char *cond,
			    const char *fmt, ...)
{
	va_list ap;

	if (!ksync_debug_locks_off())
		return;
	ksync_report_lock();
	ksync_printk("------------[ cut here ]------------\n");
	ksync_printk("DEBUG_LOCKS_WARN_ON(%s)\n", cond);
	va_start(ap, fmt);
	vprint_to(ksync_report_fd, NULL, fmt, ap);
	va_end(ap);
	warn_body(site);
	ksync_report_unlock();
}

void ksync_env_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_to(2, "ksync: ", fmt, ap);
	va_end(ap);
}

void ksync_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_to(2, "ksync: ", fmt, ap);
	va_end(ap);
	abort();
}

struct ksync_cpu *ksync_task_or_null(const void *p)
{
	/* CPU blocks are 64-byte aligned; most garbage is not. */
	if (!p || ((uintptr_t)p % __alignof__(struct ksync_cpu)))
		return NULL;
	/* Reports only: a walk over every CPU number is cheap enough. */
	for (int cpu = 0; cpu < KSYNC_NR_CPUS; cpu++)
		if (ksync_cpu_peek(cpu) == p)
			return (struct ksync_cpu *)p;
	return NULL;
}

void ksync_stop_on_garbage_lock(const char *type, const char *name,
				const void *lock, unsigned long magic)
{
	/*
	 * Callers take the report lock before their report on the garbage
	 * lock and keep it to here: a second thread that finds the same lock
	 * (and debug_locks already off) waits in the report lock instead of
	 * aborting the process before the first one's report is out.  Never
	 * released: we abort.
	 */
	ksync_report_lock();
	ksync_fatal("%s %s at %p is not a %s: its magic (0x%lx) is neither an "
		    "initialised %s's nor 0; freed, overwritten or uninitialised "
		    "memory? Stopping rather than use it\n", type, name, lock,
		    type, magic, type);
}

/* For lock_print_fn callbacks outside libksync: the report stream. */
KSYNC_API void ksync_report_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_to(ksync_report_fd, NULL, fmt, ap);
	va_end(ap);
}
