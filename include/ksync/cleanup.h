/* SPDX-License-Identifier: MIT */
/*
 * <ksync/cleanup.h> - scope-based cleanup and lock guards, as the kernel's
 * include/linux/cleanup.h, over __attribute__((cleanup)).
 *
 * The compiler runs a variable's cleanup function whenever the variable
 * leaves scope: falling off the end, return, break, continue, or goto out
 * of the block.  (Not longjmp(), exit() or thread cancellation.)
 *
 *   DEFINE_FREE(name, type, free_expr)	   type v __free(name) = ...;
 *   no_free_ptr(v), return_ptr(v)
 *   DEFINE_CLASS(name, type, exit, init, args...)   CLASS(name, var)(args);
 *   EXTEND_CLASS(name, ext, init, args...)
 *   DEFINE_GUARD(name, type, lock, unlock)	   guard(name)(ptr);
 *   DEFINE_GUARD_COND(name, ext, condlock)	   conditional variant name##ext
 *   DEFINE_LOCK_GUARD_0(name, lock, unlock, fields...)
 *   DEFINE_LOCK_GUARD_1(name, type, lock, unlock, fields...)
 *   DEFINE_LOCK_GUARD_1_COND(name, ext, condlock)
 *   guard(name)(args)			   held to the end of the block
 *   scoped_guard(name, args) { }		   held for the next statement;
 *					   skipped if a conditional lock fails
 *   scoped_cond_guard(name, fail, args) { }  runs fail if it could not lock
 *
 * Inside lock/unlock/exit expressions _T names the guarded object (or, for
 * the LOCK_GUARD forms, a pointer to the guard struct with ->lock).
 *
 * A pitfall the kernel documents: a __free() variable declared before a
 * guard() is cleaned up after the unlock.  Declare cleanup variables where
 * they are initialised.
 */
#ifndef _KSYNC_CLEANUP_H
#define _KSYNC_CLEANUP_H

#include <ksync/compiler.h>
#include <ksync/percpu.h>

/*
 * Lock calls written inside a guard class see "_T" as their lock
 * expression, which would make every report point into this header.
 * CLASS() records where the guard was written; the debug paths use that
 * record for lock calls whose expression is _T or _T->... (see
 * ksync_site_resolve()).
 */
static __always_inline void ksync_guard_site_set(const struct ksync_site *site)
{
	__atomic_store_n(&ksync_tls.guard_site, site, __ATOMIC_RELAXED);
}

/* --- __free() ------------------------------------------------------------ */

#define DEFINE_FREE(_name, _type, _free)				\
	static __always_inline void __free_##_name(void *p)		\
	{ _type _T = *(_type *)p; _free; }

#define __free(_name)	__cleanup(__free_##_name)

#define no_free_ptr(p)							\
	({ __auto_type __nfp = (p); (p) = NULL; __nfp; })

#define return_ptr(p)	return no_free_ptr(p)

/* --- classes ------------------------------------------------------------- */

