/*
 * Bulk-Only Transport, device side; see msc_bot.h. One command at a time:
 * a CBW moves the function from CBW to DATA_IN, DATA_OUT or CSW; the CSW
 * brings it back. The case of a command (BOT 6.7) is chosen once, from the
 * host's direction and length in the CBW and the unit's intent, and says
 * what the data phase does and what the CSW reports.
 */
#include "models/scsi/msc_bot.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"

enum phase { PH_CBW, PH_DATA_IN, PH_DATA_OUT, PH_CSW, PH_DEAD };

struct msc_bot {
    struct scsi_lu *lu[MSC_BOT_LUNS_MAX];
    uint32_t luns;
    struct usb_dev *dev;
    enum phase ph;
    uint8_t cbw[USB_BOT_CBW_BYTES];
    uint32_t tag, host_len;             /* the CBW's */
    uint32_t lun;
    uint8_t *buf;                       /* the data phase: MSC_BOT_XFER_MAX bytes */
    uint32_t have, done;                /* IN: bytes to send, sent; OUT: to take, taken */
    uint32_t exec_len;                  /* OUT: bytes the command itself uses */
    bool stall_after;                   /* IN: halt Bulk-In once the data is out */
    uint8_t status;                     /* the CSW's */
    uint32_t residue;
    struct msc_bot_stats st;
};

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static void halt(struct msc_bot *m, uint8_t ep)
{
    if (m->dev != NULL)
        (void)usb_dev_halt(m->dev, ep);
}

/* ---- commands ------------------------------------------------------------------------------- */

/* REPORT LUNS [ref 5]: the target's, not a unit's. */
static uint32_t report_luns(const struct msc_bot *m, uint8_t *d, uint32_t cap)
{
    uint32_t n = SCSI_REPORT_LUNS_HEADER_BYTES + m->luns * SCSI_REPORT_LUNS_ENTRY_BYTES;
    uint8_t tmp[SCSI_REPORT_LUNS_HEADER_BYTES + MSC_BOT_LUNS_MAX * SCSI_REPORT_LUNS_ENTRY_BYTES];
    memset(tmp, 0, sizeof tmp);
    uint32_t list = m->luns * SCSI_REPORT_LUNS_ENTRY_BYTES;
    for (uint32_t i = 0; i < 4; i++)
        tmp[SCSI_REPORT_LUNS_LIST_LENGTH + i] = (uint8_t)(list >> (24 - 8 * i));
    for (uint32_t l = 0; l < m->luns; l++)
        tmp[SCSI_REPORT_LUNS_HEADER_BYTES + l * SCSI_REPORT_LUNS_ENTRY_BYTES +
            SCSI_REPORT_LUNS_ENTRY_LUN] = (uint8_t)l;
    n = n < cap ? n : cap;
    memcpy(d, tmp, n);
    return n;
}

static bool is_report_luns(const uint8_t *cdb) { return cdb[SCSI_CDB_OPCODE] == SCSI_OP_REPORT_LUNS; }

static void intent_of(struct msc_bot *m, const uint8_t *cdb, uint32_t len, struct scsi_intent *it)
{
    if (is_report_luns(cdb) && len >= SCSI_CDB12_BYTES) {
        uint32_t alloc = (uint32_t)cdb[SCSI_REPORT_LUNS_ALLOC_LENGTH] << 24 |
                         (uint32_t)cdb[SCSI_REPORT_LUNS_ALLOC_LENGTH + 1] << 16 |
                         (uint32_t)cdb[SCSI_REPORT_LUNS_ALLOC_LENGTH + 2] << 8 |
                         cdb[SCSI_REPORT_LUNS_ALLOC_LENGTH + 3];
        uint32_t n = SCSI_REPORT_LUNS_HEADER_BYTES + m->luns * SCSI_REPORT_LUNS_ENTRY_BYTES;
        *it = (struct scsi_intent){.dir = SCSI_DIR_IN, .bytes = alloc < n ? alloc : n};
        return;
    }
    scsi_lu_decode(m->lu[m->lun], cdb, len, it);
    if (it->bytes > MSC_BOT_XFER_MAX) /* past the device's transfer limit: refused */
        *it = (struct scsi_intent){.dir = SCSI_DIR_NONE};
}

