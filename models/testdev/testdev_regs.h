/*
 * testdev_regs.h - register map of the iosim test device.
 *
 * The test device is not real hardware: it is the smallest device that
 * exercises every path a real one uses (MMIO reads and writes, DMA through
 * the IOMMU, an interrupt on completion, error reporting), so the engine's
 * conformance scenarios do not depend on the PCI or xHCI models. This
 * header is its "spec"; docs/scenario-format.md repeats it for users.
 *
 * A command copies LEN bytes from SRC to DST by DMA: write the registers,
 * then CTRL.START. When it ends, STATUS.DONE (or STATUS.ERROR with
 * ERROR_CODE) is set and, if CTRL.IRQ_EN, the interrupt line is raised.
 */
#ifndef IOSIM_MODELS_TESTDEV_REGS_H
#define IOSIM_MODELS_TESTDEV_REGS_H

#define TESTDEV_MMIO_SIZE 0x1000u
#define TESTDEV_ID_VALUE 0x10e51d01u

/* Register offsets (all 32-bit; SRC/DST may also be accessed as 64-bit). */
#define TESTDEV_REG_ID 0x00u         /* RO: TESTDEV_ID_VALUE */
#define TESTDEV_REG_SCRATCH 0x04u    /* RW: no effect */
#define TESTDEV_REG_STATUS 0x08u     /* DONE, ERROR: write 1 to clear; BUSY: RO */
#define TESTDEV_REG_CTRL 0x0cu       /* START: write-only, reads 0; IRQ_EN: RW */
#define TESTDEV_REG_SRC_LO 0x10u     /* RW */
#define TESTDEV_REG_SRC_HI 0x14u     /* RW */
#define TESTDEV_REG_DST_LO 0x18u     /* RW */
#define TESTDEV_REG_DST_HI 0x1cu     /* RW */
#define TESTDEV_REG_LEN 0x20u        /* RW: bytes, 1..TESTDEV_LEN_MAX */
#define TESTDEV_REG_DONE_COUNT 0x24u /* RO: commands finished without error */
#define TESTDEV_REG_ERROR_CODE 0x28u /* RO: TESTDEV_ERR_* of the last error */
#define TESTDEV_REG_COPIED 0x2cu     /* RO: bytes copied by the last command */

#define TESTDEV_STATUS_DONE 0x1u
#define TESTDEV_STATUS_ERROR 0x2u
#define TESTDEV_STATUS_BUSY 0x4u
#define TESTDEV_STATUS_W1C (TESTDEV_STATUS_DONE | TESTDEV_STATUS_ERROR)

#define TESTDEV_CTRL_START 0x1u
#define TESTDEV_CTRL_IRQ_EN 0x2u

#define TESTDEV_ERR_NONE 0u
#define TESTDEV_ERR_REFUSED 1u      /* the IOMMU refused an access */
#define TESTDEV_ERR_RANGE 2u        /* an address is not memory */
#define TESTDEV_ERR_BUS 3u          /* a bus error (injected fault) */
#define TESTDEV_ERR_LEN 4u          /* LEN is 0 or above TESTDEV_LEN_MAX */
#define TESTDEV_ERR_BUSY 5u         /* START while a command runs (ignored) */

#define TESTDEV_LEN_MAX (1u << 20)
#define TESTDEV_CHUNK_BYTES 4096u   /* DMA request size (a PCIe max read request of 4 KiB) */

#endif /* IOSIM_MODELS_TESTDEV_REGS_H */
