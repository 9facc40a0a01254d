/* This thread's last error, and the names of statuses, states and counters. */
#include <stdarg.h>
#include <stdio.h>

#include "verbs/verbs_internal.h"

static _Thread_local char last_error[512];

int verbs_error(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

const char *uroce_last_error(void)
{
	return last_error[0] ? last_error : "no error";
}

const char *uroce_wc_status_str(enum uroce_wc_status status)
{
	/* The same words as ibv_wc_status_str. */
	switch (status) {
	case UROCE_WC_SUCCESS: return "success";
	case UROCE_WC_LOC_LEN_ERR: return "local length error";
	case UROCE_WC_LOC_QP_OP_ERR: return "local QP operation error";
	case UROCE_WC_LOC_PROT_ERR: return "local protection error";
	case UROCE_WC_WR_FLUSH_ERR: return "Work Request Flushed Error";
	case UROCE_WC_BAD_RESP_ERR: return "bad response error";
	case UROCE_WC_LOC_ACCESS_ERR: return "local access error";
	case UROCE_WC_REM_INV_REQ_ERR: return "remote invalid request error";
	case UROCE_WC_REM_ACCESS_ERR: return "remote access error";
	case UROCE_WC_REM_OP_ERR: return "remote operation error";
	case UROCE_WC_RETRY_EXC_ERR: return "transport retry counter exceeded";
	case UROCE_WC_RNR_RETRY_EXC_ERR: return "RNR retry counter exceeded";
	case UROCE_WC_REM_INV_RD_REQ_ERR: return "remote invalid RD request";
	case UROCE_WC_FATAL_ERR: return "fatal error";
	case UROCE_WC_GENERAL_ERR: return "general error";
	}
	return "unknown";
}

const char *uroce_qp_state_str(enum uroce_qp_state state)
{
	switch (state) {
	case UROCE_QPS_RESET: return "RESET";
	case UROCE_QPS_INIT: return "INIT";
	case UROCE_QPS_RTR: return "RTR";
	case UROCE_QPS_RTS: return "RTS";
	case UROCE_QPS_SQD: return "SQD";
	case UROCE_QPS_SQE: return "SQE";
	case UROCE_QPS_ERR: return "ERR";
	}
	return "unknown";
}

/* rxe's hw_counters names where rxe has the counter. */
static const char *const counter_names[UROCE_CNT_COUNT] = {
	[UROCE_CNT_SENT_PKTS] = "sent_pkts",
	[UROCE_CNT_RCVD_PKTS] = "rcvd_pkts",
	[UROCE_CNT_DUPLICATE_REQUEST] = "duplicate_request",
	[UROCE_CNT_OUT_OF_SEQ_REQUEST] = "out_of_seq_request",
	[UROCE_CNT_SEQ_ERR_NAK_SENT] = "seq_err_nak_sent",
	[UROCE_CNT_RCV_RNR_ERR] = "rcvd_rnr_err",
	[UROCE_CNT_SEND_RNR_ERR] = "send_rnr_err",
	[UROCE_CNT_RCV_SEQ_ERR] = "rcvd_seq_err",
	[UROCE_CNT_RETRY_EXCEEDED] = "retry_exceeded_err",
	[UROCE_CNT_RNR_RETRY_EXCEEDED] = "retry_rnr_exceeded_err",
	[UROCE_CNT_RETRANSMITS] = "retransmits",
	[UROCE_CNT_TIMEOUTS] = "timeouts",
	[UROCE_CNT_ICRC_ERR] = "icrc_err",
	[UROCE_CNT_MALFORMED] = "malformed",
	[UROCE_CNT_UNKNOWN_QP] = "unknown_qp",
	[UROCE_CNT_ACCESS_ERR_NAK_SENT] = "access_err_nak_sent",
	[UROCE_CNT_INVALID_REQ_NAK_SENT] = "invalid_req_nak_sent",
	[UROCE_CNT_ACKS_SENT] = "acks_sent",
	[UROCE_CNT_ACKS_RCVD] = "acks_rcvd",
	[UROCE_CNT_COMPLETER_RETRY] = "completer_retry_err",
	[UROCE_CNT_BPF_DROPPED] = "bpf_dropped",
	[UROCE_CNT_RX_DROPPED] = "rx_dropped",
};

const char *uroce_counter_name(enum uroce_counter c)
{
	if ((unsigned)c >= UROCE_CNT_COUNT || !counter_names[c])
		return "unknown";
	return counter_names[c];
}
