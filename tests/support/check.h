/* Minimal assertions for uroce's test programs: a failed check prints where
 * and what, the program goes on, and main returns check_exit_code(). */
#ifndef UROCE_TEST_CHECK_H
#define UROCE_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                          \
	do {                                                                                     \
		check_count++;                                                                       \
		if (!(cond)) {                                                                       \
			check_failures++;                                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
		}                                                                                    \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                   \
	do {                                                                                     \
		unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b); \
		check_count++;                                                                       \
		if (check_a_ != check_b_) {                                                          \
			check_failures++;                                                                \
			fprintf(stderr, "%s:%d: %s == %s failed: 0x%llx != 0x%llx\n", __FILE__, __LINE__, \
				#a, #b, check_a_, check_b_);                                                 \
		}                                                                                    \
	} while (0)

#define CHECK_MEM_EQ(a, b, n)                                                                \
	do {                                                                                     \
		check_count++;                                                                       \
		if (memcmp((a), (b), (n)) != 0) {                                                    \
			check_failures++;                                                                \
			fprintf(stderr, "%s:%d: memory %s differs from %s (%zu bytes)\n", __FILE__,      \
				__LINE__, #a, #b, (size_t)(n));                                              \
		}                                                                                    \
	} while (0)

static inline int check_exit_code(const char *name)
{
	if (check_count == 0) {
		fprintf(stderr, "%s: no checks ran\n", name);
		return 1;
	}
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
