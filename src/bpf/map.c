/* The map object common to every type: attributes checked, reference
 * counted, operations dispatched through the type's table, and the
 * process-wide registry of pinned names. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/map.h"
#include "bpf/prog.h"

#define PIN_NAME_MAX 255u

static const struct bpf_map_ops *ops_for(enum uroce_bpf_map_type type)
{
	switch (type) {
	case UROCE_BPF_MAP_HASH:
		return &bpf_hash_ops;
	case UROCE_BPF_MAP_ARRAY:
		return &bpf_array_ops;
	case UROCE_BPF_MAP_PERCPU_ARRAY:
		return &bpf_percpu_array_ops;
	case UROCE_BPF_MAP_LRU_HASH:
		return &bpf_lru_hash_ops;
	case UROCE_BPF_MAP_RINGBUF:
		return &bpf_ringbuf_ops;
	}
	return NULL;
}

static const char *map_name(const struct uroce_bpf_map *map)
{
	return map->attr.name[0] ? map->attr.name : "(unnamed)";
}

enum uroce_bpf_err uroce_bpf_map_create(const struct uroce_bpf_map_attr *attr, struct uroce_bpf_map **out)
{
	if (!out)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no place for the map");
	*out = NULL;
	if (!attr)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no map attributes");
	const struct bpf_map_ops *ops = ops_for(attr->type);
	if (!ops)
		return bpf_error(UROCE_BPF_ERR_MAP_ATTR, -1, NULL,
				 "map type %d is not supported; use HASH 1, ARRAY 2, PERCPU_ARRAY 6, LRU_HASH 9 or RINGBUF 27",
				 (int)attr->type);
	if (attr->flags != 0)
		return bpf_error(UROCE_BPF_ERR_MAP_ATTR, -1, NULL, "map flags 0x%x given; only 0 is supported",
				 attr->flags);
	const char *why = ops->check_attr(attr);
	if (why)
		return bpf_error(UROCE_BPF_ERR_MAP_ATTR, -1, NULL, "%s", why);
	struct uroce_bpf_map *map = ops->alloc(attr);
	if (!map)
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL,
				 "no memory for a map of %u entries of %u-byte keys and %u-byte values",
				 attr->max_entries, attr->key_size, attr->value_size);
	map->attr = *attr;
	map->attr.name[UROCE_BPF_MAP_NAME_LEN - 1] = '\0';
	map->ops = ops;
	atomic_init(&map->refcnt, 1);
	*out = map;
	return UROCE_BPF_OK;
}

struct uroce_bpf_map *uroce_bpf_map_get(struct uroce_bpf_map *map)
{
	if (map)
		atomic_fetch_add_explicit(&map->refcnt, 1, memory_order_relaxed);
	return map;
}

void uroce_bpf_map_put(struct uroce_bpf_map *map)
{
	if (map && atomic_fetch_sub_explicit(&map->refcnt, 1, memory_order_acq_rel) == 1)
		map->ops->free(map);
}

const struct uroce_bpf_map_attr *uroce_bpf_map_attr(const struct uroce_bpf_map *map)
{
	static const struct uroce_bpf_map_attr none;
	return map ? &map->attr : &none;
}

/* The sentence for an operation's failure. */
static enum uroce_bpf_err op_error(const struct uroce_bpf_map *map, const char *op, enum uroce_bpf_err err)
{
	switch (err) {
	case UROCE_BPF_OK:
		return err;
	case UROCE_BPF_ERR_NOENT:
		return bpf_error(err, -1, NULL, "%s in map %s: no such key", op, map_name(map));
	case UROCE_BPF_ERR_EXIST:
		return bpf_error(err, -1, NULL, "%s in map %s: the key exists and BPF_NOEXIST was asked", op,
				 map_name(map));
	case UROCE_BPF_ERR_FULL:
		return bpf_error(err, -1, NULL,
				 map->attr.type == UROCE_BPF_MAP_HASH
					 ? "%s in map %s: the map holds its %u elements; delete one first"
					 : "%s in map %s: the key is not below max_entries (%u)",
				 op, map_name(map), map->attr.max_entries);
	case UROCE_BPF_ERR_MAP_OP:
		return bpf_error(err, -1, NULL, "%s: map %s of type %d has no such operation", op, map_name(map),
				 (int)map->attr.type);
	case UROCE_BPF_ERR_INVALID_ARG:
		return bpf_error(err, -1, NULL, "%s in map %s: flags must be BPF_ANY 0, BPF_NOEXIST 1 or BPF_EXIST 2",
				 op, map_name(map));
	default:
		return bpf_error(err, -1, NULL, "%s in map %s failed: %s", op, map_name(map), uroce_bpf_strerror(err));
	}
}

