/* Every CRC-32 engine against an independent bitwise reference: all short
 * lengths, long random lengths, every alignment, chained updates, known zlib
 * values, the folding constants, and the dispatch and its env override. */
#ifndef _GNU_SOURCE
#define _POSIX_C_SOURCE 200809L /* popen, readlink */
#endif
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "wire/crc32.h"
#include "wire/crc32_engines.h"

#define POLY_NORMAL 0x104C11DB7ull /* P(x), x^32 included, not reflected */
#define BIG_LEN (64 * 1024)
#define MAX_REPORTS 8

static const enum uroce_crc32_impl all_impls[] = {
	UROCE_CRC32_BITWISE, UROCE_CRC32_SLICE8, UROCE_CRC32_PCLMUL,
	UROCE_CRC32_VPCLMUL256, UROCE_CRC32_VPCLMUL512,
};
#define N_IMPLS (sizeof all_impls / sizeof all_impls[0])

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static size_t rng_below(size_t n)
{
	return n ? (size_t)(rng_next() % n) : 0;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng_next() >> 56);
}

/* Written from the definition, independently of the library. */
static uint32_t ref_crc(uint32_t crc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
	}
	return crc;
}

static uint64_t reflect(uint64_t v, int bits)
{
	uint64_t r = 0;
	for (int i = 0; i < bits; i++)
		r |= ((v >> i) & 1) << (bits - 1 - i);
	return r;
}

/* x^n mod P in the normal (unreflected) domain. */
static uint32_t xpow_mod_p(unsigned n)
{
	uint64_t v = 1;
	for (unsigned i = 0; i < n; i++) {
		v <<= 1;
		if (v >> 32)
			v ^= POLY_NORMAL;
	}
	return (uint32_t)v;
}

static uint64_t floor_x64_div_p(void)
{
	/* Schoolbook long division of x^64, one dividend bit at a time. */
	uint64_t q = 0, rem = 0;
	for (int pos = 64; pos >= 0; pos--) {
		rem = rem << 1 | (pos == 64);
		if (rem >> 32) {
			rem ^= POLY_NORMAL;
			q |= 1ull << pos;
		}
	}
	return q;
}

static void test_constants(void)
{
	int used = 0;
	for (unsigned n = 0; n <= 4200; n++) {
		uint64_t lib = uroce_crc32_clmul_xpow_constant(n);
		if (lib == 0)
			continue;
		used++;
		uint64_t want = reflect(xpow_mod_p(n), 32) << 1;
		if (lib != want)
			fprintf(stderr, "x^%u constant: library 0x%llx, computed 0x%llx\n", n,
				(unsigned long long)lib, (unsigned long long)want);
		CHECK_EQ_U64(lib, want);
	}
	CHECK(used >= 17);
	uint64_t mu, poly;
	uroce_crc32_clmul_barrett_constants(&mu, &poly);
	CHECK_EQ_U64(mu, reflect(floor_x64_div_p(), 33));
	CHECK_EQ_U64(poly, reflect(POLY_NORMAL, 33));
	/* Published values (Intel's paper, the kernel): a check on the checker. */
	CHECK_EQ_U64(reflect(xpow_mod_p(544), 32) << 1, 0x154442bd4ull);
	CHECK_EQ_U64(reflect(floor_x64_div_p(), 33), 0x1f7011641ull);
}

struct mismatch_log {
	int count;
};

static void compare(struct mismatch_log *log, enum uroce_crc32_impl impl, uint32_t seed,
		    const uint8_t *p, size_t len, uint32_t want, const char *what)
{
	uint32_t got = uroce_crc32_update_with(impl, seed, p, len);
	if (got == want)
		return;
	if (log->count++ < MAX_REPORTS)
		fprintf(stderr, "%s %s: len %zu align %u seed 0x%08x: got 0x%08x want 0x%08x\n",
			uroce_crc32_impl_name(impl), what, len, (unsigned)((uintptr_t)p & 63), seed, got,
			want);
}

