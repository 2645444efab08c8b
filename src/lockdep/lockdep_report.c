// SPDX-License-Identifier: MIT
/*
 * Lockdep's reports, in the kernel's words and layout, so that people and
 * tools who know lockdep's output know ksync's.  Differences: a lock's
 * place is "file:line" of the lock call when the call site is known, and
 * every saved stack trace is symbolised with file and line where debug
 * information allows.
 *
 * Each report starts with lockdep_report_begin(), which turns lockdep off
 * (unless KSYNC_KEEP_GOING) and tells the one caller that did to print;
 * a report after which lockdep cannot go on ("turning off the locking
 * correctness validator") starts with lockdep_stop_report_begin(), which
 * turns it off for good.
 */
#define _GNU_SOURCE
#include <ksync/preempt.h>
#include "debug_checks.h"
#include "site.h"
#include "lockdep_internal.h"
#include "report.h"

/* '.', '-' used in irq, '+' irq enabled, '?' both: per state and read. */
static char usage_char(const struct lock_class *class, enum lock_usage_bit bit)
{
	unsigned int usage = class_usage(class);

	if (usage & LOCKF(bit + LOCK_USAGE_DIR_MASK))
		return usage & LOCKF(bit) ? '?' : '+';
	return usage & LOCKF(bit) ? '-' : '.';
}

void lockdep_print_short_name(const struct lock_class *class)
{
	char name[160];

	ksync_printk("%s", lockdep_class_name(class, name, sizeof(name)));
}

/* " (name){usage}-{outer:inner}"; hl adds what the class's print_fn says. */
static void print_lock_name_of(const struct lock_class *class,
			       const struct ksync_held_lock *hl)
{
	lock_print_fn print = __atomic_load_n(&class->print_fn, __ATOMIC_RELAXED);
	char name[160];

	ksync_printk(" (%s", lockdep_class_name(class, name, sizeof(name)));
	if (hl && print)
		print(hl->instance);
	ksync_printk("){%c%c%c%c}-{%d:%d}",
		     usage_char(class, LOCK_USED_IN_HARDIRQ),
		     usage_char(class, LOCK_USED_IN_HARDIRQ_READ),
		     usage_char(class, LOCK_USED_IN_SOFTIRQ),
		     usage_char(class, LOCK_USED_IN_SOFTIRQ_READ),
		     class->wait_type_outer ? class->wait_type_outer : class->wait_type_inner,
		     class->wait_type_inner);
}

void lockdep_print_lock_name(const struct lock_class *class)
{
	print_lock_name_of(class, NULL);
}

void lockdep_print_lock(const struct ksync_held_lock *hl)
{
	const struct lock_class *class = hlock_class(hl);
	char where[256];

	ksync_printk("%p", (void *)hl->instance);
	if (class)
		print_lock_name_of(class, hl);
	else
		ksync_printk(" (%s)", lockdep_printed_name(hl->instance->name));
	ksync_printk(", at: %s\n", ksync_site_str(hl->site, hl->ip, where, sizeof(where)));
}

void lockdep_print_held_locks(const struct ksync_cpu *c)
{
	char comm[KSYNC_COMM_LEN];
	int depth = c ? lockdep_cpu(c)->held.depth : 0;

	ksync_comm(comm);
	if (!depth)
		ksync_printk("no locks held by %s/%d.\n", comm, (int)ksync_gettid());
	else
		ksync_printk("%d lock%s held by %s/%d:\n", depth, depth > 1 ? "s" : "",
			     comm, (int)ksync_gettid());
	for (int i = 0; i < depth; i++) {
		ksync_printk(" #%d: ", i);
		lockdep_print_lock(&lockdep_cpu(c)->held.stack[i]);
	}
}

