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

/* The short names read like git's; the symbols carry the prefix. */
#define strbuf_add pyoci_strbuf_add
#define strbuf_addstr pyoci_strbuf_addstr
#define strbuf_addch pyoci_strbuf_addch
#define strbuf_addf pyoci_strbuf_addf
#define strbuf_vaddf pyoci_strbuf_vaddf
#define strbuf_reset pyoci_strbuf_reset
#define strbuf_detach pyoci_strbuf_detach
#define strbuf_str pyoci_strbuf_str
#define strbuf_release pyoci_strbuf_release

void pyoci_strbuf_add(strbuf_t *sb, const void *data, size_t len);
void pyoci_strbuf_addstr(strbuf_t *sb, const char *s);
void pyoci_strbuf_addch(strbuf_t *sb, char c);
void pyoci_strbuf_addf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pyoci_strbuf_vaddf(strbuf_t *sb, const char *fmt, va_list ap);
void pyoci_strbuf_reset(strbuf_t *sb);
/* Return the string (never NULL) and leave sb empty; the caller frees it. */
char *pyoci_strbuf_detach(strbuf_t *sb);
/* The current contents, "" when empty. */
const char *pyoci_strbuf_str(const strbuf_t *sb);
void pyoci_strbuf_release(strbuf_t *sb);

#define cleanup_strbuf __attribute__((cleanup(strbuf_release)))

#endif
