#include "wire/wire_error.h"

static const struct {
	const char *name;
	const char *text;
} wire_errors[UROCE_WIRE_ERR_COUNT] = {
	[UROCE_WIRE_OK] = {"OK", "no error"},
	[UROCE_WIRE_ERR_TRUNCATED] = {"TRUNCATED", "packet is truncated: the buffer ends inside a header, the payload or the ICRC"},
	[UROCE_WIRE_ERR_ETHERTYPE] = {"ETHERTYPE", "not a RoCE frame: ethertype is not IPv4, IPv6 or RoCE v1 (0x8915), or VLAN tags are stacked"},
	[UROCE_WIRE_ERR_IP_VERSION] = {"IP_VERSION", "IP version field does not match the ethertype (or is neither 4 nor 6)"},
	[UROCE_WIRE_ERR_IPV4_OPTIONS] = {"IPV4_OPTIONS", "IPv4 header length is not 20 bytes: RoCE v2 carries no IPv4 options"},
	[UROCE_WIRE_ERR_IPV4_LENGTH] = {"IPV4_LENGTH", "IPv4 total length is below IPv4 + UDP headers, or bytes follow the datagram"},
	[UROCE_WIRE_ERR_IPV4_FRAGMENT] = {"IPV4_FRAGMENT", "IPv4 packet is a fragment (MF or offset set) or has the reserved flag set: RoCE is never fragmented"},
	[UROCE_WIRE_ERR_IPV4_CHECKSUM] = {"IPV4_CHECKSUM", "IPv4 header checksum does not verify"},
	[UROCE_WIRE_ERR_IPV6_LENGTH] = {"IPV6_LENGTH", "IPv6/GRH payload length is too short for the next header, or bytes follow the datagram"},
	[UROCE_WIRE_ERR_IP_PROTOCOL] = {"IP_PROTOCOL", "IP next protocol is not UDP (IPv6 extension headers are not accepted)"},
	[UROCE_WIRE_ERR_UDP_LENGTH] = {"UDP_LENGTH", "UDP length field disagrees with the IP payload length"},
	[UROCE_WIRE_ERR_UDP_PORT] = {"UDP_PORT", "UDP destination port is not 4791 (RoCE v2)"},
	[UROCE_WIRE_ERR_GRH_NEXT_HEADER] = {"GRH_NEXT_HEADER", "RoCE v1 GRH next header is not 0x1B (BTH)"},
	[UROCE_WIRE_ERR_OPCODE] = {"OPCODE", "BTH opcode is not one uroce speaks (RC, UC, UD or CNP; RD and XRC are not supported)"},
	[UROCE_WIRE_ERR_TVER] = {"TVER", "BTH transport header version is not 0"},
	[UROCE_WIRE_ERR_BTH_RESERVED] = {"BTH_RESERVED", "BTH reserved bits are set (byte 4 bits 5..0 or byte 8 bits 6..0)"},
	[UROCE_WIRE_ERR_DETH_RESERVED] = {"DETH_RESERVED", "DETH reserved byte is not zero"},
	[UROCE_WIRE_ERR_FETH_RESERVED] = {"FETH_RESERVED", "FETH reserved bits are set (only selectivity and placement type may be)"},
	[UROCE_WIRE_ERR_CNP_RESERVED] = {"CNP_RESERVED", "CNP reserved bytes are not zero"},
	[UROCE_WIRE_ERR_AETH_SYNDROME] = {"AETH_SYNDROME", "AETH syndrome is a reserved encoding (valid: ACK, RNR NAK, NAK codes 0..4)"},
	[UROCE_WIRE_ERR_PAD] = {"PAD", "BTH pad count does not fit the opcode or the payload (payload + pad must be a multiple of 4)"},
	[UROCE_WIRE_ERR_PAYLOAD_LENGTH] = {"PAYLOAD_LENGTH", "payload length not allowed for this opcode (none, an IB MTU, at most 4096, or 8 for ATOMIC_WRITE)"},
	[UROCE_WIRE_ERR_ICRC] = {"ICRC", "ICRC does not match the packet: corrupted or not computed as RoCE specifies"},
	[UROCE_WIRE_ERR_FIELD_RANGE] = {"FIELD_RANGE", "a field value does not fit its width (24-bit QPN/PSN/MSN, 20-bit flow label, 2-bit SEL, 4-bit PLT, IPv4 flags DF only)"},
	[UROCE_WIRE_ERR_NO_SPACE] = {"NO_SPACE", "output buffer too small for the packet: pass at least UROCE_MAX_FRAME bytes"},
	[UROCE_WIRE_ERR_INVALID_ARG] = {"INVALID_ARG", "invalid argument: NULL pointer, payload pointer missing, or no L3 header to compute the ICRC over"},
};

const char *uroce_wire_strerror(enum uroce_wire_err err)
{
	if ((unsigned)err >= UROCE_WIRE_ERR_COUNT)
		return "unknown wire error";
	return wire_errors[err].text;
}

const char *uroce_wire_errname(enum uroce_wire_err err)
{
	if ((unsigned)err >= UROCE_WIRE_ERR_COUNT)
		return "UNKNOWN";
	return wire_errors[err].name;
}
