/* Maps as the engines and the loader see them (the API is in uroce/bpf.h). */
#ifndef UROCE_BPF_MAP_H
#define UROCE_BPF_MAP_H

#include <stdint.h>

#include "uroce/bpf.h"

/* The value of key `key` of an array map: stable for the map's life. */
void *bpf_map_array_value(struct uroce_bpf_map *map, uint32_t key);

#endif
