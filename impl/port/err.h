/*
 * err.h - the project-wide error enum.
 *
 * Every fallible function in iosim (impl/, sim/, models/, reports/) returns
 * an `enum iosim_err`: 0 is success, everything else names what went wrong.
 * Results travel through out-parameters. Values mirror the POSIX errno names
 * so that a syscall-style status (-errno) can be derived with
 * iosim_err_errno(), which is what ring completions carry.
 *
 *     enum iosim_err e = foo_init(&foo, ...);
 *     if (e != IOSIM_OK) return e;
 *
 * Header-only, freestanding.
 */
#ifndef IOSIM_PORT_ERR_H
#define IOSIM_PORT_ERR_H

#include <stdint.h>

/* X(name, errno value, text). errno values are Linux's, fixed here so the
 * numbers in traces do not depend on the host's <errno.h>. New names go at
 * the end: some trace columns hold the enum's index (a wake-up's reason),
 * so inserting one would change the trace hash of runs that never see it. */
#define IOSIM_ERR_LIST(X)                                           \
    X(OK, 0, "success")                                             \
    X(EPERM, 1, "operation not permitted")                          \
    X(ENOENT, 2, "no such entry")                                   \
    X(EIO, 5, "input/output error")                                 \
    X(EBADF, 9, "bad descriptor")                                   \
    X(EAGAIN, 11, "try again")                                      \
    X(ENOMEM, 12, "out of memory")                                  \
    X(EACCES, 13, "access refused")                                 \
    X(EFAULT, 14, "bad address")                                    \
    X(EBUSY, 16, "busy")                                            \
    X(EEXIST, 17, "already exists")                                 \
    X(ENODEV, 19, "no such device")                                 \
    X(EINVAL, 22, "invalid argument")                               \
    X(ENOSPC, 28, "no space left")                                  \
    X(ERANGE, 34, "out of range")                                   \
    X(ENOSYS, 38, "not supported by this port")                     \
    X(EOVERFLOW, 75, "value too large")                             \
    X(EPROTO, 71, "protocol violation by a peer or device")        \
    X(EMSGSIZE, 90, "message too long")                             \
    X(ESHUTDOWN, 108, "peer has shut down")                         \
    X(ETIMEDOUT, 110, "timed out")                                  \
    X(ECANCELED, 125, "cancelled")                                  \
    X(EPARSE, 1000, "malformed input")                              \
    X(EEXPECT, 1001, "an expectation failed")                      \
    X(EPIPE, 32, "broken pipe (a stalled endpoint)")

enum iosim_err {
#define IOSIM_ERR_ENUM(name, num, text) IOSIM_##name,
    IOSIM_ERR_LIST(IOSIM_ERR_ENUM)
#undef IOSIM_ERR_ENUM
    IOSIM_ERR_COUNT
};

/* Short upper-case name ("EINVAL"); "E?" for values outside the enum. */
static inline const char *iosim_err_name(enum iosim_err e)
{
    static const char *const names[] = {
#define IOSIM_ERR_NAME(name, num, text) #name,
        IOSIM_ERR_LIST(IOSIM_ERR_NAME)
#undef IOSIM_ERR_NAME
    };
    return (unsigned)e < IOSIM_ERR_COUNT ? names[e] : "E?";
}

/* Human text ("invalid argument"). */
static inline const char *iosim_err_text(enum iosim_err e)
{
    static const char *const texts[] = {
#define IOSIM_ERR_TEXT(name, num, text) text,
        IOSIM_ERR_LIST(IOSIM_ERR_TEXT)
#undef IOSIM_ERR_TEXT
    };
    return (unsigned)e < IOSIM_ERR_COUNT ? texts[e] : "unknown error";
}

/* Positive errno value, for syscall-style statuses (-errno). */
static inline int32_t iosim_err_errno(enum iosim_err e)
{
    static const int32_t nums[] = {
#define IOSIM_ERR_NUM(name, num, text) num,
        IOSIM_ERR_LIST(IOSIM_ERR_NUM)
#undef IOSIM_ERR_NUM
    };
    return (unsigned)e < IOSIM_ERR_COUNT ? nums[e] : 5 /* EIO */;
}

/* The error a syscall-style status (-errno) stands for: OK for a
 * non-negative status, EIO for an errno this list does not have. */
static inline enum iosim_err iosim_err_from_status(int64_t status)
{
    if (status >= 0)
        return IOSIM_OK;
    for (unsigned e = 1; e < IOSIM_ERR_COUNT; e++)
        if (-(int64_t)iosim_err_errno((enum iosim_err)e) == status)
            return (enum iosim_err)e;
    return IOSIM_EIO;
}

#endif /* IOSIM_PORT_ERR_H */