static void test_known_vectors(enum uroce_crc32_impl impl, uint8_t *scratch)
{
	static const struct {
		const char *text;
		uint32_t zlib;
	} vectors[] = {
		{ "", 0 },
		{ "123456789", 0xCBF43926u },
		{ "The quick brown fox jumps over the lazy dog", 0x414FA339u },
	};
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		const char *t = vectors[i].text;
		CHECK_EQ_U64(~uroce_crc32_update_with(impl, ~0u, t, strlen(t)), vectors[i].zlib);
	}
	/* zlib.crc32 of longer buffers, to reach the folding paths. */
	for (int i = 0; i < 4096; i++)
		scratch[i] = (uint8_t)i;
	CHECK_EQ_U64(~uroce_crc32_update_with(impl, ~0u, scratch, 4096), 0xA2912082u);
	memcpy(scratch + 4096, "tail!", 5);
	CHECK_EQ_U64(~uroce_crc32_update_with(impl, ~0u, scratch, 4101), 0x8039A54Eu);
	for (int i = 0; i < 1000; i++)
		scratch[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ_U64(~uroce_crc32_update_with(impl, ~0u, scratch, 1000), 0x17BC2A46u);
	memset(scratch, 0, 4096);
	CHECK_EQ_U64(~uroce_crc32_update_with(impl, ~0u, scratch, 4096), 0xC71C0011u);
	/* Raw update: no data leaves the state alone. */
	CHECK_EQ_U64(uroce_crc32_update_with(impl, 0x12345678u, scratch, 0), 0x12345678u);
}

static void test_impl(enum uroce_crc32_impl impl, uint8_t *buf)
{
	struct mismatch_log log = { 0 };

	test_known_vectors(impl, buf);
	fill_random(buf, BIG_LEN + 64);

	for (size_t len = 0; len <= 1024; len++) {
		uint32_t seed = (uint32_t)rng_next();
		compare(&log, impl, seed, buf, len, ref_crc(seed, buf, len), "length sweep");
	}
	for (int i = 0; i < 200; i++) {
		size_t len = rng_below(BIG_LEN + 1);
		size_t off = rng_below(64);
		uint32_t seed = (uint32_t)rng_next();
		compare(&log, impl, seed, buf + off, len, ref_crc(seed, buf + off, len), "random length");
	}
	static const size_t long_lens[] = { 1000, 4096 + 17, 4136, 8191, BIG_LEN - 64 };
	for (size_t align = 0; align < 64; align++) {
		for (size_t len = 0; len <= 300; len++) {
			uint32_t seed = (uint32_t)rng_next();
			compare(&log, impl, seed, buf + align, len, ref_crc(seed, buf + align, len), "alignment");
		}
		for (size_t i = 0; i < sizeof long_lens / sizeof long_lens[0]; i++) {
			uint32_t seed = (uint32_t)rng_next();
			size_t len = long_lens[i];
			compare(&log, impl, seed, buf + align, len, ref_crc(seed, buf + align, len), "alignment");
		}
	}
	/* Chained: a buffer cut at random points, each piece by a random engine
	 * (unsupported ones fall back), gives the whole buffer's CRC. */
	for (int i = 0; i < 300; i++) {
		size_t len = rng_below(i < 200 ? 1024 : 16384);
		uint32_t seed = (uint32_t)rng_next();
		uint32_t want = ref_crc(seed, buf, len), crc = seed;
		size_t pos = 0;
		while (pos < len) {
			size_t piece = 1 + rng_below(len - pos);
			enum uroce_crc32_impl with = (rng_next() & 1) ? impl : all_impls[rng_below(N_IMPLS)];
			crc = uroce_crc32_update_with(with, crc, buf + pos, piece);
			pos += piece;
		}
		if (crc != want && log.count++ < MAX_REPORTS)
			fprintf(stderr, "%s chained: len %zu: got 0x%08x want 0x%08x\n",
				uroce_crc32_impl_name(impl), len, crc, want);
	}
	if (log.count)
		fprintf(stderr, "%s: %d mismatches\n", uroce_crc32_impl_name(impl), log.count);
	CHECK(log.count == 0);
}

struct thread_arg {
	const uint8_t *buf;
	size_t len;
	uint32_t got;
};

static void *first_use_thread(void *p)
{
	struct thread_arg *arg = p;
	arg->got = uroce_crc32_update(0xDEBB20E3u, arg->buf, arg->len);
	return NULL;
}

/* Must run before anything else touches the library: several threads race
 * through the one-time initialisation. */
static void test_concurrent_first_use(void)
{
	enum { THREADS = 4 };
	static uint8_t data[THREADS][2000];
	pthread_t tid[THREADS];
	struct thread_arg args[THREADS];
	int started = 0;

	for (int i = 0; i < THREADS; i++) {
		fill_random(data[i], sizeof data[i]);
		args[i] = (struct thread_arg){ data[i], 500u * (size_t)i + 37, 0 };
		if (pthread_create(&tid[i], NULL, first_use_thread, &args[i]) == 0)
			started++;
		else
			break;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		CHECK_EQ_U64(args[i].got, ref_crc(0xDEBB20E3u, data[i], args[i].len));
	}
	CHECK(started > 0);
}