/* "prog/123 [HC0[0]:SC1[1]:HE1:SE0] <what>" */
void lockdep_print_ctx(const struct ksync_cpu *c, const char *what)
{
	char comm[KSYNC_COMM_LEN];

	ksync_printk("%s/%d [HC%u[%u]:SC%u[%u]:HE%u:SE%u] %s\n", ksync_comm(comm),
		     (int)ksync_gettid(), !!in_hardirq(),
		     (unsigned int)hardirq_count() >> HARDIRQ_SHIFT,
		     !!in_serving_softirq(),
		     (unsigned int)softirq_count() >> SOFTIRQ_SHIFT,
		     lockdep_hardirqs_enabled(c), lockdep_softirqs_enabled(), what);
}

static void print_task_line(const char *what)
{
	char comm[KSYNC_COMM_LEN];

	ksync_printk("%s/%d %s\n", ksync_comm(comm), (int)ksync_gettid(), what);
}

static void print_stack_backtrace(void)
{
	ksync_printk("\nstack backtrace:\n");
	ksync_dump_stack();
}

void print_lockdep_off(const char *bug)
{
	if (!lockdep_stop_report_begin())
		return;
	ksync_printk("%s\n", bug);
	ksync_printk("turning off the locking correctness validator.\n");
	ksync_dump_stack();
	lockdep_report_end();
}

/* --- recursive locking ------------------------------------------------------- */

void print_deadlock_bug(struct ksync_cpu *c, struct ksync_held_lock *prev,
			struct ksync_held_lock *next)
{
	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: possible recursive locking detected");
	print_task_line("is trying to acquire lock:");
	lockdep_print_lock(next);
	ksync_printk("\nbut task is already holding lock:\n");
	lockdep_print_lock(prev);
	if (class_cmp_fn(hlock_class(prev)))
		ksync_printk("and the lock comparison function returns %i:\n",
			     class_cmp_fn(hlock_class(prev))(prev->instance, next->instance));
	ksync_printk("\nother info that might help us debug this:\n");
	ksync_printk(" Possible unsafe locking scenario:\n\n");
	ksync_printk("       CPU0\n");
	ksync_printk("       ----\n");
	ksync_printk("  lock(");
	lockdep_print_short_name(hlock_class(prev));
	ksync_printk(");\n  lock(");
	lockdep_print_short_name(hlock_class(next));
	ksync_printk(");\n\n *** DEADLOCK ***\n\n");
	ksync_printk(" May be due to missing lock nesting notation\n\n");
	lockdep_print_held_locks(c);
	print_stack_backtrace();
	lockdep_report_end();
}

/* --- circular dependency ------------------------------------------------------ */

/* One link of the existing chain: the class and where the link was made. */
static void print_chain_entry(const struct bfs_node *n, int depth)
{
	const struct lock_list *e = n->entry;

	ksync_printk("\n-> #%d", depth);
	lockdep_print_lock_name(n->class);
	ksync_printk(":\n");
	lockdep_print_where(&e->next_at, 7);
	if (e->prev_at.site || e->prev_at.ip) {
		ksync_printk("       while holding");
		lockdep_print_lock_name(e->twin->class);
		ksync_printk(" taken\n");
		lockdep_print_where(&e->prev_at, 7);
	}
}

static void print_current_entry(struct ksync_held_lock *src, struct ksync_held_lock *tgt)
{
	struct lock_where here = { .site = src->site, .ip = src->ip };
	struct lock_where held = { .site = tgt->site, .ip = tgt->ip };

	ksync_printk("\n-> #0");
	lockdep_print_lock_name(hlock_class(src));
	ksync_printk(":\n");
	lockdep_print_where(&here, 7);
	ksync_printk("       while holding");
	lockdep_print_lock_name(hlock_class(tgt));
	ksync_printk(" taken\n");
	lockdep_print_where(&held, 7);
}

static void print_scenario_name(const char *op, const struct lock_class *class)
{
	ksync_printk("%s(", op);
	lockdep_print_short_name(class);
	ksync_printk(");\n");
}

