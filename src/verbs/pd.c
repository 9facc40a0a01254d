#include <errno.h>
#include <stdlib.h>

#include "verbs/verbs_private.h"

struct uroce_pd *uroce_alloc_pd(struct uroce_device *dev)
{
	if (!dev) {
		errno = verbs_error(EINVAL, "alloc_pd: dev is NULL");
		return NULL;
	}
	struct uroce_pd *pd = calloc(1, sizeof(*pd));
	if (!pd) {
		errno = verbs_error(ENOMEM, "alloc_pd: out of memory");
		return NULL;
	}
	pthread_mutex_lock(&dev->lock);
	if (dev->npd >= UROCE_MAX_PD) {
		pthread_mutex_unlock(&dev->lock);
		free(pd);
		errno = verbs_error(ENOMEM, "alloc_pd: the device has its maximum of %u PDs; free one first",
				    UROCE_MAX_PD);
		return NULL;
	}
	pd->dev = dev;
	dev->npd++;
	pthread_mutex_unlock(&dev->lock);
	return pd;
}

int uroce_dealloc_pd(struct uroce_pd *pd)
{
	if (!pd)
		return verbs_error(EINVAL, "dealloc_pd: pd is NULL");
	struct uroce_device *dev = pd->dev;
	pthread_mutex_lock(&dev->lock);
	if (pd->refs) {
		unsigned refs = pd->refs;
		pthread_mutex_unlock(&dev->lock);
		return verbs_error(EBUSY, "dealloc_pd: %u MRs, QPs, SRQs or AHs still use the PD; destroy them first",
				   refs);
	}
	dev->npd--;
	pthread_mutex_unlock(&dev->lock);
	free(pd);
	return 0;
}
