/* Solving for the IPv4 identification: exact on valid datagrams, and a
 * corrupted datagram passes about once in 2^16. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "wire/bytes.h"
#include "wire/icrc.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A random IPv4 + UDP header as a RoCE v2 sender would make it. */
static void random_hdr(uint8_t hdr[28], size_t ib_len, uint16_t id)
{
	for (int i = 0; i < 28; i++)
		hdr[i] = (uint8_t)rnd();
	hdr[0] = 0x45;
	put_be16(hdr + 2, (uint16_t)(28 + ib_len + 4));
	put_be16(hdr + 4, id);
	put_be16(hdr + 6, 0x4000);
	hdr[9] = 17;
	put_be16(hdr + 22, 4791);
	put_be16(hdr + 24, (uint16_t)(8 + ib_len + 4));
}

static size_t random_len(size_t max)
{
	return 12 + (size_t)(rnd() % (max - 12 + 1));
}

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void solves_exactly(void)
{
	static uint8_t ib[9000];
	int wrong = 0;
	for (int t = 0; t < 20000; t++) {
		size_t len = t < 4 ? (size_t[]){12, 13, 4108, 9000}[t] : random_len(t % 2 ? 64 : sizeof ib);
		uint16_t want = (uint16_t)rnd();
		if (t % 97 == 0)
			want = t % 2 ? 0 : 0xffff;
		uint8_t hdr[28];
		random_hdr(hdr, len, want);
		fill(ib, len);
		uint32_t icrc = uroce_icrc_parts(UROCE_L3_IPV4, hdr, ib, len);

		put_be16(hdr + 4, (uint16_t)rnd()); /* ignored */
		uint16_t got = 0;
		bool ok = uroce_icrc_solve_ipv4_id(hdr, ib, len, icrc, &got);
		if (!ok || got != want) {
			if (wrong++ < 5)
				fprintf(stderr, "len %zu id 0x%04x: solved %d 0x%04x\n", len, want, ok, got);
		}
	}
	CHECK_EQ_U64(wrong, 0);
}

/* The xor form agrees and a zero difference means identification 0. */
static void xor_form(void)
{
	uint16_t id = 1;
	CHECK(uroce_icrc_solve_ipv4_id_xor(0, 100, &id));
	CHECK_EQ_U64(id, 0);
	CHECK(!uroce_icrc_solve_ipv4_id_xor(0, (size_t)1 << 24, &id));
	uint8_t hdr[28], ib[12] = {0};
	random_hdr(hdr, 12, 0);
	CHECK(!uroce_icrc_solve_ipv4_id(hdr, ib, 11, 0, &id));
}

/* Corrupted datagrams: payload bit flips and random ICRCs. Each accept is a
 * 2^-16 event; the seed is fixed, so the counts are too. */
static void rejects_corruption(void)
{
	static uint8_t ib[4096 + 12];
	unsigned accepted = 0, trials = 20000;
	for (unsigned t = 0; t < trials; t++) {
		size_t len = random_len(sizeof ib);
		uint8_t hdr[28];
		random_hdr(hdr, len, (uint16_t)rnd());
		fill(ib, len);
		uint32_t icrc = uroce_icrc_parts(UROCE_L3_IPV4, hdr, ib, len);
		if (t % 2) {
			unsigned flips = 1 + (unsigned)(rnd() % 3);
			for (unsigned f = 0; f < flips; f++) {
				size_t bit = (size_t)(rnd() % (len * 8));
				ib[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			}
			if (len > 12 && rnd() % 2) /* flip one bit in the ICRC too */
				icrc ^= 1u << (rnd() % 32);
		} else {
			icrc ^= (uint32_t)rnd() | 1u;
		}
		uint16_t id;
		accepted += uroce_icrc_solve_ipv4_id(hdr, ib, len, icrc, &id);
	}
	printf("corrupted 4 KiB-class datagrams accepted: %u of %u (2^-16 expects %.2f)\n", accepted, trials,
	       trials / 65536.0);
	CHECK(accepted <= 6);

	/* The rate itself, on many short datagrams. */
	accepted = 0;
	trials = 1u << 21;
	for (unsigned t = 0; t < trials; t++) {
		uint16_t id;
		accepted += uroce_icrc_solve_ipv4_id_xor((uint32_t)rnd() | 1u, random_len(200), &id);
	}
	printf("random ICRC differences accepted: %u of %u (2^-16 expects %.1f)\n", accepted, trials,
	       trials / 65536.0);
	CHECK(accepted >= 12 && accepted <= 56);
}

/* Not asserted: the cost beyond the one ICRC pass. */
static void report_cost(void)
{
	struct timespec a, b;
	unsigned n = 200000, found = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n; i++) {
		uint16_t id;
		found += uroce_icrc_solve_ipv4_id_xor((uint32_t)rnd(), 4096 + 16 + (i & 7), &id);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n;
	printf("solve beyond the ICRC pass: %.0f ns per datagram (%u found)\n", ns, found);
}

int main(void)
{
	solves_exactly();
	xor_form();
	rejects_corruption();
	report_cost();
	return check_exit_code("icrc_solve");
}
