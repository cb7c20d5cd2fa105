/*
 * scsi_fit.h - a timing profile (scsi_profile.h) fitted to the times a
 * real device took: what `iosim calibrate` does with a capture.
 *
 * The input is the device's requests in the order the host sent them -
 * reads, writes and flushes with their LBAs and sizes - each with the
 * time the device itself took: the capture's latency (CBW to CSW) less
 * what the simulated host, controller and bus took for the same request
 * with a device that takes no time (a run of the replayed workload on a
 * zero profile). The fit replays the requests through the model's own
 * rules - the read cache of scsi_cache.h, the head position of
 * scsi_profile_access_ps - for each read-cache shape in a small grid
 * (segments x read-ahead), classifies every request (a cache hit, the
 * next block, a short move, a long seek), fits each class's costs by
 * medians (a command's fixed cost and per-KiB rate by Theil-Sen over the
 * sizes, a seek as the median of what remains), nudges each cost
 * around that, and keeps the profile that leaves the fewest request kinds
 * (an operation and a size) off by more than 10 % at p50 (and at p90 for
 * kinds of SCSI_FIT_P90_MIN requests or more), then the least sum of
 * per-request ratio errors. What the requests cannot tell (the medium's streaming rate
 * without sequential misses, the revolution) stays the base profile's.
 *
 *     struct scsi_fit_req req[n] = ...;
 *     struct scsi_profile out;
 *     struct scsi_fit_stats st;
 *     scsi_fit(scsi_profile_find("usb-hdd"), req, n, disk_blocks, &out, &st);
 *
 * Deterministic: integers only, fixed grid order, ties to the smaller
 * shape. Caller storage; allocates scratch and frees it before returning.
 */
#ifndef IOSIM_SCSI_FIT_H
#define IOSIM_SCSI_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "models/scsi/scsi_profile.h"

/* A kind's p90 counts from this many requests on (as iosim compare's
 * default gate): below it, p90 is one request's mechanical luck. */
#define SCSI_FIT_P90_MIN 10u

struct scsi_fit_req {
    char op;                     /* 'r', 'w' or 'f' */
    uint64_t lba;
    uint32_t blocks;
    sim_time_ps device_ps;       /* what the device took */
};

/* The request classes, as the fitted model sees them. */
enum scsi_fit_class { SCSI_FIT_HIT, SCSI_FIT_NEXT, SCSI_FIT_NEAR, SCSI_FIT_FAR, SCSI_FIT_FLUSH,
                      SCSI_FIT_CLASSES };

struct scsi_fit_stats {
    uint32_t cache_segments, readahead_kib; /* the shape kept */
    uint64_t count[SCSI_FIT_CLASSES];        /* requests in each class under it */
    uint64_t score;                          /* sum of |ln(pred/real)|, in 1/1000 */
    uint32_t shapes;                         /* shapes tried */
};

/* Fits out from base (its name, block size, write cache and whatever the
 * requests cannot tell are kept). EINVAL for a base without a block
 * size, ENOMEM. n may be 0 (out = base). */
enum iosim_err scsi_fit(const struct scsi_profile *base, const struct scsi_fit_req *req, size_t n,
                        uint64_t disk_blocks, struct scsi_profile *out, struct scsi_fit_stats *st);

/* The time the profile p gives request i of req (a cache and head walked
 * over req[0..i-1] as scsi_fit walks them), for all n: pred[i]. */
enum iosim_err scsi_fit_predict(const struct scsi_profile *p, const struct scsi_fit_req *req,
                                size_t n, uint64_t disk_blocks, sim_time_ps *pred);

/* Each request's class under profile p (its cache shape and head rules),
 * walked as scsi_fit_predict walks them: cls[i]. */
enum iosim_err scsi_fit_classify(const struct scsi_profile *p, const struct scsi_fit_req *req,
                                 size_t n, uint64_t disk_blocks, enum scsi_fit_class *cls);

#endif /* IOSIM_SCSI_FIT_H */
