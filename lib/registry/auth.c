/* Registry auth: the WWW-Authenticate parser and a table of schemes.
 *   anonymous  no header (no challenge, or no credentials for basic)
 *   basic      Authorization: Basic base64(user:pass)
 *   bearer     a token from the challenge's realm for service + scope,
 *              cached per scope until it expires (distribution's token
 *              auth spec, docker's client) */
#include <ctype.h>
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "registry_int.h"

#define CHALLENGE_MAX 8192
#define TOKEN_MAX_LEN 65536

/* ---- WWW-Authenticate ---- */

static bool is_tchar(char c)
{
  /* c != 0: strchr finds the terminator of its own string. */
  return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ws(const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* token or quoted-string at p; *end after it. */
static char *parse_value(const char *p, const char **end)
{
  strbuf_t sb = STRBUF_INIT;
  if (*p == '"') {
    for (p++; *p != '"'; p++) {
      if (*p == '\0') {
        strbuf_release(&sb);
        return NULL;
      }
      if (*p == '\\' && p[1] != '\0')
        p++;
      strbuf_addch(&sb, *p);
    }
    *end = p + 1;
    return strbuf_detach(&sb);
  }
  while (is_tchar(*p) || *p == '/' || *p == ':' || *p == '=')
    strbuf_addch(&sb, *p++);
  *end = p;
  return strbuf_detach(&sb);
}

static void set_param(pyoci_auth_challenge_t *c, const char *name, size_t nlen, char *value)
{
  static const struct {
    const char *name;
    size_t off;
  } known[] = {
      {"realm", offsetof(pyoci_auth_challenge_t, realm)},
      {"service", offsetof(pyoci_auth_challenge_t, service)},
      {"scope", offsetof(pyoci_auth_challenge_t, scope)},
      {"error", offsetof(pyoci_auth_challenge_t, error)},
  };
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    if (strlen(known[i].name) != nlen || strncasecmp(known[i].name, name, nlen) != 0)
      continue;
    char **slot = (char **)((char *)c + known[i].off);
    free(*slot);
    *slot = value;
    return;
  }
  free(value);
}

static int parse_params(const char *p, pyoci_auth_challenge_t *c, pyoci_error_t **err)
{
  for (;;) {
    p = skip_ws(p);
    while (*p == ',' || *p == ' ')
      p++;
    if (*p == '\0')
      return 0;
    const char *name = p;
    while (is_tchar(*p))
      p++;
    size_t nlen = (size_t)(p - name);
    p = skip_ws(p);
    if (nlen == 0)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "WWW-Authenticate: unexpected '%c'", *p);
    if (*p != '=')
      return 0; /* the next challenge begins: only the first one is used */
    p = skip_ws(p + 1);
    const char *end;
    char *v = parse_value(p, &end);
    if (v == NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "WWW-Authenticate: unterminated quoted string");
    set_param(c, name, nlen, v);
    p = skip_ws(end);
    if (*p != ',' && *p != '\0') {
      if (!is_tchar(*p))
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "WWW-Authenticate: unexpected '%c' after a parameter", *p);
      return 0;
    }
  }
}

int pyoci_auth_challenge_parse(const char *header, pyoci_auth_challenge_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (strlen(header) > CHALLENGE_MAX)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "WWW-Authenticate: longer than %d bytes", CHALLENGE_MAX);
  const char *p = skip_ws(header);
  const char *s = p;
  while (is_tchar(*p))
    p++;
  if (p == s)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "WWW-Authenticate: no scheme in '%.80s'", header);
  out->scheme = xstrndup(s, (size_t)(p - s));
  for (char *q = out->scheme; *q; q++)
    *q = (char)tolower((unsigned char)*q);
  if (parse_params(p, out, err) < 0) {
    pyoci_auth_challenge_free(out);
    return -1;
  }
  return 0;
}

