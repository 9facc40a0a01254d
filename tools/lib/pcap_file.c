#include "pcap_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAX_RECORD (256u * 1024u)

static uint32_t swap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

int pcap_read_file(const char *path, struct pcap_capture *cap, char *err, size_t err_len)
{
	memset(cap, 0, sizeof(*cap));
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	uint32_t gh[6];
	if (fread(gh, sizeof(gh), 1, f) != 1) {
		snprintf(err, err_len, "%s: too short for a pcap file header", path);
		fclose(f);
		return -1;
	}
	bool swapped = false;
	uint32_t magic = gh[0];
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		magic = swap32(magic);
		swapped = true;
	}
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) {
		snprintf(err, err_len, "%s: not a classic pcap file (magic 0x%08x); convert pcapng with editcap -F pcap",
			 path, gh[0]);
		fclose(f);
		return -1;
	}
	cap->linktype = swapped ? swap32(gh[5]) : gh[5];
	size_t alloc = 0;
	for (;;) {
		uint32_t rh[4];
		size_t got = fread(rh, 1, sizeof(rh), f);
		if (got == 0)
			break;
		if (got != sizeof(rh)) {
			snprintf(err, err_len, "%s: record %zu: truncated record header", path, cap->count);
			goto fail;
		}
		for (int i = 0; swapped && i < 4; i++)
			rh[i] = swap32(rh[i]);
		if (rh[2] > PCAP_MAX_RECORD) {
			snprintf(err, err_len, "%s: record %zu: capture length %u is implausible", path, cap->count, rh[2]);
			goto fail;
		}
		if (cap->count == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			struct pcap_record *n = realloc(cap->records, alloc * sizeof(*n));
			if (!n) {
				snprintf(err, err_len, "out of memory");
				goto fail;
			}
			cap->records = n;
		}
		struct pcap_record *r = &cap->records[cap->count];
		r->caplen = rh[2];
		r->origlen = rh[3];
		r->ts_ns = (uint64_t)rh[0] * 1000000000u + (uint64_t)rh[1] * (magic == PCAP_MAGIC_US ? 1000u : 1u);
		r->data = malloc(r->caplen ? r->caplen : 1);
		if (!r->data) {
			snprintf(err, err_len, "out of memory");
			goto fail;
		}
		cap->count++;
		if (r->caplen && fread(r->data, r->caplen, 1, f) != 1) {
			snprintf(err, err_len, "%s: record %zu: truncated packet data", path, cap->count - 1);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	pcap_capture_free(cap);
	return -1;
}

void pcap_capture_free(struct pcap_capture *cap)
{
	for (size_t i = 0; i < cap->count; i++)
		free(cap->records[i].data);
	free(cap->records);
	memset(cap, 0, sizeof(*cap));
}

int pcap_write_header(FILE *f, uint32_t linktype)
{
	uint32_t gh[6] = {PCAP_MAGIC_NS, 2u | 4u << 16, 0, 0, 65535, linktype};
	return fwrite(gh, sizeof(gh), 1, f) == 1 ? 0 : -1;
}

int pcap_write_record(FILE *f, const uint8_t *data, uint32_t len, uint64_t ts_ns)
{
	uint32_t rh[4] = {(uint32_t)(ts_ns / 1000000000u), (uint32_t)(ts_ns % 1000000000u), len, len};
	if (fwrite(rh, sizeof(rh), 1, f) != 1)
		return -1;
	return len == 0 || fwrite(data, len, 1, f) == 1 ? 0 : -1;
}
