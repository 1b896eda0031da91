/* A growable byte buffer that is always NUL-terminated, for building
 * strings and small documents. */
#ifndef PYOCI_UTIL_STRBUF_H
#define PYOCI_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
  char *buf;
  size_t len;
  size_t cap;
} strbuf_t;

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_add(strbuf_t *sb, const void *data, size_t len);
void strbuf_addstr(strbuf_t *sb, const char *s);
void strbuf_addch(strbuf_t *sb, char c);
void strbuf_addf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(strbuf_t *sb, const char *fmt, va_list ap);
void strbuf_reset(strbuf_t *sb);
/* Return the string (never NULL) and leave sb empty; the caller frees it. */
char *strbuf_detach(strbuf_t *sb);
/* The current contents, "" when empty. */
const char *strbuf_str(const strbuf_t *sb);
void strbuf_release(strbuf_t *sb);

#define cleanup_strbuf __attribute__((cleanup(strbuf_release)))

#endif
