/* Writes the seed inputs of fuzz_peer into a directory: conversations a
 * well-behaved peer would have, and a few it should not. They seed the
 * fuzzer and, replayed under every compiler, are a regression test. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_peer.h"

struct seed {
	uint8_t bytes[PEER_HEADER_LEN + PEER_MAX_RECORDS * PEER_RECORD_LEN];
	size_t len;
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void begin(struct seed *s, uint8_t cfg, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->bytes[0] = cfg;
	s->bytes[1] = type;
	s->len = PEER_HEADER_LEN;
}

/* A record; psn_step from the base the opcode implies. */
static void rec(struct seed *s, uint8_t opcode, uint8_t flags, int8_t psn_step, uint8_t key, uint16_t payload,
		int32_t va_off, uint32_t word)
{
	uint8_t *r = s->bytes + s->len;
	r[0] = opcode;
	r[1] = flags;
	r[2] = (uint8_t)psn_step;
	r[5] = key;
	put_be(r + 6, payload, 2);
	uint32_t mag = va_off < 0 ? (uint32_t)-va_off : (uint32_t)va_off;
	r[8] = va_off < 0 ? PEER_VA_START_MINUS : PEER_VA_START_PLUS;
	put_be(r + 9, mag, 3);
	put_be(r + 12, word, 4);
	s->len += PEER_RECORD_LEN;
}

