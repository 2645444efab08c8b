/* SPDX-License-Identifier: MIT */
/* The soft interrupt mask's replay (irq_replay.c). */
#ifndef _KSYNC_SRC_IRQ_REPLAY_H
#define _KSYNC_SRC_IRQ_REPLAY_H

/*
 * Register what runs the interrupts held back while the mask was set: in
 * hardirq context, with the mask set (the context layer's, at start-up).
 */
void ksync_irq_set_replay(void (*run_held)(void));

#endif /* _KSYNC_SRC_IRQ_REPLAY_H */