void pyoci_auth_challenge_free(pyoci_auth_challenge_t *c)
{
  free(c->scheme);
  free(c->realm);
  free(c->service);
  free(c->scope);
  free(c->error);
  memset(c, 0, sizeof(*c));
}

/* ---- schemes ---- */

static char *basic_header(const char *user, const char *pass)
{
  cleanup_free char *up = xasprintf("%s:%s", user, pass);
  cleanup_free char *b = pyoci_reg_base64(up, strlen(up));
  return b ? xasprintf("Authorization: Basic %s", b) : NULL;
}

typedef int (*auth_fn)(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, char **out, pyoci_error_t **err);

static int auth_anonymous(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, char **out, pyoci_error_t **err)
{
  *out = NULL;
  return 0;
}

static int auth_basic(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, char **out, pyoci_error_t **err)
{
  if (r->user == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s asks for a user name and password: run 'pyoci login %s' first", r->name, r->name);
  *out = basic_header(r->user, r->pass ? r->pass : "");
  return 0;
}

/* Query string for the token endpoint: service and each scope. */
static char *token_url(reg_client_t *r, pyoci_http_conn_t *c, const char *scope)
{
  CURL *e = curl_easy_init();
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, r->challenge.realm);
  char sep = strchr(r->challenge.realm, '?') ? '&' : '?';
  if (r->challenge.service) {
    char *v = curl_easy_escape(e, r->challenge.service, 0);
    strbuf_addf(&sb, "%cservice=%s", sep, v);
    curl_free(v);
    sep = '&';
  }
  cleanup_free char *scopes = xstrdup(scope ? scope : "");
  for (char *save = NULL, *t = strtok_r(scopes, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
    char *v = curl_easy_escape(e, t, 0);
    strbuf_addf(&sb, "%cscope=%s", sep, v);
    curl_free(v);
    sep = '&';
  }
  curl_easy_cleanup(e);
  return strbuf_detach(&sb);
}

static int token_from_reply(const pyoci_http_resp_t *resp, const char *realm, char **token, long *expires,
                            pyoci_error_t **err)
{
  cleanup_json json_t *j = pyoci_json_parse_object(resp->body, resp->body_len, realm, err);
  if (j == NULL)
    return -1;
  const char *t = pyoci_json_str(j, "token");
  if (t == NULL || *t == '\0')
    t = pyoci_json_str(j, "access_token");
  if (t == NULL || *t == '\0')
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "token from '%s': no token in the reply", realm);
  if (strlen(t) > TOKEN_MAX_LEN)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "token from '%s': longer than %d bytes", realm, TOKEN_MAX_LEN);
  for (const char *p = t; *p; p++)
    if (*p <= ' ' || *p >= 127)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "token from '%s': not a printable token", realm);
  json_int_t ttl = pyoci_json_int(j, "expires_in", 60);
  *expires = ttl < 60 ? 60 : ttl > 86400 ? 86400 : (long)ttl;
  *token = xstrdup(t);
  return 0;
}

static int fetch_token(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, char **out, long *ttl,
                       pyoci_error_t **err)
{
  const char *realm = r->challenge.realm;
  bool http_ok = !r->o->tls_verify || r->loopback;
  if (realm == NULL || !(strncmp(realm, "https://", 8) == 0 || (http_ok && strncmp(realm, "http://", 7) == 0)))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: bearer challenge with an unusable realm '%s'", r->name,
                                realm ? realm : "");
  cleanup_free char *url = token_url(r, c, scope);
  cleanup_free char *basic = r->user ? basic_header(r->user, r->pass ? r->pass : "") : NULL;
  const char *hdrs[] = {basic, NULL};
  pyoci_http_req_t req = {.url = url, .headers = hdrs, .body_fd = -1, .max_bytes = PYOCI_REGISTRY_MAX_TOKEN,
                          .tls = &r->tls, .allow_http = http_ok};
  pyoci_http_resp_t resp;
  int rc = pyoci_http_request(c, &req, &resp, err);
  if (rc == 0 && resp.status != 200) {
    cleanup_free char *msg = pyoci_registry_error_text(resp.body, resp.body_len, resp.status, NULL);
    rc = pyoci_error_set_code(err, resp.status == 401 || resp.status == 403 ? PYOCI_E_INVALID : 0, 0,
                              "token from '%s': %s", realm, msg);
  }
  if (rc == 0)
    rc = token_from_reply(&resp, realm, out, ttl, err);
  pyoci_http_resp_free(&resp);
  return rc;
}