static bool run_child(const char *self, const char *env_value, char *out, size_t out_size)
{
	char cmd[PATH_MAX + 128];
	snprintf(cmd, sizeof cmd, "UROCE_CRC32_IMPL='%s' '%s' --print-active 2>&1", env_value, self);
	FILE *f = popen(cmd, "r");
	if (f == NULL)
		return false;
	size_t n = fread(out, 1, out_size - 1, f);
	out[n] = '\0';
	return pclose(f) == 0;
}

/* The last line a child printed: its active engine. */
static const char *last_line(char *out)
{
	size_t n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	char *nl = strrchr(out, '\n');
	return nl ? nl + 1 : out;
}

static void test_env_override(void)
{
	char self[PATH_MAX], out[4096], auto_name[64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 || strchr(self, '\'') != NULL) {
		printf("env override: skipped (no /proc/self/exe)\n");
		return;
	}
	self[n] = '\0';

	CHECK(run_child(self, "", out, sizeof out));
	snprintf(auto_name, sizeof auto_name, "%s", last_line(out));
	CHECK(strstr(out, "UROCE_CRC32_IMPL") == NULL);
	if (getenv("UROCE_CRC32_IMPL") == NULL)
		CHECK(strcmp(auto_name, uroce_crc32_impl_name(uroce_crc32_active_impl())) == 0);

	for (size_t i = 0; i < N_IMPLS; i++) {
		const char *name = uroce_crc32_impl_name(all_impls[i]);
		CHECK(run_child(self, name, out, sizeof out));
		if (uroce_crc32_impl_supported(all_impls[i])) {
			CHECK(strcmp(last_line(out), name) == 0);
		} else {
			CHECK(strstr(out, "not supported") != NULL);
			CHECK(strcmp(last_line(out), auto_name) == 0);
		}
	}
	CHECK(run_child(self, "crc-by-hand", out, sizeof out));
	CHECK(strstr(out, "unknown") != NULL);
	CHECK(strcmp(last_line(out), auto_name) == 0);
}

static void test_dispatch(uint8_t *buf)
{
	enum uroce_crc32_impl active = uroce_crc32_active_impl();
	CHECK(uroce_crc32_impl_supported(active));
	CHECK(uroce_crc32_impl_supported(UROCE_CRC32_BITWISE));
	CHECK(uroce_crc32_impl_supported(UROCE_CRC32_SLICE8));
	CHECK(!uroce_crc32_impl_supported(UROCE_CRC32_IMPL_COUNT));
	CHECK(strcmp(uroce_crc32_impl_name(UROCE_CRC32_IMPL_COUNT), "invalid") == 0);

	fill_random(buf, 5000);
	for (size_t len = 0; len < 5000; len += 1 + len / 4) {
		uint32_t want = ref_crc(7, buf + 3, len);
		CHECK_EQ_U64(uroce_crc32_update(7, buf + 3, len), want);
		/* An engine number out of range falls back instead of crashing. */
		CHECK_EQ_U64(uroce_crc32_update_with(UROCE_CRC32_IMPL_COUNT, 7, buf + 3, len), want);
		CHECK_EQ_U64(uroce_crc32_update_with((enum uroce_crc32_impl)-1, 7, buf + 3, len), want);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print-active") == 0) {
		printf("%s\n", uroce_crc32_impl_name(uroce_crc32_active_impl()));
		return 0;
	}

	test_concurrent_first_use();
	test_constants();

	uint8_t *buf = aligned_alloc(64, BIG_LEN + 128);
	CHECK(buf != NULL);
	if (buf == NULL)
		return check_exit_code("test_crc32");

	char tested[128] = "", skipped[128] = "";
	int clmul_tested = 0;
	for (size_t i = 0; i < N_IMPLS; i++) {
		enum uroce_crc32_impl impl = all_impls[i];
		char *list = uroce_crc32_impl_supported(impl) ? tested : skipped;
		strncat(list, " ", sizeof tested - strlen(list) - 1);
		strncat(list, uroce_crc32_impl_name(impl), sizeof tested - strlen(list) - 1);
		if (!uroce_crc32_impl_supported(impl))
			continue;
		test_impl(impl, buf);
		if (impl >= UROCE_CRC32_PCLMUL)
			clmul_tested++;
	}
	printf("tested:%s\nskipped (CPU lacks):%s\nauto-dispatch: %s\n", tested,
	       skipped[0] ? skipped : " none", uroce_crc32_impl_name(uroce_crc32_active_impl()));
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("pclmul") && clmul_tested == 0)
		fprintf(stderr, "the CPU has PCLMULQDQ but no clmul engine was tested\n");
	CHECK(!__builtin_cpu_supports("pclmul") || clmul_tested > 0);
#else
	(void)clmul_tested;
#endif

	test_dispatch(buf);
	test_env_override();
	free(buf);
	return check_exit_code("test_crc32");
}
