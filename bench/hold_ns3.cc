// The ns-3 half of the hold benchmark: the same plan (see hold.h), run on
// each scheduler ns-3 ships, through the ns3::Scheduler interface the ns-3
// simulator itself uses (Insert / RemoveNext, virtual calls).
#include "bench/hold.h"

#include <ns3/calendar-scheduler.h>
#include <ns3/heap-scheduler.h>
#include <ns3/list-scheduler.h>
#include <ns3/map-scheduler.h>
#include <ns3/priority-queue-scheduler.h>
#include <ns3/scheduler.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

const char *const hold_ns3_names[HOLD_NS3_SCHEDULERS] = {"map", "list", "heap", "calendar",
                                                         "priorityqueue"};

namespace
{

ns3::Ptr<ns3::Scheduler> make_scheduler(const char *name)
{
    if (std::strcmp(name, "map") == 0)
        return ns3::CreateObject<ns3::MapScheduler>();
    if (std::strcmp(name, "list") == 0)
        return ns3::CreateObject<ns3::ListScheduler>();
    if (std::strcmp(name, "heap") == 0)
        return ns3::CreateObject<ns3::HeapScheduler>();
    if (std::strcmp(name, "calendar") == 0)
        return ns3::CreateObject<ns3::CalendarScheduler>();
    if (std::strcmp(name, "priorityqueue") == 0)
        return ns3::CreateObject<ns3::PriorityQueueScheduler>();
    return nullptr;
}

ns3::Scheduler::Event make_event(uint64_t time_ps, uint64_t tag)
{
    ns3::Scheduler::Event ev;
    ev.impl = nullptr; // never dereferenced by the schedulers
    ev.key.m_ts = time_ps;
    ev.key.m_uid = static_cast<uint32_t>(tag);
    ev.key.m_context = 0;
    return ev;
}

struct Hold
{
    ns3::Ptr<ns3::Scheduler> s;
    const uint64_t *inc;
    uint32_t mask;
    uint64_t k;
    uint64_t tag;

    // ops hold operations; hashes the popped items into *hash if non-null.
    bool run(uint32_t ops, uint64_t *hash)
    {
        ns3::Scheduler *raw = ns3::PeekPointer(s);
        for (uint32_t i = 0; i < ops; i++)
        {
            if (raw->IsEmpty())
                return false;
            ns3::Scheduler::Event ev = raw->RemoveNext();
            if (hash)
                *hash = hold_hash(*hash, ev.key.m_ts, ev.key.m_uid);
            raw->Insert(make_event(ev.key.m_ts + inc[k++ & mask], tag++));
        }
        return true;
    }
};

// ListScheduler::Insert walks from the front to the first later event, so
// filling in descending order makes every fill insert O(1).
void fill(Hold &h, const char *name, uint32_t n)
{
    std::vector<ns3::Scheduler::Event> evs;
    evs.reserve(n);
    for (uint32_t i = 0; i < n; i++)
        evs.push_back(make_event(h.inc[h.k++ & h.mask], h.tag++));
    if (std::strcmp(name, "list") == 0)
        std::sort(evs.begin(), evs.end(),
                  [](const ns3::Scheduler::Event &a, const ns3::Scheduler::Event &b) {
                      return b.key < a.key;
                  });
    for (const auto &ev : evs)
        h.s->Insert(ev);
}

} // namespace

bool hold_ns3_run(const char *name, const struct hold_plan *plan, struct hold_result *res)
{
    Hold h{make_scheduler(name), plan->inc, plan->inc_mask, 0, 0};
    if (!h.s || plan->reps == 0 || plan->reps > HOLD_REPS_MAX)
    {
        std::fprintf(stderr, "hold_ns3: bad scheduler '%s' or plan\n", name);
        return false;
    }
    fill(h, name, plan->n);
    uint64_t hash = 0xcbf29ce484222325ull;
    uint64_t t0 = hold_now_ns();
    if (!h.run(plan->verify_ops, &hash))
        return false;
    double rough = static_cast<double>(hold_now_ns() - t0) / plan->verify_ops;
    uint32_t warmup = hold_scale_ops(plan->warmup_ops, HOLD_WARMUP_BUDGET_NS, rough);
    uint32_t ops = hold_scale_ops(plan->ops, HOLD_REP_BUDGET_NS, rough);
    if (!h.run(warmup, nullptr))
        return false;
    double ns[HOLD_REPS_MAX];
    for (uint32_t r = 0; r < plan->reps; r++)
    {
        t0 = hold_now_ns();
        if (!h.run(ops, nullptr))
            return false;
        ns[r] = static_cast<double>(hold_now_ns() - t0) / ops;
    }
    res->ns_per_op = hold_median(ns, plan->reps);
    res->verify_hash = hash;
    res->ops = ops;
    while (!h.s->IsEmpty()) // leave nothing that refers to our null impls
        h.s->RemoveNext();
    return true;
}
