/* The QP state transitions and their attribute masks: IBA 1.4 table 91 as
 * Linux's ib_modify_qp_is_ok() has it (drivers/infiniband/core/verbs.c),
 * for the RC, UC and UD rows. */
#include <stdio.h>
#include <string.h>

#include "verbs/verbs_private.h"

enum { T_RC, T_UC, T_UD, T_COUNT };

struct transition {
	bool valid;
	int req[T_COUNT];
	int opt[T_COUNT];
};

#define S(x) UROCE_QPS_##x
#define M(x) UROCE_QP_##x

static const struct transition table[S(ERR) + 1][S(ERR) + 1] = {
	[S(RESET)] = {
		[S(RESET)] = {.valid = true},
		[S(INIT)] = {
			.valid = true,
			.req = {
				[T_RC] = M(PKEY_INDEX) | M(PORT) | M(ACCESS_FLAGS),
				[T_UC] = M(PKEY_INDEX) | M(PORT) | M(ACCESS_FLAGS),
				[T_UD] = M(PKEY_INDEX) | M(PORT) | M(QKEY),
			},
		},
	},
	[S(INIT)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
		[S(INIT)] = {
			.valid = true,
			.opt = {
				[T_RC] = M(PKEY_INDEX) | M(PORT) | M(ACCESS_FLAGS),
				[T_UC] = M(PKEY_INDEX) | M(PORT) | M(ACCESS_FLAGS),
				[T_UD] = M(PKEY_INDEX) | M(PORT) | M(QKEY),
			},
		},
		[S(RTR)] = {
			.valid = true,
			.req = {
				[T_RC] = M(AV) | M(PATH_MTU) | M(DEST_QPN) | M(RQ_PSN) | M(MAX_DEST_RD_ATOMIC) |
					 M(MIN_RNR_TIMER),
				[T_UC] = M(AV) | M(PATH_MTU) | M(DEST_QPN) | M(RQ_PSN),
			},
			.opt = {
				[T_RC] = M(ALT_PATH) | M(ACCESS_FLAGS) | M(PKEY_INDEX),
				[T_UC] = M(ALT_PATH) | M(ACCESS_FLAGS) | M(PKEY_INDEX),
				[T_UD] = M(PKEY_INDEX) | M(QKEY),
			},
		},
	},
	[S(RTR)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
		[S(RTS)] = {
			.valid = true,
			.req = {
				[T_RC] = M(TIMEOUT) | M(RETRY_CNT) | M(RNR_RETRY) | M(SQ_PSN) | M(MAX_QP_RD_ATOMIC),
				[T_UC] = M(SQ_PSN),
				[T_UD] = M(SQ_PSN),
			},
			.opt = {
				[T_RC] = M(CUR_STATE) | M(ALT_PATH) | M(ACCESS_FLAGS) | M(MIN_RNR_TIMER) |
					 M(PATH_MIG_STATE),
				[T_UC] = M(CUR_STATE) | M(ALT_PATH) | M(ACCESS_FLAGS) | M(PATH_MIG_STATE),
				[T_UD] = M(CUR_STATE) | M(QKEY),
			},
		},
	},
	[S(RTS)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
		[S(RTS)] = {
			.valid = true,
			.opt = {
				[T_RC] = M(CUR_STATE) | M(ACCESS_FLAGS) | M(ALT_PATH) | M(PATH_MIG_STATE) |
					 M(MIN_RNR_TIMER),
				[T_UC] = M(CUR_STATE) | M(ACCESS_FLAGS) | M(ALT_PATH) | M(PATH_MIG_STATE),
				[T_UD] = M(CUR_STATE) | M(QKEY),
			},
		},
		[S(SQD)] = {
			.valid = true,
			.opt = {
				[T_RC] = M(EN_SQD_ASYNC_NOTIFY),
				[T_UC] = M(EN_SQD_ASYNC_NOTIFY),
				[T_UD] = M(EN_SQD_ASYNC_NOTIFY),
			},
		},
	},
	[S(SQD)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
		[S(RTS)] = {
			.valid = true,
			.opt = {
				[T_RC] = M(CUR_STATE) | M(ALT_PATH) | M(ACCESS_FLAGS) | M(MIN_RNR_TIMER) |
					 M(PATH_MIG_STATE),
				[T_UC] = M(CUR_STATE) | M(ALT_PATH) | M(ACCESS_FLAGS) | M(PATH_MIG_STATE),
				[T_UD] = M(CUR_STATE) | M(QKEY),
			},
		},
		[S(SQD)] = {
			.valid = true,
			.opt = {
				[T_RC] = M(PORT) | M(AV) | M(TIMEOUT) | M(RETRY_CNT) | M(RNR_RETRY) |
					 M(MAX_QP_RD_ATOMIC) | M(MAX_DEST_RD_ATOMIC) | M(ALT_PATH) | M(ACCESS_FLAGS) |
					 M(PKEY_INDEX) | M(MIN_RNR_TIMER) | M(PATH_MIG_STATE),
				[T_UC] = M(AV) | M(ALT_PATH) | M(ACCESS_FLAGS) | M(PKEY_INDEX) | M(PATH_MIG_STATE),
				[T_UD] = M(PKEY_INDEX) | M(QKEY),
			},
		},
	},
	[S(SQE)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
		[S(RTS)] = {
			.valid = true,
			.opt = {
				[T_UC] = M(CUR_STATE) | M(ACCESS_FLAGS),
				[T_UD] = M(CUR_STATE) | M(QKEY),
			},
		},
	},
	[S(ERR)] = {
		[S(RESET)] = {.valid = true},
		[S(ERR)] = {.valid = true},
	},
};