/* Runs the command on up to `len` bytes of the buffer; its status. */
static uint8_t run(struct msc_bot *m, const uint8_t *cdb, uint32_t cdb_len, uint32_t len,
                   uint32_t *moved)
{
    m->st.commands++;
    if (is_report_luns(cdb) && cdb_len >= SCSI_CDB12_BYTES) {
        *moved = report_luns(m, m->buf, len);
        return SCSI_STATUS_GOOD;
    }
    return scsi_lu_execute(m->lu[m->lun], cdb, cdb_len, m->buf, len, moved);
}

static uint8_t csw_status(uint8_t scsi_status)
{
    return scsi_status == SCSI_STATUS_GOOD ? USB_BOT_CSW_STATUS_PASSED : USB_BOT_CSW_STATUS_FAILED;
}

static void phase_error(struct msc_bot *m)
{
    m->status = USB_BOT_CSW_STATUS_PHASE_ERROR;
    m->residue = 0;
    m->st.phase_errors++;
}

/* ---- the thirteen cases [BOT 6.7] ----------------------------------------------------------- */

static void host_none(struct msc_bot *m, const uint8_t *cdb, uint32_t len, const struct scsi_intent *it)
{
    m->ph = PH_CSW;
    if (it->dir != SCSI_DIR_NONE) { /* cases 2, 3: the device wants data, the host none */
        m->st.last_case = it->dir == SCSI_DIR_IN ? USB_BOT_CASE_2 : USB_BOT_CASE_3;
        phase_error(m);
        return;
    }
    m->st.last_case = USB_BOT_CASE_1;
    uint32_t moved;
    m->status = csw_status(run(m, cdb, len, 0, &moved));
    m->residue = 0;
}

static void host_in(struct msc_bot *m, const uint8_t *cdb, uint32_t len, const struct scsi_intent *it)
{
    if (it->dir == SCSI_DIR_OUT) { /* case 8: Hi <> Do */
        m->st.last_case = USB_BOT_CASE_8;
        phase_error(m);
        m->ph = PH_DATA_IN;
        m->have = m->done = 0;
        m->stall_after = true;
        return;
    }
    uint32_t want = it->dir == SCSI_DIR_IN ? it->bytes : 0, moved = 0;
    uint32_t cap = want < m->host_len ? want : m->host_len;
    uint8_t st = run(m, cdb, len, cap, &moved);
    m->ph = PH_DATA_IN;
    m->have = moved;
    m->done = 0;
    if (want > m->host_len) { /* case 7: the host takes less than the device has */
        m->st.last_case = USB_BOT_CASE_7;
        phase_error(m);
        m->stall_after = false;
        return;
    }
    m->st.last_case = want == 0 ? USB_BOT_CASE_4 : moved == m->host_len ? USB_BOT_CASE_6
                                                                          : USB_BOT_CASE_5;
    m->status = csw_status(st);
    m->residue = m->host_len - moved;
    m->stall_after = moved < m->host_len; /* less than asked: Bulk-In halts [BOT 6.7.2] */
}

static void host_out(struct msc_bot *m, const struct scsi_intent *it)
{
    m->ph = PH_DATA_OUT;
    m->have = m->host_len;
    m->done = 0;
    if (it->dir == SCSI_DIR_IN || (it->dir == SCSI_DIR_OUT && it->bytes > m->host_len)) {
        /* cases 10 and 13: Bulk-Out halts at once, phase error */
        m->st.last_case = it->dir == SCSI_DIR_IN ? USB_BOT_CASE_10 : USB_BOT_CASE_13;
        phase_error(m);
        m->exec_len = UINT32_MAX;
        return;
    }
    m->exec_len = it->dir == SCSI_DIR_OUT ? it->bytes : 0;
    m->st.last_case = m->exec_len == 0 ? USB_BOT_CASE_9
                      : m->exec_len == m->host_len ? USB_BOT_CASE_12 : USB_BOT_CASE_11;
}

/* ---- CBW ------------------------------------------------------------------------------------ */

