/* I/O MMU; see iommu.h. */
#include "sim/machine/iommu.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"

enum iosim_err sim_iommu_init(struct sim_iommu *mmu, bool enabled)
{
    ASSERT(mmu != NULL);
    *mmu = (struct sim_iommu){.enabled = enabled};
    if (!enabled)
        return IOSIM_OK;
    mmu->maps = calloc(SIM_IOMMU_MAPS_MAX, sizeof *mmu->maps);
    return mmu->maps != NULL ? IOSIM_OK : IOSIM_ENOMEM;
}

void sim_iommu_fini(struct sim_iommu *mmu)
{
    ASSERT(mmu != NULL);
    free(mmu->maps);
    *mmu = (struct sim_iommu){0};
}

/* Index of the first mapping whose end is beyond iova. */
static uint32_t lower_bound(const struct sim_iommu *mmu, uint64_t iova)
{
    uint32_t lo = 0, hi = mmu->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct sim_iommu_map *m = &mmu->maps[mid];
        if (m->iova + m->len <= iova)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

enum iosim_err sim_iommu_map(struct sim_iommu *mmu, uint64_t iova, uint64_t paddr, uint64_t len)
{
    sim_check_outside("an IOMMU mapping");
    ASSERT(mmu != NULL);
    if (!mmu->enabled)
        return IOSIM_OK;
    if (len == 0 || iova + len < iova || paddr + len < paddr)
        return IOSIM_EINVAL;
    uint32_t i = lower_bound(mmu, iova);
    if (i < mmu->count && mmu->maps[i].iova < iova + len)
        return IOSIM_EEXIST;
    if (mmu->count == SIM_IOMMU_MAPS_MAX)
        return IOSIM_ENOSPC;
    memmove(&mmu->maps[i + 1], &mmu->maps[i], (mmu->count - i) * sizeof *mmu->maps);
    mmu->maps[i] = (struct sim_iommu_map){iova, paddr, len};
    mmu->count++;
    ASSERT(i == 0 || mmu->maps[i - 1].iova + mmu->maps[i - 1].len <= iova);
    return IOSIM_OK;
}

enum iosim_err sim_iommu_unmap(struct sim_iommu *mmu, uint64_t iova, uint64_t len)
{
    sim_check_outside("an IOMMU unmapping");
    ASSERT(mmu != NULL);
    if (!mmu->enabled)
        return IOSIM_OK;
    uint32_t i = lower_bound(mmu, iova);
    if (i == mmu->count || mmu->maps[i].iova != iova || mmu->maps[i].len != len)
        return IOSIM_ENOENT;
    memmove(&mmu->maps[i], &mmu->maps[i + 1], (mmu->count - i - 1) * sizeof *mmu->maps);
    mmu->count--;
    return IOSIM_OK;
}

enum iosim_err sim_iommu_translate(const struct sim_iommu *mmu, uint64_t iova, uint64_t *paddr,
                                   uint64_t *span)
{
    ASSERT(mmu != NULL && paddr != NULL && span != NULL);
    if (!mmu->enabled) {
        *paddr = iova;
        *span = UINT64_MAX - iova;
        return IOSIM_OK;
    }
    uint32_t i = lower_bound(mmu, iova);
    if (i == mmu->count || mmu->maps[i].iova > iova)
        return IOSIM_EACCES;
    const struct sim_iommu_map *m = &mmu->maps[i];
    *paddr = m->paddr + (iova - m->iova);
    *span = m->len - (iova - m->iova);
    return IOSIM_OK;
}
