// SPDX-License-Identifier: MIT
/*
 * The dependency graph: an edge prev -> next for every class next that was
 * taken while prev was held, the breadth-first search that proves a new
 * edge closes no cycle, and the checks run on a chain-cache miss
 * (kernel/locking/lockdep.c: check_noncircular, check_prev_add,
 * check_prevs_add, check_deadlock).
 *
 * Read locks follow lockdep-design.rst: each edge records which of the
 * four kinds -(SR)-, -(ER)-, -(SN)-, -(EN)- it has been seen as, and only a
 * "strong" path - no -(*R)-> followed by -(S*)-> - can deadlock.
 *
 * Everything here runs under the graph lock.
 */
#define _GNU_SOURCE
#include "kernel_compat.h"
#include "lockdep_internal.h"
#include "report.h"

static struct lock_list list_entries[MAX_LOCKDEP_ENTRIES];
static unsigned int nr_list_entries;
unsigned long nr_dependencies;

/* Each class is expanded at most twice per search (only_xr 1, then 0). */
#define BFS_NODES	(MAX_LOCKDEP_ENTRIES + 1)
static struct bfs_node bfs_nodes[2][BFS_NODES];	/* [forwards] */
static unsigned int bfs_gen;

static unsigned char calc_dep(const struct ksync_held_lock *prev,
			      const struct ksync_held_lock *next)
{
	return (unsigned char)(1u << ((prev->read == 0) + ((next->read != 2) << 1)));
}

/* The same dependency seen from next's before-list. */
static unsigned char calc_depb(const struct ksync_held_lock *prev,
			       const struct ksync_held_lock *next)
{
	return (unsigned char)(1u << ((next->read != 2) + ((prev->read == 0) << 1)));
}

/*
 * A class is done for this search once reached with only_xr 0 (the
 * strongest state); reached with only_xr 1 it may be worth a second visit.
 */
static bool visited(struct lock_class *class, unsigned char only_xr)
{
	if (class->dep_gen_id[0] == bfs_gen)
		return true;
	if (only_xr && class->dep_gen_id[1] == bfs_gen)
		return true;
	class->dep_gen_id[only_xr] = bfs_gen;
	return false;
}

/*
 * Strong paths only: after a step that was only -(*R)->, drop -(S*)->
 * kinds from the next step; nothing left means no strong path this way.
 */
static bool step(const struct bfs_node *from, const struct lock_list *e,
		 unsigned char *only_xr)
{
	unsigned int dep = e->dep;

	if (from->only_xr)
		dep &= ~(DEP_SR_MASK | DEP_SN_MASK);
	if (!dep)
		return false;
	*only_xr = !(dep & (DEP_SN_MASK | DEP_EN_MASK));
	return true;
}

static enum bfs_result bfs(const struct ksync_held_lock *hl, bool forwards,
			   bool skip_special,
			   bool (*match)(const struct bfs_node *n, void *data),
			   void *data, const struct bfs_node **target)
{
	struct bfs_node *nodes = bfs_nodes[forwards];
	unsigned int head = 0, tail = 1;

	bfs_gen++;
	nodes[0].class = hlock_class(hl);
	nodes[0].entry = NULL;
	nodes[0].parent = NULL;
	/* -(*R)-> into hl, or (backwards) hl shared: see lockdep-design.rst. */
	nodes[0].only_xr = forwards ? hl->read == 2 : hl->read != 0;
	visited(nodes[0].class, nodes[0].only_xr);

	while (head < tail) {
		const struct bfs_node *n = &nodes[head++];
		struct lock_list *e;

		if (skip_special && n->class->lock_type != LD_LOCK_NORMAL)
			continue;
		if (match(n, data)) {
			if (target)
				*target = n;
			return BFS_RMATCH;
		}
		e = forwards ? n->class->after : n->class->before;
		for (; e; e = e->next) {
			unsigned char only_xr;

			if (!step(n, e, &only_xr) || visited(e->class, only_xr))
				continue;
			if (tail >= BFS_NODES)
				return BFS_EQUEUEFULL;
			nodes[tail].class = e->class;
			nodes[tail].entry = e;
			nodes[tail].parent = n;
			nodes[tail].only_xr = only_xr;
			tail++;
		}
	}
	return BFS_RNOMATCH;
}