static bool cbw_valid(const struct msc_bot *m, const uint8_t *b, uint32_t len)
{
    uint8_t cb_len = b[USB_BOT_CBW_CB_LENGTH] & USB_BOT_CBW_CB_LENGTH_MASK;
    return len == USB_BOT_CBW_BYTES && le32(b + USB_BOT_CBW_SIGNATURE) == USB_BOT_CBW_SIGNATURE_VALUE &&
           (b[USB_BOT_CBW_FLAGS] & USB_BOT_CBW_FLAGS_RESERVED_MASK) == 0 &&
           (b[USB_BOT_CBW_LUN] & USB_BOT_CBW_LUN_MASK) < m->luns &&
           cb_len >= USB_BOT_CBW_CB_LENGTH_MIN && cb_len <= USB_BOT_CBW_CB_LENGTH_MAX;
}

static enum usb_result take_cbw(struct msc_bot *m, const uint8_t *b, uint32_t len)
{
    if (!cbw_valid(m, b, len)) { /* both pipes halt until a reset [BOT 6.6.1] */
        m->ph = PH_DEAD;
        m->st.invalid_cbws++;
        halt(m, MSC_BOT_EP_IN);
        return USB_STALL;
    }
    memcpy(m->cbw, b, USB_BOT_CBW_BYTES);
    m->tag = le32(b + USB_BOT_CBW_TAG);
    m->host_len = le32(b + USB_BOT_CBW_DATA_LENGTH);
    m->lun = b[USB_BOT_CBW_LUN] & USB_BOT_CBW_LUN_MASK;
    const uint8_t *cdb = m->cbw + USB_BOT_CBW_CB;
    uint32_t cdb_len = b[USB_BOT_CBW_CB_LENGTH] & USB_BOT_CBW_CB_LENGTH_MASK;
    struct scsi_intent it;
    intent_of(m, cdb, cdb_len, &it);
    if (m->host_len > MSC_BOT_XFER_MAX) /* a host asking for more than the device moves */
        m->host_len = MSC_BOT_XFER_MAX;
    if (le32(b + USB_BOT_CBW_DATA_LENGTH) == 0)
        host_none(m, cdb, cdb_len, &it);
    else if (b[USB_BOT_CBW_FLAGS] & USB_BOT_CBW_FLAGS_DATA_IN)
        host_in(m, cdb, cdb_len, &it);
    else
        host_out(m, &it);
    return USB_ACK;
}

/* ---- the endpoints -------------------------------------------------------------------------- */

static enum usb_result send_csw(struct msc_bot *m, uint8_t *buf, uint32_t max, uint32_t *got)
{
    if (max < USB_BOT_CSW_BYTES)
        return USB_BABBLE;
    uint8_t csw[USB_BOT_CSW_BYTES] = {0};
    put_le32(csw + USB_BOT_CSW_SIGNATURE, USB_BOT_CSW_SIGNATURE_VALUE);
    put_le32(csw + USB_BOT_CSW_TAG, m->tag);
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, m->residue);
    csw[USB_BOT_CSW_STATUS] = m->status;
    memcpy(buf, csw, sizeof csw);
    *got = sizeof csw;
    m->st.csw_failed += m->status == USB_BOT_CSW_STATUS_FAILED;
    m->ph = PH_CBW;
    return USB_ACK;
}

static enum usb_result bot_in(void *ctx, uint8_t ep, uint8_t *buf, uint32_t max, uint32_t *got)
{
    struct msc_bot *m = ctx;
    *got = 0;
    if (ep != MSC_BOT_EP_IN || m->ph == PH_DEAD || m->ph == PH_CBW || m->ph == PH_DATA_OUT)
        return m->ph == PH_DEAD ? USB_STALL : USB_NAK; /* nothing to say yet */
    if (m->ph == PH_CSW)
        return send_csw(m, buf, max, got);
    uint32_t n = m->have - m->done < max ? m->have - m->done : max;
    if (n == 0 && m->stall_after) {
        m->ph = PH_CSW; /* the host clears the halt, then reads the CSW */
        return USB_STALL;
    }
    memcpy(buf, m->buf + m->done, n);
    m->done += n;
    *got = n;
    if (m->done == m->have && !m->stall_after)
        m->ph = PH_CSW;
    return USB_ACK;
}

