/* Package URLs (github.com/package-url/purl-spec).  Components are
 * percent-encoded as the spec's "characters and encoding" section says:
 * only ALPHA, DIGIT, ".-_~" and ':' stay as they are, so a Debian version
 * "2.36-9+deb12u7" becomes "2.36-9%2Bdeb12u7" (a bare '+' would read back
 * as a space in many URL decoders).  Qualifiers are sorted by key. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"
#include "catalog.h"
#include "lib/vuln/vercmp.h"

static void add_encoded(strbuf_t *sb, const char *s)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || strchr(".-_~:", *p) != NULL)
      strbuf_addch(sb, (char)*p);
    else
      strbuf_add(sb, (char[]){'%', "0123456789ABCDEF"[*p >> 4], "0123456789ABCDEF"[*p & 15]}, 3);
  }
}

static char *lower(const char *s)
{
  char *r = xstrdup(s);
  for (char *p = r; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return r;
}

char *pyoci_purl_for(const pyoci_pkg_t *p, const pyoci_os_t *os)
{
  strbuf_t sb = STRBUF_INIT;
  const char *family = os && os->family ? os->family : NULL;
  const char *osver = os && os->version ? os->version : NULL;
  char *ns = NULL;
  switch (p->type) {
  case PYOCI_PKG_DEB:
  case PYOCI_PKG_APK: {
    bool deb = p->type == PYOCI_PKG_DEB;
    ns = lower(family ? family : deb ? "debian" : "alpine");
    strbuf_addstr(&sb, deb ? "pkg:deb/" : "pkg:apk/");
    add_encoded(&sb, ns);
    strbuf_addch(&sb, '/');
    add_encoded(&sb, p->name);
    strbuf_addch(&sb, '@');
    add_encoded(&sb, p->version);
    char sep = '?';
    if (p->arch != NULL && p->arch[0] != '\0') {
      strbuf_addstr(&sb, "?arch=");
      add_encoded(&sb, p->arch);
      sep = '&';
    }
    if (osver != NULL) {
      strbuf_addch(&sb, sep);
      strbuf_addstr(&sb, "distro=");
      /* deb: "debian-12.5" (trivy's form); apk: the release, "3.18.2" */
      if (deb) {
        add_encoded(&sb, ns);
        strbuf_addch(&sb, '-');
      }
      add_encoded(&sb, osver);
    }
    break;
  }
  case PYOCI_PKG_PYTHON: {
    ns = pyoci_pep503_normalize(p->name);
    strbuf_addstr(&sb, "pkg:pypi/");
    add_encoded(&sb, ns);
    strbuf_addch(&sb, '@');
    add_encoded(&sb, p->version);
    break;
  }
  }
  free(ns);
  return strbuf_detach(&sb);
}
