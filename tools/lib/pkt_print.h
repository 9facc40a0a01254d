/* Human-readable dissection of a parsed RoCE packet. */
#ifndef UROCE_PKT_PRINT_H
#define UROCE_PKT_PRINT_H

#include <stdio.h>

#include "wire/packet.h"

/* One summary line: opcode, QPN, PSN, flags, lengths. */
void pkt_print_summary(FILE *out, const struct uroce_pkt *pkt);
/* Every header field, indented, one header per line. */
void pkt_print_fields(FILE *out, const struct uroce_pkt *pkt);

#endif