static int save(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->bytes, 1, s->len, f) != s->len) {
		fprintf(stderr, "fuzz_peer_seeds: cannot write %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) != 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_peer_seeds DIR\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz_peer_seeds: cannot create %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	const uint8_t A = PEER_F_ACKREQ, MTU1024 = 1 << PEER_CFG_MTU_SHIFT;
	const uint8_t W = PEER_KEY_WRITABLE;
	struct seed s;
	int bad = 0;

	/* A 2.5 KiB RDMA WRITE in three packets, then a WRITE ONLY with immediate. */
	begin(&s, MTU1024 | 1, PEER_TYPE_RC);
	rec(&s, 0x06, 0, 0, W, 1024, 0, 2560); /* WRITE FIRST: RETH */
	rec(&s, 0x07, 0, 1, W, 1024, 0, 0);
	rec(&s, 0x08, A, 2, W, 512, 0, 0);
	rec(&s, 0x0b, A, 3, W, 64, 4096, 64); /* WRITE ONLY with immediate: takes the receive */
	bad |= save(argv[1], "write", &s);

	/* SENDs into three receives, a READ request and both atomics. */
	begin(&s, MTU1024 | 2, PEER_TYPE_RC);
	rec(&s, 0x04, A, 0, W, 100, 0, 0);     /* SEND ONLY */
	rec(&s, 0x00, 0, 1, W, 1024, 0, 0);    /* SEND FIRST */
	rec(&s, 0x02, A, 2, W, 10, 0, 0);      /* SEND LAST */
	rec(&s, 0x0c, A, 3, W, 0, 0, 3000);    /* READ request: 3 responses */
	rec(&s, 0x13, A, 6, W, 0, 64, 0);      /* CMP_SWP */
	rec(&s, 0x14, A, 7, W, 0, 72, 0);      /* FETCH_ADD */
	rec(&s, 0x17, A, 8, W, 8, 0, 0x1234);  /* SEND ONLY with invalidate */
	bad |= save(argv[1], "send_read_atomic", &s);

	/* Responses to the QP's own READ, atomic, SEND and WRITE. */
	begin(&s, MTU1024 | PEER_CFG_READ | PEER_CFG_ATOMIC | PEER_CFG_SEND | PEER_CFG_WRITE, PEER_TYPE_RC);
	rec(&s, 0x0d, 0, 0, W, 1024, 0, 0x1f000000); /* READ RESPONSE FIRST: AETH */
	rec(&s, 0x0e, 0, 1, W, 1024, 0, 0);
	rec(&s, 0x0f, 0, 2, W, 952, 0, 0x1f000001);
	rec(&s, 0x12, 0, 3, W, 0, 0, 0x1f000002);    /* ATOMIC ACK */
	rec(&s, 0x11, 0, 5, W, 0, 0, 0x1f000003);    /* ACK through the SEND */
	rec(&s, 0x11, 0, 7, W, 0, 0, 0x1f000004);    /* and the WRITE */
	bad |= save(argv[1], "responses", &s);

	/* A peer that breaks the rules. Each access violation puts the QP in the
	 * error state, so each has an input of its own. */
	static const struct {
		const char *name;
		uint8_t opcode, key;
		uint16_t payload;
		int32_t va_off;
		uint32_t word;
	} fatal[] = {
		{"hostile_read_only_mr", 0x0a, PEER_KEY_READ_ONLY, 8, 0, 8}, /* WRITE ONLY, read-only MR */
		{"hostile_past_end", 0x0a, W, 16, 65536 - 8, 16},
		{"hostile_before_start", 0x0a, W, 16, -8, 16},
		{"hostile_dma_len", 0x0a, W, 16, 0, 8},                      /* payload beyond its DMA length */
		{"hostile_first_short_dma", 0x06, W, 1024, 65536 - 16, 16},  /* FIRST: an MTU, DMA length 16, at the end */
		{"hostile_local_mr_read", 0x0c, PEER_KEY_LOCAL, 0, 0, 100}, /* READ, no remote access */
		{"hostile_recv_mr_write", 0x0a, PEER_KEY_RECV, 16, 0, 16},
		{"hostile_misaligned_atomic", 0x14, W, 0, 4, 0},
		{"hostile_atomic_read_only", 0x13, PEER_KEY_READ_ONLY, 0, 0, 0},
		{"hostile_middle_first", 0x07, W, 1024, 0, 0},               /* MIDDLE without a FIRST */
		{"hostile_send_too_long", 0x04, W, 4096, 0, 0},              /* more than the receive holds */
	};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		begin(&s, MTU1024 | 1 | PEER_CFG_READ, PEER_TYPE_RC);
		rec(&s, fatal[i].opcode, A, 0, fatal[i].key, fatal[i].payload, fatal[i].va_off, fatal[i].word);
		bad |= save(argv[1], fatal[i].name, &s);
	}

	/* Rule-breaking the QP survives: out of sequence, stray responses, NAKs, bad packets. */
	begin(&s, MTU1024 | 1 | PEER_CFG_READ | PEER_CFG_SEND, PEER_TYPE_RC);
	rec(&s, 0x0a, A, 9, W, 16, 0, 16);                      /* out of sequence: one NAK */
	rec(&s, 0x0a, A, 10, W, 16, 0, 16);                     /* and silence */
	rec(&s, 0x0a, A, -1, W, 16, 0, 16);                     /* a duplicate: re-ACKed */
	rec(&s, 0x0f, 0, 0, W, 952, 0, 0x1f000000);             /* READ RESPONSE LAST first */
	rec(&s, 0x11, 0, 0, W, 0, 0, 0x60000000);               /* NAK: PSN sequence error */
	rec(&s, 0x11, 0, 0, W, 0, 0, 0x20000000);               /* RNR NAK */
	rec(&s, 0x11, PEER_F_RAW_PSN, 0, W, 0, 0, 0x1f000000); /* ACK of PSN 0 */
	rec(&s, 0x04, (3 << PEER_F_CUT_SHIFT) | (1 << PEER_F_PAD_SHIFT), 0, W, 30, 0, 0); /* cut short */
	rec(&s, 0xff, 0, 0, W, 40, 0, 0);                       /* an opcode nobody defines */
	bad |= save(argv[1], "hostile_survivable", &s);

	/* UC: SENDs and WRITEs without ACKs; a lost packet drops its message. */
	begin(&s, MTU1024 | 2 | PEER_CFG_SEND | PEER_CFG_WRITE, PEER_TYPE_UC);
	rec(&s, 0x24, 0, 0, W, 100, 0, 0);                      /* SEND ONLY */
	rec(&s, 0x26, 0, 1, W, 1024, 0, 2048);                  /* WRITE FIRST */
	rec(&s, 0x28, 0, 3, W, 1024, 0, 0);                     /* its LAST, one PSN late */
	rec(&s, 0x2b, 0, 4, W, 64, 4096, 64);                   /* WRITE ONLY with immediate */
	rec(&s, 0x2a, 0, 5, PEER_KEY_READ_ONLY, 8, 0, 8);    /* to a read-only MR */
	rec(&s, 0x04, 0, 6, W, 100, 0, 0);                      /* an RC opcode */
	bad |= save(argv[1], "uc", &s);

	/* UC: a SEND's LAST after a WRITE's FIRST (once read a stale receive). */
	begin(&s, MTU1024 | 2 | PEER_CFG_SEND | PEER_CFG_WRITE, PEER_TYPE_UC);
	rec(&s, 0x24, 0, 64, W, 4104, 0, 0);                    /* SEND ONLY, out of sequence, too long */
	rec(&s, 0x26, 0, 1, W, 1024, 0, 2048);                  /* WRITE FIRST */
	rec(&s, 0x23, 0, 2, W, 251, 0, 0xfc000000);             /* SEND LAST with immediate */
	bad |= save(argv[1], "uc_send_after_write", &s);

	/* UD: SENDs with the QP's Q_Key, another one, and more than a receive holds. */
	begin(&s, MTU1024 | 3 | PEER_CFG_SEND, PEER_TYPE_UD);
	rec(&s, 0x64, 0, 0, W, 100, 0, 0);                      /* SEND ONLY */
	rec(&s, 0x65, PEER_F_SE, 1, W, 1024, 0, 0x12345678);    /* with immediate */
	rec(&s, 0x64, 0, 2, W | 8, 100, 0x0badbeef, 0);         /* a wrong Q_Key */
	rec(&s, 0x64, 0, 3, W, 2048, 0, 0);                     /* 2048 + the GRH: too long */
	rec(&s, 0x64, 0, 4, W, 4104, 0, 0);                     /* past the MTU */
	bad |= save(argv[1], "ud", &s);

	/* Receives from a shared receive queue with its limit armed: RC SENDs, then UD. */
	begin(&s, MTU1024 | 3, PEER_TYPE_RC | PEER_QP_SRQ | PEER_QP_SRQ_LIMIT);
	rec(&s, 0x04, A, 0, W, 100, 0, 0);                      /* SEND ONLY */
	rec(&s, 0x00, 0, 1, W, 1024, 0, 0);                     /* SEND FIRST */
	rec(&s, 0x02, A, 2, W, 1500, 0, 0);                     /* a LAST past the receive's 2048 bytes */
	rec(&s, 0x05, A, 3, W, 10, 0, 7);                       /* SEND ONLY with immediate */
	bad |= save(argv[1], "rc_srq", &s);
	begin(&s, MTU1024 | 1, PEER_TYPE_UD | PEER_QP_SRQ);
	rec(&s, 0x64, 0, 0, W, 200, 0, 0);
	rec(&s, 0x64, 0, 1, W, 200, 0, 0);                      /* no receive left */
	bad |= save(argv[1], "ud_srq", &s);
	return bad;
}