static enum uroce_bpf_err check_args(const struct uroce_bpf_map *map, const char *op, const void *a,
				     const void *b)
{
	if (!map)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "%s: no map", op);
	if (!a || !b)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "%s in map %s: a NULL key or value", op,
				 map_name(map));
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_map_lookup(struct uroce_bpf_map *map, const void *key, void *value)
{
	enum uroce_bpf_err err = check_args(map, "lookup", key, value);
	if (err != UROCE_BPF_OK)
		return err;
	return op_error(map, "lookup", map->ops->lookup_copy(map, key, value));
}

enum uroce_bpf_err uroce_bpf_map_update(struct uroce_bpf_map *map, const void *key, const void *value,
					uint64_t flags)
{
	enum uroce_bpf_err err = check_args(map, "update", key, value);
	if (err != UROCE_BPF_OK)
		return err;
	err = map->ops->update_copy ? map->ops->update_copy(map, key, value, flags)
				    : map->ops->update_elem(map, key, value, flags);
	return op_error(map, "update", err);
}

enum uroce_bpf_err uroce_bpf_map_delete(struct uroce_bpf_map *map, const void *key)
{
	enum uroce_bpf_err err = check_args(map, "delete", key, key);
	if (err != UROCE_BPF_OK)
		return err;
	return op_error(map, "delete", map->ops->delete_elem(map, key));
}

enum uroce_bpf_err uroce_bpf_map_get_next_key(struct uroce_bpf_map *map, const void *key, void *next_key)
{
	enum uroce_bpf_err err = check_args(map, "get_next_key", next_key, next_key);
	if (err != UROCE_BPF_OK)
		return err;
	err = map->ops->get_next_key(map, key, next_key);
	if (err == UROCE_BPF_ERR_NOENT)
		return bpf_error(err, -1, NULL, "get_next_key in map %s: no key after the last one", map_name(map));
	return op_error(map, "get_next_key", err);
}

enum uroce_bpf_err bpf_map_no_delete(struct uroce_bpf_map *map, const void *key)
{
	(void)map, (void)key;
	return UROCE_BPF_ERR_MAP_OP;
}

/* ------------------------------------------------------------ CPUs ---- */

static unsigned possible_cpus;
static pthread_once_t possible_cpus_once = PTHREAD_ONCE_INIT;

/* The kernel's possible CPUs, from /sys/devices/system/cpu/possible ("0-7",
 * "0,2-3"): the highest number plus one, as libbpf counts them. */
static void count_possible_cpus(void)
{
	unsigned n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	if (f) {
		char buf[256];
		if (fgets(buf, sizeof(buf), f)) {
			for (char *p = buf; *p;) {
				char *end;
				unsigned long lo = strtoul(p, &end, 10), hi = lo;
				if (end == p)
					break;
				if (*end == '-') {
					p = end + 1;
					hi = strtoul(p, &end, 10);
					if (end == p)
						break;
				}
				if (hi + 1 > n && hi < 65536)
					n = (unsigned)hi + 1;
				p = *end == ',' ? end + 1 : end;
				if (*end != ',')
					break;
			}
		}
		fclose(f);
	}
	if (n == 0) {
		long conf = sysconf(_SC_NPROCESSORS_CONF);
		n = conf > 0 && conf < 65536 ? (unsigned)conf : 1;
	}
	possible_cpus = n;
}

