/*
 * irq.h - waiting for interrupts.
 *
 * A driver opens an interrupt line (or an MSI/MSI-X vector number handed to
 * it by pcid) and waits on it. An interrupt raised while nobody waits is
 * latched: the next wait returns at once. Several raises before a wait
 * collapse into one, as an edge-triggered line does.
 *
 *     struct port_irq *irq;
 *     port_irq_open(line, &irq);
 *     while (port_irq_wait(irq, 1000000) == IOSIM_OK) handle_events();
 *     port_irq_close(irq);
 *
 * The handle is owned by the caller until port_irq_close(). One process
 * waits on a handle at a time.
 */
#ifndef IOSIM_PORT_IRQ_H
#define IOSIM_PORT_IRQ_H

#include <stdint.h>

#include "impl/port/atomic.h"
#include "impl/port/err.h"

/* Wait forever. */
#define PORT_IRQ_NO_TIMEOUT UINT64_MAX

struct port_irq;

enum iosim_err port_irq_open(uint32_t line, struct port_irq **out);
void port_irq_close(struct port_irq *irq);

/* IOSIM_OK when an interrupt arrived (consuming it), IOSIM_ETIMEDOUT when
 * timeout_ns passed first. */
enum iosim_err port_irq_wait(struct port_irq *irq, uint64_t timeout_ns);

/* Waits for an interrupt or for a wake of `word`, whichever comes first:
 * IOSIM_OK when the interrupt arrived (consumed), IOSIM_EAGAIN when the
 * word moved from `expected` or was woken (port_wake; callers re-check),
 * IOSIM_ETIMEDOUT. A driver that serves rings and takes interrupts sleeps
 * here on the epoch its server ring moves on: one sleep for both, so it
 * needs no polling period when idle. */
enum iosim_err port_irq_wait_word(struct port_irq *irq, port_atomic_u32 *word, uint32_t expected,
                                  uint64_t timeout_ns);

#endif /* IOSIM_PORT_IRQ_H */
