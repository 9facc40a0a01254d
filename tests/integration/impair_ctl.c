/* impair_ctl: sets the rates of the impair.bpf.c classifier and reads its
 * counters, through the maps of one loaded instance, found by the program id
 * that `tc filter show dev IF ingress` prints. BPF objects are not per
 * network namespace: this runs from any. Raw bpf(2), no libbpf.
 *
 *   impair_ctl PROG_ID set LOSS DUP CORRUPT [BLACKHOLE_TCP]   rates per 10000 packets
 *   impair_ctl PROG_ID stats                                  one line: name value ...
 * Exit status: 0 done, 1 failed (printed), 2 usage. */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* As in impair.bpf.c. */
struct impair_cfg {
	uint32_t loss, dup, corrupt, blackhole_tcp;
};
static const char *const stat_names[] = {"seen", "dropped", "duplicated", "corrupted", "gso", "dup_failed",
					  "tcp_dropped"};
enum { STAT_COUNT = sizeof(stat_names) / sizeof(stat_names[0]), MAX_MAPS = 16 };

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int fail(const char *what)
{
	fprintf(stderr, "impair_ctl: %s: %s\n", what, strerror(errno));
	return -1;
}

/* The fd of the map called name among the program's maps, or -1. */
static int find_map(uint32_t prog_id, const char *name, uint32_t value_size)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_id = prog_id;
	int prog = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (prog < 0)
		return fail("no such BPF program (see `tc filter show`)");
	uint32_t ids[MAX_MAPS];
	struct bpf_prog_info pi;
	memset(&pi, 0, sizeof(pi));
	pi.nr_map_ids = MAX_MAPS;
	pi.map_ids = (uint64_t)(uintptr_t)ids;
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)prog;
	a.info.info_len = sizeof(pi);
	a.info.info = (uint64_t)(uintptr_t)&pi;
	long rc = sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
	close(prog);
	if (rc < 0)
		return fail("reading the program's info");
	for (uint32_t i = 0; i < pi.nr_map_ids && i < MAX_MAPS; i++) {
		memset(&a, 0, sizeof(a));
		a.map_id = ids[i];
		int fd = (int)sys_bpf(BPF_MAP_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		struct bpf_map_info mi;
		memset(&mi, 0, sizeof(mi));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = (uint32_t)fd;
		a.info.info_len = sizeof(mi);
		a.info.info = (uint64_t)(uintptr_t)&mi;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && strcmp(mi.name, name) == 0 &&
		    mi.value_size == value_size)
			return fd;
		close(fd);
	}
	fprintf(stderr, "impair_ctl: program %u has no map %s: is it impair.bpf.o?\n", prog_id, name);
	return -1;
}

static int map_op(int cmd, int fd, uint32_t key, void *value)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)value;
	return (int)sys_bpf(cmd, &a);
}

static int set_rates(uint32_t prog_id, const struct impair_cfg *cfg)
{
	int fd = find_map(prog_id, "impair_cfg", sizeof(*cfg));
	if (fd < 0)
		return -1;
	struct impair_cfg v = *cfg;
	int rc = map_op(BPF_MAP_UPDATE_ELEM, fd, 0, &v);
	close(fd);
	return rc ? fail("updating impair_cfg") : 0;
}

static int print_stats(uint32_t prog_id)
{
	int fd = find_map(prog_id, "impair_stats", sizeof(uint64_t));
	if (fd < 0)
		return -1;
	for (uint32_t k = 0; k < STAT_COUNT; k++) {
		uint64_t v = 0;
		if (map_op(BPF_MAP_LOOKUP_ELEM, fd, k, &v)) {
			close(fd);
			return fail("reading impair_stats");
		}
		printf("%s%s %" PRIu64, k ? " " : "", stat_names[k], v);
	}
	printf("\n");
	close(fd);
	return 0;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: impair_ctl PROG_ID set LOSS DUP CORRUPT [BLACKHOLE_TCP]   (per 10000, 0..10000)\n"
			"       impair_ctl PROG_ID stats\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint32_t id;
	if (argc < 3 || parse_u32(argv[1], UINT32_MAX, &id))
		return usage();
	if (strcmp(argv[2], "stats") == 0 && argc == 3)
		return print_stats(id) ? 1 : 0;
	if (strcmp(argv[2], "set") != 0 || argc < 6 || argc > 7)
		return usage();
	struct impair_cfg cfg = {0};
	if (parse_u32(argv[3], 10000, &cfg.loss) || parse_u32(argv[4], 10000, &cfg.dup) ||
	    parse_u32(argv[5], 10000, &cfg.corrupt) || (argc == 7 && parse_u32(argv[6], 1, &cfg.blackhole_tcp)))
		return usage();
	return set_rates(id, &cfg) ? 1 : 0;
}
