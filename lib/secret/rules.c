/* The built-in secret rules.  Patterns are PCRE2, matched on raw bytes (no
 * UTF mode: files may be any encoding).  Every rule bounds its repetitions so
 * hostile content cannot make a regex run long, and anchors its token on
 * non-token characters so a token inside a longer random string (a hash, a
 * base64 blob) is not reported.  Well-known type prefixes (AKIA, ghp_, ...)
 * stay outside the "secret" group: they say what leaked without leaking it.
 * docs/secret-rules.md lists the rules with their trivy equivalents. */
#include "scan.h"

/* Assignment operators seen in Python, shell, YAML, JSON, TOML, .env, Ruby. */
#define ASSIGN "[\"']?\\s*(?:=|:=|:|=>)\\s*"

static const pyoci_secret_rule_t rules[] = {
    {
        .id = "aws-access-key-id",
        .category = "AWS",
        .title = "AWS Access Key ID",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"akia", "asia"},
        .regex = "(?<![A-Za-z0-9])(?:AKIA|ASIA)(?<secret>[A-Z0-9]{16})(?![A-Za-z0-9])",
    },
    {
        .id = "aws-secret-access-key",
        .category = "AWS",
        .title = "AWS Secret Access Key",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"aws"},
        /* Only in assignment context: a bare 40-character base64 string is
         * far more often a hash than a key. */
        .regex = "(?i)(?<![a-z0-9])aws_?(?:secret_?)?(?:access_?)?key" ASSIGN
                 "[\"']?(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
    },
    {
        .id = "github-pat",
        .category = "GitHub",
        .title = "GitHub Personal Access Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"ghp_"},
        .regex = "(?<![A-Za-z0-9_])ghp_(?<secret>[A-Za-z0-9]{36})(?![A-Za-z0-9])",
    },
    {
        .id = "github-oauth",
        .category = "GitHub",
        .title = "GitHub OAuth Access Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"gho_"},
        .regex = "(?<![A-Za-z0-9_])gho_(?<secret>[A-Za-z0-9]{36})(?![A-Za-z0-9])",
    },
    {
        .id = "github-app-token",
        .category = "GitHub",
        .title = "GitHub App Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"ghu_", "ghs_"},
        .regex = "(?<![A-Za-z0-9_])gh[us]_(?<secret>[A-Za-z0-9]{36})(?![A-Za-z0-9])",
    },
    {
        .id = "github-refresh-token",
        .category = "GitHub",
        .title = "GitHub Refresh Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"ghr_"},
        .regex = "(?<![A-Za-z0-9_])ghr_(?<secret>[A-Za-z0-9]{36,76})(?![A-Za-z0-9])",
    },
    {
        .id = "github-fine-grained-pat",
        .category = "GitHub",
        .title = "GitHub Fine-grained Personal Access Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"github_pat_"},
        .regex = "(?<![A-Za-z0-9_])github_pat_(?<secret>[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])",
    },
    {
        .id = "gitlab-pat",
        .category = "GitLab",
        .title = "GitLab Personal Access Token",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"glpat-"},
        .regex = "(?<![A-Za-z0-9_-])glpat-(?<secret>[A-Za-z0-9_-]{20,64})(?![A-Za-z0-9_-])",
    },
    {
        .id = "slack-access-token",
        .category = "Slack",
        .title = "Slack Token",
        .severity = PYOCI_SEV_HIGH,
        .keywords = {"xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"},
        .regex = "(?<![A-Za-z0-9])xox[baprs]-(?<secret>[0-9A-Za-z][0-9A-Za-z-]{9,250})(?![0-9A-Za-z-])",
    },
    {
        .id = "slack-web-hook",
        .category = "Slack",
        .title = "Slack Webhook",
        .severity = PYOCI_SEV_MEDIUM,
        .keywords = {"hooks.slack.com/services/"},
        .regex = "https://hooks\\.slack\\.com/services/"
                 "(?<secret>[A-Za-z0-9_]{6,16}/[A-Za-z0-9_]{6,16}/[A-Za-z0-9_]{16,48})(?![A-Za-z0-9_])",
    },
    {
        .id = "stripe-secret-token",
        .category = "Stripe",
        .title = "Stripe Secret Key",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"sk_live_", "rk_live_"},
        .regex = "(?<![A-Za-z0-9_])[sr]k_live_(?<secret>[0-9A-Za-z]{10,99})(?![0-9A-Za-z])",
    },
    {
        .id = "pypi-upload-token",
        .category = "PyPI",
        .title = "PyPI upload token",
        .severity = PYOCI_SEV_HIGH,
        /* base64 of the macaroon header naming pypi.org */
        .keywords = {"pypi-ageichlwas5vcmc"},
        .regex = "(?<![A-Za-z0-9_-])pypi-AgEIcHlwaS5vcmc(?<secret>[A-Za-z0-9_-]{50,1000})(?![A-Za-z0-9_-])",
    },
    {
        .id = "gcp-service-account",
        .category = "Google",
        .title = "Google (GCP) Service-account key",
        .severity = PYOCI_SEV_CRITICAL,
        .keywords = {"service_account"},
        /* A key file: "type": "service_account" and a "private_key", in
         * either order (branch reset: both branches fill group "secret"). */
        .regex = "(?s)(?|\"type\"\\s*:\\s*\"service_account\".{0,4096}?\"private_key\"\\s*:\\s*"
                 "\"(?<secret>[^\"]{16,16384})\""
                 "|\"private_key\"\\s*:\\s*\"(?<secret>[^\"]{16,16384})\".{0,4096}?"
                 "\"type\"\\s*:\\s*\"service_account\")",
    },
    {
        .id = "private-key",
        .category = "AsymmetricPrivateKey",
        .title = "Asymmetric Private Key",
        .severity = PYOCI_SEV_HIGH,
        .keywords = {"private key-----", "private key block-----"},
        /* RSA, EC, DSA, OPENSSH, PGP, ENCRYPTED and PKCS#8 blocks, with
         * optional armor headers (Proc-Type:, Version:); the body must look
         * like base64 (also with JSON's literal "\n"), so documentation
         * placeholders like "..." do not match.  Public certificates have no
         * "PRIVATE KEY" header at all. */
        .regex = "-----BEGIN[ A-Z0-9_-]{0,32}PRIVATE KEY(?: BLOCK)?-----\\s*(?:\\\\n)*"
                 "(?:[A-Za-z][A-Za-z-]{0,31}:[^\\n]{0,256}\\n\\s*)*"
                 "(?<secret>[A-Za-z0-9+/=](?:[A-Za-z0-9+/=\\s]|\\\\[nr]){30,}+)"
                 "\\s*(?:\\\\n)*-----END[ A-Z0-9_-]{0,32}PRIVATE KEY(?: BLOCK)?-----",
    },
    {
        .id = "hardcoded-secret-key",
        .category = "Flask",
        .title = "Hard-coded Flask/Django SECRET_KEY",
        .severity = PYOCI_SEV_HIGH,
        .keywords = {"secret_key"},
        /* SECRET_KEY = '...', app.secret_key = "...",
         * app.config['SECRET_KEY'] = '...', config.update(SECRET_KEY='...'),
         * "SECRET_KEY": "..." and prefixed names like DJANGO_SECRET_KEY. */
        .regex = "(?i)(?:(?<![a-z0-9_])(?:[a-z0-9_]{0,40}?_)?secret_key[\"']?"
                 "|\\[\\s*[\"']secret_key[\"']\\s*\\])"
                 "\\s*(?:=|:)\\s*(?<q>[\"'])(?<secret>[^\"'\\s\\\\]{8,256})\\k<q>",
        .flags = PYOCI_SECRET_F_PLACEHOLDERS,
    },
    {
        .id = "generic-secret-assignment",
        .category = "Generic",
        .title = "Hard-coded password, secret or token",
        .severity = PYOCI_SEV_HIGH,
        .keywords = {"password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "access_key",
                     "private_key", "credential"},
        /* NAME = "value" where NAME is, or ends in, one of the words after a
         * separator (DB_PASSWORD, github-token, client.secret).  The value is
         * quoted, 8-200 characters, no whitespace; placeholders are dropped
         * afterwards (PYOCI_SECRET_F_PLACEHOLDERS). */
        .regex = "(?i)(?<![a-z0-9_.-])(?:[a-z0-9_.-]{0,40}?[_.-])?"
                 "(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)"
                 "(?![a-z0-9_])" ASSIGN "(?<q>[\"'])(?<secret>[^\"'\\s\\\\]{8,200})\\k<q>",
        .flags = PYOCI_SECRET_F_PLACEHOLDERS,
    },
};

const pyoci_secret_rule_t *pyoci_secret_rules(size_t *count)
{
  *count = sizeof(rules) / sizeof(rules[0]);
  return rules;
}
