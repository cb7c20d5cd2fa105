/*
 * Bulk-Only Transport, device side; see msc_bot.h. One command at a time:
 * a CBW moves the function from CBW to DATA_IN, DATA_OUT or CSW; the CSW
 * brings it back. The case of a command (BOT 6.7) is chosen once, from the
 * host's direction and length in the CBW and the unit's intent (or the
 * intent a fault rule forces), and says what the data phase does and what
 * the CSW reports. Time: the command runs at once (its data sits in buf),
 * and the clock only says how much of it the host may have yet.
 */
#include "models/scsi/msc_bot.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/scsi_cache.h"

enum phase { PH_CBW, PH_DATA_IN, PH_DATA_OUT, PH_CSW, PH_DEAD };

#define HEAD_UNKNOWN UINT64_MAX
#define PACKET_DEFAULT 512u             /* unit tests: no device to ask */

struct msc_bot {
    struct scsi_lu *lu[MSC_BOT_LUNS_MAX];
    uint32_t luns;
    struct usb_dev *dev;
    enum phase ph;
    uint8_t cbw[USB_BOT_CBW_BYTES];
    uint32_t tag, host_len;             /* the CBW's (host_len cut to MSC_BOT_XFER_MAX) */
    uint32_t cbw_len;                   /* dCBWDataTransferLength as sent */
    uint32_t lun;
    uint8_t *buf;                       /* the data phase: MSC_BOT_XFER_MAX bytes */
    uint32_t have, done;                /* IN: bytes to send, sent; OUT: to take, taken */
    uint32_t exec_len;                  /* OUT: bytes the command itself uses */
    bool stall_after;                   /* IN: halt Bulk-In once the data is out */
    uint8_t status;                     /* the CSW's */
    uint32_t residue;
    struct scsi_intent real;            /* the command's own intent */
    bool forced;                        /* a case rule changed it */
    enum msc_fault_csw csw_fault;       /* what this command's CSW suffers */
    /* time; all 0 without a clock and a profile */
    const struct scsi_profile *prof;
    struct msc_bot_clock clk;
    bool has_clock;
    sim_time_ps t_data;                 /* the data phase's first byte */
    sim_time_ps ps_per_kib;             /* its rate; 0: all at once */
    sim_time_ps t_csw;                  /* the command's end */
    uint32_t consumed;                  /* OUT: bytes the medium took of `done` */
    sim_time_ps t_consumed;             /* ... by this time (the rest of the time is owed) */
    uint64_t head[MSC_BOT_LUNS_MAX];    /* where each unit's last access ended */
    struct scsi_cache cache[MSC_BOT_LUNS_MAX]; /* each unit's read cache (the profile's) */
    uint8_t wait_ep;                    /* NAKed, owed a ready; 0: none */
    struct msc_fault faults;
    struct msc_bot_fault_hook hook;
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

static uint32_t min32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static void halt(struct msc_bot *m, uint8_t ep)
{
    if (m->dev != NULL)
        (void)usb_dev_halt(m->dev, ep);
}

/* ---- time ----------------------------------------------------------------------------------- */

static bool timed(const struct msc_bot *m) { return m->prof != NULL && m->has_clock; }

static sim_time_ps now(const struct msc_bot *m) { return timed(m) ? m->clk.now(m->clk.ctx) : 0; }

/* Time for `bytes` at the data rate, rounded up so that avail() has them then. */
static sim_time_ps bytes_ps(const struct msc_bot *m, uint64_t bytes)
{
    return (bytes * m->ps_per_kib + 1023u) / 1024u;
}

/* IN: bytes of the `total` the medium has delivered by t. */
static uint32_t avail(const struct msc_bot *m, sim_time_ps t, uint32_t total)
{
    if (t < m->t_data)
        return 0;
    if (m->ps_per_kib == 0 || t - m->t_data >= bytes_ps(m, total))
        return total;
    return (uint32_t)((t - m->t_data) * 1024u / m->ps_per_kib);
}

/* OUT: the medium drains what was taken, from t_data on, never ahead of
 * it; idle time is not banked. */
static void consume(struct msc_bot *m, sim_time_ps t)
{
    if (m->ps_per_kib == 0) {
        m->consumed = m->done;
        return;
    }
    if (t <= m->t_consumed)
        return;
    if (t - m->t_consumed >= bytes_ps(m, m->done - m->consumed)) {
        m->consumed = m->done;
        m->t_consumed = t;
        return;
    }
    uint64_t k = (t - m->t_consumed) * 1024u / m->ps_per_kib;
    m->consumed += (uint32_t)k;
    m->t_consumed += k * m->ps_per_kib / 1024u; /* the fraction left stays owed */
    ASSERT(m->consumed <= m->done);
}

static void on_wake(void *arg)
{
    struct msc_bot *m = arg;
    uint8_t ep = m->wait_ep;
    m->wait_ep = 0;
    if (ep == 0 || m->dev == NULL)
        return; /* stale: a reset came between */
    m->st.wakeups++;
    (void)usb_dev_ready(m->dev, ep);
}

/* Answers NAK on ep and wakes the host at `at` (not before now). */
static enum usb_result nak_until(struct msc_bot *m, uint8_t ep, sim_time_ps at)
{
    if (ep == MSC_BOT_EP_IN)
        m->st.naks_in++;
    else
        m->st.naks_out++;
    ASSERT(timed(m)); /* without time nothing waits */
    m->wait_ep = ep;
    sim_time_ps t = now(m);
    if (m->clk.wake_after(m->clk.ctx, at > t ? at - t : 0, on_wake, m) != IOSIM_OK)
        m->st.wake_errors++;
    return USB_NAK;
}

static uint32_t packet_bytes(const struct msc_bot *m, uint8_t ep)
{
    struct usb_ep_info info;
    if (m->dev != NULL && usb_dev_ep_info(m->dev, ep, &info) && info.max_packet_bytes != 0)
        return info.max_packet_bytes;
    return PACKET_DEFAULT;
}

/* The command's cost before its data, and its data's rate; `media`:
 * whether it will touch the medium (a forced direction does not). */
static void plan_time(struct msc_bot *m, bool media)
{
    m->ps_per_kib = 0;
    m->consumed = 0;
    m->t_data = m->t_csw = m->t_consumed = 0;
    if (!timed(m))
        return;
    const struct scsi_profile *p = m->prof;
    const struct scsi_intent *it = &m->real;
    sim_time_ps cost = MSC_BOT_CMD_PS;
    bool write = it->access == SCSI_ACCESS_WRITE;
    struct scsi_cache *cache = &m->cache[m->lun];
    if (media && !write && it->access == SCSI_ACCESS_READ &&
        scsi_cache_hit(cache, it->lba, it->blocks)) {
        cost = p->hit_cmd_ps; /* from the drive's RAM: no seek, no turn */
        m->ps_per_kib = p->hit_ps_per_kib;
    } else if (media && write && scsi_media_write_cache(scsi_lu_media(m->lu[m->lun]))) {
        /* into the volatile cache: acknowledged without moving the head,
         * which writes it back later (SYNCHRONIZE CACHE pays for that) */
        cost = p->write_cmd_ps;
        m->ps_per_kib = p->write_ps_per_kib;
        scsi_cache_invalidate(cache, it->lba, it->blocks);
    } else if (media && (write || it->access == SCSI_ACCESS_READ)) {
        cost = scsi_profile_access_ps(p, write, m->head[m->lun], it->lba, 0);
        m->ps_per_kib = write ? p->write_ps_per_kib : p->read_ps_per_kib;
        m->head[m->lun] = it->lba + it->blocks;
        if (write)
            scsi_cache_invalidate(cache, it->lba, it->blocks);
        else
            scsi_cache_fill(cache, it->lba, it->blocks,
                            scsi_media_blocks(scsi_lu_media(m->lu[m->lun])));
    } else if (media && it->access == SCSI_ACCESS_FLUSH) {
        struct scsi_media *md = scsi_lu_media(m->lu[m->lun]);
        struct scsi_media_stats s;
        scsi_media_stats_get(md, &s);
        uint64_t dirty_bytes = s.blocks_dirty * scsi_media_block_bytes(md);
        cost = p->flush_ps + dirty_bytes * p->write_ps_per_kib / 1024u;
    }
    m->t_data = m->t_consumed = m->t_csw = now(m) + cost;
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

/* A forced transfer against the command's own direction: it must not run
 * (a WRITE would write what an IN buffer holds). */
static bool against(const struct msc_bot *m, enum scsi_dir dir)
{
    return m->forced && m->real.dir != SCSI_DIR_NONE && m->real.dir != dir;
}

/* Runs the command on up to `len` bytes of the buffer, moving data `dir`;
 * its status. Against its own direction it moves `len` zeros instead. */
static uint8_t run(struct msc_bot *m, enum scsi_dir dir, uint32_t len, uint32_t *moved)
{
    const uint8_t *cdb = m->cbw + USB_BOT_CBW_CB;
    uint32_t cdb_len = m->cbw[USB_BOT_CBW_CB_LENGTH] & USB_BOT_CBW_CB_LENGTH_MASK;
    m->st.commands++;
    if (against(m, dir)) {
        memset(m->buf, 0, len);
        *moved = len;
        return SCSI_STATUS_GOOD;
    }
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

static void host_none(struct msc_bot *m, const struct scsi_intent *it)
{
    m->ph = PH_CSW;
    if (it->dir != SCSI_DIR_NONE) { /* cases 2, 3: the device wants data, the host none */
        plan_time(m, false);
        m->st.last_case = it->dir == SCSI_DIR_IN ? USB_BOT_CASE_2 : USB_BOT_CASE_3;
        phase_error(m);
        return;
    }
    m->st.last_case = USB_BOT_CASE_1;
    plan_time(m, true);
    uint32_t moved;
    m->status = csw_status(run(m, SCSI_DIR_NONE, 0, &moved));
    m->residue = 0;
}

static void host_in(struct msc_bot *m, const struct scsi_intent *it)
{
    if (it->dir == SCSI_DIR_OUT) { /* case 8: Hi <> Do */
        plan_time(m, false);
        m->st.last_case = USB_BOT_CASE_8;
        phase_error(m);
        m->ph = PH_DATA_IN;
        m->have = m->done = 0;
        m->stall_after = true;
        return;
    }
    uint32_t want = it->dir == SCSI_DIR_IN ? it->bytes : 0, moved = 0;
    uint32_t cap = want < m->host_len ? want : m->host_len;
    plan_time(m, !against(m, SCSI_DIR_IN));
    uint8_t st = run(m, SCSI_DIR_IN, cap, &moved);
    m->ph = PH_DATA_IN;
    m->have = moved;
    m->done = 0;
    m->t_csw = m->t_data + bytes_ps(m, moved);
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
        plan_time(m, false);
        m->st.last_case = it->dir == SCSI_DIR_IN ? USB_BOT_CASE_10 : USB_BOT_CASE_13;
        phase_error(m);
        m->exec_len = UINT32_MAX;
        return;
    }
    plan_time(m, !against(m, SCSI_DIR_OUT));
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

static void fired(struct msc_bot *m, uint32_t rule, uint64_t command, uint8_t bot_case,
                  enum msc_fault_csw csw)
{
    m->st.faults_fired++;
    if (bot_case != 0)
        m->st.case_faults++;
    else
        m->st.csw_faults++;
    if (m->hook.fired != NULL)
        m->hook.fired(m->hook.ctx, rule, command, m->cbw[USB_BOT_CBW_CB + SCSI_CDB_OPCODE],
                      msc_fault_kind(bot_case, csw));
}

/* The fault rules' say on this command: the intent it acts on, its CSW. */
static void apply_faults(struct msc_bot *m, enum msc_host_dir h, struct scsi_intent *it)
{
    struct msc_fault_hit hit;
    msc_fault_next(&m->faults, h, m->cbw[USB_BOT_CBW_CB + SCSI_CDB_OPCODE], &hit);
    m->forced = hit.bot_case != 0;
    m->csw_fault = hit.csw;
    if (hit.bot_case != 0) {
        bool blocks = it->access == SCSI_ACCESS_READ || it->access == SCSI_ACCESS_WRITE;
        uint32_t unit = blocks ? scsi_media_block_bytes(scsi_lu_media(m->lu[m->lun])) : 1u;
        msc_fault_force(hit.bot_case, m->host_len, unit, it);
        fired(m, hit.case_rule, hit.case_command, hit.bot_case, MSC_FAULT_CSW_OK);
    }
    if (hit.csw != MSC_FAULT_CSW_OK)
        fired(m, hit.csw_rule, hit.csw_command, 0, hit.csw);
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
    m->cbw_len = m->host_len = le32(b + USB_BOT_CBW_DATA_LENGTH);
    m->lun = b[USB_BOT_CBW_LUN] & USB_BOT_CBW_LUN_MASK;
    struct scsi_intent it;
    intent_of(m, m->cbw + USB_BOT_CBW_CB, b[USB_BOT_CBW_CB_LENGTH] & USB_BOT_CBW_CB_LENGTH_MASK,
              &it);
    m->real = it;
    if (m->host_len > MSC_BOT_XFER_MAX) /* a host asking for more than the device moves */
        m->host_len = MSC_BOT_XFER_MAX;
    enum msc_host_dir h = m->cbw_len == 0                               ? MSC_HOST_NONE
                          : b[USB_BOT_CBW_FLAGS] & USB_BOT_CBW_FLAGS_DATA_IN ? MSC_HOST_IN
                                                                             : MSC_HOST_OUT;
    apply_faults(m, h, &it);
    if (h == MSC_HOST_NONE)
        host_none(m, &it);
    else if (h == MSC_HOST_IN)
        host_in(m, &it);
    else
        host_out(m, &it);
    return USB_ACK;
}

/* ---- the endpoints -------------------------------------------------------------------------- */

static enum usb_result send_csw(struct msc_bot *m, uint8_t *buf, uint32_t max, uint32_t *got)
{
    if (max < USB_BOT_CSW_BYTES)
        return USB_BABBLE;
    uint32_t sig = USB_BOT_CSW_SIGNATURE_VALUE, tag = m->tag, residue = m->residue;
    if (m->csw_fault == MSC_FAULT_CSW_BAD_SIGNATURE)
        sig ^= 0xff000000u; /* "USB" and a wrong last letter */
    else if (m->csw_fault == MSC_FAULT_CSW_BAD_TAG)
        tag = ~tag;
    else if (m->csw_fault == MSC_FAULT_CSW_BAD_RESIDUE) /* more than asked: meaningless [BOT 6.3] */
        residue = m->cbw_len == UINT32_MAX ? UINT32_MAX : m->cbw_len + 1u;
    uint8_t csw[USB_BOT_CSW_BYTES] = {0};
    put_le32(csw + USB_BOT_CSW_SIGNATURE, sig);
    put_le32(csw + USB_BOT_CSW_TAG, tag);
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, residue);
    csw[USB_BOT_CSW_STATUS] = m->status;
    memcpy(buf, csw, sizeof csw);
    *got = sizeof csw;
    m->st.csw_failed += m->status == USB_BOT_CSW_STATUS_FAILED;
    m->csw_fault = MSC_FAULT_CSW_OK;
    m->ph = PH_CBW;
    return USB_ACK;
}

/* The data phase to the host: what the medium has delivered, whole
 * packets and a NAK when that is less than the host asked. */
static enum usb_result data_in(struct msc_bot *m, uint8_t *buf, uint32_t max, uint32_t *got)
{
    sim_time_ps t = now(m);
    uint32_t n = min32(m->have - m->done, max);
    if (n == 0 && m->stall_after) {
        if (t < m->t_csw)
            return nak_until(m, MSC_BOT_EP_IN, m->t_csw);
        m->ph = PH_CSW; /* the host clears the halt, then reads the CSW */
        return USB_STALL;
    }
    uint32_t ready = avail(m, t, m->have) - m->done;
    if (ready < n) {
        uint32_t mps = packet_bytes(m, MSC_BOT_EP_IN), give = ready / mps * mps;
        memcpy(buf, m->buf + m->done, give);
        m->done += give;
        *got = give;
        /* ready again a poll's worth later: what the medium makes in a
         * microframe, as a host polling a NAKing pipe each microframe
         * would find it - the bus streams as the medium fills it */
        uint32_t left = min32(m->have - m->done, max - give);
        uint32_t step = m->ps_per_kib == 0 ? left
                        : (uint32_t)(MSC_BOT_POLL_PS * 1024u / m->ps_per_kib);
        uint32_t next = min32(left, step > mps ? step : mps);
        return nak_until(m, MSC_BOT_EP_IN, m->t_data + bytes_ps(m, (uint64_t)m->done + next));
    }
    memcpy(buf, m->buf + m->done, n);
    m->done += n;
    *got = n;
    if (m->done == m->have && !m->stall_after)
        m->ph = PH_CSW;
    return USB_ACK;
}

static enum usb_result bot_in(void *ctx, uint8_t ep, uint8_t *buf, uint32_t max, uint32_t *got)
{
    struct msc_bot *m = ctx;
    *got = 0;
    if (ep != MSC_BOT_EP_IN || m->ph == PH_DEAD || m->ph == PH_CBW || m->ph == PH_DATA_OUT)
        return m->ph == PH_DEAD ? USB_STALL : USB_NAK; /* nothing to say yet */
    if (m->ph == PH_DATA_IN)
        return data_in(m, buf, max, got);
    if (m->csw_fault == MSC_FAULT_CSW_NONE) { /* a device that stopped answering */
        m->st.naks_in++;
        return USB_NAK;
    }
    if (now(m) < m->t_csw)
        return nak_until(m, MSC_BOT_EP_IN, m->t_csw);
    return send_csw(m, buf, max, got);
}

/* All the OUT data is in: the command runs; its CSW once the medium has it. */
static void finish_out(struct msc_bot *m, sim_time_ps t)
{
    sim_time_ps end = m->t_consumed + bytes_ps(m, m->have - m->consumed);
    m->t_csw = end > t ? end : t;
    uint32_t moved = 0;
    uint8_t st = run(m, SCSI_DIR_OUT, m->exec_len, &moved);
    m->status = csw_status(st);
    m->residue = m->host_len - moved;
    m->ph = PH_CSW;
}

/* The data phase from the host, no faster than the buffer drains. */
static enum usb_result data_out(struct msc_bot *m, const uint8_t *buf, uint32_t len,
                                uint32_t *taken)
{
    if (m->exec_len == UINT32_MAX) { /* cases 10, 13 */
        m->ph = PH_CSW;
        return USB_STALL;
    }
    sim_time_ps t = now(m);
    consume(m, t);
    uint32_t n = min32(m->have - m->done, len);
    uint32_t room = m->ps_per_kib == 0 ? UINT32_MAX
                                       : MSC_BOT_WRITE_BUF_BYTES - (m->done - m->consumed);
    if (n > room) {
        uint32_t mps = packet_bytes(m, MSC_BOT_EP_OUT), take = room / mps * mps;
        memcpy(m->buf + m->done, buf, take);
        m->done += take;
        *taken = take;
        uint32_t next = min32(min32(m->have - m->done, len - take), MSC_BOT_CHUNK_BYTES);
        uint32_t drained = m->done + next - MSC_BOT_WRITE_BUF_BYTES; /* > consumed: n > room */
        ASSERT(drained > m->consumed);
        return nak_until(m, MSC_BOT_EP_OUT,
                         m->t_consumed + bytes_ps(m, drained - m->consumed));
    }
    memcpy(m->buf + m->done, buf, n);
    m->done += n;
    *taken = len;
    if (m->done == m->have)
        finish_out(m, t);
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
    return data_out(m, buf, len, taken);
}

/* The transport forgets its command (a reset or a power loss). */
static void forget(struct msc_bot *m)
{
    m->ph = PH_CBW;
    m->wait_ep = 0; /* a wake-up still pending finds nothing to do */
    m->csw_fault = MSC_FAULT_CSW_OK;
    m->forced = false;
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
        forget(m); /* halts stay: the host clears them next [BOT 5.3.4] */
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
    forget(m);
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
    if (c->luns == 0 || c->luns > MSC_BOT_LUNS_MAX || c->fault_count > MSC_FAULT_RULES_MAX)
        return IOSIM_EINVAL;
    for (uint32_t i = 0; i < c->fault_count; i++)
        if (msc_fault_rule_problem(&c->faults[i]) != NULL)
            return IOSIM_EINVAL;
    struct msc_bot *m = calloc(1, sizeof *m);
    if (m == NULL || (m->buf = malloc(MSC_BOT_XFER_MAX)) == NULL) {
        free(m);
        return IOSIM_ENOMEM;
    }
    m->luns = c->luns;
    m->prof = c->profile;
    msc_fault_init(&m->faults, c->faults, c->fault_count);
    for (uint32_t l = 0; l < c->luns; l++) {
        m->head[l] = HEAD_UNKNOWN;
        scsi_cache_init(&m->cache[l], c->profile != NULL ? c->profile->cache_segments : 0,
                        c->profile != NULL && c->profile->block_bytes != 0
                            ? (uint64_t)c->profile->readahead_kib * 1024u / c->profile->block_bytes
                            : 0);
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

void msc_bot_set_clock(struct msc_bot *m, const struct msc_bot_clock *c)
{
    ASSERT(m != NULL);
    ASSERT(c == NULL || (c->now != NULL && c->wake_after != NULL));
    m->has_clock = c != NULL;
    m->clk = c != NULL ? *c : (struct msc_bot_clock){0};
}

void msc_bot_set_fault_hook(struct msc_bot *m, const struct msc_bot_fault_hook *h)
{
    m->hook = h != NULL ? *h : (struct msc_bot_fault_hook){0};
}

void msc_bot_power_loss(struct msc_bot *m)
{
    ASSERT(m != NULL);
    forget(m);
    for (uint32_t l = 0; l < m->luns; l++) {
        scsi_media_power_loss(scsi_lu_media(m->lu[l]));
        scsi_lu_reset(m->lu[l]);
        m->head[l] = HEAD_UNKNOWN;
        scsi_cache_clear(&m->cache[l]);
    }
    m->st.power_losses++;
}