static void print_circular_lock_scenario(struct ksync_held_lock *src,
					 struct ksync_held_lock *tgt,
					 const struct lock_class *parent)
{
	const struct lock_class *source = hlock_class(src), *target = hlock_class(tgt);

	if (parent != source) {
		ksync_printk("Chain exists of:\n  ");
		lockdep_print_short_name(source);
		ksync_printk(" --> ");
		lockdep_print_short_name(parent);
		ksync_printk(" --> ");
		lockdep_print_short_name(target);
		ksync_printk("\n\n");
	}
	ksync_printk(" Possible unsafe locking scenario:\n\n");
	ksync_printk("       CPU0                    CPU1\n");
	ksync_printk("       ----                    ----\n");
	print_scenario_name(tgt->read ? "  rlock" : "  lock", target);
	print_scenario_name("                               lock", parent);
	print_scenario_name("                               lock", target);
	print_scenario_name(src->read ? "  rlock" : "  lock", source);
	ksync_printk("\n *** DEADLOCK ***\n\n");
}

/*
 * src is being taken while tgt is held, and the graph already has a path
 * src -> ... -> tgt, ending at target.
 */
void print_circular_bug(struct ksync_cpu *c, const struct bfs_node *target,
			struct ksync_held_lock *src, struct ksync_held_lock *tgt)
{
	const struct bfs_node *first_parent = target->parent;
	int depth = bfs_depth(target);

	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: possible circular locking dependency detected");
	print_task_line("is trying to acquire lock:");
	lockdep_print_lock(src);
	ksync_printk("\nbut task is already holding lock:\n");
	lockdep_print_lock(tgt);
	ksync_printk("\nwhich lock already depends on the new lock.\n\n");
	ksync_printk("\nthe existing dependency chain (in reverse order) is:\n");
	for (const struct bfs_node *n = target; n->parent; n = n->parent)
		print_chain_entry(n, depth--);
	print_current_entry(src, tgt);
	ksync_printk("\nother info that might help us debug this:\n\n");
	print_circular_lock_scenario(src, tgt, first_parent->class);
	lockdep_print_held_locks(c);
	print_stack_backtrace();
	lockdep_report_end();
}

/* --- interrupt usage ----------------------------------------------------------- */

static void print_usage_bug_scenario(struct ksync_held_lock *hl)
{
	ksync_printk(" Possible unsafe locking scenario:\n\n");
	ksync_printk("       CPU0\n");
	ksync_printk("       ----\n");
	print_scenario_name("  lock", hlock_class(hl));
	ksync_printk("  <Interrupt>\n");
	print_scenario_name("    lock", hlock_class(hl));
	ksync_printk("\n *** DEADLOCK ***\n\n");
}

void print_usage_bug(struct ksync_cpu *c, struct ksync_held_lock *hl,
		     enum lock_usage_bit prev_bit, enum lock_usage_bit new_bit)
{
	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: inconsistent lock state");
	ksync_printk("inconsistent {%s} -> {%s} usage.\n", lockdep_usage_str(prev_bit),
		     lockdep_usage_str(new_bit));
	lockdep_print_ctx(c, "takes:");
	lockdep_print_lock(hl);
	ksync_printk("{%s} state was registered at:\n", lockdep_usage_str(prev_bit));
	lockdep_print_where(&hlock_class(hl)->usage[prev_bit], 2);
	ksync_print_irqtrace_events();
	ksync_printk("\nother info that might help us debug this:\n");
	print_usage_bug_scenario(hl);
	lockdep_print_held_locks(c);
	print_stack_backtrace();
	lockdep_report_end();
}

