// The ns-3 half of the hold benchmark: each scheduler ns-3 ships, driven
// through the ns3::Scheduler interface the ns-3 simulator itself uses
// (Insert / RemoveNext, virtual calls), behind hold.h's queue interface.
#include "bench/hold.h"

#include <ns3/calendar-scheduler.h>
#include <ns3/heap-scheduler.h>
#include <ns3/list-scheduler.h>
#include <ns3/map-scheduler.h>
#include <ns3/priority-queue-scheduler.h>
#include <ns3/scheduler.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

namespace
{

struct Ns3Queue
{
    ns3::Ptr<ns3::Scheduler> s;
    bool is_list;
};

ns3::Scheduler::Event make_event(uint64_t time_ps, uint64_t tag)
{
    ns3::Scheduler::Event ev;
    ev.impl = nullptr; // never dereferenced by the schedulers
    ev.key.m_ts = time_ps;
    ev.key.m_uid = static_cast<uint32_t>(tag); // tags stay far below 2^32
    ev.key.m_context = 0;
    return ev;
}

ns3::Ptr<ns3::Scheduler> make_scheduler(const char *name)
{
    if (std::strcmp(name, "ns3.map") == 0)
        return ns3::CreateObject<ns3::MapScheduler>();
    if (std::strcmp(name, "ns3.list") == 0)
        return ns3::CreateObject<ns3::ListScheduler>();
    if (std::strcmp(name, "ns3.heap") == 0)
        return ns3::CreateObject<ns3::HeapScheduler>();
    if (std::strcmp(name, "ns3.calendar") == 0)
        return ns3::CreateObject<ns3::CalendarScheduler>();
    if (std::strcmp(name, "ns3.priorityqueue") == 0)
        return ns3::CreateObject<ns3::PriorityQueueScheduler>();
    return nullptr;
}

void *ns3_open(const struct hold_queue *self, uint32_t)
{
    ns3::Ptr<ns3::Scheduler> s = make_scheduler(self->name);
    if (!s)
        return nullptr;
    return new (std::nothrow) Ns3Queue{s, std::strcmp(self->name, "ns3.list") == 0};
}

// ListScheduler::Insert walks from the front to the first later event, so
// filling it in descending order makes every fill insert O(1).
bool ns3_fill(void *ctx, const struct hold_event *evs, uint32_t n)
{
    auto *q = static_cast<Ns3Queue *>(ctx);
    std::vector<ns3::Scheduler::Event> all;
    all.reserve(n);
    for (uint32_t i = 0; i < n; i++)
        all.push_back(make_event(evs[i].time_ps, evs[i].tag));
    if (q->is_list)
        std::sort(all.begin(), all.end(),
                  [](const ns3::Scheduler::Event &a, const ns3::Scheduler::Event &b) {
                      return b.key < a.key;
                  });
    for (const auto &ev : all)
        q->s->Insert(ev);
    return true;
}

bool ns3_run(void *ctx, struct hold_cursor *c, uint32_t ops, uint64_t *hash)
{
    ns3::Scheduler *s = ns3::PeekPointer(static_cast<Ns3Queue *>(ctx)->s);
    uint64_t k = c->k, tag = c->tag;
    for (uint32_t i = 0; i < ops; i++)
    {
        if (s->IsEmpty())
            return false;
        ns3::Scheduler::Event ev = s->RemoveNext();
        if (hash)
            *hash = hold_hash(*hash, ev.key.m_ts, ev.key.m_uid);
        s->Insert(make_event(ev.key.m_ts + c->inc[k++ & c->inc_mask], tag++));
    }
    c->k = k;
    c->tag = tag;
    return true;
}

void ns3_close(void *ctx)
{
    delete static_cast<Ns3Queue *>(ctx);
}

} // namespace

const struct hold_queue hold_ns3_queues[HOLD_NS3_QUEUES] = {
    {"ns3.map", ns3_open, ns3_fill, ns3_run, ns3_close},
    {"ns3.list", ns3_open, ns3_fill, ns3_run, ns3_close},
    {"ns3.heap", ns3_open, ns3_fill, ns3_run, ns3_close},
    {"ns3.calendar", ns3_open, ns3_fill, ns3_run, ns3_close},
    {"ns3.priorityqueue", ns3_open, ns3_fill, ns3_run, ns3_close},
};
