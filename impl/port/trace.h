/*
 * trace.h - what production code reports about itself.
 *
 * A few events only production code knows about are worth a trace row:
 * ring publications, a peer breaking a ring's protocol, a shutdown, what a
 * buffer pool hands out and leaks. In the simulator they land in the run's
 * trace (tables ring_op, bufpool_op); natively they cost
 * nothing (the functions are empty inlines). Nothing here may influence
 * behaviour.
 */
#ifndef IOSIM_PORT_TRACE_H
#define IOSIM_PORT_TRACE_H

#include <stdbool.h>
#include <stdint.h>

/* The rows of pcid's report, passed whole (they have many fields). */
struct port_trace_pci_func {
    const char *bdf;        /* "BB:DD.F" */
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if;
    const char *kind;       /* "endpoint", "bridge" */
    const char *caps;       /* e.g. "pm msi:8 msix:16 pcie:gen3x4" */
    uint32_t problems;      /* PCID_PROB_* */
    const char *driver;     /* NULL: none */
    const char *status;     /* "started", "no_driver", "no_space", "spawn_failed", "bridge" */
    int64_t driver_pid;     /* -1: none */
};

struct port_trace_pci_bar {
    const char *bdf;
    uint32_t bar;           /* 0..5; 6: a bridge's memory window */
    const char *kind;       /* "mem32", "mem64", "io", "window" */
    bool prefetch;
    uint64_t size, addr;
    bool assigned;
};

/* A row of xhcid's device table: what happened on a root port or to the
 * device on it. */
struct port_trace_usb_dev {
    uint32_t port, slot;    /* slot 0: none (yet) */
    const char *speed;      /* "full", "low", "high", "super", ...; "none" before the reset */
    const char *event;      /* "connect", "reset", "warm_reset", "enabled", "addressed",
                               "configured", "refused", "gone", "disconnect", "port_failed" */
    uint16_t vendor, product;
    uint32_t interfaces;
    const char *detail;     /* why (refused, port_failed), the strings (configured), or NULL */
};

/* A SCSI command usbscsid ran (table scsi_cmd), reported at its end. */
struct port_trace_scsi_cmd {
    uint32_t lun, tag;
    const char *op;         /* "read_10", "inquiry", ... (scsi_op_name) */
    uint8_t opcode;
    uint64_t lba;           /* 0 for a command without one */
    uint32_t blocks;
    const char *dir;        /* "in", "out", "none" */
    uint32_t len, residue;  /* the CBW's data length; the CSW's residue */
    const char *status;     /* "good", "check_condition", "phase_error", "stall", "reset",
                               "bad_csw", "timeout", "gone", ... */
    uint8_t sense_key, asc, ascq;
    uint64_t start_ps, end_ps; /* port_now_ns() * 1000 at the CBW and at the CSW */
};

/* One I/O of a disk workload (table fio_io). */
struct port_trace_fio_io {
    const char *job;
    const char *op;         /* "read", "write", "flush" */
    uint64_t offset, len;
    int64_t status;         /* bytes, or a negative errno */
    uint64_t submit_ps, lat_ns;
};

/* A workload's summary for one direction (table fio_result). */
struct port_trace_fio_result {
    const char *job;
    const char *dir;        /* "read", "write", "flush" */
    uint64_t ios, bytes, errors, runtime_ns, iops, bw_kib_s;
    uint64_t lat_min_ns, lat_mean_ns, lat_max_ns, p50_ns, p90_ns, p99_ns, p999_ns;
};

#if defined(PORT_NATIVE)
static inline void port_trace_scsi_cmd(const struct port_trace_scsi_cmd *c) { (void)c; }
static inline void port_trace_fio_io(const struct port_trace_fio_io *r) { (void)r; }
static inline void port_trace_fio_result(const struct port_trace_fio_result *r) { (void)r; }
static inline void port_trace_bufpool(const char *pool, const char *op, uint32_t chunk,
                                      uint64_t offset, uint64_t len_bytes, uint64_t addr,
                                      uint32_t guards, int32_t status)
{
    (void)pool, (void)op, (void)chunk, (void)offset, (void)len_bytes, (void)addr, (void)guards,
        (void)status;
}
static inline void port_trace_ring(const void *ring_header, const char *side, const char *op,
                                   uint32_t head, uint32_t tail, uint32_t count, int32_t status)
{
    (void)ring_header, (void)side, (void)op, (void)head, (void)tail, (void)count, (void)status;
}
static inline void port_trace_pcid_func(const struct port_trace_pci_func *f) { (void)f; }
static inline void port_trace_pcid_bar(const struct port_trace_pci_bar *b) { (void)b; }
static inline void port_trace_pcid_req(const char *bdf, uint32_t client_pid, const char *op,
                                       uint64_t offset, uint64_t len, int64_t status,
                                       uint64_t extra)
{
    (void)bdf, (void)client_pid, (void)op, (void)offset, (void)len, (void)status, (void)extra;
}
static inline void port_trace_xhcid_dev(const struct port_trace_usb_dev *d) { (void)d; }
#elif defined(PORT_SIM)
/* side: "sq" or "cq"; op: "push", "pop", "shutdown", "broken", ...;
 * status: 0 or a negative errno. The ring is named by where its header is. */
void port_trace_ring(const void *ring_header, const char *side, const char *op, uint32_t head,
                     uint32_t tail, uint32_t count, int32_t status);
/* A buffer-pool event (table bufpool_op): pool is the pool's name, op
 * "chunk_add", "alloc", "free", "defer", "guard", "unguard", "forfeit",
 * "leak", "reclaim", "chunk_remove", "bad_handle", "destroy"; offset and
 * len_bytes locate the slice in its chunk, addr is the chunk's extra value
 * plus the offset (the device's view); status 0 or a negative errno. */
void port_trace_bufpool(const char *pool, const char *op, uint32_t chunk, uint64_t offset,
                        uint64_t len_bytes, uint64_t addr, uint32_t guards, int32_t status);
/* What pcid found and did (tables pcid_func, pcid_bar, pcid_req). */
void port_trace_pcid_func(const struct port_trace_pci_func *f);
void port_trace_pcid_bar(const struct port_trace_pci_bar *b);
/* op: "open", "info", "cfg_read", "cfg_write", "bar", "irq", "close", "accept", "bad" */
void port_trace_pcid_req(const char *bdf, uint32_t client_pid, const char *op, uint64_t offset,
                         uint64_t len, int64_t status, uint64_t extra);
/* What xhcid did with a port or device (table xhcid_dev). */
void port_trace_xhcid_dev(const struct port_trace_usb_dev *d);
/* A SCSI command usbscsid ran (table scsi_cmd). */
void port_trace_scsi_cmd(const struct port_trace_scsi_cmd *c);
/* A disk workload's I/O and its summary (tables fio_io, fio_result). */
void port_trace_fio_io(const struct port_trace_fio_io *r);
void port_trace_fio_result(const struct port_trace_fio_result *r);
#else
#error "define PORT_NATIVE or PORT_SIM"
#endif

#endif /* IOSIM_PORT_TRACE_H */
