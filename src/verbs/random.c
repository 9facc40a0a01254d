#include <errno.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>

#include "verbs/verbs_private.h"

uint32_t verbs_random_u32(void)
{
	uint32_t v;
	for (;;) {
		ssize_t n = getrandom(&v, sizeof(v), 0);
		if (n == (ssize_t)sizeof(v))
			return v;
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	/* No getrandom (old kernel, seccomp): still unpredictable enough to
	 * keep keys from being sequential. */
	static atomic_uint_fast64_t state;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t x = atomic_fetch_add(&state, 0x9e3779b97f4a7c15ull) ^ (uint64_t)ts.tv_nsec ^
		     ((uint64_t)ts.tv_sec << 32);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint32_t)x;
}