static int auth_bearer(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, char **out, pyoci_error_t **err)
{
  const char *key = scope ? scope : "";
  time_t now = time(NULL);
  for (size_t i = 0; i < r->n_tokens; i++)
    if (strcmp(r->tokens[i].scope, key) == 0 && r->tokens[i].expires > now + 5) {
      *out = xstrdup(r->tokens[i].header);
      return 0;
    }
  cleanup_free char *token = NULL;
  long ttl = 60;
  if (fetch_token(r, c, scope, &token, &ttl, err) < 0)
    return -1;
  *out = xasprintf("Authorization: Bearer %s", token);
  struct reg_token *slot = NULL;
  for (size_t i = 0; i < r->n_tokens && slot == NULL; i++)
    if (strcmp(r->tokens[i].scope, key) == 0)
      slot = &r->tokens[i];
  if (slot == NULL)
    slot = &r->tokens[r->n_tokens < REG_MAX_TOKENS ? r->n_tokens++ : 0];
  free(slot->scope);
  free(slot->header);
  slot->scope = xstrdup(key);
  slot->header = xstrdup(*out);
  slot->expires = now + ttl;
  return 0;
}

struct auth_scheme {
  const char *name;
  auth_fn authorize;
};

static const struct auth_scheme schemes[] = {
    {"anonymous", auth_anonymous},
    {"basic", auth_basic},
    {"bearer", auth_bearer},
};

int pyoci_reg_auth_challenge(reg_client_t *r, const pyoci_http_resp_t *resp, pyoci_error_t **err)
{
  const char *h = pyoci_http_header(resp, "www-authenticate");
  if (h == NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: 401 without a WWW-Authenticate challenge", r->name);
  pyoci_auth_challenge_t ch;
  if (pyoci_auth_challenge_parse(h, &ch, err) < 0)
    return pyoci_error_prefix(err, "%s", r->name);
  const struct auth_scheme *found = NULL;
  for (size_t i = 1; i < sizeof(schemes) / sizeof(schemes[0]); i++)
    if (strcmp(schemes[i].name, ch.scheme) == 0)
      found = &schemes[i];
  if (found == NULL) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: unsupported auth scheme '%s'", r->name, ch.scheme);
    pyoci_auth_challenge_free(&ch);
    return -1;
  }
  pthread_mutex_lock(&r->mu);
  pyoci_auth_challenge_free(&r->challenge);
  r->challenge = ch;
  r->scheme = found;
  pthread_mutex_unlock(&r->mu);
  return 0;
}

int pyoci_reg_auth_header(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, bool force, char **out,
                    pyoci_error_t **err)
{
  pthread_mutex_lock(&r->mu);
  if (r->scheme == NULL)
    r->scheme = &schemes[0];
  if (force) /* the server refused what we sent: drop the cached token */
    for (size_t i = 0; i < r->n_tokens; i++)
      if (strcmp(r->tokens[i].scope, scope ? scope : "") == 0)
        r->tokens[i].expires = 0;
  int rc = r->scheme->authorize(r, c, scope, out, err);
  pthread_mutex_unlock(&r->mu);
  return rc;
}

void pyoci_reg_auth_free_tokens(reg_client_t *r)
{
  for (size_t i = 0; i < r->n_tokens; i++) {
    free(r->tokens[i].scope);
    free(r->tokens[i].header);
  }
  r->n_tokens = 0;
  pyoci_auth_challenge_free(&r->challenge);
}