static void print_irq_lock_scenario(const struct lock_class *safe_class,
				    const struct lock_class *unsafe_class,
				    const struct lock_class *prev_class,
				    const struct lock_class *next_class)
{
	const struct lock_class *middle_class = prev_class;

	if (middle_class == safe_class)
		middle_class = next_class;
	if (middle_class != unsafe_class) {
		ksync_printk("Chain exists of:\n  ");
		lockdep_print_short_name(safe_class);
		ksync_printk(" --> ");
		lockdep_print_short_name(middle_class);
		ksync_printk(" --> ");
		lockdep_print_short_name(unsafe_class);
		ksync_printk("\n\n");
	}
	ksync_printk(" Possible interrupt unsafe locking scenario:\n\n");
	ksync_printk("       CPU0                    CPU1\n");
	ksync_printk("       ----                    ----\n");
	print_scenario_name("  lock", unsafe_class);
	ksync_printk("                               local_irq_disable();\n");
	print_scenario_name("                               lock", safe_class);
	print_scenario_name("                               lock", middle_class);
	ksync_printk("  <Interrupt>\n");
	print_scenario_name("    lock", safe_class);
	ksync_printk("\n *** DEADLOCK ***\n\n");
}

static void print_class_header(const struct lock_class *class, int depth)
{
	unsigned int usage = class_usage(class);

	ksync_printk("%*s->", depth, "");
	lockdep_print_lock_name(class);
	ksync_printk(" {\n");
	for (unsigned int bit = 0; bit < LOCK_USAGE_STATES; bit++) {
		if (!(usage & LOCKF(bit)))
			continue;
		ksync_printk("%*s   %s at:\n", depth, "",
			     lockdep_usage_str((enum lock_usage_bit)bit));
		lockdep_print_where(&class->usage[bit], depth + 6);
	}
	ksync_printk("%*s }\n", depth, "");
	ksync_printk("%*s ... key      at: [<%p>]\n", depth, "", class->key);
}

/* A forward path, printed leaf first: each class and where it was taken. */
static void print_shortest_lock_dependencies(const struct bfs_node *leaf)
{
	int depth = bfs_depth(leaf);

	for (const struct bfs_node *n = leaf; n; n = n->parent, depth--) {
		print_class_header(n->class, depth);
		if (n->entry) {
			ksync_printk("%*s ... acquired at:\n", depth, "");
			lockdep_print_where(&n->entry->next_at, 2);
		}
		ksync_printk("\n");
	}
}

/* A backward path, printed leaf first: L1 -> L2 -> ... in lock order. */
static void print_shortest_lock_dependencies_backwards(const struct bfs_node *leaf)
{
	const struct lock_list *prev_entry = NULL;
	int depth = bfs_depth(leaf);

	for (const struct bfs_node *n = leaf; n; n = n->parent, depth--) {
		print_class_header(n->class, depth);
		if (prev_entry) {
			ksync_printk("%*s ... acquired at:\n", depth, "");
			lockdep_print_where(&prev_entry->next_at, 2);
		}
		ksync_printk("\n");
		prev_entry = n->entry;
	}
}

void print_irq_inversion_bug(struct ksync_cpu *c, const struct bfs_node *other,
			     struct ksync_held_lock *hl, bool forwards,
			     enum lock_usage_bit bit)
{
	const struct bfs_node *middle = NULL, *root = other;
	const char *irqclass = lockdep_state_name(bit);

	while (root->parent) {
		middle = root;
		root = root->parent;
	}
	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: possible irq lock inversion dependency detected");
	print_task_line("just changed the state of lock:");
	lockdep_print_lock(hl);
	if (forwards)
		ksync_printk("but this lock took another, %s-unsafe lock in the past:\n",
			     irqclass);
	else
		ksync_printk("but this lock was taken by another, %s-safe lock in the past:\n",
			     irqclass);
	lockdep_print_lock_name(other->class);
	ksync_printk("\n\nand interrupts could create inverse lock ordering between them.\n\n");
	ksync_printk("\nother info that might help us debug this:\n");
	if (forwards)
		print_irq_lock_scenario(root->class, other->class,
					middle ? middle->class : root->class, other->class);
	else
		print_irq_lock_scenario(other->class, root->class,
					middle ? middle->class : other->class, root->class);
	lockdep_print_held_locks(c);
	ksync_printk("\nthe shortest dependencies between 2nd lock and 1st lock:\n");
	if (forwards)
		print_shortest_lock_dependencies(other);
	else
		print_shortest_lock_dependencies_backwards(other);
	print_stack_backtrace();
	lockdep_report_end();
}

