/* ICRC throughput on RoCE v2 packets, beside memcpy and zlib's crc32 over the
 * same bytes, and each CRC-32 engine alone. Prints a table; --json FILE also
 * writes the figures as JSON. Reports, never asserts, timings. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/crc32.h"
#include "wire/icrc.h"

#include <zlib.h>

#define ETH_HLEN 14
#define IPV4_HLEN 20
#define UDP_HLEN 8
#define BTH_LEN 12
#define ROCE_V2_PORT 4791

enum bench_kind { KIND_MEMCPY, KIND_ZLIB, KIND_ICRC, KIND_ENGINE };

struct packet {
	size_t payload;
	size_t icrc_len; /* IPv4 header to the end of the pad: what the ICRC covers */
	uint8_t *frame;  /* Ethernet frame: the IPv4 header sits 14 bytes in, as received */
	uint8_t *l3;
	uint8_t *copy_dst;
};

struct row {
	size_t payload, bytes;
	double memcpy_gbps, zlib_gbps, icrc_gbps;
	double engine_gbps[UROCE_CRC32_IMPL_COUNT]; /* 0: not supported */
};

static volatile uint32_t result_sink;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The compiler must assume p's bytes may have changed and were read. */
static inline void clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint16_t ipv4_checksum(const uint8_t *h)
{
	uint32_t sum = 0;
	for (int i = 0; i < IPV4_HLEN; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An RC SEND_ONLY as rxe sends it: IPv4 (DF, incrementing ID) + UDP 4791 + BTH + payload + pad. */
static bool build_packet(struct packet *pkt, size_t payload)
{
	size_t pad = (4 - payload % 4) % 4;
	size_t len = IPV4_HLEN + UDP_HLEN + BTH_LEN + payload + pad;

	pkt->payload = payload;
	pkt->icrc_len = len;
	pkt->frame = aligned_alloc(64, (ETH_HLEN + len + 4 + 63) / 64 * 64);
	pkt->copy_dst = aligned_alloc(64, (ETH_HLEN + len + 63) / 64 * 64);
	if (pkt->frame == NULL || pkt->copy_dst == NULL)
		return false;
	pkt->l3 = pkt->frame + ETH_HLEN;
	memset(pkt->frame, 0, ETH_HLEN + len + 4);

	uint8_t *ip = pkt->l3;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(len + 4)); /* total length includes the ICRC */
	put16(ip + 4, 0x1234);              /* identification */
	put16(ip + 6, 0x4000);              /* DF */
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(ip + 16, (const uint8_t[]){ 10, 0, 0, 2 }, 4);
	put16(ip + 10, ipv4_checksum(ip));

	uint8_t *udp = ip + IPV4_HLEN;
	put16(udp, 0xC000 | 0x0123);
	put16(udp + 2, ROCE_V2_PORT);
	put16(udp + 4, (unsigned)(len - IPV4_HLEN + 4));

	uint8_t *bth = udp + UDP_HLEN;
	bth[0] = 0x04;                    /* RC SEND_ONLY */
	bth[1] = (uint8_t)(pad << 4);     /* SE 0, MigReq 0, PadCnt, TVer 0 */
	put16(bth + 2, 0xFFFF);           /* P_Key */
	bth[5] = 0x00, bth[6] = 0x00, bth[7] = 0x11; /* dest QP */
	bth[8] = 0x80;                    /* AckReq */
	bth[9] = 0x00, bth[10] = 0x10, bth[11] = 0x00; /* PSN */

	uint64_t x = 0x243F6A8885A308D3ull;
	for (size_t i = 0; i < payload; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		bth[BTH_LEN + i] = (uint8_t)(x >> 56);
	}
	return true;
}

static uint32_t run_iters(enum bench_kind kind, enum uroce_crc32_impl impl, const struct packet *pkt,
			  uint64_t iters)
{
	const uint8_t *src = pkt->l3;
	size_t len = pkt->icrc_len;
	uint32_t acc = 0;

	switch (kind) {
	case KIND_MEMCPY:
		for (uint64_t i = 0; i < iters; i++) {
			memcpy(pkt->copy_dst, src, len);
			clobber(pkt->copy_dst);
		}
		acc = pkt->copy_dst[len - 1];
		break;
	case KIND_ZLIB:
		for (uint64_t i = 0; i < iters; i++) {
			clobber(src);
			acc ^= (uint32_t)crc32(0, src, (uInt)len);
		}
		break;
	case KIND_ICRC:
		for (uint64_t i = 0; i < iters; i++) {
			clobber(src);
			acc ^= uroce_icrc(UROCE_L3_IPV4, src, len);
		}
		break;
	case KIND_ENGINE:
		for (uint64_t i = 0; i < iters; i++) {
			clobber(src);
			acc ^= uroce_crc32_update_with(impl, 0xDEBB20E3u, src, len);
		}
		break;
	}
	return acc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over reps of GB/s, each rep running about rep_ms. */
static double measure(enum bench_kind kind, enum uroce_crc32_impl impl, const struct packet *pkt,
		      int reps, double rep_ms)
{
	uint64_t iters = 1;
	double elapsed;
	uint32_t sink = 0;

	for (;;) { /* calibrate: grow until a run takes a tenth of a rep */
		double t0 = now_ns();
		sink ^= run_iters(kind, impl, pkt, iters);
		elapsed = now_ns() - t0;
		if (elapsed >= rep_ms * 1e5 || iters >= (1ull << 40))
			break;
		iters *= 2;
	}
	iters = (uint64_t)((double)iters * (rep_ms * 1e6) / (elapsed > 1 ? elapsed : 1)) + 1;

	double gbps[64];
	if (reps > 64)
		reps = 64;
	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();
		sink ^= run_iters(kind, impl, pkt, iters);
		double ns = now_ns() - t0;
		gbps[r] = (double)pkt->icrc_len * (double)iters / ns;
	}
	result_sink ^= sink;
	qsort(gbps, (size_t)reps, sizeof gbps[0], cmp_double);
	return reps % 2 ? gbps[reps / 2] : (gbps[reps / 2 - 1] + gbps[reps / 2]) / 2;
}

static void cpu_name(char *out, size_t size)
{
	snprintf(out, size, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += 2;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, size, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void print_table(FILE *out, const struct row *rows, size_t n, const char *cpu, int reps, double rep_ms)
{
	fprintf(out, "ICRC throughput, GB/s (median of %d runs of ~%.0f ms); CPU: %s; auto engine: %s\n", reps,
	       rep_ms, cpu, uroce_crc32_impl_name(uroce_crc32_active_impl()));
	fprintf(out, "bytes = IPv4 + UDP + BTH + payload + pad (what the ICRC covers); engines: raw "
	       "uroce_crc32_update_with on the same bytes\n\n");
	fprintf(out, "%7s %6s %8s %8s %8s %9s %9s %8s", "payload", "bytes", "memcpy", "zlib", "icrc", "icrc/mcpy",
	       "icrc/zlib", "ns/pkt");
	for (int e = 0; e < UROCE_CRC32_IMPL_COUNT; e++)
		fprintf(out, " %10s", uroce_crc32_impl_name((enum uroce_crc32_impl)e));
	fprintf(out, "\n");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(out, "%7zu %6zu %8.2f %8.2f %8.2f %9.3f %9.2f %8.1f", r->payload, r->bytes, r->memcpy_gbps,
		       r->zlib_gbps, r->icrc_gbps, ratio(r->icrc_gbps, r->memcpy_gbps),
		       ratio(r->icrc_gbps, r->zlib_gbps), ratio((double)r->bytes, r->icrc_gbps));
		for (int e = 0; e < UROCE_CRC32_IMPL_COUNT; e++) {
			if (r->engine_gbps[e] > 0)
				fprintf(out, " %10.2f", r->engine_gbps[e]);
			else
				fprintf(out, " %10s", "n/a");
		}
		fprintf(out, "\n");
	}
}

static bool write_json(const char *path, const struct row *rows, size_t n, const char *cpu, int reps,
		       double rep_ms)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "icrc_bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f, "{\n  \"benchmark\": \"icrc\",\n  \"unit\": \"GB/s\",\n  \"cpu\": \"%s\",\n", cpu);
	fprintf(f, "  \"auto_engine\": \"%s\",\n  \"reps\": %d,\n  \"rep_ms\": %.0f,\n  \"results\": [\n",
		uroce_crc32_impl_name(uroce_crc32_active_impl()), reps, rep_ms);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		fprintf(f, "    {\"payload\": %zu, \"bytes\": %zu, \"memcpy\": %.3f, \"zlib\": %.3f, \"icrc\": %.3f, "
			   "\"icrc_over_memcpy\": %.4f, \"icrc_over_zlib\": %.4f, \"icrc_ns_per_packet\": %.2f, "
			   "\"engines\": {",
			r->payload, r->bytes, r->memcpy_gbps, r->zlib_gbps, r->icrc_gbps,
			ratio(r->icrc_gbps, r->memcpy_gbps), ratio(r->icrc_gbps, r->zlib_gbps),
			ratio((double)r->bytes, r->icrc_gbps));
		bool first = true;
		for (int e = 0; e < UROCE_CRC32_IMPL_COUNT; e++) {
			if (r->engine_gbps[e] <= 0)
				continue;
			fprintf(f, "%s\"%s\": %.3f", first ? "" : ", ", uroce_crc32_impl_name((enum uroce_crc32_impl)e),
				r->engine_gbps[e]);
			first = false;
		}
		fprintf(f, "}}%s\n", i + 1 < n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return f == stdout ? fflush(f) == 0 : fclose(f) == 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: icrc_bench [--json FILE|-] [--reps N] [--ms MS] [--no-bitwise]\n"
		   "  ICRC, memcpy, zlib crc32 and each CRC-32 engine on RoCE v2 packets with\n"
		   "  64 B, 1 KiB and 4 KiB payloads; GB/s medians. UROCE_CRC32_IMPL picks the\n"
		   "  engine uroce_icrc uses.\n");
}

int main(int argc, char **argv)
{
	const char *json_path = NULL;
	int reps = 7;
	double rep_ms = 50;
	bool bitwise = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
			json_path = argv[++i];
		} else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) {
			rep_ms = atof(argv[++i]);
		} else if (strcmp(argv[i], "--no-bitwise") == 0) {
			bitwise = false;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || !(rep_ms > 0)) {
		fprintf(stderr, "icrc_bench: --reps must be 1..64 and --ms positive\n");
		return 2;
	}

	static const size_t payloads[] = { 64, 1024, 4096 };
	enum { N_SIZES = sizeof payloads / sizeof payloads[0] };
	struct packet pkts[N_SIZES];
	struct row rows[N_SIZES];
	char cpu[128];
	cpu_name(cpu, sizeof cpu);

	for (size_t i = 0; i < N_SIZES; i++) {
		if (!build_packet(&pkts[i], payloads[i])) {
			fprintf(stderr, "icrc_bench: out of memory\n");
			return 1;
		}
		/* Every engine must agree before any of them is timed. */
		uint32_t want = uroce_crc32_update_with(UROCE_CRC32_BITWISE, 0xDEBB20E3u, pkts[i].l3, pkts[i].icrc_len);
		for (int e = 0; e < UROCE_CRC32_IMPL_COUNT; e++) {
			uint32_t got = uroce_crc32_update_with((enum uroce_crc32_impl)e, 0xDEBB20E3u, pkts[i].l3,
							       pkts[i].icrc_len);
			if (uroce_crc32_impl_supported((enum uroce_crc32_impl)e) && got != want) {
				fprintf(stderr, "icrc_bench: engine %s disagrees with bitwise\n",
					uroce_crc32_impl_name((enum uroce_crc32_impl)e));
				return 1;
			}
		}
	}

	for (size_t i = 0; i < N_SIZES; i++) {
		const struct packet *pkt = &pkts[i];
		struct row *r = &rows[i];
		memset(r, 0, sizeof *r);
		r->payload = pkt->payload;
		r->bytes = pkt->icrc_len;
		r->memcpy_gbps = measure(KIND_MEMCPY, 0, pkt, reps, rep_ms);
		r->zlib_gbps = measure(KIND_ZLIB, 0, pkt, reps, rep_ms);
		r->icrc_gbps = measure(KIND_ICRC, 0, pkt, reps, rep_ms);
		for (int e = 0; e < UROCE_CRC32_IMPL_COUNT; e++) {
			enum uroce_crc32_impl impl = (enum uroce_crc32_impl)e;
			if (!uroce_crc32_impl_supported(impl) || (impl == UROCE_CRC32_BITWISE && !bitwise))
				continue;
			r->engine_gbps[e] = measure(KIND_ENGINE, impl, pkt, reps, rep_ms);
		}
	}

	/* JSON on stdout moves the table to stderr. */
	bool json_stdout = json_path != NULL && strcmp(json_path, "-") == 0;
	print_table(json_stdout ? stderr : stdout, rows, N_SIZES, cpu, reps, rep_ms);
	bool ok = json_path == NULL || write_json(json_path, rows, N_SIZES, cpu, reps, rep_ms);
	for (size_t i = 0; i < N_SIZES; i++) {
		free(pkts[i].frame);
		free(pkts[i].copy_dst);
	}
	return ok ? 0 : 1;
}
