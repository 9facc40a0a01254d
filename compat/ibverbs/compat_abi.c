/* The parts of the ABI nobody should reach on uroce, present so that
 * programs linked against them load:
 * - the IBVERBS_1.0 compat versions: the pre-2006 ABI, whose structs differ;
 *   they fail with ENOSYS;
 * - IBVERBS_PRIVATE_34, the interface between libibverbs and its providers:
 *   libmlx5 and libefa (which Debian's perftest links BIND_NOW) import it
 *   and register themselves from a constructor; registration is accepted
 *   and ignored, and uroce is the only device.
 * None of these has a public prototype (rdma-core's driver.h is not
 * installed), and none reads its arguments, so each is defined with (void):
 * on the SysV ABIs the caller's arguments are simply unused. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compat_internal.h"

/* ---- IBVERBS_1.0 ---- */

#define COMPAT_1_0(ret, name, value)                                                                        \
	COMPAT_EXPORT ret name##_v1_0(void);                                                                 \
	COMPAT_EXPORT ret name##_v1_0(void)                                                                  \
	{                                                                                                    \
		errno = ENOSYS;                                                                              \
		return value;                                                                                \
	}                                                                                                    \
	COMPAT_SYMVER(name##_v1_0, name, "IBVERBS_1.0");
#define COMPAT_1_0_VOID(name)                                                                               \
	COMPAT_EXPORT void name##_v1_0(void);                                                                \
	COMPAT_EXPORT void name##_v1_0(void)                                                                 \
	{                                                                                                    \
	}                                                                                                    \
	COMPAT_SYMVER(name##_v1_0, name, "IBVERBS_1.0");

COMPAT_1_0(void *, ibv_alloc_pd, NULL)
COMPAT_1_0(void *, ibv_create_ah, NULL)
COMPAT_1_0(void *, ibv_create_cq, NULL)
COMPAT_1_0(void *, ibv_create_qp, NULL)
COMPAT_1_0(void *, ibv_create_srq, NULL)
COMPAT_1_0(void *, ibv_get_device_list, NULL)
COMPAT_1_0(void *, ibv_get_device_name, NULL)
COMPAT_1_0(void *, ibv_open_device, NULL)
COMPAT_1_0(void *, ibv_reg_mr, NULL)
COMPAT_1_0(int, ibv_attach_mcast, ENOSYS)
COMPAT_1_0(int, ibv_close_device, ENOSYS)
COMPAT_1_0(int, ibv_dealloc_pd, ENOSYS)
COMPAT_1_0(int, ibv_dereg_mr, ENOSYS)
COMPAT_1_0(int, ibv_destroy_ah, ENOSYS)
COMPAT_1_0(int, ibv_destroy_cq, ENOSYS)
COMPAT_1_0(int, ibv_destroy_qp, ENOSYS)
COMPAT_1_0(int, ibv_destroy_srq, ENOSYS)
COMPAT_1_0(int, ibv_detach_mcast, ENOSYS)
COMPAT_1_0(int, ibv_modify_qp, ENOSYS)
COMPAT_1_0(int, ibv_modify_srq, ENOSYS)
COMPAT_1_0(int, ibv_query_device, ENOSYS)
COMPAT_1_0(int, ibv_query_srq, ENOSYS)
COMPAT_1_0(int, ibv_resize_cq, ENOSYS)
/* rdma-core returns -1 from these */
COMPAT_1_0(int, ibv_get_async_event, -1)
COMPAT_1_0(int, ibv_get_cq_event, -1)
COMPAT_1_0(int, ibv_query_gid, -1)
COMPAT_1_0(int, ibv_query_pkey, -1)
COMPAT_1_0(int, ibv_query_port, -1)
COMPAT_1_0(int, ibv_query_qp, -1)
COMPAT_1_0(uint64_t, ibv_get_device_guid, 0)
COMPAT_1_0_VOID(ibv_ack_async_event)
COMPAT_1_0_VOID(ibv_ack_cq_events)
COMPAT_1_0_VOID(ibv_free_device_list)

/* IBVERBS_1.1's ibv_register_driver: how providers registered before verbs_register_driver. */
COMPAT_EXPORT void ibv_register_driver_v1_1(void);
COMPAT_EXPORT void ibv_register_driver_v1_1(void)
{
}
COMPAT_SYMVER(ibv_register_driver_v1_1, ibv_register_driver, "IBVERBS_1.1");

/* ---- IBVERBS_PRIVATE_34 ---- */

#define PRIVATE_CMD(name)                                                                                   \
	COMPAT_EXPORT int name(void);                                                                        \
	COMPAT_EXPORT int name(void)                                                                         \
	{                                                                                                    \
		return EOPNOTSUPP;                                                                           \
	}
PRIVATE_CMD(ibv_cmd_advise_mr)
PRIVATE_CMD(ibv_cmd_alloc_dm)
PRIVATE_CMD(ibv_cmd_alloc_mw)
PRIVATE_CMD(ibv_cmd_alloc_pd)
PRIVATE_CMD(ibv_cmd_attach_mcast)
PRIVATE_CMD(ibv_cmd_close_xrcd)
PRIVATE_CMD(ibv_cmd_create_ah)
PRIVATE_CMD(ibv_cmd_create_counters)
PRIVATE_CMD(ibv_cmd_create_cq)
PRIVATE_CMD(ibv_cmd_create_cq_ex)
PRIVATE_CMD(ibv_cmd_create_flow)
PRIVATE_CMD(ibv_cmd_create_flow_action_esp)
PRIVATE_CMD(ibv_cmd_create_qp)
PRIVATE_CMD(ibv_cmd_create_qp_ex)
PRIVATE_CMD(ibv_cmd_create_qp_ex2)
PRIVATE_CMD(ibv_cmd_create_rwq_ind_table)
PRIVATE_CMD(ibv_cmd_create_srq)
PRIVATE_CMD(ibv_cmd_create_srq_ex)
PRIVATE_CMD(ibv_cmd_create_wq)
PRIVATE_CMD(ibv_cmd_dealloc_mw)
PRIVATE_CMD(ibv_cmd_dealloc_pd)
PRIVATE_CMD(ibv_cmd_dereg_mr)
PRIVATE_CMD(ibv_cmd_destroy_ah)
PRIVATE_CMD(ibv_cmd_destroy_counters)
PRIVATE_CMD(ibv_cmd_destroy_cq)
PRIVATE_CMD(ibv_cmd_destroy_flow)
PRIVATE_CMD(ibv_cmd_destroy_flow_action)
PRIVATE_CMD(ibv_cmd_destroy_qp)
PRIVATE_CMD(ibv_cmd_destroy_rwq_ind_table)
PRIVATE_CMD(ibv_cmd_destroy_srq)
PRIVATE_CMD(ibv_cmd_destroy_wq)
PRIVATE_CMD(ibv_cmd_detach_mcast)
PRIVATE_CMD(ibv_cmd_free_dm)
PRIVATE_CMD(ibv_cmd_get_context)
PRIVATE_CMD(ibv_cmd_modify_cq)
PRIVATE_CMD(ibv_cmd_modify_flow_action_esp)
PRIVATE_CMD(ibv_cmd_modify_qp)
PRIVATE_CMD(ibv_cmd_modify_qp_ex)
PRIVATE_CMD(ibv_cmd_modify_srq)
PRIVATE_CMD(ibv_cmd_modify_wq)
PRIVATE_CMD(ibv_cmd_open_qp)
PRIVATE_CMD(ibv_cmd_open_xrcd)
PRIVATE_CMD(ibv_cmd_poll_cq)
PRIVATE_CMD(ibv_cmd_post_recv)
PRIVATE_CMD(ibv_cmd_post_send)
PRIVATE_CMD(ibv_cmd_post_srq_recv)
PRIVATE_CMD(ibv_cmd_query_context)
PRIVATE_CMD(ibv_cmd_query_device_any)
PRIVATE_CMD(ibv_cmd_query_mr)
PRIVATE_CMD(ibv_cmd_query_port)
PRIVATE_CMD(ibv_cmd_query_qp)
PRIVATE_CMD(ibv_cmd_query_srq)
PRIVATE_CMD(ibv_cmd_read_counters)
PRIVATE_CMD(ibv_cmd_reg_dm_mr)
PRIVATE_CMD(ibv_cmd_reg_dmabuf_mr)
PRIVATE_CMD(ibv_cmd_reg_mr)
PRIVATE_CMD(ibv_cmd_req_notify_cq)
PRIVATE_CMD(ibv_cmd_rereg_mr)
PRIVATE_CMD(ibv_cmd_resize_cq)
PRIVATE_CMD(execute_ioctl)
PRIVATE_CMD(verbs_init_cq)

COMPAT_EXPORT bool verbs_allow_disassociate_destroy;

COMPAT_EXPORT void verbs_register_driver_34(void);
COMPAT_EXPORT void verbs_register_driver_34(void)
{
}

COMPAT_EXPORT void *_verbs_init_and_alloc_context(void);
COMPAT_EXPORT void *_verbs_init_and_alloc_context(void)
{
	errno = EOPNOTSUPP;
	return NULL;
}

COMPAT_EXPORT void *verbs_open_device(void);
COMPAT_EXPORT void *verbs_open_device(void)
{
	errno = EOPNOTSUPP;
	return NULL;
}

COMPAT_EXPORT void verbs_set_ops(void);
COMPAT_EXPORT void verbs_set_ops(void)
{
}

COMPAT_EXPORT void verbs_uninit_context(void);
COMPAT_EXPORT void verbs_uninit_context(void)
{
}

COMPAT_EXPORT void __verbs_log(void);
COMPAT_EXPORT void __verbs_log(void)
{
}

/* Its real signature is (unsigned num_attrs, struct ibv_command_buffer *link): count unchanged. */
COMPAT_EXPORT unsigned __ioctl_final_num_attrs(unsigned num_attrs, void *link);
COMPAT_EXPORT unsigned __ioctl_final_num_attrs(unsigned num_attrs, void *link)
{
	(void)link;
	return num_attrs;
}

COMPAT_EXPORT int ibv_read_ibdev_sysfs_file(void);
COMPAT_EXPORT int ibv_read_ibdev_sysfs_file(void)
{
	errno = ENOENT;
	return -1;
}
