/* What the process's environment asks of the library, read once by the
 * program (cli/env.c) and handed in here.  The library never calls getenv:
 * an embedding program decides what SOURCE_DATE_EPOCH or the thread count
 * is, and a value is parsed one way, in one place, instead of once per
 * module that needs it.  Two documented exceptions read the environment
 * where libc itself would: TMPDIR (pyoci_tmpdir, as tmpfile(3) users do) and
 * PATH (finding the OCI runtime, as execvp does).
 *
 * Until pyoci_settings_set is called every field is "unset": no clamping,
 * one thread per CPU, runc as the runtime. */
#ifndef PYOCI_UTIL_SETTINGS_H
#define PYOCI_UTIL_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  /* SOURCE_DATE_EPOCH as a number of seconds; -1 when unset or not a plain
   * number below year 10000 (pyoci_parse_epoch). */
  int64_t source_date_epoch;
  /* Its text exactly as given (a build passes it on as ARG
   * SOURCE_DATE_EPOCH); NULL when unset. */
  const char *source_date_epoch_text;
  /* PYOCI_THREADS when a positive number; 0: one per CPU. */
  int threads;
  /* PYOCI_RUNTIME; NULL: "runc". */
  const char *runtime;
  /* Test hook (PYOCI_TEST_NAMED_TMP): blob writers use named temporary
   * files even where O_TMPFILE works, so tests reach that path. */
  bool named_tmp;
} pyoci_settings_t;

/* Copy s (its strings are borrowed: they must outlive the process's use of
 * the library, as environment strings do). */
void pyoci_settings_set(const pyoci_settings_t *s);
/* The current settings (never NULL). */
const pyoci_settings_t *pyoci_settings(void);
/* Initial values: every field unset. */
void pyoci_settings_init(pyoci_settings_t *s);

/* Parse a SOURCE_DATE_EPOCH value: decimal digits only, 0 <= v < year
 * 10000 (253402300800).  Returns false (and leaves *out) otherwise. */
bool pyoci_parse_epoch(const char *text, int64_t *out);
/* Set both SOURCE_DATE_EPOCH fields of s from its text (NULL: unset); a
 * malformed value leaves the number unset (-1) and keeps the text. */
void pyoci_settings_set_epoch(pyoci_settings_t *s, const char *text);

/* The directory for temporary files: $TMPDIR when set and not empty, else
 * /tmp (documented exception above). */
const char *pyoci_tmpdir(void);

#endif
