/* SPDX-License-Identifier: MIT */
/*
 * Rust symbol names, demangled (legacy _ZN...E and v0 _R...), for the
 * symboliser.  Returns a malloc()ed string, or NULL if name is not a Rust
 * symbol it can read.
 */
#ifndef _KSYNC_RUST_DEMANGLE_H
#define _KSYNC_RUST_DEMANGLE_H

char *ksync_rust_demangle(const char *name);

#endif /* _KSYNC_RUST_DEMANGLE_H */