unsigned uroce_bpf_num_possible_cpus(void)
{
	pthread_once(&possible_cpus_once, count_possible_cpus);
	return possible_cpus;
}

unsigned bpf_current_cpu(void)
{
	const unsigned n = uroce_bpf_num_possible_cpus();
	const int cpu = sched_getcpu();
	if (cpu < 0)
		return 0;
	return (unsigned)cpu < n ? (unsigned)cpu : (unsigned)cpu % n;
}

/* --------------------------------------------------------- pinning ---- */

struct pin {
	struct pin *next;
	struct uroce_bpf_map *map;
	char name[];
};

static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin *pins;

static enum uroce_bpf_err check_pin_name(const char *name)
{
	if (!name || !name[0])
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "a pin needs a non-empty name");
	if (strnlen(name, PIN_NAME_MAX + 1) > PIN_NAME_MAX)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "pin names are at most %u bytes", PIN_NAME_MAX);
	return UROCE_BPF_OK;
}

/* The link pointing at name's pin (or at the list's end). Under pins_lock. */
static struct pin **find_pin(const char *name)
{
	struct pin **at = &pins;
	while (*at && strcmp((*at)->name, name) != 0)
		at = &(*at)->next;
	return at;
}

enum uroce_bpf_err uroce_bpf_map_pin(struct uroce_bpf_map *map, const char *name)
{
	if (!map)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "pin: no map");
	enum uroce_bpf_err err = check_pin_name(name);
	if (err != UROCE_BPF_OK)
		return err;
	const size_t len = strlen(name);
	struct pin *pin = malloc(sizeof(*pin) + len + 1);
	if (!pin)
		return bpf_error(UROCE_BPF_ERR_NO_MEMORY, -1, NULL, "no memory to pin map %s", map_name(map));
	memcpy(pin->name, name, len + 1);
	pthread_mutex_lock(&pins_lock);
	struct pin **at = find_pin(name);
	if (*at) {
		pthread_mutex_unlock(&pins_lock);
		free(pin);
		return bpf_error(UROCE_BPF_ERR_EXIST, -1, NULL, "the pin name \"%s\" is taken; unpin it first", name);
	}
	pin->map = uroce_bpf_map_get(map);
	pin->next = NULL;
	*at = pin;
	pthread_mutex_unlock(&pins_lock);
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_map_unpin(const char *name)
{
	enum uroce_bpf_err err = check_pin_name(name);
	if (err != UROCE_BPF_OK)
		return err;
	pthread_mutex_lock(&pins_lock);
	struct pin **at = find_pin(name);
	struct pin *pin = *at;
	if (pin)
		*at = pin->next;
	pthread_mutex_unlock(&pins_lock);
	if (!pin)
		return bpf_error(UROCE_BPF_ERR_NOENT, -1, NULL, "no map is pinned as \"%s\"", name);
	uroce_bpf_map_put(pin->map); /* outside the lock: freeing may take a while */
	free(pin);
	return UROCE_BPF_OK;
}

enum uroce_bpf_err uroce_bpf_map_get_pinned(const char *name, struct uroce_bpf_map **out)
{
	if (!out)
		return bpf_error(UROCE_BPF_ERR_INVALID_ARG, -1, NULL, "no place for the pinned map");
	*out = NULL;
	enum uroce_bpf_err err = check_pin_name(name);
	if (err != UROCE_BPF_OK)
		return err;
	pthread_mutex_lock(&pins_lock);
	struct pin *pin = *find_pin(name);
	if (pin)
		*out = uroce_bpf_map_get(pin->map);
	pthread_mutex_unlock(&pins_lock);
	if (!pin)
		return bpf_error(UROCE_BPF_ERR_NOENT, -1, NULL, "no map is pinned as \"%s\"", name);
	return UROCE_BPF_OK;
}
