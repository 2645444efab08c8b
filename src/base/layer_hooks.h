/* SPDX-License-Identifier: MIT */
/*
 * Registration points through which base (the lowest layer) reaches the
 * layers above it without calling them: start-up, a thread taking or
 * leaving a CPU block, fork().  Each layer that needs one of these moments
 * declares one struct ksync_hooks with KSYNC_HOOKS(); the linker gathers
 * the pointers into the section "ksync_hooks" (as the kernel gathers its
 * initcalls), so nothing depends on the order in which constructors run
 * or libraries load: the table is complete before the first lock call.
 * "retain" keeps the entries through a linker's --gc-sections (rust-lld
 * collects sections reached only through __start_/__stop_ symbols).
 *
 * Order: start-up, fork's parent and child halves and CPU resets run from
 * the bottom layer up (a layer may rely on the layers below it being
 * ready); thread exit and fork's prepare half run from the top down (the
 * locks fork must hold are taken in the order the layers nest them:
 * lockdep's graph lock outside base's report lock).
 */
#ifndef _KSYNC_SRC_LAYER_HOOKS_H
#define _KSYNC_SRC_LAYER_HOOKS_H

struct ksync_cpu;

/* The layers, bottom up (docs/design.md). */
enum ksync_layer {
	KSYNC_LAYER_BASE,
	KSYNC_LAYER_ARCH,
	KSYNC_LAYER_LOCKDEP,
	KSYNC_LAYER_CONTEXT,
	KSYNC_LAYER_LOCKING,
	KSYNC_NR_LAYERS
};

struct ksync_hooks {
	enum ksync_layer layer;
	/* Once, at start-up, after the environment has been read. */
	void (*init)(void);
	/*
	 * A thread takes block c, or (in a fork child) c's thread is gone:
	 * forget what the previous thread left in this layer's part.
	 */
	void (*cpu_reset)(struct ksync_cpu *c);
	/* In a fork child, before dead's reset: move its pending work to me. */
	void (*cpu_dead)(struct ksync_cpu *me, struct ksync_cpu *dead);
	/* A registered thread exits; its block is released afterwards. */
	void (*thread_exit)(struct ksync_cpu *c);
	/* pthread_atfork's three halves. */
	void (*fork_prepare)(void);
	void (*fork_parent)(void);
	void (*fork_child)(void);
};

#define KSYNC_HOOKS(name)						\
	static const struct ksync_hooks name;				\
	static const struct ksync_hooks *const __ksync_hooks_##name	\
		__attribute__((section("ksync_hooks"), used, retain)) = &name;	\
	static const struct ksync_hooks name

enum ksync_hook {
	KSYNC_HOOK_INIT,
	KSYNC_HOOK_FORK_PREPARE,
	KSYNC_HOOK_FORK_PARENT,
	KSYNC_HOOK_FORK_CHILD,
};

/* Run one of the argument-less hooks of every layer, in its order. */
void ksync_hooks_run(enum ksync_hook which);
/* Every layer's cpu_reset(c), bottom up. */
void ksync_hooks_cpu_reset(struct ksync_cpu *c);
/* Every layer's cpu_dead(me, dead), bottom up. */
void ksync_hooks_cpu_dead(struct ksync_cpu *me, struct ksync_cpu *dead);
/* Every layer's thread_exit(c), top down. */
void ksync_hooks_thread_exit(struct ksync_cpu *c);

#endif /* _KSYNC_SRC_LAYER_HOOKS_H */