void print_bad_irq_dependency(struct ksync_cpu *c,
			      const struct bfs_node *backwards_entry,
			      const struct bfs_node *forwards_entry,
			      struct ksync_held_lock *prev,
			      struct ksync_held_lock *next,
			      enum lock_usage_bit bit1, enum lock_usage_bit bit2)
{
	const char *irqclass = lockdep_state_name(bit1);
	char title[96];

	if (!lockdep_report_begin())
		return;
	ksync_snprintf(title, sizeof(title), "WARNING: %s-safe -> %s-unsafe lock order detected",
		       irqclass, irqclass);
	ksync_report_header(title);
	lockdep_print_ctx(c, "is trying to acquire:");
	lockdep_print_lock(next);
	ksync_printk("\nand this task is already holding:\n");
	lockdep_print_lock(prev);
	ksync_printk("which would create a new lock dependency:\n");
	lockdep_print_lock_name(hlock_class(prev));
	ksync_printk(" ->");
	lockdep_print_lock_name(hlock_class(next));
	ksync_printk("\n");
	ksync_printk("\nbut this new dependency connects a %s-irq-safe lock:\n", irqclass);
	lockdep_print_lock_name(backwards_entry->class);
	ksync_printk("\n... which became %s-irq-safe at:\n", irqclass);
	lockdep_print_where(&backwards_entry->class->usage[bit1], 1);
	ksync_printk("\nto a %s-irq-unsafe lock:\n", irqclass);
	lockdep_print_lock_name(forwards_entry->class);
	ksync_printk("\n... which became %s-irq-unsafe at:\n", irqclass);
	ksync_printk("...\n");
	lockdep_print_where(&forwards_entry->class->usage[bit2], 1);
	ksync_printk("\nother info that might help us debug this:\n\n");
	print_irq_lock_scenario(backwards_entry->class, forwards_entry->class,
				hlock_class(prev), hlock_class(next));
	lockdep_print_held_locks(c);
	ksync_printk("\nthe dependencies between %s-irq-safe lock and the holding lock:\n",
		     irqclass);
	print_shortest_lock_dependencies_backwards(backwards_entry);
	ksync_printk("\nthe dependencies between the lock to be acquired");
	ksync_printk(" and %s-irq-unsafe lock:\n", irqclass);
	print_shortest_lock_dependencies(forwards_entry);
	print_stack_backtrace();
	lockdep_report_end();
}

/* --- balance ------------------------------------------------------------------- */

void print_unlock_imbalance_bug(struct ksync_cpu *c, const struct lockdep_map *map,
				const struct ksync_site *site, uintptr_t ip)
{
	char where[256];

	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: bad unlock balance detected!");
	ksync_printk("%s/%d is trying to release lock (%s) at:\n",
		     ksync_comm((char[KSYNC_COMM_LEN]){ 0 }), (int)ksync_gettid(),
		     lockdep_printed_name(map->name));
	ksync_printk("%s\n", ksync_site_str(site, ip, where, sizeof(where)));
	ksync_printk("but there are no more locks to release!\n");
	ksync_printk("\nother info that might help us debug this:\n");
	lockdep_print_held_locks(c);
	print_stack_backtrace();
	lockdep_report_end();
}

void print_lock_nested_lock_not_held(struct ksync_cpu *c, struct ksync_held_lock *hl)
{
	if (!lockdep_report_begin())
		return;
	ksync_report_header("WARNING: Nested lock was not taken");
	print_task_line("is trying to lock:");
	lockdep_print_lock(hl);
	ksync_printk("\nbut this task is not holding:\n");
	ksync_printk("%s\n", lockdep_printed_name(hl->nest_lock->name));
	ksync_printk("\nother info that might help us debug this:\n");
	lockdep_print_held_locks(c);
	print_stack_backtrace();
	lockdep_report_end();
}
