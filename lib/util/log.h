/* The library never prints.  It reports warnings and progress through the
 * handlers the caller installs here (the CLI renders them on stderr). */
#ifndef PYOCI_UTIL_LOG_H
#define PYOCI_UTIL_LOG_H

#include <stdint.h>

enum { PYOCI_LOG_DEBUG, PYOCI_LOG_INFO, PYOCI_LOG_WARN };

typedef void (*pyoci_log_fn)(int level, const char *msg, void *data);
/* label: what is going on; done/total in bytes or items (total 0 = unknown);
 * finished is set on the last call for that label. */
typedef void (*pyoci_progress_fn)(const char *label, uint64_t done, uint64_t total, int finished, void *data);

void pyoci_set_log_handler(pyoci_log_fn fn, void *data);
void pyoci_set_progress_handler(pyoci_progress_fn fn, void *data);

void pyoci_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pyoci_progress(const char *label, uint64_t done, uint64_t total, int finished);

#endif
