/* Classic libpcap files (not pcapng): read all packets, or write Ethernet frames. */
#ifndef UROCE_PCAP_FILE_H
#define UROCE_PCAP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_LINKTYPE_RAW 101u /* raw IPv4/IPv6 */

struct pcap_record {
	uint8_t *data;
	uint32_t caplen;  /* bytes in data */
	uint32_t origlen; /* bytes on the wire */
	uint64_t ts_ns;
};

struct pcap_capture {
	uint32_t linktype;
	size_t count;
	struct pcap_record *records;
};

/* Reads a whole file (micro- or nanosecond, either byte order). Returns 0, or
 * -1 with a message in err saying what is wrong with the file. */
int pcap_read_file(const char *path, struct pcap_capture *cap, char *err, size_t err_len);
void pcap_capture_free(struct pcap_capture *cap);

/* Writing: header once, then records. Return 0 or -1 (errno set). */
int pcap_write_header(FILE *f, uint32_t linktype);
int pcap_write_record(FILE *f, const uint8_t *data, uint32_t len, uint64_t ts_ns);

#endif
