/* Opening a device on a port made elsewhere (tests use loop ports). */
#ifndef UROCE_VERBS_DEVICE_H
#define UROCE_VERBS_DEVICE_H

#include "verbs/objects.h"

/* Takes ownership of port (destroyed on failure and by uroce_device_close). */
int uroce_device_open_port(struct uroce_port *port, bool busy_poll, struct uroce_device **dev);

#endif
