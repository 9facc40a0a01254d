/* JSON output shared by the tools and the benchmarks. */
#ifndef UROCE_TOOLS_JSON_STRING_H
#define UROCE_TOOLS_JSON_STRING_H

#include <stdio.h>

/* s as a JSON string literal, quotes, backslashes and control bytes escaped. */
void json_write_string(FILE *f, const char *s);

#endif
