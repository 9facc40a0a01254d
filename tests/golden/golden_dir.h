/* The golden tests' walk over ../shared/golden: every .pcap file, in name
 * order, handed to the test's check. */
#ifndef UROCE_TEST_GOLDEN_DIR_H
#define UROCE_TEST_GOLDEN_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_MAX_FILES 64

static inline int golden_by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* argv[1] is the folder: runs check(dir, name) for each .pcap in it and
 * returns how many; -2 (usage printed) without exactly one argument, -1
 * (said) when the folder cannot be read. */
static inline int golden_each_pcap(int argc, char **argv, void (*check)(const char *dir, const char *name))
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s GOLDEN_DIR (the shared/golden folder beside the checkout)\n", argv[0]);
		return -2;
	}
	DIR *d = opendir(argv[1]);
	if (!d) {
		fprintf(stderr, "cannot open %s: the golden packets live in ../shared/golden beside the checkout\n",
			argv[1]);
		return -1;
	}
	char *names[GOLDEN_MAX_FILES];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < GOLDEN_MAX_FILES) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".pcap") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), golden_by_name);
	for (size_t i = 0; i < n; i++) {
		check(argv[1], names[i]);
		free(names[i]);
	}
	return (int)n;
}

#endif
