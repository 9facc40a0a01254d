/* The tools' --bpf option; see perf_bpf.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "perf_bpf.h"
#include "uroce/bpf.h"
#include "uroce/uroce.h"

struct perf_bpf {
	struct uroce_bpf_object *obj;
	struct uroce_device *dev;
	struct uroce_qp *qp;
	bool rx, trace, filter; /* attached */
};

static int set_config(struct perf_bpf *b, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char name[UROCE_BPF_MAP_NAME_LEN * 2];
	if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
		fprintf(stderr, "--bpf-config %s: give MAP=v0,v1,... (u32 values for key 0 of an array map)\n", spec);
		return -1;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = '\0';
	struct uroce_bpf_map *map = uroce_bpf_object_find_map(b->obj, name);
	const struct uroce_bpf_map_attr *attr = map ? uroce_bpf_map_attr(map) : NULL;
	if (!attr || attr->type != UROCE_BPF_MAP_ARRAY) {
		fprintf(stderr, "--bpf-config %s: the object has no array map named %s\n", spec, name);
		return -1;
	}
	uint8_t *value = calloc(1, attr->value_size);
	if (!value)
		return -1;
	const char *p = eq + 1;
	for (uint32_t off = 0; *p; off += 4) {
		char *end;
		unsigned long v = strtoul(p, &end, 0);
		if (end == p || (*end && *end != ',') || off + 4 > attr->value_size || v > UINT32_MAX) {
			fprintf(stderr, "--bpf-config %s: values are u32 numbers separated by commas, at most %u of them\n",
				spec, attr->value_size / 4);
			free(value);
			return -1;
		}
		uint32_t v32 = (uint32_t)v;
		memcpy(value + off, &v32, 4);
		p = *end ? end + 1 : end;
	}
	const uint32_t zero = 0;
	enum uroce_bpf_err err = uroce_bpf_map_update(map, &zero, value, UROCE_BPF_ANY);
	free(value);
	if (err != UROCE_BPF_OK) {
		fprintf(stderr, "--bpf-config %s: %s\n", spec, uroce_bpf_last_error()->msg);
		return -1;
	}
	return 0;
}

static int attach_all(struct perf_bpf *b)
{
	for (size_t i = 0; i < uroce_bpf_object_prog_count(b->obj); i++) {
		struct uroce_bpf_object_prog *op = uroce_bpf_object_prog_at(b->obj, i);
		struct uroce_bpf_prog *prog = uroce_bpf_object_prog_loaded(op);
		const char *name = uroce_bpf_object_prog_name(op);
		int err = 0;
		switch (uroce_bpf_object_prog_type(op)) {
		case UROCE_BPF_PROG_RX:
			err = uroce_attach_rx_prog(b->dev, prog);
			b->rx = !err;
			break;
		case UROCE_BPF_PROG_TRACEPOINT:
			err = uroce_attach_trace_prog(b->dev, prog);
			b->trace = !err;
			break;
		case UROCE_BPF_PROG_QP_FILTER:
			err = uroce_qp_attach_filter(b->qp, prog);
			b->filter = !err;
			break;
		default:
			fprintf(stderr, "--bpf: program %s is of no hook (section %s); left unattached\n", name,
				uroce_bpf_object_prog_section(op));
			continue;
		}
		if (err) {
			fprintf(stderr, "--bpf: attaching %s: %s\n", name, uroce_last_error());
			return -1;
		}
	}
	return 0;
}

struct perf_bpf *perf_bpf_attach(const char *path, bool jit, const char *const *configs, unsigned nconfigs,
				 struct uroce_device *dev, struct uroce_qp *qp)
{
	struct perf_bpf *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->dev = dev;
	b->qp = qp;
	const struct uroce_bpf_object_load_opts lo = {.jit = jit};
	if (uroce_bpf_object_open_file(path, &b->obj) != UROCE_BPF_OK ||
	    uroce_bpf_object_load(b->obj, &lo) != UROCE_BPF_OK) {
		fprintf(stderr, "--bpf %s: %s\n", path, uroce_bpf_last_error()->msg);
		perf_bpf_detach(b);
		return NULL;
	}
	for (unsigned i = 0; i < nconfigs; i++)
		if (set_config(b, configs[i])) {
			perf_bpf_detach(b);
			return NULL;
		}
	if (attach_all(b)) {
		perf_bpf_detach(b);
		return NULL;
	}
	return b;
}

static int count_record(void *arg, const void *data, size_t size)
{
	(void)data, (void)size;
	++*(uint64_t *)arg;
	return 0;
}

void perf_bpf_report(struct perf_bpf *b, bool json, FILE *out)
{
	if (!b)
		return;
	if (json)
		fprintf(out, ",\n \"bpf\": {");
	else
		fprintf(out, " eBPF maps:\n");
	bool first = true;
	for (size_t i = 0; i < uroce_bpf_object_map_count(b->obj); i++) {
		struct uroce_bpf_map *map = uroce_bpf_object_map(b->obj, i);
		const struct uroce_bpf_map_attr *attr = map ? uroce_bpf_map_attr(map) : NULL;
		const char *name = uroce_bpf_object_map_name(b->obj, i);
		if (!attr)
			continue;
		if (attr->type == UROCE_BPF_MAP_RINGBUF) {
			uint64_t n = 0;
			uroce_bpf_ringbuf_consume(map, count_record, &n, NULL);
			if (json)
				fprintf(out, "%s\"%s\": {\"ringbuf_records\": %" PRIu64 "}", first ? "" : ", ", name, n);
			else
				fprintf(out, "   %-20s %" PRIu64 " ring buffer records\n", name, n);
			first = false;
		} else if (attr->type == UROCE_BPF_MAP_ARRAY && attr->value_size == 8) {
			fprintf(out, json ? "%s\"%s\": [" : "   %s%-20s", json && !first ? ", " : "", name);
			for (uint32_t k = 0; k < attr->max_entries && k < 64; k++) {
				uint64_t v = 0;
				uroce_bpf_map_lookup(map, &k, &v);
				fprintf(out, "%s%" PRIu64, k ? (json ? ", " : " ") : "", v);
			}
			fprintf(out, json ? "]" : "\n");
			first = false;
		}
	}
	if (json)
		fprintf(out, "}");
}

void perf_bpf_detach(struct perf_bpf *b)
{
	if (!b)
		return;
	if (b->rx)
		uroce_attach_rx_prog(b->dev, NULL);
	if (b->trace)
		uroce_attach_trace_prog(b->dev, NULL);
	if (b->filter)
		uroce_qp_attach_filter(b->qp, NULL);
	uroce_bpf_object_close(b->obj);
	free(b);
}
