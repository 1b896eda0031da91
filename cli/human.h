/* Docker's human-readable renderings (docker/go-units), so pyoci's tables
 * read like docker's: sizes in decimal units ("172MB", "57.2MB"), ages like
 * "2 hours ago", and RFC 3339 timestamps parsed from image configs. */
#ifndef PYOCI_CLI_HUMAN_H
#define PYOCI_CLI_HUMAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* go-units HumanSizeWithPrecision: "%.*g" + B/kB/MB/GB..., base 1000.
 * docker images uses precision 3, "reclaimed space" uses 4 (HumanSize). */
void cli_human_size(double size, int precision, char *buf, size_t len);
/* go-units HumanDuration: "Less than a second", "About a minute", "3 days"... */
void cli_human_duration(int64_t seconds, char *buf, size_t len);

/* go-humanize ParseBytes: a number (commas allowed) and an optional unit,
 * decimal (kB, MB...) or binary (KiB, MiB...), case-insensitive.  -1 when
 * it does not parse. */
int cli_parse_bytes(const char *s, uint64_t *out);

/* Align tab-separated cells like Go's tabwriter(minwidth 10, padding 3),
 * as docker's tables are: every cell but a line's last is padded. */
void cli_print_aligned(const char *text);

#endif