bool qp_transition_masks(enum uroce_qp_state cur, enum uroce_qp_state next, enum uroce_qp_type type,
			 int *required, int *optional)
{
	*required = 0;
	*optional = 0;
	if ((unsigned)cur > S(ERR) || (unsigned)next > S(ERR))
		return false;
	int t;
	switch (type) {
	case UROCE_QP_RC: t = T_RC; break;
	case UROCE_QP_UC: t = T_UC; break;
	case UROCE_QP_UD: t = T_UD; break;
	default: return false;
	}
	const struct transition *tr = &table[cur][next];
	if (!tr->valid)
		return false;
	*required = tr->req[t];
	*optional = tr->opt[t];
	return true;
}

static const char *const mask_names[] = {
	"STATE", "CUR_STATE", "EN_SQD_ASYNC_NOTIFY", "ACCESS_FLAGS", "PKEY_INDEX", "PORT", "QKEY",
	"AV", "PATH_MTU", "TIMEOUT", "RETRY_CNT", "RNR_RETRY", "RQ_PSN", "MAX_QP_RD_ATOMIC",
	"ALT_PATH", "MIN_RNR_TIMER", "SQ_PSN", "MAX_DEST_RD_ATOMIC", "PATH_MIG_STATE", "CAP", "DEST_QPN",
};

const char *qp_mask_names(int mask, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned bit = 0; bit < 32; bit++) {
		if (!((unsigned)mask & (1u << bit)))
			continue;
		char one[40];
		if (bit < sizeof(mask_names) / sizeof(mask_names[0]))
			snprintf(one, sizeof(one), "UROCE_QP_%s", mask_names[bit]);
		else
			snprintf(one, sizeof(one), "bit %u", bit);
		int n = snprintf(buf + at, len - at, "%s%s", at ? "|" : "", one);
		if (n < 0 || (size_t)n >= len - at)
			break;
		at += (size_t)n;
	}
	return buf;
}

const char *qp_type_str(enum uroce_qp_type type)
{
	switch (type) {
	case UROCE_QP_RC: return "RC";
	case UROCE_QP_UC: return "UC";
	case UROCE_QP_UD: return "UD";
	}
	return "unknown";
}