/* An enumerator, so that scoped_cond_guard() can check it at compile time. */
#define __DEFINE_CLASS_IS_CONDITIONAL(_name, _is_cond)			\
	enum { class_##_name##_is_conditional = (_is_cond) }

#define DEFINE_CLASS(_name, _type, _exit, _init, _init_args...)		\
typedef _type class_##_name##_t;					\
static __always_inline void class_##_name##_destructor(_type *p)	\
{ _type _T = *p; _exit; }						\
static __always_inline _type class_##_name##_constructor(_init_args)	\
{ _type t = _init; return t; }

#define EXTEND_CLASS(_name, ext, _init, _init_args...)			\
typedef class_##_name##_t class_##_name##ext##_t;			\
static __always_inline void						\
class_##_name##ext##_destructor(class_##_name##_t *p)			\
{ class_##_name##_destructor(p); }					\
static __always_inline class_##_name##_t				\
class_##_name##ext##_constructor(_init_args)				\
{ class_##_name##_t t = _init; return t; }

/* __maybe_unused: a guard() variable is only there to be destroyed. */
#define CLASS(_name, var)						\
	class_##_name##_t var __maybe_unused				\
		__cleanup(class_##_name##_destructor) =			\
		(ksync_guard_site_set(KSYNC_SITE("guard(" #_name ")")),	\
		 class_##_name##_constructor)

/* --- guards over a pointer type ------------------------------------------ */

#define DEFINE_GUARD(_name, _type, _lock, _unlock)			\
	__DEFINE_CLASS_IS_CONDITIONAL(_name, false);			\
	DEFINE_CLASS(_name, _type, if (_T) { _unlock; },		\
		     ({ _lock; _T; }), _type _T);			\
	static __always_inline void *					\
	class_##_name##_lock_ptr(class_##_name##_t *_T)			\
	{ return (void *)*_T; }

/* name##ext: takes the lock only if _condlock (evaluated with _T) is true. */
#define DEFINE_GUARD_COND(_name, _ext, _condlock)			\
	__DEFINE_CLASS_IS_CONDITIONAL(_name##_ext, true);		\
	EXTEND_CLASS(_name, _ext,					\
		     ({ void *_t = _T; if (_T && !(_condlock)) _t = NULL; _t; }), \
		     class_##_name##_t _T);				\
	static __always_inline void *					\
	class_##_name##_ext##_lock_ptr(class_##_name##_t *_T)		\
	{ return class_##_name##_lock_ptr(_T); }

#define guard(_name)	CLASS(_name, __UNIQUE_ID(guard))

#define __guard_ptr(_name)	class_##_name##_lock_ptr
#define __is_cond_ptr(_name)	class_##_name##_is_conditional

/*
 * The body is the else branch of an if inside a one-pass for loop: the
 * loop's step jumps to a label that breaks out, so break and continue in
 * the body leave the scope (and unlock) as a reader expects.
 */
#define __scoped_guard(_name, _label, args...)				\
	for (CLASS(_name, scope)(args);					\
	     __guard_ptr(_name)(&scope) || !__is_cond_ptr(_name);	\
	     ({ goto _label; }))					\
		if (0) {						\
_label:									\
			break;						\
		} else

#define scoped_guard(_name, args...)					\
	__scoped_guard(_name, __UNIQUE_ID(scoped), args)

#define __scoped_cond_guard(_name, _fail, _label, args...)		\
	for (CLASS(_name, scope)(args); true; ({ goto _label; }))	\
		if (!__guard_ptr(_name)(&scope)) {			\
			_Static_assert(__is_cond_ptr(_name),		\
				"scoped_cond_guard needs a conditional guard"); \
			_fail;						\
_label:									\
			break;						\
		} else

#define scoped_cond_guard(_name, _fail, args...)			\
	__scoped_cond_guard(_name, _fail, __UNIQUE_ID(scoped), args)

/* --- lock guards with a struct (fat pointer) ----------------------------- */

#define __DEFINE_UNLOCK_GUARD(_name, _type, _unlock, ...)		\
typedef struct {							\
	_type *lock;							\
	__VA_ARGS__;							\
} class_##_name##_t;							\
									\
static __always_inline void						\
class_##_name##_destructor(class_##_name##_t *_T)			\
{									\
	if (_T->lock) { _unlock; }					\
}									\
									\
static __always_inline void *						\
class_##_name##_lock_ptr(class_##_name##_t *_T)				\
{ return (void *)_T->lock; }

#define __DEFINE_LOCK_GUARD_1(_name, _type, _lock)			\
static __always_inline class_##_name##_t				\
class_##_name##_constructor(_type *l)					\
{									\
	class_##_name##_t _t = { .lock = l }, *_T = &_t;		\
	_lock;								\
	return _t;							\
}

#define __DEFINE_LOCK_GUARD_0(_name, _lock)				\
static __always_inline class_##_name##_t				\
class_##_name##_constructor(void)					\
{									\
	class_##_name##_t _t = { .lock = (void *)1 },			\
			  *_T __maybe_unused = &_t;			\
	_lock;								\
	return _t;							\
}

#define DEFINE_LOCK_GUARD_1(_name, _type, _lock, _unlock, ...)		\
__DEFINE_CLASS_IS_CONDITIONAL(_name, false);				\
__DEFINE_UNLOCK_GUARD(_name, _type, _unlock, __VA_ARGS__)		\
__DEFINE_LOCK_GUARD_1(_name, _type, _lock)

#define DEFINE_LOCK_GUARD_0(_name, _lock, _unlock, ...)			\
__DEFINE_CLASS_IS_CONDITIONAL(_name, false);				\
__DEFINE_UNLOCK_GUARD(_name, void, _unlock, __VA_ARGS__)		\
__DEFINE_LOCK_GUARD_0(_name, _lock)

#define DEFINE_LOCK_GUARD_1_COND(_name, _ext, _condlock)		\
	__DEFINE_CLASS_IS_CONDITIONAL(_name##_ext, true);		\
	EXTEND_CLASS(_name, _ext,					\
		     ({ class_##_name##_t _t = { .lock = l }, *_T = &_t; \
			if (_T->lock && !(_condlock)) _T->lock = NULL;	\
			_t; }),						\
		     __typeof__(((class_##_name##_t *)0)->lock) l)	\
	static __always_inline void *					\
	class_##_name##_ext##_lock_ptr(class_##_name##_t *_T)		\
	{ return class_##_name##_lock_ptr(_T); }

#endif /* _KSYNC_CLEANUP_H */
