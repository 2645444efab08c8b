/* SPDX-License-Identifier: MIT */
/* Start-up (init.c). */
#ifndef _KSYNC_SRC_INIT_H
#define _KSYNC_SRC_INIT_H

/* Idempotent start-up: the environment, every layer's init hook, fork. */
void ksync_init_once(void);

#endif /* _KSYNC_SRC_INIT_H */