enum bfs_result lockdep_bfs(const struct ksync_held_lock *hl, bool forwards,
			    bool (*match)(const struct bfs_node *n, void *data),
			    void *data, const struct bfs_node **target)
{
	return bfs(hl, forwards, false, match, data, target);
}

enum bfs_result lockdep_bfs_usage(const struct ksync_held_lock *hl, bool forwards,
				  bool (*match)(const struct bfs_node *n, void *data),
				  void *data, const struct bfs_node **target)
{
	return bfs(hl, forwards, true, match, data, target);
}

int bfs_depth(const struct bfs_node *n)
{
	int depth = 0;

	while ((n = n->parent))
		depth++;
	return depth;
}

static void print_bfs_bug(int ret)
{
	if (!lockdep_stop_report_begin())
		return;
	ksync_printk("------------[ cut here ]------------\n");
	ksync_printk("lockdep bfs error:%d\n", ret);
	ksync_dump_stack();
	lockdep_report_end();
}

/*
 * Adding B -> A closes a deadlock if a strong path A -> .. -> B exists and
 * the cycle stays strong: B -> A is -(E*)-> (B held exclusively), or the
 * path ends in -(*N)->.
 */
static bool hlock_conflict(const struct bfs_node *n, void *data)
{
	const struct ksync_held_lock *hl = data;

	return hlock_class(hl) == n->class && (hl->read == 0 || !n->only_xr);
}

/* Prove that no path leads from next's class back to prev's. */
static bool check_noncircular(struct ksync_cpu *c, struct ksync_held_lock *prev,
			      struct ksync_held_lock *next)
{
	const struct bfs_node *target;
	enum bfs_result ret = lockdep_bfs(next, true, hlock_conflict, prev, &target);

	if (ret == BFS_RNOMATCH)
		return true;
	if (ret != BFS_RMATCH)
		print_bfs_bug(ret);
	else if (prev->class_idx == next->class_idx)
		print_deadlock_bug(c, prev, next);
	else
		print_circular_bug(c, target, next, prev);
	return false;
}

/* Pairs lockdep_unregister_key() freed, linked through their first's next. */
static struct lock_list *free_pairs;

void lockdep_free_dependency(struct lock_list *e)
{
	struct lock_list *pair = e->forward ? e : e->twin;

	pair->next = free_pairs;
	free_pairs = pair;
	__atomic_store_n(&nr_dependencies, nr_dependencies - 1, __ATOMIC_RELAXED);
}

static struct lock_list *alloc_list_entries(void)
{
	struct lock_list *e = free_pairs;

	if (e) {
		free_pairs = e->next;
		return e;
	}
	if (nr_list_entries + 2 > MAX_LOCKDEP_ENTRIES) {
		print_lockdep_off("BUG: MAX_LOCKDEP_ENTRIES too low!");
		return NULL;
	}
	e = &list_entries[nr_list_entries];
	nr_list_entries += 2;
	return e;
}

/* Record prev -> next in prev's after-list and next's before-list. */
static bool add_dependency(struct ksync_held_lock *prev, struct ksync_held_lock *next,
			   unsigned short distance, const struct lock_where *next_at)
{
	struct lock_class *pc = hlock_class(prev), *nc = hlock_class(next);
	struct lock_list *fwd = alloc_list_entries(), *back;

	if (!fwd)
		return false;
	back = fwd + 1;
	fwd->class = nc;
	back->class = pc;
	fwd->twin = back;
	back->twin = fwd;
	fwd->distance = back->distance = distance;
	fwd->dep = calc_dep(prev, next);
	back->dep = calc_depb(prev, next);
	fwd->forward = 1;
	back->forward = 0;
	lockdep_save_where(&fwd->prev_at, prev->site, prev->ip, false);
	fwd->next_at = *next_at;
	back->prev_at = fwd->prev_at;
	back->next_at = fwd->next_at;
	fwd->next = pc->after;
	pc->after = fwd;
	back->next = nc->before;
	nc->before = back;
	__atomic_store_n(&nr_dependencies, nr_dependencies + 1, __ATOMIC_RELAXED);
	return true;
}

