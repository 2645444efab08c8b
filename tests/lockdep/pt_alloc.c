// SPDX-License-Identifier: MIT
/*
 * A program with a memory allocator of its own that takes pthread mutexes,
 * as jemalloc, tcmalloc and mimalloc do: it replaces malloc() and friends
 * for the whole process (the C library, the dynamic loader and whatever
 * ksync-lockdep loads allocate from it too).  Its first malloc() sets up
 * its size classes while holding its heap lock - jemalloc's init lock -
 * so a lock interposer that allocated or loaded a library while choosing
 * a class for one of those locks would come back into malloc() holding
 * the heap lock and deadlock.  Here such a re-entry is caught and said
 * plainly instead of hanging.  It calls backtrace() at start-up, as
 * redis-server does (glibc loads libgcc_s with dlopen(), which allocates).
 *
 * Like jemalloc, it locks all its mutexes around fork() - more than
 * lockdep's 48 held locks, with a class per lock - in handlers registered
 * before any library's constructor runs (from .preinit_array), and, for
 * its arenas, when its first malloc() sets it up (from ksync's start-up,
 * under ksync-lockdep): so they run after the prepare handlers of libksync
 * and of the preload, which hold their own locks by then.  Its fork_lock
 * is first used there.
 *
 *   pt_alloc [THREADS [fork]]   prints "alloc ok N" at the end
 */
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define NR_CLASSES	8
#define NR_ARENAS	64	/* more than lockdep's 48 held locks */
#define CHUNK		(16u << 20)
#define ALIGN		16

struct header {
	size_t size;
	size_t pad;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t class_lock[NR_CLASSES];
static pthread_mutex_t arena_lock[NR_ARENAS];
static unsigned long class_count[NR_CLASSES];
static int ready;
static char *next, *end;
static __thread int in_malloc;

static void reentered(const char *what)
{
	static const char msg[] = "pt_alloc: the allocator was re-entered from inside ";

	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, what, strlen(what));
	(void)!write(2, "() while holding its heap lock\n", 31);
	abort();
}

static void prefork_arenas(void)
{
	for (int i = 0; i < NR_ARENAS; i++)
		pthread_mutex_lock(&arena_lock[i]);
}

static void postfork_arenas(void)
{
	for (int i = NR_ARENAS - 1; i >= 0; i--)
		pthread_mutex_unlock(&arena_lock[i]);
}

/* Heap lock held: the size classes, set up on first use, as jemalloc's init. */
static void setup_classes(void)
{
	for (int i = 0; i < NR_CLASSES; i++) {
		pthread_mutex_init(&class_lock[i], NULL);
		/* First use here, under the heap lock, as jemalloc's trylock. */
		if (pthread_mutex_trylock(&class_lock[i]) == 0)
			pthread_mutex_unlock(&class_lock[i]);
	}
	for (int i = 0; i < NR_ARENAS; i++)
		pthread_mutex_init(&arena_lock[i], NULL);
	/* As jemalloc registers its fork handlers: when it starts. */
	pthread_atfork(prefork_arenas, postfork_arenas, postfork_arenas);
	ready = 1;
}

static void *carve(size_t size, size_t align)
{
	uintptr_t p;

	for (;;) {
		p = ((uintptr_t)next + sizeof(struct header) + align - 1) & ~(uintptr_t)(align - 1);
		if (next && p + size <= (uintptr_t)end)
			break;
		next = mmap(NULL, size + align + CHUNK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (next == MAP_FAILED) {
			next = NULL;
			return NULL;
		}
		end = next + size + align + CHUNK;
	}
	next = (char *)(p + size);
	((struct header *)p)[-1].size = size;
	return (void *)p;
}

static void *alloc(size_t size, size_t align, const char *what)
{
	unsigned int cls = 0;
	void *p;

	if (in_malloc)
		reentered(what);
	in_malloc = 1;
	pthread_mutex_lock(&heap_lock);
	if (!ready)
		setup_classes();
	while (cls < NR_CLASSES - 1 && ((size_t)16 << cls) < size)
		cls++;
	pthread_mutex_lock(&class_lock[cls]);
	class_count[cls]++;
	pthread_mutex_unlock(&class_lock[cls]);
	pthread_mutex_lock(&arena_lock[size % NR_ARENAS]);
	pthread_mutex_unlock(&arena_lock[size % NR_ARENAS]);
	p = carve(size ? size : 1, align < ALIGN ? ALIGN : align);
	pthread_mutex_unlock(&heap_lock);
	in_malloc = 0;
	if (!p)
		errno = ENOMEM;
	return p;
}

void *malloc(size_t size)
{
	return alloc(size, ALIGN, "malloc");
}

void free(void *p)
{
	if (!p)
		return;
	if (in_malloc)
		reentered("free");
	in_malloc = 1;
	pthread_mutex_lock(&heap_lock);	/* memory is not reused: a bump heap */
	pthread_mutex_unlock(&heap_lock);
	in_malloc = 0;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloc(n * size, ALIGN, "calloc");
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *old, size_t size)
{
	void *p = alloc(size, ALIGN, "realloc");
	size_t was = old ? ((struct header *)old)[-1].size : 0;

	if (p && old)
		memcpy(p, old, was < size ? was : size);
	free(old);
	return p;
}

void *memalign(size_t align, size_t size)
{
	return alloc(size, align, "memalign");
}

void *aligned_alloc(size_t align, size_t size)
{
	return alloc(size, align, "aligned_alloc");
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = alloc(size, align, "posix_memalign");

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return alloc(size, 4096, "valloc");
}

void *pvalloc(size_t size)
{
	return alloc((size + 4095) & ~(size_t)4095, 4096, "pvalloc");
}

size_t malloc_usable_size(void *p)
{
	return p ? ((struct header *)p)[-1].size : 0;
}

/* --- fork(), as jemalloc does it ---------------------------------------------------- */

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;

static void prefork(void)
{
	pthread_mutex_lock(&fork_lock);
	pthread_mutex_lock(&heap_lock);
	for (int i = 0; i < NR_CLASSES; i++)
		pthread_mutex_lock(&class_lock[i]);
}

static void postfork(void)
{
	for (int i = NR_CLASSES - 1; i >= 0; i--)
		pthread_mutex_unlock(&class_lock[i]);
	pthread_mutex_unlock(&heap_lock);
	pthread_mutex_unlock(&fork_lock);
}

static void register_fork_handlers(void)
{
	pthread_atfork(prefork, postfork, postfork);
}

/* Before every library's constructor: its handlers run last at fork(). */
__attribute__((section(".preinit_array"), used))
static void (*const preinit)(void) = register_fork_handlers;

/* --- the program ------------------------------------------------------------------- */

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long items;

static void *worker(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		char *p = malloc((size_t)(i % 300) + 1);

		pthread_mutex_lock(&list_lock);
		items++;
		pthread_mutex_unlock(&list_lock);
		free(p);
	}
	return arg;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[64];
	void *frames[8];

	/* As redis-server does at start-up: loads libgcc_s (dlopen, malloc). */
	backtrace(frames, 8);
	if (threads < 1 || threads > 64)
		threads = 4;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	if (argc > 2 && !strcmp(argv[2], "fork")) {
		pid_t pid = fork();
		int status;

		if (!pid) {
			free(malloc(100));
			exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "pt_alloc: the child failed\n");
			return 1;
		}
		free(malloc(100));
	}
	printf("alloc ok %lu\n", items);
	return 0;
}
