/* Memory regions: registration with random keys, the key/range/access check,
 * and copies between SGE lists and flat buffers that never leave an MR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verbs/verbs_private.h"

#define ACCESS_ALL                                                                                 \
	(UROCE_ACCESS_LOCAL_WRITE | UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_READ |         \
	 UROCE_ACCESS_REMOTE_ATOMIC)

struct uroce_mr *uroce_reg_mr(struct uroce_pd *pd, void *addr, size_t length, int access)
{
	int err;
	if (!pd) {
		err = verbs_error(EINVAL, "reg_mr: pd is NULL");
		goto fail;
	}
	if (access & ~ACCESS_ALL) {
		err = verbs_error(EINVAL, "reg_mr: access 0x%x has unknown bits 0x%x; use enum uroce_access_flags",
				  (unsigned)access, (unsigned)(access & ~ACCESS_ALL));
		goto fail;
	}
	/* IBA 10.6.3.1: remote write or atomic access needs local write. */
	if ((access & (UROCE_ACCESS_REMOTE_WRITE | UROCE_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & UROCE_ACCESS_LOCAL_WRITE)) {
		err = verbs_error(EINVAL, "reg_mr: REMOTE_WRITE or REMOTE_ATOMIC access needs LOCAL_WRITE too; "
					  "add UROCE_ACCESS_LOCAL_WRITE");
		goto fail;
	}
	if (!addr && length) {
		err = verbs_error(EINVAL, "reg_mr: addr is NULL with length %zu", length);
		goto fail;
	}
	if ((uintptr_t)addr + length < (uintptr_t)addr) {
		err = verbs_error(EINVAL, "reg_mr: addr %p + length %zu wraps around the address space", addr, length);
		goto fail;
	}
	struct uroce_mr *mr = calloc(1, sizeof(*mr));
	if (!mr) {
		err = verbs_error(ENOMEM, "reg_mr: out of memory");
		goto fail;
	}
	mr->pd = pd;
	mr->addr = addr;
	mr->length = length;
	mr->access = access;
	struct uroce_device *dev = pd->dev;
	pthread_mutex_lock(&dev->lock);
	if (dev->nmr >= UROCE_MAX_MR) {
		pthread_mutex_unlock(&dev->lock);
		free(mr);
		err = verbs_error(ENOMEM, "reg_mr: the device has its maximum of %u MRs; deregister one first",
				  UROCE_MAX_MR);
		goto fail;
	}
	/* Random, so that a peer cannot guess a key from another one. */
	do {
		mr->key = verbs_random_u32();
	} while (mr->key == 0 || key_table_get(&dev->mrs, mr->key));
	err = key_table_put(&dev->mrs, mr->key, mr);
	if (!err) {
		pd->refs++;
		dev->nmr++;
	}
	pthread_mutex_unlock(&dev->lock);
	if (err) {
		free(mr);
		err = verbs_error(err, "reg_mr: out of memory for the key table");
		goto fail;
	}
	return mr;
fail:
	errno = err;
	return NULL;
}

int uroce_dereg_mr(struct uroce_mr *mr)
{
	if (!mr)
		return verbs_error(EINVAL, "dereg_mr: mr is NULL");
	struct uroce_device *dev = mr->pd->dev;
	pthread_mutex_lock(&dev->lock);
	key_table_remove(&dev->mrs, mr->key);
	/* A WRITE being received into it must not go on writing. */
	for (struct uroce_qp *qp = dev->qp_list; qp; qp = qp->next_in_dev)
		if (qp->resp.write_mr == mr)
			qp->resp.write_mr = NULL;
	mr->pd->refs--;
	dev->nmr--;
	pthread_mutex_unlock(&dev->lock);
	free(mr);
	return 0;
}

uint32_t uroce_mr_lkey(const struct uroce_mr *mr)
{
	return mr ? mr->key : 0;
}

uint32_t uroce_mr_rkey(const struct uroce_mr *mr)
{
	return mr ? mr->key : 0;
}

enum mr_check mr_check(struct uroce_device *dev, struct uroce_pd *pd, uint32_t key, uint64_t addr,
		       uint64_t len, int access, struct uroce_mr **out)
{
	struct uroce_mr *mr = key ? key_table_get(&dev->mrs, key) : NULL;
	if (out)
		*out = NULL;
	if (!mr)
		return MR_BAD_KEY;
	if (mr->pd != pd)
		return MR_BAD_PD;
	/* Written so that no sum can wrap. */
	uint64_t start = (uint64_t)(uintptr_t)mr->addr;
	if (addr < start || len > mr->length || addr - start > mr->length - len)
		return MR_OUT_OF_RANGE;
	if ((mr->access & access) != access)
		return MR_NO_ACCESS;
	if (out)
		*out = mr;
	return MR_OK;
}

/* The memory behind n bytes at offset into one SGE, if its lkey, range and
 * access check out; NULL otherwise. */
static uint8_t *sge_mem(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge, uint32_t offset,
			uint32_t n, int access)
{
	if (sge->addr + offset < sge->addr)
		return NULL;
	uint64_t addr = sge->addr + offset;
	struct uroce_mr *mr;
	if (mr_check(dev, pd, sge->lkey, addr, n, access, &mr) != MR_OK)
		return NULL;
	return mr->addr + (addr - (uint64_t)(uintptr_t)mr->addr);
}

/* Copies between the SGE list (from byte offset on) and buf. */
static enum uroce_wc_status sge_copy(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
				     uint32_t num_sge, uint32_t offset, uint8_t *buf, uint32_t len, bool into_sges)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < num_sge; i++)
		total += sge[i].length;
	if ((uint64_t)offset + len > total)
		return UROCE_WC_LOC_LEN_ERR;
	int access = into_sges ? UROCE_ACCESS_LOCAL_WRITE : 0;
	for (uint32_t i = 0; i < num_sge && len > 0; i++) {
		if (offset >= sge[i].length) {
			offset -= sge[i].length;
			continue;
		}
		uint32_t n = sge[i].length - offset;
		if (n > len)
			n = len;
		uint8_t *mem = sge_mem(dev, pd, &sge[i], offset, n, access);
		if (!mem)
			return UROCE_WC_LOC_PROT_ERR;
		if (into_sges)
			memcpy(mem, buf, n);
		else
			memcpy(buf, mem, n);
		buf += n;
		len -= n;
		offset = 0;
	}
	return UROCE_WC_SUCCESS;
}

const uint8_t *sge_direct(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
			  uint32_t num_sge, uint32_t offset, uint32_t len)
{
	uint32_t i = 0;
	while (i < num_sge && offset >= sge[i].length)
		offset -= sge[i++].length;
	if (i == num_sge || len > sge[i].length - offset)
		return NULL;
	return sge_mem(dev, pd, &sge[i], offset, len, 0);
}

enum uroce_wc_status sge_gather(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
				uint32_t num_sge, uint32_t offset, void *dst, uint32_t len)
{
	return sge_copy(dev, pd, sge, num_sge, offset, dst, len, false);
}

enum uroce_wc_status sge_scatter(struct uroce_device *dev, struct uroce_pd *pd, const struct uroce_sge *sge,
				 uint32_t num_sge, uint32_t offset, const void *src, uint32_t len)
{
	return sge_copy(dev, pd, sge, num_sge, offset, (uint8_t *)(uintptr_t)src, len, true);
}
