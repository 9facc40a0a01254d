/* Why a packet could not be parsed or built. */
#ifndef UROCE_WIRE_ERROR_H
#define UROCE_WIRE_ERROR_H

enum uroce_wire_err {
	UROCE_WIRE_OK = 0,
	UROCE_WIRE_ERR_TRUNCATED,        /* buffer ends inside a header, the payload or the ICRC */
	UROCE_WIRE_ERR_ETHERTYPE,        /* not IPv4, IPv6 or RoCE v1 (0x8915), or stacked VLANs */
	UROCE_WIRE_ERR_IP_VERSION,       /* IP version field disagrees with the ethertype */
	UROCE_WIRE_ERR_IPV4_OPTIONS,     /* IHL != 5: RoCE v2 carries no IPv4 options */
	UROCE_WIRE_ERR_IPV4_LENGTH,      /* total length below IPv4 + UDP, or bytes after the datagram */
	UROCE_WIRE_ERR_IPV4_FRAGMENT,    /* MF set, fragment offset non-zero or reserved flag set */
	UROCE_WIRE_ERR_IPV4_CHECKSUM,    /* header checksum does not verify */
	UROCE_WIRE_ERR_IPV6_LENGTH,      /* payload length below UDP (or BTH for a GRH), or bytes after it */
	UROCE_WIRE_ERR_IP_PROTOCOL,      /* next protocol is not UDP (no IPv6 extension headers) */
	UROCE_WIRE_ERR_UDP_LENGTH,       /* UDP length disagrees with the IP length */
	UROCE_WIRE_ERR_UDP_PORT,         /* destination port is not 4791 */
	UROCE_WIRE_ERR_GRH_NEXT_HEADER,  /* RoCE v1 GRH next header is not 0x1B (BTH) */
	UROCE_WIRE_ERR_OPCODE,           /* BTH opcode not in the opcode table (RD, XRC, reserved) */
	UROCE_WIRE_ERR_TVER,             /* BTH transport header version is not 0 */
	UROCE_WIRE_ERR_BTH_RESERVED,     /* BTH reserved bits (byte 4 bits 5..0, byte 8 bits 6..0) set */
	UROCE_WIRE_ERR_DETH_RESERVED,    /* DETH reserved byte set */
	UROCE_WIRE_ERR_FETH_RESERVED,    /* FETH reserved bits set */
	UROCE_WIRE_ERR_CNP_RESERVED,     /* CNP reserved bytes not zero */
	UROCE_WIRE_ERR_AETH_SYNDROME,    /* AETH syndrome is a reserved value */
	UROCE_WIRE_ERR_PAD,              /* pad count not allowed for this opcode or larger than the payload area */
	UROCE_WIRE_ERR_PAYLOAD_LENGTH,   /* payload where none is allowed, or of the wrong size */
	UROCE_WIRE_ERR_ICRC,             /* ICRC does not match the packet */
	UROCE_WIRE_ERR_FIELD_RANGE,      /* building: a field value does not fit its width */
	UROCE_WIRE_ERR_NO_SPACE,         /* building: the output buffer is too small */
	UROCE_WIRE_ERR_INVALID_ARG,      /* a NULL pointer or inconsistent request */
	UROCE_WIRE_ERR_COUNT
};

/* A sentence saying what was wrong; never NULL. */
const char *uroce_wire_strerror(enum uroce_wire_err err);
/* The enum's short name, e.g. "ICRC". */
const char *uroce_wire_errname(enum uroce_wire_err err);

#endif