/*
 * prev is held and next is being taken: validate, then record prev ->
 * next.  Returns 0 on a bug, 1 if the edge existed, 2 if it is new.
 */
static int check_prev_add(struct ksync_cpu *c, struct ksync_held_lock *prev,
			  struct ksync_held_lock *next, unsigned short distance,
			  struct lock_where *next_at)
{
	struct lock_class *pc = hlock_class(prev), *nc = hlock_class(next);

	/* Two locks of a class whose order its cmp_fn vouches for: no edge. */
	if (pc == nc && class_cmp_fn(pc) && class_cmp_fn(pc)(prev->instance, next->instance) < 0)
		return 2;
	if (!check_noncircular(c, prev, next))
		return 0;
	if (!check_irq_usage(c, prev, next))
		return 0;
	for (struct lock_list *e = pc->after; e; e = e->next) {
		if (e->class != nc)
			continue;
		/* Known: just note the new kinds it is seen as. */
		if (distance == 1)
			e->distance = e->twin->distance = 1;
		e->dep |= calc_dep(prev, next);
		e->twin->dep |= calc_depb(prev, next);
		return 1;
	}
	/* The acquisition's trace is saved once, for all its new edges. */
	if (!next_at->site && !next_at->ip)
		lockdep_save_where(next_at, next->site, next->ip, true);
	return add_dependency(prev, next, distance, next_at) ? 2 : 0;
}

/*
 * Add next's dependencies on the held locks that matter: all the
 * trylocks directly below it and the first ordinary lock (the ones below
 * that are already linked to it), without crossing into another context.
 */
static bool check_prevs_add(struct ksync_cpu *c, struct ksync_held_lock *next)
{
	struct ksync_held_lock *stack = lockdep_cpu(c)->held.stack;
	struct lock_where next_at = { 0 };
	int depth = lockdep_cpu(c)->held.depth;

	for (;;) {
		struct ksync_held_lock *prev = &stack[depth - 1];
		unsigned short distance = (unsigned short)(lockdep_cpu(c)->held.depth - depth + 1);

		if (prev->check && prev->class_idx) {
			if (!check_prev_add(c, prev, next, distance, &next_at))
				return false;
			if (!prev->trylock)
				break;
		}
		if (--depth == 0)
			break;
		if (stack[depth].irq_context != stack[depth - 1].irq_context)
			break;
	}
	return true;
}

/*
 * Is a lock of next's class held already?  A recursive read under a read
 * is allowed; so is any nesting under the nest_lock next names.  Returns
 * 0 on a bug, 1 if fine, 2 if the nest lock makes it fine.
 */
static int check_deadlock(struct ksync_cpu *c, struct ksync_held_lock *next)
{
	struct ksync_held_lock *nest = NULL;

	for (int i = 0; i < lockdep_cpu(c)->held.depth; i++) {
		struct ksync_held_lock *prev = &lockdep_cpu(c)->held.stack[i];

		if (next->nest_lock && prev->instance == next->nest_lock)
			nest = prev;
		if (prev->class_idx != next->class_idx)
			continue;
		if (next->read == 2 && prev->read)
			continue;
		if (class_cmp_fn(hlock_class(prev)) &&
		    class_cmp_fn(hlock_class(prev))(prev->instance, next->instance) < 0)
			continue;
		if (nest)
			return 2;
		print_deadlock_bug(c, prev, next);
		return 0;
	}
	return 1;
}

bool check_deadlock_and_prevs(struct ksync_cpu *c, struct ksync_held_lock *next,
			      bool chain_head)
{
	int ret = check_deadlock(c, next);

	if (!ret)
		return false;
	if (!chain_head && ret != 2)
		return check_prevs_add(c, next);
	return true;
}