static enum usb_result bot_out(void *ctx, uint8_t ep, const uint8_t *buf, uint32_t len,
                               uint32_t *taken)
{
    struct msc_bot *m = ctx;
    *taken = 0;
    if (ep != MSC_BOT_EP_OUT || m->ph == PH_DEAD)
        return USB_STALL;
    if (m->ph == PH_CBW) {
        *taken = len;
        return take_cbw(m, buf, len);
    }
    if (m->ph != PH_DATA_OUT)
        return USB_NAK; /* a CSW is owed first */
    if (m->exec_len == UINT32_MAX) { /* cases 10, 13 */
        m->ph = PH_CSW;
        return USB_STALL;
    }
    uint32_t n = m->have - m->done < len ? m->have - m->done : len;
    memcpy(m->buf + m->done, buf, n);
    m->done += n;
    *taken = len;
    if (m->done < m->have)
        return USB_ACK;
    uint32_t moved = 0;
    uint8_t st = run(m, m->cbw + USB_BOT_CBW_CB,
                     m->cbw[USB_BOT_CBW_CB_LENGTH] & USB_BOT_CBW_CB_LENGTH_MASK, m->exec_len,
                     &moved);
    m->status = csw_status(st);
    m->residue = m->host_len - moved;
    m->ph = PH_CSW;
    return USB_ACK;
}

static enum usb_result bot_control(void *ctx, const struct usb_setup *s, uint8_t *data,
                                   uint32_t *len)
{
    struct msc_bot *m = ctx;
    if (s->request_type == USB_BOT_REQ_GET_MAX_LUN_TYPE && s->request == USB_BOT_REQ_GET_MAX_LUN &&
        s->length >= USB_BOT_GET_MAX_LUN_BYTES) {
        data[0] = (uint8_t)(m->luns - 1u);
        *len = USB_BOT_GET_MAX_LUN_BYTES;
        return USB_ACK;
    }
    if (s->request_type == USB_BOT_REQ_RESET_TYPE && s->request == USB_BOT_REQ_RESET &&
        s->length == 0) {
        m->ph = PH_CBW; /* halts stay: the host clears them next [BOT 5.3.4] */
        m->st.resets++;
        *len = 0;
        return USB_ACK;
    }
    return USB_STALL;
}

static void bot_halt_cleared(void *ctx, uint8_t ep)
{
    struct msc_bot *m = ctx;
    if (m->ph == PH_DEAD) /* invalid CBW: the halt stays until a reset */
        halt(m, ep);
}

static void bot_reset(void *ctx)
{
    struct msc_bot *m = ctx;
    m->ph = PH_CBW;
    for (uint32_t l = 0; l < m->luns; l++)
        scsi_lu_reset(m->lu[l]);
}

static const struct usb_fn_ops ops = {.control = bot_control, .in = bot_in, .out = bot_out,
                                      .halt_cleared = bot_halt_cleared, .reset = bot_reset};

const struct usb_fn_ops *msc_bot_ops(void) { return &ops; }

/* ---- life ----------------------------------------------------------------------------------- */

enum iosim_err msc_bot_create(const struct msc_bot_config *c, struct msc_bot **out)
{
    ASSERT(c != NULL && out != NULL);
    if (c->luns == 0 || c->luns > MSC_BOT_LUNS_MAX)
        return IOSIM_EINVAL;
    struct msc_bot *m = calloc(1, sizeof *m);
    if (m == NULL || (m->buf = malloc(MSC_BOT_XFER_MAX)) == NULL) {
        free(m);
        return IOSIM_ENOMEM;
    }
    m->luns = c->luns;
    for (uint32_t l = 0; l < c->luns; l++) {
        enum iosim_err e = scsi_lu_create(&c->lu[l], &m->lu[l]);
        if (e != IOSIM_OK) {
            msc_bot_destroy(m);
            return e;
        }
    }
    *out = m;
    return IOSIM_OK;
}

void msc_bot_destroy(struct msc_bot *m)
{
    if (m == NULL)
        return;
    for (uint32_t l = 0; l < m->luns; l++)
        scsi_lu_destroy(m->lu[l]);
    free(m->buf);
    free(m);
}

void msc_bot_bind(struct msc_bot *m, struct usb_dev *d) { m->dev = d; }

struct scsi_lu *msc_bot_lu(struct msc_bot *m, uint32_t lun)
{
    return lun < m->luns ? m->lu[lun] : NULL;
}

void msc_bot_stats_get(const struct msc_bot *m, struct msc_bot_stats *out) { *out = m->st; }
